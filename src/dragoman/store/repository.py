"""What the repositories share: the store they work on, and which SQL dialect it speaks.

A repository holds the SQL of one part of the schema (crawl state, stories, alerts ...) and is reached from
the store object (``store.crawl``, ``store.stories``, ``store.alerts``; see ``store/repositories.py``), so no code
outside ``store/`` touches ``store.connection``. Its SQL uses ``?`` placeholders and the subset both databases
accept (``INSERT ... ON CONFLICT``, ``RETURNING``); where they differ, each dialect's statement is spelled out
and chosen with :func:`dialect`.
"""

from __future__ import annotations

from typing import Any

SQLITE = "sqlite"
POSTGRES = "postgres"


def dialect(store: Any) -> str:
    """``sqlite`` or ``postgres``: the SQL dialect of ``store``'s database."""
    name = getattr(store, "dialect", None) or store.backend
    if name not in (SQLITE, POSTGRES):
        raise ValueError(f"unknown database dialect {name!r}")
    return str(name)


def placeholders(count: int) -> str:
    """``?,?,?`` for an ``IN (...)`` list of ``count`` values (``NULL`` for none: ``x IN (NULL)`` is never true)."""
    return ",".join("?" * count) or "NULL"


def table_exists(store: Any, table: str) -> bool:
    """Whether ``table`` exists (a read-only database from before a migration may lack it)."""
    if dialect(store) == POSTGRES:
        row = store.connection.execute("SELECT to_regclass(?) IS NOT NULL", (table,)).fetchone()
        return bool(row[0])
    row = store.connection.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()
    return row is not None


class Repository:
    """One part of the schema's SQL, over a store's ``connection`` and ``transaction()``."""

    def __init__(self, store: Any) -> None:
        self.store = store

    @property
    def dialect(self) -> str:
        return dialect(self.store)

    def execute(self, sql: str, params: Any = ()) -> Any:
        """Run one statement outside a write transaction (a read, or a write that stands alone)."""
        return self.store.connection.execute(sql, params)
