"""Whole tables, for ``dragoman db copy``: which tables and columns a database has, their rows streamed, rows
written back with their ids, identity sequences moved past copied ids. Catalogue queries differ per dialect."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from dragoman.store.repository import POSTGRES, Repository

STREAM_BATCH = 1000  # rows a PostgreSQL server-side cursor hands over at a time


def _quoted(name: str) -> str:
    """An identifier in double quotes (table and column names come from the database's own catalogue)."""
    return '"' + name.replace('"', '""') + '"'


class TableRepository(Repository):
    """``store.tables``: every user table, as rows."""

    def names(self) -> list[str]:
        """User tables in creation order (so a table comes after the tables its foreign keys name)."""
        if self.dialect == POSTGRES:
            sql = (
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                # A partition's rows are its parent's (search_fts by month): the parent is the table.
                " WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname = current_schema()"
                " ORDER BY c.oid"
            )
        else:
            sql = (
                "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%'"
                " AND name NOT LIKE 'search_fts_%' ORDER BY rowid"
            )
        return [r[0] for r in self.execute(sql).fetchall()]

    def columns(self, table: str) -> list[str]:
        """Columns a program writes (PostgreSQL's generated columns are computed there, never copied)."""
        if self.dialect == POSTGRES:
            rows = self.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
                " AND table_name = ? AND is_generated = 'NEVER' ORDER BY ordinal_position",
                (table,),
            ).fetchall()
        else:
            rows = self.execute("SELECT name FROM pragma_table_xinfo(?) WHERE hidden = 0", (table,)).fetchall()
        return [r[0] for r in rows]

    def rows(self, table: str, columns: Sequence[str]) -> Iterator[tuple[Any, ...]]:
        """The table's rows (these columns), without holding them all: a server-side cursor on PostgreSQL."""
        sql = f"SELECT {', '.join(_quoted(c) for c in columns)} FROM {_quoted(table)}"
        if self.dialect == POSTGRES:
            with self.store.raw.transaction(), self.store.raw.cursor(name="dragoman_copy") as cursor:
                cursor.itersize = STREAM_BATCH
                cursor.execute(sql)
                for row in cursor:
                    yield tuple(row)
        else:
            for row in self.execute(sql):
                yield tuple(row)

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
        """Write rows as they are (ids included), in one transaction; returns how many."""
        if not rows:
            return 0
        sql = (
            f"INSERT INTO {_quoted(table)} ({', '.join(_quoted(c) for c in columns)})"
            f" VALUES ({', '.join('?' * len(columns))})"
        )
        with self.store.transaction() as conn:
            conn.executemany(sql, [tuple(row) for row in rows])
        return len(rows)

    def advance_identity(self, table: str) -> None:
        """Copied ids were given explicitly: move PostgreSQL's identity sequences past them so that new rows do
        not collide (SQLite takes the next rowid from the table itself: nothing to do)."""
        if self.dialect != POSTGRES:
            return
        rows = self.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
            " AND table_name = ? AND is_identity = 'YES'",
            (table,),
        ).fetchall()
        for (column,) in rows:
            self.execute(
                f"SELECT setval(pg_get_serial_sequence(?, ?), (SELECT coalesce(max({_quoted(column)}), 0) + 1"
                f" FROM {_quoted(table)}), false)",
                (_quoted(table), column),
            )

    def queue_all_for_search(self) -> None:
        """Queue every article for the search index (rebuilt from the records, never copied)."""
        with self.store.transaction() as conn:
            # WHERE true: SQLite needs it to read ON CONFLICT after INSERT ... SELECT.
            conn.execute(
                "INSERT INTO search_queue (article_id) SELECT id FROM articles WHERE true ON CONFLICT DO NOTHING"
            )
