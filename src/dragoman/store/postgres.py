"""The PostgreSQL store over psycopg 3, for a corpus shared by many writers: ``store.base``'s algorithms with
PostgreSQL's dialect hooks. An article's row is locked (``SELECT ... FOR UPDATE``) before its revisions are
compared, so two processes storing the same page never create two articles or two revisions; a write that
meets a serialization failure or a deadlock is tried again. Timestamps stay ISO 8601 text (UTC), as in
SQLite, so records and stage tables compare and copy the same on both databases.

``sql`` (:class:`PgConnection`) takes the store's portable SQL with ``?`` placeholders and changes nothing
but the placeholders; rows read by name or index. psycopg's errors become ``StoreError`` subclasses here.
``connection`` additionally runs :func:`sqlite_compat_sql` (see there) for code outside the store that
still writes SQLite's SQL.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg.adapt import Loader

from dragoman.errors import (
    StoreError,
    StoreIntegrityError,
    StoreLockedError,
    StoreMissingError,
    StoreQueryError,
    StoreReadOnlyError,
    StoreSchemaError,
)
from dragoman.store.base import SQLStore, now_iso
from dragoman.store.connection import first_line
from dragoman.store.migrations import Migration, all_migrations
from dragoman.store.repositories import Repositories

MIGRATION_LOCK_KEY = 0x6472_6167  # "drag": one migrator at a time across processes
RETRIES = 5  # serialization failures and deadlocks are retried this many times


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


# -- placeholders: the one rewrite the store's own SQL gets -----------------------------------------------

_QUOTED_OR_MARK = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?|%")


@functools.lru_cache(maxsize=2048)
def placeholders(sql: str, *, with_params: bool = True) -> str:
    """``?`` to ``%s`` (and, with parameters, a literal ``%`` to ``%%``) outside string literals and quoted
    names; nothing else changes."""

    def swap(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "?":
            return "%s"
        if token == "%" or token[0] == "'":
            return token.replace("%", "%%") if with_params else token
        return token

    return _QUOTED_OR_MARK.sub(swap, sql)


# -- errors ------------------------------------------------------------------------------------------------

_ERROR_KINDS: list[tuple[type[BaseException], type[StoreError]]] = [
    (pg_errors.SerializationFailure, StoreLockedError),
    (pg_errors.DeadlockDetected, StoreLockedError),
    (pg_errors.LockNotAvailable, StoreLockedError),
    (pg_errors.UndefinedTable, StoreSchemaError),
    (pg_errors.UndefinedColumn, StoreSchemaError),
    (pg_errors.ReadOnlySqlTransaction, StoreReadOnlyError),
    (pg_errors.InvalidCatalogName, StoreMissingError),
    (psycopg.IntegrityError, StoreIntegrityError),
    (psycopg.ProgrammingError, StoreQueryError),
    (psycopg.DataError, StoreQueryError),
]


def postgres_error(exc: psycopg.Error, what: str | None = None) -> StoreError:
    """The StoreError for a psycopg error; ``what`` (``cannot store ...``) leads the message."""
    message = first_line(exc)
    kind = next((k for base, k in _ERROR_KINDS if isinstance(exc, base)), StoreError)
    if kind is StoreError and isinstance(exc, psycopg.OperationalError) and "does not exist" in message:
        kind = StoreMissingError  # refused at connect time (no SQLSTATE there): no such database
    return kind(f"{what}: {message}" if what else message)


# -- the connection ---------------------------------------------------------------------------------------


class PgCursor:
    """What ``sqlite3.Cursor`` offers: fetchone/fetchall/iteration, rowcount, lastrowid."""

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
        """The identity value of the last INSERT (``lastval()``), as SQLite's ``lastrowid`` gives it; the
        store's own SQL uses ``RETURNING id`` instead."""
        if not self._inserted:
            return None
        try:
            with self._owner.raw.transaction():  # a savepoint: a failure here must not abort the caller's work
                row = self._owner.raw.execute("SELECT lastval()").fetchone()
        except psycopg.Error:
            return None
        return int(row[0]) if row else None


class PgConnection:
    """``execute`` with ``?`` placeholders over a psycopg connection; errors as StoreError subclasses.

    ``compat`` (for ``store.connection`` only) runs :func:`sqlite_compat_sql` first: see there.
    """

    def __init__(self, raw: psycopg.Connection[Any], *, compat: bool = False) -> None:
        self.raw = raw
        self.compat = compat
        self._conflict_targets: dict[str, str | None] = {}

    def _text(self, sql: str, with_params: bool) -> str:
        if self.compat:
            sql = sqlite_compat_sql(sql, self._replace_target(sql))
        return placeholders(sql, with_params=with_params)

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> PgCursor:
        if self.compat and _FTS5_COMMAND.match(sql):  # INSERT INTO t(t) VALUES ('optimize'): FTS5 upkeep
            return PgCursor(self, self.raw.execute("SELECT 1 WHERE false"), False)
        with_params = bool(params)
        text = self._text(sql, with_params)
        try:
            cursor = self.raw.execute(text, _adapt(params) if with_params else None)  # type: ignore[arg-type]
        except psycopg.Error as exc:
            raise postgres_error(exc) from exc
        return PgCursor(self, cursor, self.compat and text.lstrip()[:6].upper() == "INSERT")

    def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> PgCursor:
        text = self._text(sql, True)
        cursor = self.raw.cursor()
        try:
            cursor.executemany(text, [_adapt(p) for p in seq])  # type: ignore[arg-type]
        except psycopg.Error as exc:
            raise postgres_error(exc) from exc
        return PgCursor(self, cursor, False)

    def executescript(self, script: str) -> None:
        try:
            self.raw.execute(script)  # type: ignore[call-overload]
        except psycopg.Error as exc:
            raise postgres_error(exc) from exc

    def commit(self) -> None:  # autocommit outside a transaction: nothing pending
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


# -- COMPATIBILITY ONLY: SQLite's SQL from code outside the store -----------------------------------------
#
# Until the SQL still held by acquire/ (dedupe, stories, alerts, revisions), pipeline/watch.py, scale/
# (dbtools, stages), analyze/index.py, serve/queries.py and search/sqlite.py moves into store repositories
# written in portable SQL, ``store.connection`` rewrites the SQLite idioms they use. The store's own SQL
# (``store.sql``) never goes through this; delete it (and ``PgConnection.compat``) once nothing needs it.

_INSERT_OR_IGNORE = re.compile(r"^\s*INSERT\s+OR\s+IGNORE\s+INTO\b", re.IGNORECASE)
_INSERT_OR_REPLACE = re.compile(r"^\s*INSERT\s+OR\s+REPLACE\s+INTO\s+(\w+)\s*\(([^)]*)\)", re.IGNORECASE)
_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)
_FTS5_COMMAND = re.compile(r"^\s*INSERT\s+INTO\s+(\w+)\s*\(\s*\1\s*\)", re.IGNORECASE)
_IS_PARAM = re.compile(r"\bIS\s+\?", re.IGNORECASE)
_IS_NOT_PARAM = re.compile(r"\bIS\s+NOT\s+\?", re.IGNORECASE)
_UNIXEPOCH_DATE = re.compile(r"\bdate\(([^()']+),\s*'unixepoch'\)", re.IGNORECASE)
_IFNULL = re.compile(r"\bIFNULL\s*\(", re.IGNORECASE)


@functools.lru_cache(maxsize=2048)
def sqlite_compat_sql(sql: str, conflict_target: str | None = None) -> str:
    """SQLite idioms as PostgreSQL says them: ``x IS ?``, ``IFNULL``, ``date(x, 'unixepoch')``,
    ``INSERT OR IGNORE`` and ``INSERT OR REPLACE`` (on ``conflict_target``, the table's primary key).
    Compatibility only (see the comment above); placeholders are changed afterwards by :func:`placeholders`."""
    sql = _IS_NOT_PARAM.sub("IS DISTINCT FROM ?", sql)
    sql = _IS_PARAM.sub("IS NOT DISTINCT FROM ?", sql)
    sql = _IFNULL.sub("COALESCE(", sql)
    sql = _UNIXEPOCH_DATE.sub(r"to_char(to_timestamp(\1) AT TIME ZONE 'UTC', 'YYYY-MM-DD')", sql)
    if _INSERT_OR_IGNORE.match(sql):
        sql = _INSERT_OR_IGNORE.sub("INSERT INTO", sql, count=1)
        sql = _add_conflict_clause(sql, "ON CONFLICT DO NOTHING")
    elif conflict_target is not None and (replace := _INSERT_OR_REPLACE.match(sql)):
        columns = [c.strip() for c in replace.group(2).split(",")]
        keys = {k.strip() for k in conflict_target.split(",")}
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c not in keys)
        action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
        sql = re.sub(r"^\s*INSERT\s+OR\s+REPLACE\s+INTO", "INSERT INTO", sql, count=1, flags=re.IGNORECASE)
        sql = _add_conflict_clause(sql, f"ON CONFLICT ({conflict_target}) {action}")
    return sql


def _add_conflict_clause(text: str, clause: str) -> str:
    stripped = text.rstrip().rstrip(";")
    returning = _RETURNING.search(stripped)
    if returning:
        return f"{stripped[: returning.start()]}{clause} {stripped[returning.start() :]}"
    return f"{stripped} {clause}"


# -- the store -------------------------------------------------------------------------------------------


class PostgresStore(SQLStore, Repositories):
    backend = "postgres"
    lock_suffix = " FOR UPDATE"  # the article's row is locked while its revisions are compared
    claim_first = True  # concurrent writers: the unique key on key_url decides who creates an article
    write_attempts = 5  # serialization failures and deadlocks are tried again this often

    def __init__(self, url: str, *, readonly: bool = False, migrate: bool = True, existing: bool = False) -> None:
        """Connect (migrating the database unless ``migrate`` is false); ``readonly`` opens a migrated database
        in read-only transactions and never migrates or writes it."""
        super().__init__()
        self.url = url
        self.readonly = readonly
        try:
            self.raw = psycopg.connect(url, autocommit=True, row_factory=_row_factory)
        except psycopg.Error as exc:
            raise postgres_error(exc, f"cannot connect to {_redact(url)}") from exc
        self.raw.adapters.register_loader("numeric", _NumericLoader)
        self.sql = PgConnection(self.raw)
        self.connection = PgConnection(self.raw, compat=True)
        try:
            if readonly:
                self.raw.execute("SET default_transaction_read_only = on")
                self.check_migrated(f"database {_redact(url)}")
            elif migrate:
                self.migrate()
        except BaseException:
            self.raw.close()
            raise

    # -- plumbing -------------------------------------------------------------------------------------

    def close(self) -> None:
        self.raw.close()

    @contextmanager
    def transaction(self) -> Iterator[PgConnection]:
        """One transaction (a savepoint when nested); yields ``connection`` (see the module docstring)."""
        with self._transaction_on(self.connection) as conn:
            yield conn

    def _transaction(self) -> Any:
        return self._transaction_on(self.sql)

    @contextmanager
    def _transaction_on(self, conn: PgConnection) -> Iterator[PgConnection]:
        try:
            with self.raw.transaction():
                yield conn
        except psycopg.Error as exc:  # at COMMIT (a deferred check, a serialization failure)
            raise postgres_error(exc) from exc

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
                        self.raw.execute(migration.postgres)  # type: ignore[call-overload]
                        self.raw.execute(
                            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (%s, %s, %s)",
                            (migration.version, migration.name, now_iso()),
                        )
                    done.append(migration.version)
        except (psycopg.Error, StoreError) as exc:
            failing = f" (migration {current})" if current is not None else ""
            cause = exc if isinstance(exc, psycopg.Error) else exc.__cause__ or exc
            raise StoreError(f"cannot migrate {_redact(self.url)}{failing}: {str(cause).strip()}") from exc
        return done


def _redact(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)
