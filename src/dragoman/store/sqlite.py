"""The default store: one SQLite file, WAL mode, one writer at a time, migrations recorded in a table.

Ingest is idempotent: the same key URL with the same content hash adds nothing; changed content for the
same URL adds a revision and keeps the old one. Every write is one transaction, so a crash or Ctrl-C
mid-ingest leaves the database as it was before that article.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dragoman.article import Article, Translation
from dragoman.errors import StoreError
from dragoman.store.archive import (
    ArchiveReads,
    Original,
    keep_original,
)
from dragoman.store.base import (
    SELECT_REVISIONS,
    ArticleFilter,
    IngestOutcome,
    IngestResult,
    ReextractOutcome,
    StoredArticle,
    get_current,
    iso_utc,
    iter_current,
    load_stored,
    write_reextraction,
)
from dragoman.store.migrations import Migration, all_migrations
from dragoman.store.repositories import Repositories


def _now() -> str:
    return datetime.now(UTC).isoformat()


class SQLiteStore(ArchiveReads, Repositories):
    backend = "sqlite"

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        try:
            if readonly:
                uri = f"file:{self.path}?mode=ro"
                self.connection = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
            else:
                if self.path.parent and not self.path.parent.exists():
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                self.connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self.connection.row_factory = sqlite3.Row
            self.connection.execute("PRAGMA busy_timeout = 30000")
            self.connection.execute("PRAGMA foreign_keys = ON")
            if not readonly:
                self.connection.execute("PRAGMA journal_mode = WAL")
                self.connection.execute("PRAGMA synchronous = NORMAL")
                self.migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open database {self.path}: {exc}") from exc

    # -- plumbing -------------------------------------------------------------------------------------

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; taken IMMEDIATE so two writers queue instead of failing mid-way."""
        conn = self.connection
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreError(f"database {self.path} is busy: {exc}") from exc
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    def applied_migrations(self) -> list[int]:
        rows = self.connection.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
        return [row[0] for row in rows]

    def migrate(self, migrations: Sequence[Migration] | None = None) -> list[int]:
        """Apply what is missing; returns the versions applied now."""
        conn = self.connection
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        applied = set(self.applied_migrations())
        done: list[int] = []
        for migration in migrations if migrations is not None else all_migrations():
            if migration.version in applied:
                continue
            with self.transaction():
                # Re-check inside the lock: another process may have migrated meanwhile.
                row = conn.execute("SELECT 1 FROM schema_migrations WHERE version = ?", (migration.version,)).fetchone()
                if row:
                    continue
                for statement in _split_sql(migration.sqlite):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (migration.version, migration.name, _now()),
                )
            done.append(migration.version)
        return done

    # -- writing --------------------------------------------------------------------------------------

    def ingest(self, article: Article, original: Original | None = None, *, archive_max_bytes: int = 0) -> IngestResult:
        """Store an article (a new one, a new revision, or nothing when its content is known) and, when given,
        the original it was extracted from (see ``dragoman.store.archive``), in one transaction."""
        if not article.content_sha256:
            article.content_sha256 = article.compute_content_hash()
        key = article.key_url
        record = article.to_json()
        now = _now()
        try:
            with self.transaction() as conn:
                row = conn.execute("SELECT id, revision_count FROM articles WHERE key_url = ?", (key,)).fetchone()
                if row is None:
                    cur = conn.execute(
                        "INSERT INTO articles (key_url, url, outlet, language, title, rubric, published_at,"
                        " first_seen_at, updated_at, revision_count) VALUES (?,?,?,?,?,?,?,?,?,1)",
                        (
                            key,
                            article.url,
                            article.outlet,
                            article.language,
                            article.title,
                            article.rubric,
                            iso_utc(article.published_at),
                            now,
                            now,
                        ),
                    )
                    article_id = int(cur.lastrowid or 0)
                    revision_id = self._insert_revision(conn, article_id, 1, article, record, now)
                    conn.execute("UPDATE articles SET current_revision_id = ? WHERE id = ?", (revision_id, article_id))
                    archived = keep_original(conn, revision_id, original, now, archive_max_bytes)
                    return IngestResult(IngestOutcome.STORED, article_id, revision_id, 1, archived)
                article_id = int(row["id"])
                same = conn.execute(
                    "SELECT id, revision FROM revisions WHERE article_id = ? AND content_sha256 = ?",
                    (article_id, article.content_sha256),
                ).fetchone()
                if same is not None:
                    # A revision stored before the archive (or with it off) gets these bytes: they extract to it.
                    archived = keep_original(conn, int(same["id"]), original, now, archive_max_bytes)
                    return IngestResult(
                        IngestOutcome.UNCHANGED, article_id, int(same["id"]), int(same["revision"]), archived
                    )
                revision = int(row["revision_count"]) + 1
                revision_id = self._insert_revision(conn, article_id, revision, article, record, now)
                conn.execute(
                    "UPDATE articles SET url = ?, outlet = ?, title = ?, rubric = ?, published_at = ?,"
                    " updated_at = ?, current_revision_id = ?, revision_count = ? WHERE id = ?",
                    (
                        article.url,
                        article.outlet,
                        article.title,
                        article.rubric,
                        iso_utc(article.published_at),
                        now,
                        revision_id,
                        revision,
                        article_id,
                    ),
                )
                archived = keep_original(conn, revision_id, original, now, archive_max_bytes)
                return IngestResult(IngestOutcome.REVISED, article_id, revision_id, revision, archived)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot store {key}: {exc}") from exc

    @staticmethod
    def _insert_revision(
        conn: sqlite3.Connection, article_id: int, revision: int, article: Article, record: str, now: str
    ) -> int:
        cur = conn.execute(
            "INSERT INTO revisions (article_id, revision, content_sha256, raw_sha256, fetched_at, stored_at,"
            " extractor_version, source_url, record) VALUES (?,?,?,?,?,?,?,?,?)",
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
            ),
        )
        return int(cur.lastrowid or 0)

    def save_translation(self, revision_id: int, translation: Translation) -> None:
        flags = sum(len(s.flags) for seg in _segments(translation) for s in seg.sentences)
        try:
            with self.transaction() as conn:
                conn.execute(
                    "INSERT INTO translations (revision_id, engine, model_id, translated_at, flag_count, record)"
                    " VALUES (?,?,?,?,?,?) ON CONFLICT (revision_id, model_id) DO UPDATE SET"
                    " engine = excluded.engine, translated_at = excluded.translated_at,"
                    " flag_count = excluded.flag_count, record = excluded.record",
                    (
                        revision_id,
                        translation.engine,
                        translation.model_id,
                        iso_utc(translation.translated_at),
                        flags,
                        json.dumps(translation.to_dict(), ensure_ascii=False),
                    ),
                )
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot store translation of revision {revision_id}: {exc}") from exc

    def save_analysis(self, revision_id: int, analysis: dict[str, Any], analyzer_version: str) -> None:
        try:
            with self.transaction() as conn:
                conn.execute(
                    "INSERT INTO analyses (revision_id, analyzer_version, analyzed_at, record) VALUES (?,?,?,?)"
                    " ON CONFLICT (revision_id, analyzer_version) DO UPDATE SET"
                    " analyzed_at = excluded.analyzed_at, record = excluded.record",
                    (revision_id, analyzer_version, _now(), json.dumps(analysis, ensure_ascii=False)),
                )
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot store analysis of revision {revision_id}: {exc}") from exc

    def record_reextraction(self, stored: StoredArticle, article: Article) -> ReextractOutcome:
        """What today's extractor made of ``stored``'s original (see ``store.base.write_reextraction``)."""
        try:
            with self.transaction() as conn:
                return write_reextraction(conn, stored, article, _now())
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot store the re-extraction of article {stored.id}: {exc}") from exc

    # -- reading --------------------------------------------------------------------------------------

    def count(self) -> int:
        return int(self.connection.execute("SELECT count(*) FROM articles").fetchone()[0])

    def get(self, ref: int | str) -> StoredArticle | None:
        """An article by numeric id or by URL (canonical or as fetched), with its latest results."""
        return get_current(lambda sql, params: self.connection.execute(sql, params).fetchone(), "?", ref)

    def revisions(self, article_id: int) -> list[StoredArticle]:
        rows = self.connection.execute(SELECT_REVISIONS.format(p="?"), (article_id,)).fetchall()
        return [load_stored(row) for row in rows]

    def iter_articles(
        self,
        where: ArticleFilter | None = None,
        *,
        batch_size: int = 500,
        on_unreadable: Callable[[int, StoreError], None] | None = None,
    ) -> Iterator[StoredArticle]:
        """Stream the current revision of matching articles in id order, a page at a time (see ``iter_current``
        for ``on_unreadable``)."""
        return iter_current(
            lambda sql, params: self.connection.execute(sql, params).fetchall(), "?", where, batch_size, on_unreadable
        )


def _segments(translation: Translation) -> list[Any]:
    segs = [translation.title, *translation.blocks]
    if translation.lead is not None:
        segs.append(translation.lead)
    return segs


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements (no semicolons inside our string literals or triggers' bodies)."""
    statements: list[str] = []
    buffer: list[str] = []
    for line in script.splitlines():
        buffer.append(line)
        joined = "\n".join(buffer).strip()
        if joined.endswith(";") and sqlite3.complete_statement(joined):
            statements.append(joined)
            buffer = []
    rest = "\n".join(buffer).strip()
    if rest:
        statements.append(rest)
    return statements
