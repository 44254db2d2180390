# The two commands of the README: `make demo` and `make test`. Both create .venv on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DB ?= dragoman.db
export OPENBLAS_NUM_THREADS ?= 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# A stamp per extra set, so `make test` after `make demo` installs only what is missing.
$(VENV)/.installed-demo: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[all]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[all,test]'
	touch $@ $(VENV)/.installed-demo

# With no translation model installed, the demo downloads the catalog's default ru->en model first
# (verified, installed atomically); DRAGOMAN_NO_DOWNLOAD=1 skips that and the document stays Russian.
demo: $(VENV)/.installed-demo
	$(BIN)/python -m dragoman.demo --db $(DB)

# scripts/test-deps.sh installs Chromium and PostgreSQL as root, or says how (those tests then skip).
# lint-imports checks the layers contract in pyproject.toml ([tool.importlinter]): imports only point down.
test: $(VENV)/.installed-test
	scripts/test-deps.sh
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/lint-imports

bench: $(VENV)/.installed-test
	$(BIN)/python bench/extract_eval.py

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache
