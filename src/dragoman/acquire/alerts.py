"""Watchlists and alerts: a new article that names a watched term, entity or outlet produces an alert.

Terms match on Snowball stems (Russian terms against the Russian text, English terms against the English
translation when there is one, and Latin-script words of the Russian text), so «санкциям» matches «санкции».
Alerts are an outbox in the database: each is inserted once per (watch, article), then handed to every sink
(console, JSONL file, webhook POST with retries) until each took it, so a crash or a dead webhook loses none.
A watch applies to articles first seen after it was created.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx

from dragoman.acquire.http import backoff_delay
from dragoman.article import Article
from dragoman.errors import ConfigError, DragomanError
from dragoman.store.base import IngestResult

WATCH_KINDS = ("term", "entity", "outlet")
_WORD = re.compile(r"[0-9a-zа-яё]+", re.IGNORECASE)
_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)


class AlertDeliveryError(DragomanError):
    reason = "alert_delivery"


@dataclass(frozen=True, slots=True)
class Watch:
    id: int
    kind: str
    value: str
    label: str | None
    created_at: str


@lru_cache(maxsize=2)
def _stemmer(language: str) -> Any:
    import Stemmer

    return Stemmer.Stemmer(language)


def stems(text: str, language: str) -> list[str]:
    words = _WORD.findall(text.lower().replace("ё", "е"))
    return list(_stemmer(language).stemWords(words))


def _contains(haystack: list[str], needle: list[str]) -> bool:
    if not needle:
        return False
    first, size = needle[0], len(needle)
    return any(haystack[i : i + size] == needle for i, word in enumerate(haystack) if word == first)


# -- watchlist -----------------------------------------------------------------------------------------


def add_watch(store: Any, kind: str, value: str, label: str | None = None) -> Watch:
    """Add a watch (or return the existing one with the same kind and value)."""
    if kind not in WATCH_KINDS:
        raise ConfigError(f"unknown watch kind {kind!r}; use one of {', '.join(WATCH_KINDS)}")
    value = " ".join(value.split())
    if not value:
        raise ConfigError("a watch needs a value")
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO watchlist (kind, value, label, created_at) VALUES (?,?,?,?) ON CONFLICT DO NOTHING",
            (kind, value, label, datetime.now(UTC).isoformat()),
        )
    row = store.connection.execute(
        "SELECT id, kind, value, label, created_at FROM watchlist WHERE kind = ? AND value = ?", (kind, value)
    ).fetchone()
    return Watch(*row)


def remove_watch(store: Any, watch_id: int) -> bool:
    with store.transaction() as conn:
        return conn.execute("DELETE FROM watchlist WHERE id = ?", (watch_id,)).rowcount > 0


def list_watches(store: Any) -> list[Watch]:
    rows = store.connection.execute("SELECT id, kind, value, label, created_at FROM watchlist ORDER BY id")
    return [Watch(*row) for row in rows]


def load_watchlist_file(store: Any, path: str | Path) -> list[Watch]:
    """Add the watches of a TOML file: ``terms = [...]``, ``entities = [...]``, ``outlets = [...]``."""
    import tomllib

    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read watchlist {path}: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"watchlist {path} is not valid TOML: {exc}") from exc
    added = []
    for key, kind in (("terms", "term"), ("entities", "entity"), ("outlets", "outlet")):
        for value in raw.get(key, []):
            added.append(add_watch(store, kind, str(value)))
    return added


# -- matching ------------------------------------------------------------------------------------------


def match_watch(watch: Watch, article: Article) -> str | None:
    """What in ``article`` matched ``watch`` (a short description), or None."""
    if watch.kind == "outlet":
        from dragoman.extract.outlets import hostname

        wanted = watch.value.lower().removeprefix("www.")
        host = hostname(article.url)
        if (article.outlet or "").lower() == wanted or host == wanted or host.endswith("." + wanted):
            return f"outlet {wanted}"
        return None
    if watch.kind == "entity":
        for name in _entity_names(article.analysis):
            if name.casefold() == watch.value.casefold():
                return f"entity {name}"
    return _match_term(watch.value, article)


def _match_term(term: str, article: Article) -> str | None:
    russian_text = f"{article.title}\n{article.text}"
    if _CYRILLIC.search(term):
        if _contains(stems(russian_text, "russian"), stems(term, "russian")):
            return f"term {term}"
        return None
    needle = stems(term, "english")
    english = ""
    if article.translation is not None:
        tr = article.translation
        english = "\n".join([tr.title.text, *(b.text for b in tr.blocks)])
    if _contains(stems(english, "english"), needle) or _contains(stems(russian_text, "english"), needle):
        return f"term {term}"
    return None


def _entity_names(analysis: dict[str, Any] | None) -> list[str]:
    """Entity names from whatever the analyze stage stored (lists of dicts with text/name/normal)."""
    if not analysis:
        return []
    names: list[str] = []
    entities = analysis.get("entities") or []
    for entity in entities if isinstance(entities, list) else []:
        if isinstance(entity, dict):
            for key in ("normal", "name", "text", "english", "wikidata_label"):
                value = entity.get(key)
                if isinstance(value, str) and value:
                    names.append(value)
    return names


# -- sinks ---------------------------------------------------------------------------------------------


class PrintSink:
    name = "print"

    def __init__(self, echo: Callable[[str], None] = print) -> None:
        self.echo = echo

    def send(self, payload: dict[str, Any]) -> None:
        self.echo(f"ALERT [{payload['matched']}] {payload.get('outlet') or '-'}: {payload['title']} {payload['url']}")


class JsonlSink:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.name = f"jsonl:{self.path}"

    def send(self, payload: dict[str, Any]) -> None:
        try:
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(payload, ensure_ascii=False) + "\n")
        except OSError as exc:
            raise AlertDeliveryError(f"cannot write alert file: {exc.strerror or exc}", source=str(self.path)) from exc


class WebhookSink:
    """POSTs each alert as JSON; retries with backoff on errors and 5xx/429.

    A webhook is the user's own endpoint, not a site we crawl, so it is called with a plain httpx client
    (timeouts, no redirects) rather than the crawler's Fetcher with its robots.txt and address rules.
    """

    def __init__(
        self,
        url: str,
        *,
        retries: int = 3,
        timeout: float = 10.0,
        retry_base: float = 0.5,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = url
        self.name = f"webhook:{url}"
        self.retries = retries
        self.retry_base = retry_base
        self.sleep = sleep
        self.client = httpx.Client(timeout=timeout, follow_redirects=False, transport=transport, trust_env=False)

    def close(self) -> None:
        self.client.close()

    def send(self, payload: dict[str, Any]) -> None:
        last = ""
        for attempt in range(self.retries + 1):
            try:
                response = self.client.post(self.url, json=payload)
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code < 300:
                    return
                last = f"HTTP {response.status_code}"
                if response.status_code < 500 and response.status_code != 429:
                    break  # the receiver rejects this payload; retrying will not help
            if attempt < self.retries:
                self.sleep(backoff_delay(attempt, self.retry_base, 30.0))
        raise AlertDeliveryError(f"webhook did not accept the alert ({last})", source=self.url)


# -- the engine ----------------------------------------------------------------------------------------


class AlertEngine:
    """An intake hook: records alerts for matching watches and delivers undelivered ones to the sinks."""

    def __init__(self, store: Any, sinks: Sequence[Any] = ()) -> None:
        self.store = store
        self.sinks = list(sinks)

    def __call__(self, article_id: int, article: Article, result: IngestResult) -> None:
        self.check(article_id, article)
        self.deliver_pending()

    def check(self, article_id: int, article: Article) -> int:
        """Record an alert for each watch ``article`` matches; returns how many were new."""
        watches = list_watches(self.store)
        if not watches:
            return 0
        row = self.store.connection.execute("SELECT first_seen_at FROM articles WHERE id = ?", (article_id,)).fetchone()
        first_seen = row[0] if row else ""
        new = 0
        for watch in watches:
            if first_seen < watch.created_at:
                continue
            matched = match_watch(watch, article)
            if matched is None:
                continue
            payload = {
                "watch": {"id": watch.id, "kind": watch.kind, "value": watch.value, "label": watch.label},
                "matched": matched,
                "article_id": article_id,
                "url": article.url,
                "title": article.title,
                "outlet": article.outlet,
                "published_at": article.published_at.isoformat() if article.published_at else None,
            }
            with self.store.transaction() as conn:
                cur = conn.execute(
                    "INSERT INTO alerts (watch_id, article_id, created_at, payload) VALUES (?,?,?,?)"
                    " ON CONFLICT (watch_id, article_id) DO NOTHING",
                    (watch.id, article_id, datetime.now(UTC).isoformat(), json.dumps(payload, ensure_ascii=False)),
                )
                new += cur.rowcount
        return new

    def deliver_pending(self, limit: int = 1000) -> tuple[int, int]:
        """Hand undelivered alerts to the sinks that have not taken them; returns (delivered, failed)."""
        rows = self.store.connection.execute(
            "SELECT id, created_at, payload, delivered_to FROM alerts WHERE delivered_at IS NULL ORDER BY id LIMIT ?",
            (limit,),
        ).fetchall()
        delivered = failed = 0
        for alert_id, created_at, payload_text, delivered_to in rows:
            payload = {"alert_id": alert_id, "created_at": created_at, **json.loads(payload_text)}
            done = set(json.loads(delivered_to))
            errors = []
            for sink in self.sinks:
                if sink.name in done:
                    continue
                try:
                    sink.send(payload)
                except AlertDeliveryError as exc:
                    errors.append(str(exc))
                else:
                    done.add(sink.name)
            with self.store.transaction() as conn:
                conn.execute(
                    "UPDATE alerts SET delivered_to = ?, attempts = attempts + 1, last_error = ?,"
                    " delivered_at = CASE WHEN ? = 1 THEN ? ELSE NULL END WHERE id = ?",
                    (
                        json.dumps(sorted(done)),
                        "; ".join(errors) or None,
                        not errors,
                        datetime.now(UTC).isoformat(),
                        alert_id,
                    ),
                )
            if errors:
                failed += 1
            else:
                delivered += 1
        return delivered, failed


def recent_alerts(store: Any, *, limit: int = 50, undelivered_only: bool = False) -> list[dict[str, Any]]:
    """The newest alerts first, as the payloads the sinks received plus delivery state."""
    sql = "SELECT id, created_at, payload, delivered_at, attempts, last_error FROM alerts"
    if undelivered_only:
        sql += " WHERE delivered_at IS NULL"
    rows = store.connection.execute(sql + " ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
    return [
        {
            "alert_id": r[0],
            "created_at": r[1],
            **json.loads(r[2]),
            "delivered_at": r[3],
            "attempts": r[4],
            "last_error": r[5],
        }
        for r in rows
    ]
