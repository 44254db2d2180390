"""What a backfill has finished (``backfill_done``, migrations 500 and 502), so that a restart skips it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dragoman.store.repository import Repository


class BackfillRepository(Repository):
    """``store.backfill``: one row per finished input unit (a WARC record ``file@offset`` or a URL)."""

    def mark_done(self, items: Sequence[tuple[str, str | None, str, str | None, int | None]], done_at: str) -> None:
        """Record (key, source, outcome, reason, article id) rows as finished, in one transaction; a key finished
        before takes the new outcome."""
        if not items:
            return
        with self.store.transaction() as conn:
            conn.executemany(
                "INSERT INTO backfill_done (key, source, outcome, reason, article_id, done_at) VALUES (?,?,?,?,?,?)"
                " ON CONFLICT (key) DO UPDATE SET outcome = excluded.outcome, reason = excluded.reason,"
                " article_id = excluded.article_id, done_at = excluded.done_at",
                [(*item, done_at) for item in items],
            )

    def done_keys(self, *, source: str | None = None, retry_failed: bool = False) -> set[str]:
        """Keys a previous run finished: of one WARC file (``source``), or all (failures too, unless retried)."""
        sql = "SELECT key FROM backfill_done WHERE 1 = 1"
        params: list[Any] = []
        if source is not None:
            sql += " AND source = ?"
            params.append(source)
        if retry_failed:
            sql += " AND outcome <> 'failed'"
        return {r[0] for r in self.execute(sql, params).fetchall()}
