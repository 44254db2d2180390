"""Fixtures for the serve tests: a real corpus (see serve_corpus.py) on each backend (a SQLite file, a
PostgreSQL database) and an in-process client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from serve_corpus import TOKEN, Corpus, asgi_client_class, build_corpus

from backends import BACKENDS, fresh_postgres_database
from dragoman.serve.app import create_app


@pytest.fixture(scope="session", params=BACKENDS)
def corpus(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, data_dir: Path
) -> Iterator[Corpus]:
    """Built once per run and backend and only read by the tests; tests that write build their own database."""
    if request.param == "sqlite":
        yield build_corpus(tmp_path_factory.mktemp("corpus") / "dragoman.db", data_dir)
        return
    with fresh_postgres_database(request.getfixturevalue("postgres_server")) as url:
        yield build_corpus(url, data_dir)


@pytest.fixture(scope="session")
def client(corpus: Corpus) -> Iterator[Any]:
    with asgi_client_class()(create_app(corpus.db, token=TOKEN)) as test_client:
        yield test_client
