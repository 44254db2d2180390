"""The PostgreSQL store: the SQLite store's interface over psycopg 3, for a corpus shared by many writers.

Ingest is idempotent and safe with several writers at once: a new article is claimed with
``INSERT ... ON CONFLICT (key_url) DO NOTHING`` and an existing one is locked with ``SELECT ... FOR UPDATE``
before its revisions are compared, so two processes storing the same page never create two articles or
two revisions, and a revision number is never taken twice. Timestamps stay ISO 8601 text (UTC), as in
SQLite, so records and stage tables compare and copy the same on both backends.

``connection`` is a small compatibility layer (:class:`PgConnection`): the stages write SQLite-flavoured
SQL with ``?`` placeholders and read rows by name or index; it translates that SQL and those rows, and it
raises ``sqlite3`` exception types so the stages' error handling works on both backends.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg.adapt import Loader

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

MIGRATION_LOCK_KEY = 0x6472_6167  # "drag": one migrator at a time across processes
RETRIES = 5  # serialization failures and deadlocks are retried this many times


def _now() -> str:
    return datetime.now(UTC).isoformat()


# -- rows and values as the SQLite code expects them ----------------------------------------------------


class Row:
    """A result row readable by column name or position, like ``sqlite3.Row`` (``dict(row)`` works)."""

    __slots__ = ("_names", "_values")

    def __init__(self, values: Sequence[Any], names: dict[str, int]) -> None:
        self._values = values
        self._names = names

    def __getitem__(self, key: int | str | slice) -> Any:
        if isinstance(key, str):
            try:
                return self._values[self._names[key]]
            except KeyError:
                return self._values[self._names[key.lower()]]
        return self._values[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Row):
            return tuple(self._values) == tuple(other._values)
        if isinstance(other, tuple):
            return tuple(self._values) == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def keys(self) -> list[str]:
        return list(self._names)

    def __repr__(self) -> str:
        return f"Row({dict(zip(self._names, self._values, strict=False))!r})"


def _row_factory(cursor: Any) -> Any:
    names = {d.name: i for i, d in enumerate(cursor.description or [])}
    return lambda values: Row(values, names)


class _NumericLoader(Loader):
    """``numeric`` (what sum() and avg() return) as int or float, as SQLite gives them, never Decimal."""

    def load(self, data: Any) -> int | float:
        text = bytes(data).decode()
        if "." in text or "e" in text.lower() or text in ("NaN", "Infinity", "-Infinity"):
            return float(text)
        return int(text)


# -- SQLite-flavoured SQL to PostgreSQL ------------------------------------------------------------------

_QUOTED_OR_MARK = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?|%")
_INSERT_OR_IGNORE = re.compile(r"^\s*INSERT\s+OR\s+IGNORE\s+INTO\b", re.IGNORECASE)
_INSERT_OR_REPLACE = re.compile(r"^\s*INSERT\s+OR\s+REPLACE\s+INTO\s+(\w+)\s*\(([^)]*)\)", re.IGNORECASE)
_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)
_CREATE = re.compile(r"^\s*CREATE\s+(TABLE|INDEX|UNIQUE)", re.IGNORECASE)
_FTS5_COMMAND = re.compile(r"^\s*INSERT\s+INTO\s+(\w+)\s*\(\s*\1\s*\)", re.IGNORECASE)
_IS_PARAM = re.compile(r"\bIS\s+\?", re.IGNORECASE)
_IS_NOT_PARAM = re.compile(r"\bIS\s+NOT\s+\?", re.IGNORECASE)
_UNIXEPOCH_DATE = re.compile(r"\bdate\(([^()']+),\s*'unixepoch'\)", re.IGNORECASE)
_IFNULL = re.compile(r"\bIFNULL\s*\(", re.IGNORECASE)


def translate_sql(sql: str, *, with_params: bool, conflict_target: str | None = None) -> str:
    """``?`` to ``%s`` (and ``%`` to ``%%``) outside literals, plus the SQLite idioms the stages use."""

    def swap(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "?":
            return "%s"
        if token == "%" or token[0] == "'":
            return token.replace("%", "%%") if with_params else token
        return token

    # SQLite's null-safe comparisons with a parameter: ``x IS ?`` / ``x IS NOT ?``.
    sql = _IS_NOT_PARAM.sub("IS DISTINCT FROM ?", sql)
    sql = _IS_PARAM.sub("IS NOT DISTINCT FROM ?", sql)
    text = _QUOTED_OR_MARK.sub(swap, sql)
    if _CREATE.match(text):
        text = sqlite_ddl_to_postgres(text)
    text = _IFNULL.sub("COALESCE(", text)
    text = _UNIXEPOCH_DATE.sub(r"to_char(to_timestamp(\1) AT TIME ZONE 'UTC', 'YYYY-MM-DD')", text)
    if _INSERT_OR_IGNORE.match(text):
        text = _INSERT_OR_IGNORE.sub("INSERT INTO", text, count=1)
        text = _add_conflict_clause(text, "ON CONFLICT DO NOTHING")
    elif conflict_target is not None and (replace := _INSERT_OR_REPLACE.match(text)):
        columns = [c.strip() for c in replace.group(2).split(",")]
        keys = {k.strip() for k in conflict_target.split(",")}
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c not in keys)
        action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
        text = re.sub(r"^\s*INSERT\s+OR\s+REPLACE\s+INTO", "INSERT INTO", text, count=1, flags=re.IGNORECASE)
        text = _add_conflict_clause(text, f"ON CONFLICT ({conflict_target}) {action}")
    return text


def _add_conflict_clause(text: str, clause: str) -> str:
    stripped = text.rstrip().rstrip(";")
    returning = _RETURNING.search(stripped)
    if returning:
        return f"{stripped[: returning.start()]}{clause} {stripped[returning.start() :]}"
    return f"{stripped} {clause}"


_DDL_RULES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"\bINTEGER\s+PRIMARY\s+KEY(\s+AUTOINCREMENT)?\b", re.I),
        "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    ),
    (re.compile(r"\bINTEGER\b", re.I), "BIGINT"),
    (re.compile(r"\bREAL\b", re.I), "DOUBLE PRECISION"),
    (re.compile(r"\bBLOB\b", re.I), "BYTEA"),
    (re.compile(r"\)\s*WITHOUT\s+ROWID", re.I), ")"),
    (
        re.compile(r"\(\s*strftime\('%Y-%m-%dT%H:%M:%fZ',\s*'now'\)\s*\)", re.I),
        "(to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'))",
    ),
]


def sqlite_ddl_to_postgres(sql: str) -> str:
    """The PostgreSQL form of a plain SQLite migration (tables, indexes): types and identity columns.

    Virtual tables (FTS5) and triggers are not translated: such migrations carry their own ``postgres``.
    """
    for pattern, replacement in _DDL_RULES:
        sql = pattern.sub(replacement, sql)
    return sql


def postgres_form(migration: Migration) -> str:
    return migration.postgres if migration.postgres is not None else sqlite_ddl_to_postgres(migration.sqlite)


def _sqlite_error(exc: psycopg.Error) -> sqlite3.Error:
    """The ``sqlite3`` exception the stages' ``except`` clauses expect for a PostgreSQL error."""
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, psycopg.IntegrityError):
        return sqlite3.IntegrityError(message)
    if isinstance(exc, psycopg.OperationalError | pg_errors.SerializationFailure | pg_errors.DeadlockDetected):
        return sqlite3.OperationalError(message)
    if isinstance(exc, psycopg.ProgrammingError | psycopg.DataError):
        return sqlite3.OperationalError(message)
    return sqlite3.DatabaseError(message)


class PgCursor:
    """What ``sqlite3.Cursor`` offers the stages: fetchone/fetchall/iteration, rowcount, lastrowid."""

    def __init__(self, owner: PgConnection, cursor: psycopg.Cursor[Any], inserted: bool) -> None:
        self._owner = owner
        self._cursor = cursor
        self._inserted = inserted

    def fetchone(self) -> Any:
        return self._cursor.fetchone() if self._cursor.description else None

    def fetchall(self) -> list[Any]:
        return self._cursor.fetchall() if self._cursor.description else []

    def fetchmany(self, size: int = 100) -> list[Any]:
        return self._cursor.fetchmany(size) if self._cursor.description else []

    def __iter__(self) -> Iterator[Any]:
        return iter(self._cursor) if self._cursor.description else iter(())

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def lastrowid(self) -> int | None:
        """The identity value of the last INSERT (``lastval()``), as SQLite's ``lastrowid`` gives it."""
        if not self._inserted:
            return None
        try:
            with self._owner.raw.transaction():  # a savepoint: a failure here must not abort the caller's work
                row = self._owner.raw.execute("SELECT lastval()").fetchone()
        except psycopg.Error:
            return None
        return int(row[0]) if row else None


class PgConnection:
    """SQLite-style ``execute`` over a psycopg connection (see the module docstring)."""

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.raw = raw
        self._conflict_targets: dict[str, str | None] = {}

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> PgCursor:
        if _FTS5_COMMAND.match(sql):  # INSERT INTO t(t) VALUES ('optimize'): FTS5 upkeep, nothing to do here
            return PgCursor(self, self.raw.execute("SELECT 1 WHERE false"), False)
        with_params = bool(params)
        text = translate_sql(sql, with_params=with_params, conflict_target=self._replace_target(sql))
        try:
            cursor = self.raw.execute(text, _adapt(params) if with_params else None)  # type: ignore[arg-type]
        except psycopg.Error as exc:
            raise _sqlite_error(exc) from exc
        return PgCursor(self, cursor, text.lstrip()[:6].upper() == "INSERT")

    def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> PgCursor:
        text = translate_sql(sql, with_params=True, conflict_target=self._replace_target(sql))
        cursor = self.raw.cursor()
        try:
            cursor.executemany(text, [_adapt(p) for p in seq])  # type: ignore[arg-type]
        except psycopg.Error as exc:
            raise _sqlite_error(exc) from exc
        return PgCursor(self, cursor, False)

    def executescript(self, script: str) -> None:
        try:
            self.raw.execute(script)  # type: ignore[call-overload]
        except psycopg.Error as exc:
            raise _sqlite_error(exc) from exc

    def commit(self) -> None:  # autocommit outside ``transaction()``: nothing pending
        return None

    def _replace_target(self, sql: str) -> str | None:
        """The primary key of the table an ``INSERT OR REPLACE`` writes (its conflict target)."""
        match = _INSERT_OR_REPLACE.match(sql)
        if not match:
            return None
        table = match.group(1).lower()
        if table not in self._conflict_targets:
            rows = self.raw.execute(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid"
                " AND a.attnum = ANY(i.indkey) WHERE i.indrelid = to_regclass(%s) AND i.indisprimary",
                (table,),
            ).fetchall()
            self._conflict_targets[table] = ", ".join(r[0] for r in rows) or None
        return self._conflict_targets[table]


def _adapt(params: Any) -> Any:
    """Parameters as SQLite takes them, for PostgreSQL's typed columns: bools are 0/1, buffers are bytes."""
    if isinstance(params, dict):
        return params
    return [int(p) if isinstance(p, bool) else bytes(p) if isinstance(p, memoryview | bytearray) else p for p in params]


# -- the store -------------------------------------------------------------------------------------------


class PostgresStore(ArchiveReads, Repositories):
    backend = "postgres"

    def __init__(self, url: str, *, readonly: bool = False, migrate: bool = True) -> None:
        self.url = url
        self.readonly = readonly
        try:
            self.raw = psycopg.connect(url, autocommit=True, row_factory=_row_factory)
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to {_redact(url)}: {str(exc).strip().splitlines()[0]}") from exc
        self.raw.adapters.register_loader("numeric", _NumericLoader)
        self.connection = PgConnection(self.raw)
        try:
            if readonly:
                self.raw.execute("SET default_transaction_read_only = on")
            elif migrate:
                self.migrate()
        except BaseException:
            self.raw.close()
            raise

    # -- plumbing -------------------------------------------------------------------------------------

    def close(self) -> None:
        self.raw.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[PgConnection]:
        """One transaction (a savepoint when nested); yields the SQLite-style connection."""
        try:
            with self.raw.transaction():
                yield self.connection
        except psycopg.Error as exc:
            raise StoreError(f"database error: {str(exc).strip().splitlines()[0]}") from exc

    def _retrying(self, work: Any, what: str) -> Any:
        """Run ``work(cursor)`` in one transaction, again on serialization failure or deadlock."""
        for attempt in range(RETRIES):
            try:
                with self.raw.transaction():
                    return work(self.raw.cursor())
            except (pg_errors.SerializationFailure, pg_errors.DeadlockDetected):
                if attempt == RETRIES - 1:
                    raise
                time.sleep(0.01 * 2**attempt)
            except psycopg.Error as exc:
                raise StoreError(f"cannot store {what}: {str(exc).strip().splitlines()[0]}") from exc
        raise AssertionError("unreachable")

    def applied_migrations(self) -> list[int]:
        rows = self.raw.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
        return [int(row[0]) for row in rows]

    def migrate(self, migrations: Sequence[Migration] | None = None) -> list[int]:
        """Apply what is missing under an advisory lock (several processes may open a new database at once)."""
        todo = list(migrations) if migrations is not None else all_migrations()
        done: list[int] = []
        current: int | None = None
        try:
            with self.raw.transaction():
                self.raw.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_KEY,))
                self.raw.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations ("
                    " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
                )
                applied = set(self.applied_migrations())
                for migration in todo:
                    if migration.version in applied:
                        continue
                    current = migration.version
                    with self.raw.transaction():
                        self.raw.execute(postgres_form(migration))  # type: ignore[call-overload]
                        self.raw.execute(
                            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (%s, %s, %s)",
                            (migration.version, migration.name, _now()),
                        )
                    done.append(migration.version)
        except psycopg.Error as exc:
            failing = f" (migration {current})" if current is not None else ""
            raise StoreError(f"cannot migrate {_redact(self.url)}{failing}: {str(exc).strip()}") from exc
        return done

    # -- writing --------------------------------------------------------------------------------------

    def ingest(self, article: Article, original: Original | None = None, *, archive_max_bytes: int = 0) -> IngestResult:
        """Store an article and, when given, its original (see ``dragoman.store.archive``), in one transaction."""
        if not article.content_sha256:
            article.content_sha256 = article.compute_content_hash()
        key = article.key_url
        record = article.to_json()

        def work(cur: psycopg.Cursor[Any]) -> IngestResult:
            now = _now()
            fields = (article.url, article.outlet, article.title, article.rubric, iso_utc(article.published_at))
            claimed = cur.execute(
                "INSERT INTO articles (key_url, url, outlet, title, rubric, published_at, language,"
                " first_seen_at, updated_at, revision_count) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,1)"
                " ON CONFLICT (key_url) DO NOTHING RETURNING id",
                (key, *fields, article.language, now, now),
            ).fetchone()
            if claimed is not None:
                article_id = int(claimed[0])
                revision_id = self._insert_revision(cur, article_id, 1, article, record, now)
                cur.execute("UPDATE articles SET current_revision_id = %s WHERE id = %s", (revision_id, article_id))
                archived = self._keep_original(revision_id, original, now, archive_max_bytes)
                return IngestResult(IngestOutcome.STORED, article_id, revision_id, 1, archived)
            # Someone stored this URL before: lock its row so concurrent revisions queue behind us.
            row = cur.execute(
                "SELECT id, revision_count FROM articles WHERE key_url = %s FOR UPDATE", (key,)
            ).fetchone()
            article_id = int(row[0])
            same = cur.execute(
                "SELECT id, revision FROM revisions WHERE article_id = %s AND content_sha256 = %s",
                (article_id, article.content_sha256),
            ).fetchone()
            if same is not None:
                # A revision stored before the archive (or with it off) gets these bytes: they extract to it.
                archived = self._keep_original(int(same[0]), original, now, archive_max_bytes)
                return IngestResult(IngestOutcome.UNCHANGED, article_id, int(same[0]), int(same[1]), archived)
            revision = int(row[1]) + 1
            revision_id = self._insert_revision(cur, article_id, revision, article, record, now)
            cur.execute(
                "UPDATE articles SET url = %s, outlet = %s, title = %s, rubric = %s, published_at = %s,"
                " updated_at = %s, current_revision_id = %s, revision_count = %s WHERE id = %s",
                (*fields, now, revision_id, revision, article_id),
            )
            archived = self._keep_original(revision_id, original, now, archive_max_bytes)
            return IngestResult(IngestOutcome.REVISED, article_id, revision_id, revision, archived)

        return self._retrying(work, key)

    def _keep_original(self, revision_id: int, original: Original | None, now: str, max_bytes: int) -> str | None:
        """The archive's SQL through the SQLite-style connection, inside the caller's transaction."""
        try:
            return keep_original(self.connection, revision_id, original, now, max_bytes)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot keep the original of revision {revision_id}: {exc}") from exc

    def record_reextraction(self, stored: StoredArticle, article: Article) -> ReextractOutcome:
        """What today's extractor made of ``stored``'s original (see ``store.base.write_reextraction``)."""
        try:
            with self.transaction() as conn:
                conn.execute("SELECT id FROM articles WHERE id = ? FOR UPDATE", (stored.id,))
                return write_reextraction(conn, stored, article, _now())
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot store the re-extraction of article {stored.id}: {exc}") from exc

    @staticmethod
    def _insert_revision(
        cur: psycopg.Cursor[Any], article_id: int, revision: int, article: Article, record: str, now: str
    ) -> int:
        row = cur.execute(
            "INSERT INTO revisions (article_id, revision, content_sha256, raw_sha256, fetched_at, stored_at,"
            " extractor_version, source_url, record) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s) RETURNING id",
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
        ).fetchone()
        return int(row[0])

    def save_translation(self, revision_id: int, translation: Translation) -> None:
        segments = [translation.title, *translation.blocks, *([translation.lead] if translation.lead else [])]
        flags = sum(len(s.flags) for seg in segments for s in seg.sentences)

        def work(cur: psycopg.Cursor[Any]) -> None:
            cur.execute(
                "INSERT INTO translations (revision_id, engine, model_id, translated_at, flag_count, record)"
                " VALUES (%s,%s,%s,%s,%s,%s) ON CONFLICT (revision_id, model_id) DO UPDATE SET"
                " engine = EXCLUDED.engine, translated_at = EXCLUDED.translated_at,"
                " flag_count = EXCLUDED.flag_count, record = EXCLUDED.record",
                (
                    revision_id,
                    translation.engine,
                    translation.model_id,
                    iso_utc(translation.translated_at),
                    flags,
                    json.dumps(translation.to_dict(), ensure_ascii=False),
                ),
            )

        self._retrying(work, f"translation of revision {revision_id}")

    def save_analysis(self, revision_id: int, analysis: dict[str, Any], analyzer_version: str) -> None:
        def work(cur: psycopg.Cursor[Any]) -> None:
            cur.execute(
                "INSERT INTO analyses (revision_id, analyzer_version, analyzed_at, record) VALUES (%s,%s,%s,%s)"
                " ON CONFLICT (revision_id, analyzer_version) DO UPDATE SET"
                " analyzed_at = EXCLUDED.analyzed_at, record = EXCLUDED.record",
                (revision_id, analyzer_version, _now(), json.dumps(analysis, ensure_ascii=False)),
            )

        self._retrying(work, f"analysis of revision {revision_id}")

    # -- reading --------------------------------------------------------------------------------------

    def count(self) -> int:
        return int(self.raw.execute("SELECT count(*) FROM articles").fetchone()[0])

    def get(self, ref: int | str) -> StoredArticle | None:
        """An article by numeric id or by URL (canonical or as fetched), with its latest results."""
        return get_current(lambda sql, params: self.raw.execute(sql, params).fetchone(), "%s", ref)

    def revisions(self, article_id: int) -> list[StoredArticle]:
        rows = self.raw.execute(SELECT_REVISIONS.format(p="%s"), (article_id,)).fetchall()
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
            lambda sql, params: self.raw.execute(sql, params).fetchall(), "%s", where, batch_size, on_unreadable
        )

    # -- search (see dragoman.search.postgres) --------------------------------------------------------

    def search(self, query: Any) -> Any:
        """Full-text search with PostgreSQL's russian and english configurations; see ``pgsearch``."""
        from dragoman.search.postgres import PostgresSearchIndex

        return PostgresSearchIndex(self).search(query)


def _redact(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)
