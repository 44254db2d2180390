"""The default store: one SQLite file, WAL mode, one writer at a time, migrations recorded in a table.

Ingest is idempotent: the same key URL with the same content hash adds nothing; changed content for the
same URL adds a revision and keeps the old one. Every write is one transaction, so a crash or Ctrl-C
mid-ingest leaves the database as it was before that article. The algorithms are ``store.base``'s; this
module brings the connection, its transactions and the migrations' statements.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from dragoman.errors import StoreError, StoreMissingError
from dragoman.store.base import SQLStore, now_iso
from dragoman.store.connection import SQLiteConnection, rewrap, sqlite_error
from dragoman.store.migrations import Migration, all_migrations
from dragoman.store.repositories import Repositories


class SQLiteStore(SQLStore, Repositories):
    backend = "sqlite"

    def __init__(self, path: str | Path, *, readonly: bool = False, existing: bool = False) -> None:
        """Open (creating and migrating it) the database at ``path``; ``readonly`` opens an existing, migrated
        database for reading only and never creates, migrates or writes it; ``existing`` opens an existing,
        migrated database for reading and writing derived data (the search index), never creating or
        migrating it."""
        super().__init__()
        self.path = Path(path)
        self.readonly = readonly
        if (readonly or existing) and not self.path.is_file():
            raise StoreMissingError(f"no database at {self.path}; run `dragoman ingest` first or pass --db")
        try:
            if readonly:
                raw = sqlite3.connect(
                    f"{self.path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
                )
            else:
                if self.path.parent and not self.path.parent.exists():
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                raw = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise sqlite_error(exc, f"cannot open database {self.path}") from exc
        raw.row_factory = sqlite3.Row
        self.raw = raw
        self.sql = self.connection = SQLiteConnection(raw)
        try:
            self.sql.execute("PRAGMA busy_timeout = 30000")
            self.sql.execute("PRAGMA foreign_keys = ON")
            if readonly:
                self.check_migrated(f"database {self.path}")
            else:
                self.sql.execute("PRAGMA journal_mode = WAL")
                self.sql.execute("PRAGMA synchronous = NORMAL")
                if existing:
                    self.check_migrated(f"database {self.path}")
                else:
                    self.migrate()
        except StoreError as exc:
            raw.close()
            if exc.__cause__ is None or isinstance(exc, StoreMissingError):  # our own one-line message
                raise
            raise rewrap(exc, f"cannot open database {self.path}") from exc.__cause__
        except BaseException:
            raw.close()
            raise

    # -- plumbing -------------------------------------------------------------------------------------

    def close(self) -> None:
        self.raw.close()

    @contextmanager
    def transaction(self) -> Iterator[SQLiteConnection]:
        """One write transaction; taken IMMEDIATE so two writers queue instead of failing mid-way."""
        conn = self.connection
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            self.raw.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    _transaction = transaction

    def migrate(self, migrations: Sequence[Migration] | None = None) -> list[int]:
        """Apply what is missing; returns the versions applied now."""
        conn = self.sql
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
                for statement in split_sql(migration.sqlite):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (migration.version, migration.name, now_iso()),
                )
            done.append(migration.version)
        return done


def split_sql(script: str) -> list[str]:
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
