"""Fixtures for the analyze stage: natasha loaded once per session, helpers to build real articles."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from dragoman.article import Article, Block


@pytest.fixture(scope="session")
def natasha_models() -> Any:
    """The real natasha models (shipped in the PyPI packages), loaded once for all tests."""
    from dragoman.analyze.nlp import load_models

    return load_models()


@pytest.fixture(scope="session")
def make_article(natasha_models: Any) -> Callable[..., Article]:
    def make(
        paragraphs: list[str],
        *,
        title: str = "Заголовок",
        published: datetime | None = None,
        url: str = "https://iz.ru/1",
        outlet: str = "iz.ru",
        language: str = "ru",
    ) -> Article:
        return Article(
            url=url,
            title=title,
            blocks=[Block("paragraph", p) for p in paragraphs],
            published_at=published or datetime(2022, 1, 25, 21, 1, tzinfo=UTC),
            timezone="Europe/Moscow",
            outlet=outlet,
            language=language,
        )

    return make


@pytest.fixture
def db_path(store_url: str) -> str:
    """The analyze suite's database, on each backend in turn (a SQLite file, a PostgreSQL database)."""
    return store_url
