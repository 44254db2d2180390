"""The monitor: poll outlets' feeds politely, fetch each new article once, store it, hand it to the hooks.

Crash safety comes from the database, not from memory (``CrawlState``, the store's crawl repository). A poll
writes the feed's new items and its validators (ETag, Last-Modified) in one transaction; an item stays
``pending`` until its article is stored and the hooks (stories, alerts) have run, and an item whose URL is
already in the store is marked done without a fetch. So ``kill -9`` at any moment loses nothing and a restart
stores nothing twice.

Threads only fetch and extract; every database write happens on the calling thread, one transaction each.
Politeness is the Fetcher's (robots.txt, per-host delay never below Crawl-delay, retries, Retry-After); the
monitor adds a global concurrency cap (one worker per host at a time) and adaptive polling intervals.
"""

from __future__ import annotations

import hashlib
import queue
import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from dragoman.acquire.feeds import FeedItem, parse_feed
from dragoman.acquire.http import Fetcher, backoff_delay
from dragoman.acquire.sitemaps import gunzip_capped, parse_sitemap
from dragoman.acquire.sources import FeedSource
from dragoman.article import Article, Block, BlockKind, RawPage
from dragoman.errors import DragomanError, ExtractError, SkipArticle
from dragoman.pipeline.ingest import ArchivePolicy, IngestReport, extract_page
from dragoman.settings import Settings
from dragoman.store.base import IngestResult
from dragoman.store.crawl import CrawlState, FeedRow, ItemRow

# A hook sees every article the intake stored (or found unchanged): story grouping, alerts.
Hook = Callable[[int, Article, IngestResult], None]

UNAVAILABLE_REASONS = frozenset({"http_403", "http_401", "http_451", "anti_bot", "robots_disallowed"})
TRANSIENT_REASONS = frozenset(
    {"timeout", "deadline", "connection", "http_429", "http_500", "http_502", "http_503", "http_504", "dns"}
)
FEED_EXTRACTOR_VERSION = "dragoman-feed/1"


@dataclass(slots=True)
class MonitorConfig:
    min_interval: float = 900.0  # never poll a feed more often (seconds)
    max_interval: float = 6 * 3600.0  # unchanged feeds back off up to this
    backoff_factor: float = 1.5  # interval growth per unchanged poll
    concurrency: int = 4  # hosts fetched at once (one request at a time per host)
    max_attempts: int = 4  # tries per article before it is recorded as failed
    retry_base: float = 60.0  # first retry of a failed article after about this many seconds
    batch_size: int = 500  # pending articles taken per round


# -- intake: store + hooks -----------------------------------------------------------------------------


class Intake:
    """Stores an article and runs the hooks (stories, alerts); the same path for feeds, sitemaps, WARC."""

    def __init__(self, store: Any, hooks: Sequence[Hook] = (), *, archive: ArchivePolicy | None = None) -> None:
        self.store = store
        self.hooks = list(hooks)
        self.archive = archive or ArchivePolicy()

    def take(
        self,
        article: Article,
        report: IngestReport | None = None,
        *,
        page: RawPage | None = None,
        kind: str | None = None,
    ) -> IngestResult:
        """Store ``article`` (with the original of ``page``, the archive permitting) and run the hooks."""
        result = self.archive.store(self.store, article, page, kind)
        if report is not None:
            report.record_archive(result)
        for hook in self.hooks:
            try:
                hook(result.article_id, article, result)
            except DragomanError as exc:
                # The article is stored; a hook's failure is reported, and the hook runs again on a rerun.
                if report is not None:
                    report.record_problem(article.url, exc)
        return result


def article_from_feed_item(item: FeedItem | ItemRow, *, fetched_at: datetime | None = None) -> Article:
    """An Article from a full-text feed item (yandex:full-text, rbc_news:full-text, turbo:content)."""
    from dragoman.names.outlets import lookup_outlet

    text = item.full_text or ""
    paragraphs = _paragraphs(text)
    title = (item.title or "").strip()
    if not paragraphs or not title:
        raise SkipArticle("the feed's full text is empty", reason="empty_feed_text", source=item.url)
    published = item.published_at
    if isinstance(published, str):
        published = datetime.fromisoformat(published)
    outlet = lookup_outlet(item.url)
    article = Article(
        url=item.url,
        title=title,
        blocks=[Block(BlockKind.PARAGRAPH, p) for p in paragraphs],
        outlet=outlet.key if outlet else None,
        outlet_name=outlet.name if outlet else None,
        timezone=outlet.timezone if outlet else None,
        fetched_at=fetched_at or datetime.now(UTC),
        raw_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        published_at=published,
        extractor="feed",
        extractor_version=FEED_EXTRACTOR_VERSION,
        source="feed",
    )
    article.content_sha256 = article.compute_content_hash()
    return article


def _paragraphs(text: str) -> list[str]:
    if "<" in text and ">" in text:
        import lxml.html

        try:
            root = lxml.html.fragment_fromstring(text, create_parent="div")
        except (ValueError, lxml.etree.ParserError):
            return []
        for bad in root.iter("script", "style", "figure", "figcaption", "iframe"):
            bad.drop_tree()
        blocks = [" ".join(el.text_content().split()) for el in root.iter("p", "h2", "h3", "li", "blockquote")]
        blocks = [b for b in blocks if b]
        if blocks:
            return blocks
        text = root.text_content()
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def parse_feed_page(page: RawPage, kind: str, max_bytes: int) -> list[FeedItem]:
    """Items of a fetched feed or news sitemap; ExtractError when it is not readable."""
    body = gunzip_capped(page.body, max_bytes, source=page.url)
    if kind == "rss":
        from dragoman.names.outlets import same_site

        body = _declare_charset(body, page.content_type)
        items = parse_feed(body, source=page.url)
        for item in items:
            # A feed speaks for its own site only: its full text for another site's URL would be stored as
            # that article (a new revision of it), so such an item is fetched from its own address instead.
            if item.full_text and not same_site(item.url, page.url):
                item.full_text = None
        return items
    sitemap = parse_sitemap(body, source=page.url)
    if sitemap.is_index:
        raise ExtractError(
            "a sitemap index cannot be polled; use `dragoman backfill --sitemap`",
            reason="sitemap_index",
            source=page.url,
        )
    return [FeedItem(url=e.url, title=e.title, published_at=e.published_at or e.lastmod) for e in sitemap.entries]


def _declare_charset(body: bytes, content_type: str | None) -> bytes:
    """Honour an HTTP charset when the XML itself declares none (XML would otherwise be read as UTF-8)."""
    if not content_type or "charset=" not in content_type.lower():
        return body
    head = body[:200].lstrip()
    if head.startswith(b"<?xml") and b"encoding" in head.split(b"?>", 1)[0]:
        return body
    charset = content_type.lower().split("charset=", 1)[1].split(";")[0].strip().strip('"')
    try:
        text = body.decode(charset)
    except (LookupError, UnicodeDecodeError):
        return body
    if text.startswith("<?xml"):
        text = text.split("?>", 1)[1]
    return text.encode("utf-8")


# -- the monitor ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class MonitorReport:
    """One pass: feeds polled and their outcomes, plus the articles' ingest report."""

    items: IngestReport = field(default_factory=IngestReport)
    feeds: Counter[str] = field(default_factory=Counter)  # ok, not_modified, unchanged, failure reasons
    new_items: int = 0
    retrying: int = 0
    already_stored: int = 0

    def to_dict(self) -> dict[str, Any]:
        out = self.items.to_dict()
        out.update(
            feeds=dict(self.feeds), new_items=self.new_items, retrying=self.retrying, already_stored=self.already_stored
        )
        return out


_DONE = object()


class Monitor:
    """Polls feeds and fetches their new articles; ``run_once`` is one pass, ``run_forever`` loops."""

    def __init__(
        self,
        store: Any,
        settings: Settings,
        *,
        config: MonitorConfig | None = None,
        fetcher: Fetcher | None = None,
        hooks: Sequence[Hook] = (),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.config = config or MonitorConfig()
        self.state = CrawlState(store, clock=clock)
        self.clock = clock
        self._own_fetcher = fetcher is None
        self.fetcher = fetcher or Fetcher(settings, retries=2)
        self.fetcher.permanent_redirects.update(self.state.redirects())
        self.intake = Intake(store, hooks, archive=ArchivePolicy.from_settings(settings))
        self.stop_event = threading.Event()

    def close(self) -> None:
        if self._own_fetcher:
            self.fetcher.close()

    def add_feeds(self, feeds: Iterable[FeedSource]) -> list[str]:
        urls = []
        for feed in feeds:
            self.state.add_feed(feed, self.config.min_interval)
            urls.append(feed.url)
        return urls

    # -- one pass ----------------------------------------------------------------------------------------

    def run_once(
        self,
        feed_urls: Sequence[str] | None = None,
        *,
        report: MonitorReport | None = None,
        on_item: Callable[[str], None] | None = None,
    ) -> MonitorReport:
        """Poll the due feeds, then fetch and store every pending article (retries that are due included)."""
        report = report or MonitorReport()
        started = time.perf_counter()
        try:
            self.poll_feeds(self.state.due_feeds(feed_urls), report)
            self.process_pending(report, feed_urls=feed_urls, on_item=on_item)
        finally:
            self.state.save_redirects(self.fetcher.permanent_redirects)
            report.items.elapsed += time.perf_counter() - started
        return report

    def run_forever(
        self,
        feed_urls: Sequence[str] | None = None,
        *,
        on_pass: Callable[[MonitorReport], None] | None = None,
        max_sleep: float = 60.0,
    ) -> None:
        """Loop until ``stop_event`` is set: a pass, then sleep until the next feed or retry is due."""
        while not self.stop_event.is_set():
            report = self.run_once(feed_urls)
            if on_pass is not None:
                on_pass(report)
            wake = self.state.next_wakeup(feed_urls)
            pause = max_sleep if wake is None else min(max_sleep, max(0.05, wake - self.clock()))
            self.stop_event.wait(pause)

    # -- feeds -------------------------------------------------------------------------------------------

    def poll_feeds(self, feeds: Sequence[FeedRow], report: MonitorReport) -> None:
        jobs: dict[str, list[FeedRow]] = defaultdict(list)
        for feed in feeds:
            jobs[_host(self.fetcher.resolve_permanent(feed.url))].append(feed)
        for feed, outcome in self._run_per_host(jobs, self._fetch_feed):
            self._record_feed(feed, outcome, report)

    def _fetch_feed(self, feed: FeedRow) -> RawPage | DragomanError:
        headers = {}
        if feed.etag:
            headers["If-None-Match"] = feed.etag
        if feed.last_modified:
            headers["If-Modified-Since"] = feed.last_modified
        try:
            return self.fetcher.fetch(feed.url, headers=headers or None)
        except DragomanError as exc:
            return exc

    def _record_feed(self, feed: FeedRow, outcome: RawPage | DragomanError, report: MonitorReport) -> None:
        cfg = self.config
        now = self.clock()
        if isinstance(outcome, DragomanError):
            self._record_feed_failure(feed, outcome, report)
            return
        if outcome.status == 304:
            interval = min(cfg.max_interval, max(cfg.min_interval, feed.interval * cfg.backoff_factor))
            self.state.record_poll(feed, status="not_modified", interval=interval, next_poll_at=now + _jitter(interval))
            report.feeds["not_modified"] += 1
            return
        try:
            items = parse_feed_page(outcome, feed.kind, self.settings.max_bytes)
        except DragomanError as exc:
            self._record_feed_failure(feed, exc, report)
            return
        etag = outcome.headers.get("etag")
        last_modified = outcome.headers.get("last-modified")
        known = self.state.known_urls([i.url for i in items])
        fresh = [i for i in items if i.url not in known]
        # Adaptive polling: reset to the minimum when the feed brought something new, back off otherwise.
        interval = cfg.min_interval if fresh else min(cfg.max_interval, feed.interval * cfg.backoff_factor)
        interval = max(cfg.min_interval, interval)
        new = self.state.record_poll(
            feed,
            status="ok" if fresh else "unchanged",
            interval=interval,
            next_poll_at=now + _jitter(interval),
            etag=etag,
            last_modified=last_modified,
            items=fresh,
        )
        report.feeds["ok" if fresh else "unchanged"] += 1
        report.new_items += new

    def _record_feed_failure(self, feed: FeedRow, error: DragomanError, report: MonitorReport) -> None:
        cfg = self.config
        now = self.clock()
        reason = error.reason
        report.feeds[reason] += 1
        report.items.record_problem(feed.url, error)
        retry_after = getattr(error, "retry_after", None)
        if reason in UNAVAILABLE_REASONS:
            # Refused: recorded and left alone for the longest interval; never retried harder or disguised.
            self.state.record_unavailable(feed.url, reason)
            interval = cfg.max_interval
        else:
            interval = min(cfg.max_interval, max(cfg.min_interval, feed.interval) * 2 ** min(feed.failures, 10))
        wait = max(interval, retry_after or 0.0)
        self.state.record_poll(
            feed, status=reason, interval=feed.interval, next_poll_at=now + _jitter(wait), failed=True
        )

    def queue_sitemaps(
        self, sitemaps: Sequence[str], report: MonitorReport, *, since: datetime | None, limit: int | None = None
    ) -> None:
        """Queue the articles of sitemaps (indexes followed) published or modified since ``since``.

        Problems with a sitemap are counted in ``report``; ``process_pending`` then fetches what was queued,
        and a rerun queues nothing already known.
        """
        from dragoman.acquire.sitemaps import SitemapProblem, iter_sitemap

        for sitemap_url in sitemaps:
            entries: list[FeedItem] = []
            for entry in iter_sitemap(self.fetcher, sitemap_url, since=since):
                if isinstance(entry, SitemapProblem):
                    report.items.record_problem(entry.url, entry.error)
                    continue
                entries.append(
                    FeedItem(url=entry.url, title=entry.title, published_at=entry.published_at or entry.lastmod)
                )
                if limit is not None and len(entries) >= limit:
                    break
            report.new_items += self.state.enqueue(entries, source=sitemap_url)

    # -- articles ----------------------------------------------------------------------------------------

    def process_pending(
        self,
        report: MonitorReport,
        *,
        feed_urls: Sequence[str] | None = None,
        on_item: Callable[[str], None] | None = None,
    ) -> None:
        """Fetch, extract and store pending articles, a batch at a time, until none is due."""
        attempted: set[str] = set()
        while not self.stop_event.is_set():
            batch = [i for i in self.state.pending_items(self.config.batch_size, feed_urls) if i.url not in attempted]
            if not batch:
                return
            attempted.update(i.url for i in batch)
            jobs: dict[str, list[ItemRow]] = defaultdict(list)
            for item in batch:
                stored_id = self.state.stored_article_id(item.url)
                if stored_id is not None:
                    # Stored before a crash (or by another command): finish it without fetching again.
                    self._finish_stored(item, stored_id, report)
                    if on_item:
                        on_item(item.url)
                    continue
                jobs["" if item.full_text else _host(self.fetcher.resolve_permanent(item.url))].append(item)
            feed_text_items = jobs.pop("", [])
            for item in feed_text_items:
                self._record_item(item, self._acquire_item(item), report)
                if on_item:
                    on_item(item.url)
            for item, outcome in self._run_per_host(jobs, self._acquire_item):
                self._record_item(item, outcome, report)
                if on_item:
                    on_item(item.url)

    def _acquire_item(self, item: ItemRow) -> tuple[Article, RawPage | None] | DragomanError:
        """Runs on a worker thread: fetch and extract (or build from the feed's text); no database access."""
        try:
            if item.full_text:
                return article_from_feed_item(item), None
            page = self.fetcher.fetch(item.url)
            article = extract_page(page)
            if not article.title and item.title:
                article.title = item.title
            return article, page
        except DragomanError as exc:
            exc.source = exc.source or item.url
            return exc
        except MemoryError:
            # Fetch and extract turn their own MemoryErrors into errors; this catches the rest (the feed's
            # text). One such item fails and counts an attempt; the feed's other items still get stored.
            return ExtractError("ran out of memory building the article", reason="out_of_memory", source=item.url)

    def _finish_stored(self, item: ItemRow, article_id: int, report: MonitorReport) -> None:
        stored = self.intake.store.get(article_id)
        if stored is not None:
            # Hooks are idempotent; running them again completes what a crash may have cut short.
            self.intake.take(stored.article, report.items)
        self.state.finish_item(item.url, "done", article_id=article_id)
        report.already_stored += 1

    def _record_item(
        self, item: ItemRow, outcome: tuple[Article, RawPage | None] | DragomanError, report: MonitorReport
    ) -> None:
        if isinstance(outcome, tuple):
            article, page = outcome
            try:
                result = self.intake.take(article, report.items, page=page)
            except DragomanError as exc:
                outcome = exc
            else:
                report.items.outcomes[result.outcome] += 1
                report.items.article_ids.append(result.article_id)
                self.state.finish_item(item.url, "done", article_id=result.article_id)
                return
        error = outcome
        reason = error.reason
        if isinstance(error, SkipArticle):
            self.state.finish_item(item.url, "skipped", reason=reason)
        elif reason in UNAVAILABLE_REASONS:
            self.state.record_unavailable(item.url, reason)
            self.state.finish_item(item.url, "unavailable", reason=reason)
        elif reason in TRANSIENT_REASONS and item.attempts + 1 < self.config.max_attempts:
            retry_after = getattr(error, "retry_after", None)
            wait = max(retry_after or 0.0, backoff_delay(item.attempts, self.config.retry_base, 6 * 3600))
            self.state.retry_item(item.url, reason=reason, not_before=self.clock() + wait)
            report.retrying += 1
            return
        else:
            self.state.finish_item(item.url, "failed", reason=reason)
        report.items.record_problem(item.url, error)

    # -- concurrency -------------------------------------------------------------------------------------

    def _run_per_host(self, jobs: dict[str, list[Any]], work: Callable[[Any], Any]) -> Iterable[tuple[Any, Any]]:
        """Run ``work`` on every job, hosts in parallel (at most ``concurrency``), one host's jobs in order.

        Results are yielded on the calling thread as they arrive, so it alone writes to the database.
        """
        if not jobs:
            return
        results: queue.Queue[Any] = queue.Queue()

        def run_host(items: list[Any]) -> None:
            try:
                for job in items:
                    if self.stop_event.is_set():
                        break
                    results.put((job, work(job)))
            finally:
                results.put(_DONE)

        workers = max(1, min(self.config.concurrency, len(jobs)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dragoman-fetch") as pool:
            futures = [pool.submit(run_host, items) for items in jobs.values()]
            remaining = len(futures)
            while remaining:
                message = results.get()
                if message is _DONE:
                    remaining -= 1
                    continue
                yield message
            for future in futures:
                future.result()  # a bug in a worker surfaces here instead of vanishing


def _host(url: str) -> str:
    return urlsplit(url).hostname or ""


def _jitter(seconds: float) -> float:
    """Spread polls a little so that many feeds do not fall due in the same second."""
    return seconds * random.uniform(1.0, 1.1)
