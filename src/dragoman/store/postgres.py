"""The PostgreSQL store over psycopg 3, for a corpus shared by many writers: ``store.base``'s algorithms with
PostgreSQL's dialect hooks. An article's row is locked (``SELECT ... FOR UPDATE``) before its revisions are
compared, so two processes storing the same page never create two articles or two revisions; a write that
meets a serialization failure or a deadlock is tried again. Timestamps stay ISO 8601 text (UTC), as in
SQLite, so records and stage tables compare and copy the same on both databases.

``sql`` (:class:`PgConnection`) takes portable SQL with ``?`` placeholders and changes nothing but the
placeholders; rows read by name or index. psycopg's errors become ``StoreError`` subclasses here. There is no
rewriting of SQLite's SQL: what differs between the databases is written per dialect where it is used.
``connection`` is the same connection, the name the search backends use.
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
    first_line,
)
from dragoman.store.base import SQLStore, now_iso
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
    """What ``sqlite3.Cursor`` offers that the store uses: fetchone/fetchall/iteration, rowcount (new rows'
    ids come from ``RETURNING id``)."""

    def __init__(self, cursor: psycopg.Cursor[Any]) -> None:
        self._cursor = cursor

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


class PgConnection:
    """``execute`` with ``?`` placeholders over a psycopg connection; errors as StoreError subclasses."""

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.raw = raw

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> PgCursor:
        with_params = bool(params)
        text = placeholders(sql, with_params=with_params)
        try:
            cursor = self.raw.execute(text, _adapt(params) if with_params else None)  # type: ignore[arg-type]
        except psycopg.Error as exc:
            raise postgres_error(exc) from exc
        return PgCursor(cursor)

    def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> PgCursor:
        text = placeholders(sql, with_params=True)
        cursor = self.raw.cursor()
        try:
            cursor.executemany(text, [_adapt(p) for p in seq])  # type: ignore[arg-type]
        except psycopg.Error as exc:
            raise postgres_error(exc) from exc
        return PgCursor(cursor)

    def executescript(self, script: str) -> None:
        try:
            self.raw.execute(script)  # type: ignore[call-overload]
        except psycopg.Error as exc:
            raise postgres_error(exc) from exc

    def commit(self) -> None:  # autocommit outside a transaction: nothing pending
        return None


def _adapt(params: Any) -> Any:
    """Parameters as SQLite takes them, for PostgreSQL's typed columns: bools are 0/1, buffers are bytes."""
    if isinstance(params, dict):
        return params
    return [int(p) if isinstance(p, bool) else bytes(p) if isinstance(p, memoryview | bytearray) else p for p in params]


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
        self.connection = self.sql
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
