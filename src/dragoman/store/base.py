"""What every store backend shares: results of an ingest, the stored-article view, filters."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from dragoman.article import Article, Translation
from dragoman.errors import StoreError


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
    archived: str | None = None  # what happened to the original's bytes (ArchiveOutcome), None: none given


class ReextractOutcome(StrEnum):
    REVISED = "revised"  # the text changed: a new revision marked as a re-extraction
    UPDATED = "updated"  # only metadata changed (rubric, date, authors ...): the current revision's record
    UNCHANGED = "unchanged"  # the extractor finds what is stored
    SAME_AS_OLDER = "same_as_older"  # the text equals an older revision's: nothing written


# What a re-extraction compares besides the text: the fields the extractor fills from the page.
EXTRACTED_FIELDS = ("title", "lead", "rubric", "published_at", "authors", "agency", "language", "timezone", "outlet")


@dataclass(slots=True)
class StoredArticle:
    id: int
    revision_id: int
    revision: int
    revision_count: int
    stored_at: str
    article: Article
    origin: str = "acquired"  # acquired | reextract (see migration 3)


@dataclass(slots=True)
class ArticleFilter:
    outlets: list[str] | None = None
    since: datetime | None = None  # published at or after
    until: datetime | None = None  # published before
    without_translation_by: str | None = None  # model id: only articles it has not translated yet
    without_analysis_by: str | None = None  # analyzer version: only articles it has not analyzed yet
    ids: list[int] | None = None
    limit: int | None = None


# -- the reading queries both backends share (standard SQL; only the placeholder differs) -------------

# The current revision with its latest translation and analysis, in one round trip per page of articles.
SELECT_CURRENT = (
    "SELECT a.id AS article_id, r.id AS revision_id, r.revision, r.record, r.stored_at, a.revision_count, r.origin,"
    " (SELECT t.record FROM translations t WHERE t.revision_id = r.id ORDER BY t.translated_at DESC LIMIT 1)"
    " AS translation,"
    " (SELECT x.record FROM analyses x WHERE x.revision_id = r.id ORDER BY x.analyzed_at DESC LIMIT 1) AS analysis"
    " FROM articles a JOIN revisions r ON r.id = a.current_revision_id"
)
# All revisions of one article, without results (they belong to the revision they were made from).
SELECT_REVISIONS = (
    "SELECT a.id AS article_id, r.id AS revision_id, r.revision, r.record, r.stored_at, a.revision_count, r.origin,"
    " NULL AS translation, NULL AS analysis"
    " FROM revisions r JOIN articles a ON a.id = r.article_id WHERE r.article_id = {p} ORDER BY r.revision"
)


def iso_utc(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def load_stored(row: Any) -> StoredArticle:
    """A row of SELECT_CURRENT or SELECT_REVISIONS as a StoredArticle."""
    try:
        article = Article.from_json(row["record"])
        if row["translation"] is not None:
            article.translation = Translation.from_dict(json.loads(row["translation"]))
    except (ValueError, KeyError, RecursionError) as exc:
        raise StoreError(f"article {row['article_id']} has an unreadable record: {exc}", reason="bad_record") from exc
    if row["analysis"] is not None:
        article.analysis = json.loads(row["analysis"])
    return StoredArticle(
        id=int(row["article_id"]),
        revision_id=int(row["revision_id"]),
        revision=int(row["revision"]),
        revision_count=int(row["revision_count"]),
        stored_at=row["stored_at"],
        article=article,
        origin=row["origin"] or "acquired",
    )


def filter_sql(where: ArticleFilter, placeholder: str) -> tuple[list[str], list[Any]]:
    """WHERE clauses (on ``articles a`` and ``revisions r``) and their parameters for a filter."""
    clauses: list[str] = []
    params: list[Any] = []

    def one_of(column: str, values: Sequence[Any]) -> None:
        clauses.append(f"{column} IN ({','.join([placeholder] * len(values)) or 'NULL'})")
        params.extend(values)

    if where.outlets:
        one_of("a.outlet", where.outlets)
    if where.since is not None:
        clauses.append(f"a.published_at >= {placeholder}")
        params.append(iso_utc(where.since))
    if where.until is not None:
        clauses.append(f"a.published_at < {placeholder}")
        params.append(iso_utc(where.until))
    if where.without_translation_by is not None:
        clauses.append(
            f"NOT EXISTS (SELECT 1 FROM translations t WHERE t.revision_id = r.id AND t.model_id = {placeholder})"
        )
        params.append(where.without_translation_by)
    if where.without_analysis_by is not None:
        clauses.append(
            f"NOT EXISTS (SELECT 1 FROM analyses x WHERE x.revision_id = r.id AND x.analyzer_version = {placeholder})"
        )
        params.append(where.without_analysis_by)
    if where.ids is not None:
        one_of("a.id", [int(i) for i in where.ids])
    return clauses, params


def get_current(
    fetch_one: Callable[[str, tuple[Any, ...]], Any], placeholder: str, ref: int | str
) -> StoredArticle | None:
    """An article by numeric id or by URL (its key URL, else the first revision fetched from it), with its
    latest results; ``fetch_one(sql, params)`` runs a query and returns one row or None."""
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        if not 0 < int(ref) < 2**63:  # ids are 64-bit integers on both backends; nothing is stored beyond
            return None
        row = fetch_one(SELECT_CURRENT + f" WHERE a.id = {placeholder}", (int(ref),))
    else:
        row = fetch_one(SELECT_CURRENT + f" WHERE a.key_url = {placeholder}", (ref,))
        if row is None:
            row = fetch_one(
                SELECT_CURRENT + " WHERE a.id = (SELECT article_id FROM revisions"
                f" WHERE source_url = {placeholder} ORDER BY id LIMIT 1)",
                (ref,),
            )
    return load_stored(row) if row is not None else None


def iter_current(
    fetch: Callable[[str, tuple[Any, ...]], list[Any]],
    placeholder: str,
    where: ArticleFilter | None,
    batch_size: int,
    on_unreadable: Callable[[int, StoreError], None] | None = None,
) -> Iterator[StoredArticle]:
    """Stream matching current revisions in id order by keyset pages; ``fetch(sql, params)`` runs a query.

    An unreadable record (a bad one stored before records were checked) raises StoreError, or, when
    ``on_unreadable`` is given, is handed to it with its id and skipped, so that one such record does not end
    a batch over all the others.
    """
    where = where or ArticleFilter()
    clauses, params = filter_sql(where, placeholder)
    sql = (
        SELECT_CURRENT
        + f" WHERE a.id > {placeholder}"
        + "".join(f" AND {c}" for c in clauses)
        + f" ORDER BY a.id LIMIT {placeholder}"
    )
    last_id = 0
    remaining = where.limit
    while remaining is None or remaining > 0:
        page_size = batch_size if remaining is None else min(batch_size, remaining)
        rows = fetch(sql, (last_id, *params, page_size))
        if not rows:
            return
        for row in rows:
            try:
                stored = load_stored(row)
            except StoreError as exc:
                if on_unreadable is None:
                    raise
                on_unreadable(int(row["article_id"]), exc)
                continue
            yield stored
        last_id = int(rows[-1]["article_id"])
        if remaining is not None:
            remaining -= len(rows)


# -- re-extraction (the SQL is SQLite-flavoured: PostgreSQL's PgConnection translates it) ----------------


def extracted_fields(article: Article) -> dict[str, Any]:
    data = article.to_dict()
    return {name: data.get(name) for name in EXTRACTED_FIELDS}


def write_reextraction(conn: Any, stored: StoredArticle, article: Article, now: str) -> ReextractOutcome:
    """Record what today's extractor makes of a stored revision's original, inside the caller's transaction.

    Changed text becomes a new current revision with origin ``reextract`` (pointing to the same original);
    changed metadata alone rewrites the current revision's record (the text, and so its translation, stay;
    a changed publication time makes its analysis pending again);
    nothing changed writes nothing, so running it twice changes nothing the second time.
    """
    article.content_sha256 = article.compute_content_hash()  # of what is in hand: the comparison rests on it
    # The record is the Russian side only: results belong to their revision's rows, never to the record.
    record = replace(article, translation=None, analysis=None).to_json()
    row = conn.execute("SELECT current_revision_id, revision_count FROM articles WHERE id = ?", (stored.id,)).fetchone()
    if row is None or int(row[0]) != stored.revision_id:
        raise StoreError(f"article {stored.id} changed while it was re-extracted; run reextract again")
    current = stored.article
    if article.content_sha256 == current.content_sha256:
        if extracted_fields(article) == extracted_fields(current):
            return ReextractOutcome.UNCHANGED
        conn.execute(
            "UPDATE revisions SET record = ?, extractor_version = ? WHERE id = ?",
            (record, article.extractor_version or article.extractor, stored.revision_id),
        )
        # current_revision_id is set (to itself) so that what indexes the current revision (the search
        # index's triggers on that column) takes the corrected record.
        conn.execute(
            "UPDATE articles SET title = ?, rubric = ?, published_at = ?, updated_at = ?, current_revision_id = ?"
            " WHERE id = ?",
            (article.title, article.rubric, iso_utc(article.published_at), now, stored.revision_id, stored.id),
        )
        if iso_utc(article.published_at) != iso_utc(current.published_at):
            # The analysis resolved relative dates ("вчера") against the old publication time: it is made
            # pending again (the next `analyze` redoes it); the translation, of the same text, stays.
            conn.execute("DELETE FROM analyses WHERE revision_id = ?", (stored.revision_id,))
        return ReextractOutcome.UPDATED
    older = conn.execute(
        "SELECT revision FROM revisions WHERE article_id = ? AND content_sha256 = ?",
        (stored.id, article.content_sha256),
    ).fetchone()
    if older is not None:
        return ReextractOutcome.SAME_AS_OLDER
    revision = int(row[1]) + 1
    conn.execute(
        "INSERT INTO revisions (article_id, revision, content_sha256, raw_sha256, fetched_at, stored_at,"
        " extractor_version, source_url, record, origin) VALUES (?,?,?,?,?,?,?,?,?,?)",
        (
            stored.id,
            revision,
            article.content_sha256,
            article.raw_sha256,
            iso_utc(article.fetched_at),
            now,
            article.extractor_version or article.extractor,
            article.url,
            record,
            "reextract",
        ),
    )
    revision_id = int(
        conn.execute(
            "SELECT id FROM revisions WHERE article_id = ? AND revision = ?", (stored.id, revision)
        ).fetchone()[0]
    )
    conn.execute(
        "INSERT INTO revision_originals (revision_id, sha256, kind, url, status, content_type, headers, fetched_at)"
        " SELECT ?, sha256, kind, url, status, content_type, headers, fetched_at FROM revision_originals"
        " WHERE revision_id = ?",
        (revision_id, stored.revision_id),
    )
    conn.execute(
        "UPDATE articles SET title = ?, rubric = ?, published_at = ?, updated_at = ?, current_revision_id = ?,"
        " revision_count = ? WHERE id = ?",
        (article.title, article.rubric, iso_utc(article.published_at), now, revision_id, revision, stored.id),
    )
    return ReextractOutcome.REVISED
