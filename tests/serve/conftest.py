"""Fixtures for the serve tests: a real SQLite corpus (see serve_corpus.py) and an in-process client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from serve_corpus import TOKEN, Corpus, asgi_client_class, build_corpus

from dragoman.serve.app import create_app


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Corpus:
    """Built once per run and only read by the tests; tests that write build their own database."""
    return build_corpus(tmp_path_factory.mktemp("corpus") / "dragoman.db", data_dir)


@pytest.fixture(scope="session")
def client(corpus: Corpus) -> Iterator[Any]:
    with asgi_client_class()(create_app(corpus.db, token=TOKEN)) as test_client:
        yield test_client
