"""Where articles live. Backends are chosen by the database URL: a path is SQLite, postgresql:// is PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dragoman.errors import ConfigError
from dragoman.store.base import ArticleFilter, IngestOutcome, IngestResult, StoredArticle
from dragoman.store.protocol import Store
from dragoman.store.sqlite import SQLiteStore

__all__ = ["ArticleFilter", "IngestOutcome", "IngestResult", "SQLiteStore", "Store", "StoredArticle", "open_store"]


def open_store(url: str | Path, **kwargs: Any) -> Store:
    """Open the store named by ``url``: a file path (SQLite) or a ``postgresql://`` URL. ``readonly=True``
    opens an existing, migrated database for reading only (StoreMissingError otherwise): it is never
    created, migrated or written; ``existing=True`` opens one for commands that read the corpus and bring the
    derived search index up to date (their only write): it is never created or migrated either."""
    text = str(url)
    if text.startswith(("postgresql://", "postgres://")):
        try:
            from dragoman.store.postgres import PostgresStore
        except ModuleNotFoundError as exc:
            raise ConfigError(
                "PostgreSQL support is not installed: pip install 'dragoman[postgres]'", reason="config"
            ) from exc
        return PostgresStore(text, **kwargs)
    if text.startswith("sqlite:///"):
        text = text.removeprefix("sqlite:///")
    return SQLiteStore(text, **kwargs)
