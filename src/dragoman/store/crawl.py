"""The monitor's crawl state (tables of migration 400): feeds, the article URLs they announced, redirects, refusals.

Crash safety comes from these tables, not from memory: a poll writes the feed's new items and its validators
(ETag, Last-Modified) in one transaction, and an item stays ``pending`` until its article is stored. The SQL is
the same on both databases (``?`` placeholders, ``ON CONFLICT``); times are unix seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

from dragoman.store.repository import Repository, placeholders

# The most values one IN (...) list carries (SQLite's default limit on parameters is far above this).
IN_CHUNK = 500


class AnnouncedItem(Protocol):
    """An article URL as a feed, sitemap or archive announces it (``acquire.feeds.FeedItem`` is one)."""

    url: str
    title: str
    published_at: datetime | None
    full_text: str | None


@dataclass(slots=True)
class FeedRow:
    url: str
    outlet: str | None
    kind: str
    etag: str | None
    last_modified: str | None
    interval: float
    failures: int


@dataclass(slots=True)
class ItemRow:
    url: str
    feed_url: str | None
    outlet: str | None
    title: str | None
    published_at: str | None
    full_text: str | None
    attempts: int


class FeedSourceLike(Protocol):
    url: str
    outlet: str | None
    kind: str


_INSERT_ITEM = (
    "INSERT INTO monitor_items (url, feed_url, outlet, title, published_at, full_text, first_seen_at)"
    " VALUES (?,?,?,?,?,?,?) ON CONFLICT (url) DO NOTHING"
)


class CrawlState(Repository):
    """The monitor's tables over the store's connection (SQLite or PostgreSQL); ``store.crawl`` is one."""

    def __init__(self, store: Any, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__(store)
        self.clock = clock

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return list(self.execute(sql, params).fetchall())

    def add_feed(self, feed: FeedSourceLike, interval: float) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO monitor_feeds (url, outlet, kind, interval_seconds, next_poll_at) VALUES (?,?,?,?,?)"
                " ON CONFLICT (url) DO UPDATE SET outlet = excluded.outlet, kind = excluded.kind",
                (feed.url, feed.outlet, feed.kind, interval, self.clock()),
            )

    def due_feeds(self, urls: Iterable[str] | None = None) -> list[FeedRow]:
        sql = (
            "SELECT url, outlet, kind, etag, last_modified, interval_seconds, failures FROM monitor_feeds"
            " WHERE next_poll_at <= ?"
        )
        condition, wanted = _among("url", urls)
        rows = self._rows(sql + condition + " ORDER BY next_poll_at", [self.clock(), *wanted])
        return [FeedRow(r[0], r[1], r[2], r[3], r[4], float(r[5]), int(r[6])) for r in rows]

    def status(self, *, reasons: int = 10) -> dict[str, Any]:
        """Crawl health for people running the monitor: every feed's state, items by state, top failure reasons.

        Feeds: last status, consecutive failures, items announced, seconds since the last poll and until the
        next one (negative: overdue). Items: counts per state, and per reason for failed, unavailable and
        skipped ones. Unavailable: refusals per host (403, bot challenges, robots.txt), never evaded.
        """
        now = self.clock()
        feeds = [
            {
                "url": r[0],
                "outlet": r[1],
                "kind": r[2],
                "last_status": r[3],
                "failures": int(r[4]),
                "items_seen": int(r[5]),
                "polled_seconds_ago": None if r[6] is None else round(now - float(r[6]), 1),
                "next_poll_in_seconds": round(float(r[7]) - now, 1),
                "interval_seconds": float(r[8]),
            }
            for r in self._rows(
                "SELECT url, outlet, kind, last_status, failures, items_seen, last_polled_at, next_poll_at,"
                " interval_seconds FROM monitor_feeds ORDER BY outlet, url"
            )
        ]
        top_reasons = [
            {"state": r[0], "reason": r[1], "items": int(r[2])}
            for r in self._rows(
                "SELECT state, reason, count(*) AS n FROM monitor_items WHERE state IN ('failed', 'unavailable',"
                " 'skipped') OR (state = 'pending' AND reason IS NOT NULL) GROUP BY state, reason"
                " ORDER BY n DESC, state, reason LIMIT ?",
                (reasons,),
            )
        ]
        unavailable = [
            {"host": r[0], "urls": int(r[1])}
            for r in self._rows(
                "SELECT host, count(*) AS n FROM monitor_unavailable GROUP BY host ORDER BY n DESC, host"
            )
        ]
        return {"feeds": feeds, "items": self.counts(), "reasons": top_reasons, "unavailable_hosts": unavailable}

    def next_wakeup(self, feed_urls: Iterable[str] | None = None) -> float | None:
        """When the next of these feeds (default: all) is due to be polled, or one of their items retried."""
        wanted = None if feed_urls is None else list(feed_urls)
        feeds, values = _among("url", wanted)
        items, _ = _among("feed_url", wanted)
        rows = self._rows(
            f"SELECT min(t) FROM (SELECT min(next_poll_at) AS t FROM monitor_feeds WHERE 1 = 1{feeds}"
            f" UNION ALL SELECT min(not_before) AS t FROM monitor_items WHERE state = 'pending'{items}) AS due",
            [*values, *values],
        )
        return float(rows[0][0]) if rows and rows[0][0] is not None else None

    def record_poll(
        self,
        feed: FeedRow,
        *,
        status: str,
        interval: float,
        next_poll_at: float,
        etag: str | None = None,
        last_modified: str | None = None,
        items: Sequence[AnnouncedItem] = (),
        failed: bool = False,
    ) -> int:
        """Validators, schedule and new items of one poll, in one transaction; returns how many were new."""
        now = self.clock()
        new = 0
        with self.store.transaction() as conn:
            for item in items:
                new += conn.execute(_INSERT_ITEM, _item_values(item, feed.url, feed.outlet, now)).rowcount
            conn.execute(
                "UPDATE monitor_feeds SET etag = coalesce(?, etag), last_modified = coalesce(?, last_modified),"
                " interval_seconds = ?, next_poll_at = ?, last_polled_at = ?, last_status = ?,"
                " failures = CASE WHEN ? = 1 THEN failures + 1 ELSE 0 END, items_seen = items_seen + ?"
                " WHERE url = ?",
                (etag, last_modified, interval, next_poll_at, now, status, int(failed), new, feed.url),
            )
        return new

    def enqueue(self, items: Iterable[AnnouncedItem], *, source: str, outlet: str | None = None) -> int:
        """Add article URLs (from a sitemap or archive) as pending; known URLs are left alone."""
        now = self.clock()
        new = 0
        with self.store.transaction() as conn:
            for item in items:
                new += conn.execute(_INSERT_ITEM, _item_values(item, source, outlet, now)).rowcount
        return new

    def known_urls(self, urls: Sequence[str]) -> set[str]:
        """Which of ``urls`` were announced before (whatever their state)."""
        known: set[str] = set()
        for start in range(0, len(urls), IN_CHUNK):
            chunk = list(urls[start : start + IN_CHUNK])
            rows = self._rows(f"SELECT url FROM monitor_items WHERE url IN ({placeholders(len(chunk))})", chunk)
            known.update(r[0] for r in rows)
        return known

    def pending_items(self, limit: int, feed_urls: Iterable[str] | None = None) -> list[ItemRow]:
        sql = (
            "SELECT url, feed_url, outlet, title, published_at, full_text, attempts FROM monitor_items"
            " WHERE state = 'pending' AND not_before <= ?"
        )
        condition, wanted = _among("feed_url", feed_urls)
        rows = self._rows(sql + condition + " ORDER BY first_seen_at, url LIMIT ?", (self.clock(), *wanted, limit))
        return [ItemRow(*r) for r in rows]

    def stored_article_id(self, url: str) -> int | None:
        """The article already stored from ``url`` (as key URL or as fetched), if any."""
        rows = self._rows("SELECT id FROM articles WHERE key_url = ?", (url,))
        if not rows:
            rows = self._rows("SELECT article_id FROM revisions WHERE source_url = ? LIMIT 1", (url,))
        return int(rows[0][0]) if rows else None

    def finish_item(self, url: str, state: str, *, reason: str | None = None, article_id: int | None = None) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE monitor_items SET state = ?, reason = ?, article_id = coalesce(?, article_id),"
                " done_at = ?, attempts = attempts + 1 WHERE url = ?",
                (state, reason, article_id, self.clock(), url),
            )

    def retry_item(self, url: str, *, reason: str, not_before: float) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE monitor_items SET attempts = attempts + 1, reason = ?, not_before = ? WHERE url = ?",
                (reason, not_before, url),
            )

    def record_unavailable(self, url: str, reason: str) -> None:
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO monitor_unavailable (url, host, reason, seen_at) VALUES (?,?,?,?)"
                " ON CONFLICT (url) DO UPDATE SET reason = excluded.reason, seen_at = excluded.seen_at",
                (url, urlsplit(url).hostname or "", reason, self.clock()),
            )

    def redirects(self) -> dict[str, str]:
        return {r[0]: r[1] for r in self._rows("SELECT from_url, to_url FROM monitor_redirects")}

    def save_redirects(self, redirects: dict[str, str]) -> None:
        known = self.redirects()
        fresh = {k: v for k, v in redirects.items() if known.get(k) != v}
        if not fresh:
            return
        with self.store.transaction() as conn:
            conn.executemany(
                "INSERT INTO monitor_redirects (from_url, to_url, seen_at) VALUES (?,?,?)"
                " ON CONFLICT (from_url) DO UPDATE SET to_url = excluded.to_url, seen_at = excluded.seen_at",
                [(k, v, self.clock()) for k, v in fresh.items()],
            )

    def counts(self) -> dict[str, int]:
        """Announced items per state (pending, done, failed, unavailable, skipped)."""
        return {r[0]: int(r[1]) for r in self._rows("SELECT state, count(*) FROM monitor_items GROUP BY state")}


def _item_values(item: AnnouncedItem, source: str | None, outlet: str | None, now: float) -> tuple[Any, ...]:
    published = item.published_at.astimezone(UTC).isoformat() if item.published_at else None
    return (item.url, source, outlet, item.title or None, published, item.full_text, now)


def _among(column: str, values: Iterable[str] | None) -> tuple[str, list[str]]:
    """(" AND column IN (?, ...)", values) to restrict a query to some feeds; ("", []) when all are wanted."""
    if values is None:
        return "", []
    wanted = list(values)
    return f" AND {column} IN ({placeholders(len(wanted))})", wanted
