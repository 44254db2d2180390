"""What every store backend shares: results of an ingest, the stored-article view, filters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from dragoman.article import Article


class IngestOutcome(StrEnum):
    STORED = "stored"  # a new article
    UNCHANGED = "unchanged"  # same URL, same content: nothing written
    REVISED = "revised"  # same URL, changed content: a new revision, the old one kept


@dataclass(frozen=True, slots=True)
class IngestResult:
    outcome: IngestOutcome
    article_id: int
    revision_id: int
    revision: int


@dataclass(slots=True)
class StoredArticle:
    id: int
    revision_id: int
    revision: int
    revision_count: int
    stored_at: str
    article: Article


@dataclass(slots=True)
class ArticleFilter:
    outlets: list[str] | None = None
    since: datetime | None = None  # published at or after
    until: datetime | None = None  # published before
    without_translation_by: str | None = None  # model id: only articles it has not translated yet
    without_analysis_by: str | None = None  # analyzer version: only articles it has not analyzed yet
    ids: list[int] | None = None
    limit: int | None = None
