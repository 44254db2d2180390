"""The boundary between dragoman and its database drivers: SQLite's connection, and the errors of both drivers
mapped once into ``StoreError`` subclasses (as httpx maps httpcore's), so no code outside the store catches
``sqlite3`` or ``psycopg`` errors. PostgreSQL's side is in ``dragoman.store.postgres`` (psycopg is optional).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

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

# SQLite reports most failures as OperationalError; what it was is in the message.
_SQLITE_MESSAGES: list[tuple[tuple[str, ...], type[StoreError]]] = [
    (("database is locked", "database table is locked", "database schema is locked", "busy"), StoreLockedError),
    (("no such table", "no such column", "has no column named", "no such index"), StoreSchemaError),
    (("readonly database", "read-only", "readonly"), StoreReadOnlyError),
    (("unable to open database",), StoreMissingError),
]


def sqlite_error(exc: sqlite3.Error, what: str | None = None) -> StoreError:
    """The StoreError for a ``sqlite3`` error; ``what`` (``cannot store ...``) leads the message."""
    message = first_line(exc)
    kind: type[StoreError] = StoreError
    if isinstance(exc, sqlite3.IntegrityError):
        kind = StoreIntegrityError
    elif isinstance(exc, sqlite3.OperationalError):
        lowered = message.lower()
        kind = next((k for words, k in _SQLITE_MESSAGES if any(w in lowered for w in words)), StoreQueryError)
    elif isinstance(exc, sqlite3.ProgrammingError | sqlite3.InterfaceError | sqlite3.DataError):
        kind = StoreQueryError
    return kind(f"{what}: {message}" if what else message)


class SQLiteConnection:
    """A ``sqlite3.Connection`` whose errors arrive as StoreError subclasses; rows and cursors are sqlite3's."""

    __slots__ = ("raw",)

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Cursor:
        try:
            return self.raw.execute(sql, params)
        except sqlite3.Error as exc:
            raise sqlite_error(exc) from exc

    def executemany(self, sql: str, seq: Iterable[Sequence[Any] | dict[str, Any]]) -> sqlite3.Cursor:
        try:
            return self.raw.executemany(sql, seq)
        except sqlite3.Error as exc:
            raise sqlite_error(exc) from exc

    def executescript(self, script: str) -> sqlite3.Cursor:
        try:
            return self.raw.executescript(script)
        except sqlite3.Error as exc:
            raise sqlite_error(exc) from exc

    def commit(self) -> None:
        try:
            self.raw.commit()
        except sqlite3.Error as exc:
            raise sqlite_error(exc) from exc

    @property
    def in_transaction(self) -> bool:
        return self.raw.in_transaction

    @property
    def total_changes(self) -> int:
        return self.raw.total_changes


def rewrap(exc: StoreError, what: str) -> StoreError:
    """The same kind of StoreError with ``what`` leading its message (``cannot store X: database is locked``)."""
    wrapped = type(exc)(f"{what}: {exc.message}", reason=exc.reason, source=exc.source)
    wrapped.__cause__ = exc.__cause__ or exc
    return wrapped
