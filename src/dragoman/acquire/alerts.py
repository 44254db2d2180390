"""Watchlists and alerts: a new article that names a watched term, entity or outlet produces an alert.

Terms match on Snowball stems (Russian terms against the Russian text, English terms against the English
translation when there is one, and Latin-script words of the Russian text), so «санкциям» matches «санкции».
Alerts are an outbox in the database: storing an article only inserts its alerts (once per watch and article,
state ``pending``); delivery to the sinks (console, JSONL file, webhook POST) is a separate step that `watch`
runs on its own thread, `watch --once` and the batch commands run after their batch, and `dragoman alerts
--deliver` runs on demand. So a slow or dead webhook never holds up ingest. Each delivery run is capped (alerts
and seconds); an alert that a sink refuses is tried again after an exponential backoff (``next_attempt_at``)
and marked ``failed`` after ``MAX_DELIVERY_ATTEMPTS``; a sink that fails is not tried again in the same run.
Webhook URLs often carry a secret (``?token=``, ``user:pass@``, a Slack path): what is stored or printed
about a sink or its errors is redacted (``dragoman.urls.redact_url``).
A watch applies to articles first seen after it was created.
"""

from __future__ import annotations

import json
import re
import threading
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
from dragoman.store.alerts import Watch
from dragoman.store.base import IngestResult
from dragoman.urls import check_url, redact_text, redact_url

WATCH_KINDS = ("term", "entity", "outlet")
_WORD = re.compile(r"[0-9a-zа-яё]+", re.IGNORECASE)
_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)

# Delivery policy of the outbox: an alert is tried at most this many times, the n-th retry after about
# RETRY_BASE * 2^n seconds (jittered, capped), so a webhook that is down for an hour or so loses nothing.
MAX_DELIVERY_ATTEMPTS = 8
RETRY_BASE_SECONDS = 60.0
RETRY_CAP_SECONDS = 3600.0
# One delivery run hands over at most this many alerts and stops starting new ones after this many seconds.
DELIVERY_MAX_ALERTS = 200
DELIVERY_MAX_SECONDS = 30.0


class AlertDeliveryError(DragomanError):
    """A sink did not take an alert; ``retryable`` is False when trying again cannot help (HTTP 4xx)."""

    reason = "alert_delivery"

    def __init__(self, message: str, *, source: str | None = None, retryable: bool = True) -> None:
        super().__init__(message, source=source)
        self.retryable = retryable


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
    return store.alerts.add_watch(kind, value, label, datetime.now(UTC).isoformat())


def remove_watch(store: Any, watch_id: int) -> bool:
    return bool(store.alerts.remove_watch(watch_id))


def list_watches(store: Any) -> list[Watch]:
    return list(store.alerts.watches())


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
        from dragoman.names.outlets import hostname

        wanted = watch.value.lower().removeprefix("www.")
        host = hostname(article.url)
        if (article.outlet or "").lower() == wanted or host == wanted or host.endswith("." + wanted):
            return f"outlet {wanted}"
        return None
    if watch.kind == "entity":
        for name in article.typed_analysis.entity_names():
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
        english = "\n".join(seg.text for seg in article.translation.segments())
    if _contains(stems(english, "english"), needle) or _contains(stems(russian_text, "english"), needle):
        return f"term {term}"
    return None


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
    """POSTs each alert as JSON, once per delivery attempt (the outbox retries later, with backoff).

    A webhook is the user's own endpoint, not a site we crawl, so it is called with a plain httpx client
    (timeouts, no redirects) rather than the crawler's Fetcher with its robots.txt and address rules.
    Its URL may hold a secret, so the sink's name and every error it raises carry the redacted URL.
    """

    def __init__(
        self,
        url: str,
        *,
        retries: int = 0,
        timeout: float = 10.0,
        retry_base: float = 0.5,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        try:
            check_url(url)
        except ValueError as exc:
            raise ConfigError(f"webhook {redact_url(url)}: {redact_text(str(exc), url)}") from exc
        self.url = url
        self.shown_url = redact_url(url)
        self.name = f"webhook:{self.shown_url}"
        self.retries = retries
        self.retry_base = retry_base
        self.sleep = sleep
        self.client = httpx.Client(timeout=timeout, follow_redirects=False, transport=transport, trust_env=False)

    def close(self) -> None:
        self.client.close()

    def send(self, payload: dict[str, Any]) -> None:
        last = ""
        retryable = True
        for attempt in range(self.retries + 1):
            try:
                response = self.client.post(self.url, json=payload)
            except httpx.HTTPError as exc:
                # httpx puts the request URL into some messages: never let the secret through.
                last = f"{type(exc).__name__}: {redact_text(str(exc), self.url)}"
            else:
                if response.status_code < 300:
                    return
                last = f"HTTP {response.status_code}"
                if response.status_code < 500 and response.status_code != 429:
                    retryable = False  # the receiver rejects this payload; retrying will not help
                    break
            if attempt < self.retries:
                self.sleep(backoff_delay(attempt, self.retry_base, 30.0))
        raise AlertDeliveryError(
            f"webhook did not accept the alert ({last})", source=self.shown_url, retryable=retryable
        )


# -- the engine ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class DeliveryReport:
    """One delivery run over the outbox."""

    delivered: int = 0  # every sink took the alert
    retrying: int = 0  # a sink refused it; tried again after the backoff
    failed: int = 0  # attempts used up (or the receiver rejected it for good): state "failed"
    deferred: int = 0  # not tried in this run: its sink already failed once, or the run's cap was reached

    def __bool__(self) -> bool:
        return bool(self.delivered or self.retrying or self.failed or self.deferred)

    def summary(self) -> str:
        return (
            f"alerts: delivered {self.delivered}, retrying later {self.retrying}, failed {self.failed},"
            f" not tried yet {self.deferred}"
        )


class AlertEngine:
    """An intake hook that records alerts for matching watches; ``deliver_pending`` hands them to the sinks.

    Recording is all the hook does, so storing articles never waits for a sink.
    """

    def __init__(
        self,
        store: Any,
        sinks: Sequence[Any] = (),
        *,
        max_attempts: int = MAX_DELIVERY_ATTEMPTS,
        retry_base: float = RETRY_BASE_SECONDS,
        retry_cap: float = RETRY_CAP_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.sinks = list(sinks)
        names = [sink.name for sink in self.sinks]
        if len(names) != len(set(names)):
            # Two webhooks that differ only in their (redacted) secret would share one delivery record.
            raise ConfigError("two alert sinks have the same name (webhook URLs that differ only in a secret?)")
        self.max_attempts = max(1, max_attempts)
        self.retry_base = retry_base
        self.retry_cap = retry_cap
        self.clock = clock

    def __call__(self, article_id: int, article: Article, result: IngestResult) -> None:
        self.check(article_id, article)

    def check(self, article_id: int, article: Article) -> int:
        """Record an alert for each watch ``article`` matches (state pending); returns how many were new."""
        watches = list_watches(self.store)
        if not watches:
            return 0
        first_seen = self.store.alerts.first_seen_at(article_id) or ""
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
            new += self.store.alerts.add(
                watch.id,
                article_id,
                created_at=datetime.now(UTC).isoformat(),
                payload=json.dumps(payload, ensure_ascii=False),
                next_attempt_at=self.clock(),
            )
        return new

    def deliver_pending(
        self,
        *,
        max_alerts: int = DELIVERY_MAX_ALERTS,
        max_seconds: float = DELIVERY_MAX_SECONDS,
        due_only: bool = True,
    ) -> DeliveryReport:
        """Hand pending alerts to the sinks that have not taken them, oldest first, within the run's caps.

        ``due_only=False`` also tries alerts still waiting out their backoff (an explicit ``alerts --deliver``);
        the attempt cap holds either way. A sink that fails is skipped for the rest of the run, so a dead
        webhook costs one request per run, not one per alert.
        """
        report = DeliveryReport()
        if not self.sinks:
            return report  # nowhere to deliver: the alerts wait in the outbox
        started = time.monotonic()
        now = self.clock()
        alerts = self.store.alerts.pending(max_alerts, due_by=now if due_only else None)
        broken: set[str] = set()
        for index, alert in enumerate(alerts):
            if time.monotonic() - started >= max_seconds:
                report.deferred += len(alerts) - index
                break
            payload = {"alert_id": alert.id, "created_at": alert.created_at, **json.loads(alert.payload)}
            # Names stored before redaction existed are matched (and rewritten) in their redacted form.
            done = {_redacted_sink_name(name) for name in json.loads(alert.delivered_to)}
            errors: list[str] = []
            give_up = False
            for sink in self.sinks:
                if sink.name in done or sink.name in broken:
                    continue
                try:
                    sink.send(payload)
                except AlertDeliveryError as exc:
                    errors.append(redact_text(str(exc)))
                    broken.add(sink.name)
                    give_up = give_up or not exc.retryable
                else:
                    done.add(sink.name)
            self._record(alert.id, alert.attempts, done, errors, give_up, now, report)
        return report

    def _record(
        self,
        alert_id: int,
        attempts: int,
        done: set[str],
        errors: list[str],
        give_up: bool,
        now: float,
        report: DeliveryReport,
    ) -> None:
        """Write one alert's outcome: delivered, retry after a backoff, failed, or untouched (deferred)."""
        outbox = self.store.alerts
        delivered_to = json.dumps(sorted(done))
        if all(sink.name in done for sink in self.sinks):
            outbox.mark_delivered(alert_id, delivered_to, datetime.now(UTC).isoformat())
            report.delivered += 1
        elif not errors:
            # Only sinks that already failed in this run are left: not an attempt for this alert.
            outbox.note_sinks(alert_id, delivered_to)
            report.deferred += 1
        elif give_up or attempts + 1 >= self.max_attempts:
            outbox.mark_failed(alert_id, delivered_to, "; ".join(errors))
            report.failed += 1
        else:
            delay = backoff_delay(attempts, self.retry_base, self.retry_cap)
            outbox.schedule_retry(alert_id, delivered_to, "; ".join(errors), now + delay)
            report.retrying += 1

    def retry_failed(self) -> int:
        """Put failed alerts back in the outbox with fresh attempts (after the webhook is fixed)."""
        return int(self.store.alerts.retry_failed(self.clock()))


def _redacted_sink_name(name: str) -> str:
    kind, sep, target = name.partition(":")
    return f"{kind}:{redact_url(target)}" if sep and kind == "webhook" else name


class DeliveryThread(threading.Thread):
    """Delivers the outbox on its own thread and database connection, so that `watch` keeps storing articles
    while a webhook is slow or down: after each pass (``wake``) and every ``interval`` seconds."""

    def __init__(
        self,
        open_store: Callable[[], Any],
        sinks: Sequence[Any],
        *,
        interval: float = 10.0,
        on_report: Callable[[DeliveryReport], None] | None = None,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(name="alert-delivery", daemon=True)
        self.open_store = open_store
        self.sinks = list(sinks)
        self.interval = interval
        self.on_report = on_report
        self.on_error = on_error
        self.stop_event = threading.Event()
        self._wake = threading.Event()

    def wake(self) -> None:
        """Deliver now (the watch just stored a batch)."""
        self._wake.set()

    def run(self) -> None:
        try:
            store = self.open_store()
        except DragomanError as exc:
            self._report_error(exc)
            return
        with store:
            engine = AlertEngine(store, self.sinks)
            while not self.stop_event.is_set():
                self._wake.clear()
                try:
                    report = engine.deliver_pending()
                except DragomanError as exc:
                    # A locked or lost database is retried next round; the watch itself goes on.
                    self._report_error(exc)
                else:
                    if report and self.on_report is not None:
                        self.on_report(report)
                self._wake.wait(self.interval)

    def _report_error(self, exc: Exception) -> None:
        if self.on_error is not None:
            self.on_error(f"alert delivery: {redact_text(str(exc))}")

    def stop(self, timeout: float = DELIVERY_MAX_SECONDS + 15.0) -> None:
        self.stop_event.set()
        self._wake.set()
        self.join(timeout)


def recent_alerts(store: Any, *, limit: int = 50, undelivered_only: bool = False) -> list[dict[str, Any]]:
    """The newest alerts first, as the payloads the sinks received plus delivery state."""
    return [
        {
            "alert_id": r.id,
            "created_at": r.created_at,
            **json.loads(r.payload),
            "delivered_at": r.delivered_at,
            "attempts": r.attempts,
            # Redacted again on the way out, for errors recorded before redaction existed.
            "last_error": redact_text(r.last_error) if r.last_error else None,
            "state": r.state,
            "next_attempt_at": (
                datetime.fromtimestamp(r.next_attempt_at, UTC).isoformat()
                if r.state == "pending" and r.next_attempt_at
                else None
            ),
        }
        for r in store.alerts.recent(limit, undelivered_only=undelivered_only)
    ]
