"""What both store backends share: results of an ingest, the stored-article view, filters, and the store itself
(:class:`SQLStore`): one ingest algorithm, one place that writes a revision, the same reads, over SQL that both
databases accept (``ON CONFLICT``, ``RETURNING``, ``?`` placeholders). A backend brings its connection, its
transactions and the dialect hooks: how an article's row is locked while its revisions are compared, and how
often a write is tried again when the database reports a conflict.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Self

from dragoman.article import Article, Translation
from dragoman.errors import StoreError, StoreLockedError, StoreMissingError, StoreSchemaError
from dragoman.store.archive import ArchiveReads, Original, keep_original
from dragoman.store.connection import rewrap
from dragoman.store.migrations import all_migrations
from dragoman.store.translations import TranslationMemoryRepository, write_translation


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


# -- the reading queries --------------------------------------------------------------------------------

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
    " FROM revisions r JOIN articles a ON a.id = r.article_id WHERE r.article_id = ? ORDER BY r.revision"
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


def filter_sql(where: ArticleFilter) -> tuple[list[str], list[Any]]:
    """WHERE clauses (on ``articles a`` and ``revisions r``) and their parameters for a filter."""
    clauses: list[str] = []
    params: list[Any] = []

    def one_of(column: str, values: Sequence[Any]) -> None:
        clauses.append(f"{column} IN ({','.join('?' * len(values)) or 'NULL'})")
        params.extend(values)

    if where.outlets:
        one_of("a.outlet", where.outlets)
    if where.since is not None:
        clauses.append("a.published_at >= ?")
        params.append(iso_utc(where.since))
    if where.until is not None:
        clauses.append("a.published_at < ?")
        params.append(iso_utc(where.until))
    if where.without_translation_by is not None:
        clauses.append("NOT EXISTS (SELECT 1 FROM translations t WHERE t.revision_id = r.id AND t.model_id = ?)")
        params.append(where.without_translation_by)
    if where.without_analysis_by is not None:
        clauses.append("NOT EXISTS (SELECT 1 FROM analyses x WHERE x.revision_id = r.id AND x.analyzer_version = ?)")
        params.append(where.without_analysis_by)
    if where.ids is not None:
        one_of("a.id", [int(i) for i in where.ids])
    return clauses, params


def get_current(conn: Any, ref: int | str) -> StoredArticle | None:
    """An article by numeric id or by URL (its key URL, else the first revision fetched from it), with its
    latest results."""

    def fetch_one(sql: str, params: tuple[Any, ...]) -> Any:
        return conn.execute(sql, params).fetchone()

    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        if not 0 < int(ref) < 2**63:  # ids are 64-bit integers on both backends; nothing is stored beyond
            return None
        row = fetch_one(SELECT_CURRENT + " WHERE a.id = ?", (int(ref),))
    else:
        row = fetch_one(SELECT_CURRENT + " WHERE a.key_url = ?", (ref,))
        if row is None:
            row = fetch_one(
                SELECT_CURRENT + " WHERE a.id = (SELECT article_id FROM revisions"
                " WHERE source_url = ? ORDER BY id LIMIT 1)",
                (ref,),
            )
    return load_stored(row) if row is not None else None


def iter_current(
    conn: Any,
    where: ArticleFilter | None,
    batch_size: int,
    on_unreadable: Callable[[int, StoreError], None] | None = None,
) -> Iterator[StoredArticle]:
    """Stream matching current revisions in id order by keyset pages.

    An unreadable record (a bad one stored before records were checked) raises StoreError, or, when
    ``on_unreadable`` is given, is handed to it with its id and skipped, so that one such record does not end
    a batch over all the others.
    """
    where = where or ArticleFilter()
    clauses, params = filter_sql(where)
    sql = SELECT_CURRENT + " WHERE a.id > ?" + "".join(f" AND {c}" for c in clauses) + " ORDER BY a.id LIMIT ?"
    last_id = 0
    remaining = where.limit
    while remaining is None or remaining > 0:
        page_size = batch_size if remaining is None else min(batch_size, remaining)
        rows = conn.execute(sql, (last_id, *params, page_size)).fetchall()
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


# -- writing: one revision writer, one ingest, one re-extraction ------------------------------------------


def insert_revision(
    conn: Any, article_id: int, revision: int, article: Article, record: str, now: str, origin: str = "acquired"
) -> int:
    """Write revision number ``revision`` of an article (the one place a revision row is written); its id."""
    row = conn.execute(
        "INSERT INTO revisions (article_id, revision, content_sha256, raw_sha256, fetched_at, stored_at,"
        " extractor_version, source_url, record, origin) VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING id",
        (
            article_id,
            revision,
            article.content_sha256,
            article.raw_sha256,
            iso_utc(article.fetched_at),
            now,
            article.extractor_version or article.extractor,
            article.url,
            record,
            origin,
        ),
    ).fetchone()
    return int(row[0])


def write_ingest(
    conn: Any,
    article: Article,
    original: Original | None,
    now: str,
    *,
    archive_max_bytes: int,
    lock_suffix: str,
    claim_first: bool,
) -> IngestResult:
    """Store an article inside the caller's transaction: a new one, a new revision, or nothing new.

    A new URL is claimed with ``INSERT ... ON CONFLICT (key_url) DO NOTHING RETURNING id``; a URL stored
    before has its row read with the dialect's ``lock_suffix`` (PostgreSQL: ``FOR UPDATE``; SQLite's write
    transaction already excludes other writers), so two processes storing the same page never create two
    articles or two revisions, and a revision number is never taken twice. ``claim_first`` (PostgreSQL)
    tries the claim before the read; SQLite, alone in its write transaction, reads first, which is cheaper
    for a page it has stored before.
    """
    key = article.key_url
    published = iso_utc(article.published_at)
    select_article = "SELECT id, revision_count FROM articles WHERE key_url = ?" + lock_suffix
    row = None if claim_first else conn.execute(select_article, (key,)).fetchone()
    if row is None:
        claimed = conn.execute(
            "INSERT INTO articles (key_url, url, outlet, language, title, rubric, published_at, first_seen_at,"
            " updated_at, revision_count) VALUES (?,?,?,?,?,?,?,?,?,1) ON CONFLICT (key_url) DO NOTHING"
            " RETURNING id",
            (key, article.url, article.outlet, article.language, article.title, article.rubric, published, now, now),
        ).fetchone()
        if claimed is not None:
            article_id = int(claimed[0])
            revision_id = insert_revision(conn, article_id, 1, article, article.to_json(), now)
            conn.execute("UPDATE articles SET current_revision_id = ? WHERE id = ?", (revision_id, article_id))
            archived = keep_original(conn, revision_id, original, now, archive_max_bytes)
            return IngestResult(IngestOutcome.STORED, article_id, revision_id, 1, archived)
        row = conn.execute(select_article, (key,)).fetchone()
    article_id = int(row[0])
    same = conn.execute(
        "SELECT id, revision FROM revisions WHERE article_id = ? AND content_sha256 = ?",
        (article_id, article.content_sha256),
    ).fetchone()
    if same is not None:
        # A revision stored before the archive (or with it off) gets these bytes: they extract to it.
        archived = keep_original(conn, int(same[0]), original, now, archive_max_bytes)
        return IngestResult(IngestOutcome.UNCHANGED, article_id, int(same[0]), int(same[1]), archived)
    revision = int(row[1]) + 1
    # The record is serialized only when a revision is written: most ingests of a known page write nothing.
    revision_id = insert_revision(conn, article_id, revision, article, article.to_json(), now)
    conn.execute(
        "UPDATE articles SET url = ?, outlet = ?, title = ?, rubric = ?, published_at = ?,"
        " updated_at = ?, current_revision_id = ?, revision_count = ? WHERE id = ?",
        (article.url, article.outlet, article.title, article.rubric, published, now, revision_id, revision, article_id),
    )
    archived = keep_original(conn, revision_id, original, now, archive_max_bytes)
    return IngestResult(IngestOutcome.REVISED, article_id, revision_id, revision, archived)


def extracted_fields(article: Article) -> dict[str, Any]:
    data = article.to_dict()
    return {name: data.get(name) for name in EXTRACTED_FIELDS}


def write_reextraction(
    conn: Any, stored: StoredArticle, article: Article, now: str, *, lock_suffix: str
) -> ReextractOutcome:
    """Record what today's extractor makes of a stored revision's original, inside the caller's transaction.

    Changed text becomes a new current revision with origin ``reextract`` (pointing to the same original);
    changed metadata alone rewrites the current revision's record (the text, and so its translation, stay;
    a changed publication time makes its analysis pending again);
    nothing changed writes nothing, so running it twice changes nothing the second time.
    """
    article.content_sha256 = article.compute_content_hash()  # of what is in hand: the comparison rests on it
    # The record is the Russian side only: results belong to their revision's rows, never to the record.
    record = replace(article, translation=None, analysis=None).to_json()
    row = conn.execute(
        "SELECT current_revision_id, revision_count FROM articles WHERE id = ?" + lock_suffix, (stored.id,)
    ).fetchone()
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
    revision_id = insert_revision(conn, stored.id, revision, article, record, now, origin="reextract")
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


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


class SQLStore(ArchiveReads):
    """The store over either database (see the module docstring); ``SQLiteStore`` and ``PostgresStore`` bring
    the connection and the dialect hooks.

    ``sql`` is the connection the store's own repositories use: portable SQL with ``?`` placeholders, nothing
    rewritten. ``connection`` is the one handed to code outside the store that still writes its own SQL.
    """

    backend: str
    sql: Any
    connection: Any
    readonly: bool = False
    lock_suffix = ""  # dialect hook: appended to the SELECT that reads an article's row before a write
    claim_first = False  # dialect hook: ingest tries to claim a URL before reading its row (see write_ingest)
    write_attempts = 1  # dialect hook: tries of a write that the database refused for a conflict (StoreLockedError)

    def __init__(self) -> None:
        self.translation_memory = TranslationMemoryRepository(self)

    # -- plumbing (the backend's) ---------------------------------------------------------------------

    def close(self) -> None:
        raise NotImplementedError

    def _transaction(self) -> AbstractContextManager[Any]:
        """One write transaction on ``sql``."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def write(self, work: Callable[[Any], Any], what: str) -> Any:
        """Run ``work(conn)`` in one transaction on ``sql``; again (``write_attempts``) when the database
        reports a conflict; a failure is a StoreError saying ``cannot store {what}``."""
        for attempt in range(self.write_attempts):
            try:
                with self._transaction() as conn:
                    return work(conn)
            except StoreLockedError as exc:
                if attempt == self.write_attempts - 1:
                    raise rewrap(exc, f"cannot store {what}") from exc.__cause__
                time.sleep(0.01 * 2**attempt)
            except StoreError as exc:
                if exc.__cause__ is None:  # the store's own word (a record changed meanwhile ...): as it is
                    raise
                raise rewrap(exc, f"cannot store {what}") from exc.__cause__
        raise AssertionError("unreachable")

    # -- writing --------------------------------------------------------------------------------------

    def ingest(self, article: Article, original: Original | None = None, *, archive_max_bytes: int = 0) -> IngestResult:
        """Store an article (a new one, a new revision, or nothing when its content is known) and, when given,
        the original it was extracted from (see ``dragoman.store.archive``), in one transaction."""
        if not article.content_sha256:
            article.content_sha256 = article.compute_content_hash()
        return self.write(
            lambda conn: write_ingest(
                conn,
                article,
                original,
                now_iso(),
                archive_max_bytes=archive_max_bytes,
                lock_suffix=self.lock_suffix,
                claim_first=self.claim_first,
            ),
            article.key_url,
        )

    def save_translation(self, revision_id: int, translation: Translation) -> None:
        self.write(
            lambda conn: write_translation(conn, revision_id, translation), f"translation of revision {revision_id}"
        )

    def save_analysis(self, revision_id: int, analysis: dict[str, Any], analyzer_version: str) -> None:
        def work(conn: Any) -> None:
            conn.execute(
                "INSERT INTO analyses (revision_id, analyzer_version, analyzed_at, record) VALUES (?,?,?,?)"
                " ON CONFLICT (revision_id, analyzer_version) DO UPDATE SET"
                " analyzed_at = excluded.analyzed_at, record = excluded.record",
                (revision_id, analyzer_version, now_iso(), json.dumps(analysis, ensure_ascii=False)),
            )

        self.write(work, f"analysis of revision {revision_id}")

    def record_reextraction(self, stored: StoredArticle, article: Article) -> ReextractOutcome:
        """What today's extractor made of ``stored``'s original (see ``write_reextraction``)."""
        return self.write(
            lambda conn: write_reextraction(conn, stored, article, now_iso(), lock_suffix=self.lock_suffix),
            f"the re-extraction of article {stored.id}",
        )

    # -- reading --------------------------------------------------------------------------------------

    def count(self) -> int:
        return int(self.sql.execute("SELECT count(*) FROM articles").fetchone()[0])

    def get(self, ref: int | str) -> StoredArticle | None:
        """An article by numeric id or by URL (canonical or as fetched), with its latest results."""
        return get_current(self.sql, ref)

    def revisions(self, article_id: int) -> list[StoredArticle]:
        """Every revision of an article, oldest first, with its text only (see ``with_results``)."""
        return [load_stored(row) for row in self.sql.execute(SELECT_REVISIONS, (article_id,)).fetchall()]

    def with_results(self, stored: StoredArticle) -> StoredArticle:
        """``stored`` with the latest translation and analysis made from its own revision (an older revision's
        results, when it has any: a reader showing that revision shows what was made from it)."""
        translation = self.sql.execute(
            "SELECT record FROM translations WHERE revision_id = ? ORDER BY translated_at DESC LIMIT 1",
            (stored.revision_id,),
        ).fetchone()
        if translation is not None:
            stored.article.translation = Translation.from_dict(json.loads(translation[0]))
        analysis = self.sql.execute(
            "SELECT record FROM analyses WHERE revision_id = ? ORDER BY analyzed_at DESC LIMIT 1",
            (stored.revision_id,),
        ).fetchone()
        if analysis is not None:
            stored.article.analysis = json.loads(analysis[0])
        return stored

    def iter_articles(
        self,
        where: ArticleFilter | None = None,
        *,
        batch_size: int = 500,
        on_unreadable: Callable[[int, StoreError], None] | None = None,
    ) -> Iterator[StoredArticle]:
        """Stream the current revision of matching articles in id order, a page at a time (see ``iter_current``
        for ``on_unreadable``)."""
        return iter_current(self.sql, where, batch_size, on_unreadable)

    # -- migrations -----------------------------------------------------------------------------------

    def applied_migrations(self) -> list[int]:
        rows = self.sql.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
        return [int(row[0]) for row in rows]

    def check_migrated(self, where: str) -> None:
        """For a read-only open: refuse a database without this version's tables, with one clear line."""
        try:
            applied = set(self.applied_migrations())
        except StoreSchemaError as exc:
            raise StoreMissingError(f"{where} is not a dragoman database (it has no schema_migrations table)") from exc
        missing = [m.version for m in all_migrations() if m.version not in applied]
        if missing:
            raise StoreMissingError(
                f"{where} has not been migrated to this version of dragoman (missing migrations"
                f" {', '.join(map(str, missing[:5]))}{' ...' if len(missing) > 5 else ''});"
                " run `dragoman migrate` first",
                reason="not_migrated",
            )
