"""Translation memory: finished English sentences keyed by (model id, normalized Russian sentence).

Wire copy and boilerplate repeat across outlets; each distinct sentence is translated once per model.
The table lives in the article database (see ``schema.py``), so a resumed run reuses what was done.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from dragoman.errors import StoreError

_CHUNK = 500  # SQLite host parameters per query stay well under the limit


class TranslationMemory:
    def __init__(self, store: Any, model_id: str) -> None:
        self.store = store
        self.model_id = model_id
        self.lookups = 0
        self.hits = 0

    @property
    def hit_rate(self) -> float:
        return self.hits / self.lookups if self.lookups else 0.0

    def get_many(self, sources: Iterable[str]) -> dict[str, str]:
        """Known translations of the given normalized sentences (counted as lookups and hits)."""
        keys = list(dict.fromkeys(sources))
        found: dict[str, str] = {}
        conn: sqlite3.Connection = self.store.connection
        try:
            for start in range(0, len(keys), _CHUNK):
                chunk = keys[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = conn.execute(
                    f"SELECT source, target FROM translation_memory WHERE model_id = ? AND source IN ({marks})",
                    (self.model_id, *chunk),
                ).fetchall()
                found.update((row[0], row[1]) for row in rows)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot read translation memory: {exc}") from exc
        self.lookups += len(keys)
        self.hits += len(found)
        return found

    def put_many(self, pairs: Mapping[str, str]) -> None:
        if not pairs:
            return
        now = datetime.now(UTC).isoformat()
        rows = [(self.model_id, source, target, now) for source, target in pairs.items()]
        try:
            with self.store.transaction() as conn:
                conn.executemany(
                    "INSERT INTO translation_memory (model_id, source, target, created_at) VALUES (?,?,?,?)"
                    " ON CONFLICT (model_id, source) DO UPDATE SET target = excluded.target",
                    rows,
                )
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot write translation memory: {exc}") from exc

    def count_hits(self, sources: Iterable[str]) -> None:
        """Record that these entries were reused (for `dragoman translate` statistics on boilerplate)."""
        keys = [(self.model_id, s) for s in dict.fromkeys(sources)]
        if not keys:
            return
        with self.store.transaction() as conn:
            conn.executemany("UPDATE translation_memory SET hits = hits + 1 WHERE model_id = ? AND source = ?", keys)

    def size(self) -> int:
        row = self.store.connection.execute(
            "SELECT count(*) FROM translation_memory WHERE model_id = ?", (self.model_id,)
        ).fetchone()
        return int(row[0])
