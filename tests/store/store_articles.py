"""Small articles the store tests ingest (imported by name, like tests/serve/serve_corpus.py, not via conftest)."""

from __future__ import annotations

from datetime import UTC, datetime

from dragoman.article import Article, Block, BlockKind


def article(n: int, text: str = "Текст статьи.", outlet: str = "iz.ru", day: int = 1) -> Article:
    return Article(
        url=f"https://{outlet}/news/{n}",
        title=f"Заголовок {n}",
        blocks=[Block(BlockKind.PARAGRAPH, text)],
        outlet=outlet,
        published_at=datetime(2022, 1, day, 12, tzinfo=UTC),
        extractor_version="test/1",
    )
