"""Translations and the translation memory: finished English sentences keyed by (model id, normalized Russian
sentence), so a sentence repeated across outlets (wire copy, boilerplate) is translated once per model."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from dragoman.article import Translation
from dragoman.errors import StoreError
from dragoman.store.connection import rewrap

if TYPE_CHECKING:
    from dragoman.store.base import SQLStore

_CHUNK = 500  # host parameters per query stay well under SQLite's limit


def write_translation(conn: Any, revision_id: int, translation: Translation) -> None:
    """Save a revision's translation by one model (replacing that model's earlier one), in the caller's
    transaction."""
    flags = sum(len(s.flags) for seg in translation.segments() for s in seg.sentences)
    conn.execute(
        "INSERT INTO translations (revision_id, engine, model_id, translated_at, flag_count, record)"
        " VALUES (?,?,?,?,?,?) ON CONFLICT (revision_id, model_id) DO UPDATE SET"
        " engine = excluded.engine, translated_at = excluded.translated_at,"
        " flag_count = excluded.flag_count, record = excluded.record",
        (
            revision_id,
            translation.engine,
            translation.model_id,
            translation.translated_at.astimezone(UTC).isoformat(),
            flags,
            json.dumps(translation.to_dict(), ensure_ascii=False),
        ),
    )


class TranslationMemoryRepository:
    """The ``translation_memory`` table of a store (``store.translation_memory``)."""

    def __init__(self, store: SQLStore) -> None:
        self._store = store

    def lookup(self, model_id: str, sources: Iterable[str]) -> dict[str, str]:
        """Known translations by ``model_id`` of the given normalized sentences."""
        keys = list(dict.fromkeys(sources))
        found: dict[str, str] = {}
        try:
            for start in range(0, len(keys), _CHUNK):
                chunk = keys[start : start + _CHUNK]
                rows = self._store.sql.execute(
                    "SELECT source, target FROM translation_memory WHERE model_id = ?"
                    f" AND source IN ({','.join('?' * len(chunk))})",
                    (model_id, *chunk),
                ).fetchall()
                found.update((row[0], row[1]) for row in rows)
        except StoreError as exc:
            raise rewrap(exc, "cannot read translation memory") from exc.__cause__
        return found

    def put(self, model_id: str, pairs: Mapping[str, str]) -> None:
        """Remember translations (a sentence known before takes the new one)."""
        if not pairs:
            return
        now = datetime.now(UTC).isoformat()
        rows = [(model_id, source, target, now) for source, target in pairs.items()]

        def work(conn: Any) -> None:
            conn.executemany(
                "INSERT INTO translation_memory (model_id, source, target, created_at) VALUES (?,?,?,?)"
                " ON CONFLICT (model_id, source) DO UPDATE SET target = excluded.target",
                rows,
            )

        self._store.write(work, "translation memory")

    def count_hits(self, model_id: str, sources: Iterable[str]) -> None:
        """Record that these entries were reused (for `dragoman translate` statistics on boilerplate)."""
        keys = [(model_id, s) for s in dict.fromkeys(sources)]
        if not keys:
            return

        def work(conn: Any) -> None:
            conn.executemany("UPDATE translation_memory SET hits = hits + 1 WHERE model_id = ? AND source = ?", keys)

        self._store.write(work, "translation memory hits")

    def size(self, model_id: str) -> int:
        row = self._store.sql.execute("SELECT count(*) FROM translation_memory WHERE model_id = ?", (model_id,))
        return int(row.fetchone()[0])
