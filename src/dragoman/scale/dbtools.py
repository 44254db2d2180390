"""Moving a corpus between databases: ``dragoman db copy`` (SQLite <-> PostgreSQL, either way).

Every table both databases have is copied row by row, streaming (server-side cursor on PostgreSQL, see
``store.tables``), ids kept; tables derived from the records (the search index) are rebuilt at the destination
instead: its articles are queued for indexing. At the end each table's row count and an order-independent hash of its
rows are computed on both sides and compared, so "nothing lost" is checked, not assumed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dragoman.errors import StoreError

# Rebuilt from the records at the destination (dragoman reindex / the search queue), not copied.
DERIVED_TABLES = {"search_docs", "search_fts", "search_text", "search_entities", "search_quotes", "search_events",
                  "search_title_terms", "search_day_counts"}  # fmt: skip
# search_title_terms_backfill: the destination's own migration 421 sets it (dragoman.store.schema.front).
SKIPPED_TABLES = {"schema_migrations", "search_queue", "sqlite_sequence", "sqlite_stat1", "search_title_terms_backfill"}
COPY_BATCH = 1000
HASH_MODULUS = 1 << 256


@dataclass(slots=True)
class TableCheck:
    table: str
    source_rows: int
    copied_rows: int
    destination_rows: int
    source_hash: str
    destination_hash: str

    @property
    def ok(self) -> bool:
        return self.source_rows == self.destination_rows and self.source_hash == self.destination_hash


@dataclass(slots=True)
class CopyReport:
    tables: list[TableCheck] = field(default_factory=list)
    rebuilt: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # source tables the destination's schema lacks
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.tables) and not self.missing

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "tables": [
                {
                    "table": t.table,
                    "source_rows": t.source_rows,
                    "destination_rows": t.destination_rows,
                    "source_hash": t.source_hash,
                    "destination_hash": t.destination_hash,
                    "ok": t.ok,
                }
                for t in self.tables
            ],
            "rebuilt_at_destination": self.rebuilt,
            "missing_at_destination": self.missing,
            "elapsed_seconds": round(self.elapsed, 3),
        }


def _canonical(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return {"bytes": bytes(value).hex()}
    if isinstance(value, float) and value.is_integer():
        return int(value)  # SQLite's REAL 1.0 and an integer 1 read back the same on both sides
    return value


def table_fingerprint(store: Any, table: str, columns: list[str]) -> tuple[int, str]:
    """(row count, hash of the multiset of rows): the same on both backends for the same content."""
    total = 0
    count = 0
    for row in store.tables.rows(table, columns):
        encoded = json.dumps([_canonical(v) for v in row], ensure_ascii=False, separators=(",", ":"))
        total = (total + int.from_bytes(hashlib.sha256(encoded.encode("utf-8")).digest(), "big")) % HASH_MODULUS
        count += 1
    return count, f"{total:064x}"[:16]


def copy_database(source: Any, destination: Any, *, on_table: Callable[[str, int], None] | None = None) -> CopyReport:
    """Copy every shared table from ``source`` to an empty ``destination`` and verify the copy."""
    import time

    started = time.perf_counter()
    if destination.count() > 0:
        raise StoreError(f"the destination already holds {destination.count()} articles; copy into an empty database")
    report = CopyReport()
    destination_tables = set(destination.tables.names())
    source_tables = [t for t in source.tables.names() if t not in SKIPPED_TABLES]
    report.missing = [t for t in source_tables if t not in destination_tables and t not in DERIVED_TABLES]
    plan = [t for t in source_tables if t in destination_tables]
    for table in plan:
        if table in DERIVED_TABLES:
            report.rebuilt.append(table)
            continue
        wanted = set(destination.tables.columns(table))
        columns = [c for c in source.tables.columns(table) if c in wanted]
        copied = 0
        batch: list[tuple[Any, ...]] = []
        for row in source.tables.rows(table, columns):
            batch.append(tuple(bytes(v) if isinstance(v, memoryview) else v for v in row))
            if len(batch) >= COPY_BATCH:
                copied += destination.tables.insert(table, columns, batch)
                batch = []
        copied += destination.tables.insert(table, columns, batch)
        destination.tables.advance_identity(table)
        source_rows, source_hash = table_fingerprint(source, table, columns)
        destination_rows, destination_hash = table_fingerprint(destination, table, columns)
        report.tables.append(TableCheck(table, source_rows, copied, destination_rows, source_hash, destination_hash))
        if on_table is not None:
            on_table(table, copied)
    if "search_queue" in destination_tables:
        destination.tables.queue_all_for_search()
    report.elapsed = time.perf_counter() - started
    return report
