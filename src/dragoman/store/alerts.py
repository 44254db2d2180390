"""Watchlists and the alerts outbox (tables of migrations 402 and 405).

An alert is a row per (watch, article), ``pending`` until every sink took it (``delivered``) or its attempts ran
out (``failed``); ``next_attempt_at`` (unix time) holds a retry back. What matches and how delivery is paced is
``acquire.alerts``'s; this module only keeps the rows. The SQL is the same on both databases.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dragoman.store.repository import Repository


@dataclass(frozen=True, slots=True)
class Watch:
    id: int
    kind: str
    value: str
    label: str | None
    created_at: str


@dataclass(frozen=True, slots=True)
class PendingAlert:
    id: int
    created_at: str
    payload: str  # JSON
    delivered_to: str  # JSON list of the sinks that took it
    attempts: int


@dataclass(frozen=True, slots=True)
class AlertRow:
    """An alert as ``dragoman alerts`` lists it."""

    id: int
    created_at: str
    payload: str  # JSON
    delivered_at: str | None
    attempts: int
    last_error: str | None
    state: str
    next_attempt_at: float | None


_WATCH_COLUMNS = "id, kind, value, label, created_at"


class AlertRepository(Repository):
    """``store.alerts``: the watchlist and the outbox."""

    # -- watchlist ---------------------------------------------------------------------------------------

    def add_watch(self, kind: str, value: str, label: str | None, created_at: str) -> Watch:
        """Add a watch, or return the one with the same kind and value (its label and time unchanged)."""
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO watchlist (kind, value, label, created_at) VALUES (?,?,?,?)"
                " ON CONFLICT (kind, value) DO NOTHING",
                (kind, value, label, created_at),
            )
        row = self.execute(
            f"SELECT {_WATCH_COLUMNS} FROM watchlist WHERE kind = ? AND value = ?", (kind, value)
        ).fetchone()
        return Watch(int(row[0]), row[1], row[2], row[3], row[4])

    def remove_watch(self, watch_id: int) -> bool:
        with self.store.transaction() as conn:
            return bool(conn.execute("DELETE FROM watchlist WHERE id = ?", (watch_id,)).rowcount > 0)

    def watches(self) -> list[Watch]:
        rows = self.execute(f"SELECT {_WATCH_COLUMNS} FROM watchlist ORDER BY id").fetchall()
        return [Watch(int(r[0]), r[1], r[2], r[3], r[4]) for r in rows]

    def first_seen_at(self, article_id: int) -> str | None:
        """When the article was first stored (ISO time): a watch applies to articles first seen after it."""
        row = self.execute("SELECT first_seen_at FROM articles WHERE id = ?", (article_id,)).fetchone()
        return None if row is None else str(row[0])

    # -- the outbox --------------------------------------------------------------------------------------

    def add(self, watch_id: int, article_id: int, *, created_at: str, payload: str, next_attempt_at: float) -> bool:
        """Record a pending alert; False when this watch already alerted on this article."""
        with self.store.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO alerts (watch_id, article_id, created_at, payload, state, next_attempt_at)"
                " VALUES (?,?,?,?,'pending',?) ON CONFLICT (watch_id, article_id) DO NOTHING",
                (watch_id, article_id, created_at, payload, next_attempt_at),
            )
            return bool(cur.rowcount > 0)

    def pending(self, limit: int, *, due_by: float | None = None) -> list[PendingAlert]:
        """Pending alerts, the most overdue first; with ``due_by``, only those due by then."""
        sql = "SELECT id, created_at, payload, delivered_to, attempts FROM alerts WHERE state = 'pending'"
        params: list[Any] = []
        if due_by is not None:
            sql += " AND next_attempt_at <= ?"
            params.append(due_by)
        rows = self.execute(sql + " ORDER BY next_attempt_at, id LIMIT ?", (*params, max(0, limit))).fetchall()
        return [PendingAlert(int(r[0]), r[1], r[2], r[3], int(r[4])) for r in rows]

    def mark_delivered(self, alert_id: int, delivered_to: str, delivered_at: str) -> None:
        """Every sink took it."""
        self._update(
            alert_id,
            "state = 'delivered', delivered_to = ?, delivered_at = ?, last_error = NULL",
            (delivered_to, delivered_at),
        )

    def note_sinks(self, alert_id: int, delivered_to: str) -> None:
        """Which sinks took it so far (not an attempt: the rest were not tried)."""
        self._update(alert_id, "delivered_to = ?", (delivered_to,))

    def mark_failed(self, alert_id: int, delivered_to: str, error: str) -> None:
        """Attempts used up, or the receiver rejected it for good."""
        self._update(
            alert_id,
            "state = 'failed', delivered_to = ?, attempts = attempts + 1, last_error = ?",
            (delivered_to, error),
        )

    def schedule_retry(self, alert_id: int, delivered_to: str, error: str, next_attempt_at: float) -> None:
        """A sink refused it: one more attempt counted, the next one not before ``next_attempt_at``."""
        self._update(
            alert_id,
            "delivered_to = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = ?",
            (delivered_to, error, next_attempt_at),
        )

    def _update(self, alert_id: int, assignments: str, values: Sequence[Any]) -> None:
        with self.store.transaction() as conn:
            conn.execute(f"UPDATE alerts SET {assignments} WHERE id = ?", (*values, alert_id))

    def retry_failed(self, next_attempt_at: float) -> int:
        """Put failed alerts back in the outbox with fresh attempts; returns how many."""
        with self.store.transaction() as conn:
            return int(
                conn.execute(
                    "UPDATE alerts SET state = 'pending', attempts = 0, next_attempt_at = ? WHERE state = 'failed'",
                    (next_attempt_at,),
                ).rowcount
            )

    def recent(self, limit: int, *, undelivered_only: bool = False) -> list[AlertRow]:
        """The newest alerts first."""
        sql = "SELECT id, created_at, payload, delivered_at, attempts, last_error, state, next_attempt_at FROM alerts"
        if undelivered_only:
            sql += " WHERE state <> 'delivered'"
        rows = self.execute(sql + " ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [AlertRow(int(r[0]), r[1], r[2], r[3], int(r[4]), r[5], r[6], r[7]) for r in rows]
