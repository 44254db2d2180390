"""The monitor against a real 127.0.0.1 server: feeds, full-text feeds, politeness, failures, crawl state."""

from __future__ import annotations

import time

import pytest

from dragoman.acquire.http import Fetcher
from dragoman.acquire.revisions import diff_revisions
from dragoman.acquire.sources import FeedSource
from dragoman.pipeline.watch import CrawlState, Monitor, MonitorConfig
from dragoman.store import SQLiteStore

from .conftest import Reply, http_date


class Clock:
    """Time the monitor sees; tests move it forward instead of sleeping."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(settings):
    with SQLiteStore(settings.db) as db:
        yield db


_FETCHERS: list[Fetcher] = []


@pytest.fixture(autouse=True)
def _close_fetchers():
    yield
    while _FETCHERS:
        _FETCHERS.pop().close()


def make_monitor(store, settings, clock=None, **config):
    config.setdefault("min_interval", 60.0)
    config.setdefault("retry_base", 30.0)
    fetcher = Fetcher(settings, retries=1, retry_base=0.01)
    _FETCHERS.append(fetcher)
    return Monitor(store, settings, config=MonitorConfig(**config), fetcher=fetcher, clock=clock or Clock())


def serve_pages(server, real_pages, names):
    for name in names:
        server.routes[f"/news/{name}"] = Reply(200, real_pages[name])
    return [{"title": f"t {name}", "link": server.url(f"/news/{name}")} for name in names]


def test_feed_items_stored_once_and_conditional_get(server, settings, store, real_pages, make_rss):
    items = serve_pages(server, real_pages, ["kommersant", "interfax", "tass"])
    body = make_rss(items)

    def feed(seen):
        if seen.headers.get("if-none-match") == '"f1"':
            return Reply(304, b"")
        return Reply(200, body, {"ETag": '"f1"', "Content-Type": "application/rss+xml"})

    server.routes["/feed.xml"] = feed
    clock = Clock()
    monitor = make_monitor(store, settings, clock)
    urls = monitor.add_feeds([FeedSource(server.url("/feed.xml"), "rss", "test")])
    report = monitor.run_once(urls)
    assert report.items.stored == 3 and report.feeds["ok"] == 1 and report.new_items == 3
    titles = {store.get(i).article.title for i in report.items.article_ids}
    assert "Легкий троннинг" in titles
    # Not due yet: nothing is requested at all.
    assert monitor.run_once(urls).feeds == {}
    assert server.hits("/feed.xml") == 1
    clock.now += 100  # past the 60 s interval and its jitter
    second = monitor.run_once(urls)
    assert second.feeds["not_modified"] == 1 and second.items.processed == 0
    assert server.requests("/feed.xml")[1].headers["if-none-match"] == '"f1"'
    for name in ("kommersant", "interfax", "tass"):
        assert server.hits(f"/news/{name}") == 1
    row = store.connection.execute("SELECT interval_seconds FROM monitor_feeds").fetchone()
    assert row[0] > 60  # unchanged feed: polled less often


def test_full_text_feeds_skip_the_page_fetch(server, settings, store, make_rss):
    paragraph = "Правительство России утвердило новый порядок субсидирования региональных авиаперевозок."
    server.routes["/full.rss"] = Reply(
        200,
        make_rss(
            [
                {
                    "title": "Субсидии на авиаперевозки",
                    "link": server.url("/a/1"),
                    "full": f"{paragraph}\nВторой абзац текста.",
                },
                {
                    "title": "Турбо-статья",
                    "link": server.url("/a/2"),
                    "turbo": "<header><h1>x</h1></header><p>Первый абзац турбо-страницы.</p><p>Второй абзац.</p>",
                },
            ]
        ),
    )
    monitor = make_monitor(store, settings)
    report = monitor.run_once(monitor.add_feeds([FeedSource(server.url("/full.rss"), "rss")]))
    assert report.items.stored == 2
    assert server.hits("/a/1") == 0 and server.hits("/a/2") == 0
    first = store.get(server.url("/a/1")).article
    assert [b.text for b in first.blocks] == [paragraph, "Второй абзац текста."]
    assert first.extractor_version == "dragoman-feed/1"
    assert [b.text for b in store.get(server.url("/a/2")).article.blocks] == [
        "Первый абзац турбо-страницы.",
        "Второй абзац.",
    ]


def test_windows_1251_feed_and_broken_feed(server, settings, store, make_rss):
    server.routes["/cp1251.xml"] = Reply(
        200,
        make_rss(
            [{"title": "Новости дня", "link": server.url("/n/1"), "full": "Текст новости в кодировке windows-1251."}],
            encoding="windows-1251",
        ),
        {"Content-Type": "application/rss+xml"},
    )
    server.routes["/broken.xml"] = Reply(200, b"<?xml version='1.0'?><rss><channel><item><title>x</ti")
    monitor = make_monitor(store, settings)
    report = monitor.run_once(
        monitor.add_feeds([FeedSource(server.url("/cp1251.xml"), "rss"), FeedSource(server.url("/broken.xml"), "rss")])
    )
    assert report.items.stored == 1
    assert store.get(server.url("/n/1")).article.title == "Новости дня"
    assert report.feeds["bad_feed"] == 1 and report.items.failed["bad_feed"] == 1
    failures = store.connection.execute(
        "SELECT failures, last_status FROM monitor_feeds WHERE url = ?", (server.url("/broken.xml"),)
    ).fetchone()
    assert tuple(failures) == (1, "bad_feed")


def test_refusals_recorded_unavailable_and_never_retried(server, settings, store, real_pages, make_rss):
    server.routes["/robots.txt"] = Reply(200, b"User-agent: *\nDisallow: /private/\n", {"Content-Type": "text/plain"})
    server.routes["/forbidden"] = Reply(403, b"Forbidden")
    server.routes["/challenge"] = Reply(200, b"<html><title>DDoS-Guard</title><body>ddos-guard check</body></html>")
    items = [
        {"title": t, "link": server.url(p)}
        for t, p in (("a", "/forbidden"), ("b", "/challenge"), ("c", "/private/page"), ("d", "/loop1"), ("e", "/gone"))
    ]
    server.routes["/loop1"] = Reply(302, b"", {"Location": "/loop2"})
    server.routes["/loop2"] = Reply(302, b"", {"Location": "/loop1"})
    server.routes["/feed.xml"] = Reply(200, make_rss(items))
    clock = Clock()
    monitor = make_monitor(store, settings, clock, min_interval=1.0)
    urls = monitor.add_feeds([FeedSource(server.url("/feed.xml"), "rss")])
    report = monitor.run_once(urls)
    states = dict(store.connection.execute("SELECT url, state || ':' || reason FROM monitor_items").fetchall())
    assert states == {
        server.url("/forbidden"): "unavailable:http_403",
        server.url("/challenge"): "unavailable:anti_bot",
        server.url("/private/page"): "unavailable:robots_disallowed",
        server.url("/loop1"): "failed:redirect_loop",
        server.url("/gone"): "failed:http_404",
    }
    assert report.items.stored == 0 and report.items.total_failed == 5
    unavailable = {r[0] for r in store.connection.execute("SELECT url FROM monitor_unavailable")}
    assert unavailable == {server.url(p) for p in ("/forbidden", "/challenge", "/private/page")}
    clock.now += 10_000
    monitor.run_once(urls)
    assert server.hits("/forbidden") == 1 and server.hits("/challenge") == 1 and server.hits("/private/page") == 0
    # What `dragoman feeds` shows: the feed's health, items by state, and why they failed, per reason.
    status = CrawlState(store, clock=clock).status()
    (feed,) = status["feeds"]
    assert (feed["url"], feed["last_status"], feed["failures"], feed["items_seen"]) == (urls[0], "unchanged", 0, 5)
    assert feed["polled_seconds_ago"] == 0 and feed["next_poll_in_seconds"] > 0
    assert status["items"] == {"unavailable": 3, "failed": 2}
    assert {(r["state"], r["reason"], r["items"]) for r in status["reasons"]} == {
        ("unavailable", "http_403", 1),
        ("unavailable", "anti_bot", 1),
        ("unavailable", "robots_disallowed", 1),
        ("failed", "redirect_loop", 1),
        ("failed", "http_404", 1),
    }
    assert status["unavailable_hosts"] == [{"host": "127.0.0.1", "urls": 3}]


def test_transient_failure_retried_later_with_backoff(server, settings, store, real_pages, make_rss):
    calls = {"n": 0}

    def flaky(_seen):
        calls["n"] += 1
        return Reply(200, real_pages["interfax"]) if calls["n"] > 2 else Reply(500, b"oops")

    server.routes["/flaky"] = flaky
    server.routes["/feed.xml"] = Reply(200, make_rss([{"title": "x", "link": server.url("/flaky")}]))
    clock = Clock()
    monitor = make_monitor(store, settings, clock)
    urls = monitor.add_feeds([FeedSource(server.url("/feed.xml"), "rss")])
    report = monitor.run_once(urls)
    assert report.retrying == 1 and report.items.stored == 0
    assert monitor.run_once(urls).items.processed == 0  # not before its retry time
    clock.now += 3600
    assert monitor.run_once(urls).items.stored == 1
    assert server.hits("/flaky") == 3  # 2 tries (Fetcher retries once) + the later successful one


def test_feed_429_retry_after_and_301_remembered_across_restarts(server, settings, store, make_rss):
    server.routes["/busy.xml"] = Reply(429, b"", {"Retry-After": "7200"})
    server.routes["/moved.xml"] = Reply(301, b"", {"Location": "/new.xml"})
    server.routes["/new.xml"] = Reply(200, make_rss([]), {"Last-Modified": http_date(time.time() - 100)})
    clock = Clock()
    monitor = make_monitor(store, settings, clock)
    urls = monitor.add_feeds([FeedSource(server.url("/busy.xml"), "rss"), FeedSource(server.url("/moved.xml"), "rss")])
    monitor.run_once(urls)
    next_poll = store.connection.execute(
        "SELECT next_poll_at FROM monitor_feeds WHERE url = ?", (server.url("/busy.xml"),)
    ).fetchone()[0]
    assert next_poll >= clock.now + 7200
    assert server.hits("/busy.xml") == 1
    # A new monitor (a restart) goes straight to the new address.
    clock.now += 100_000
    again = make_monitor(store, settings, clock)
    again.run_once(urls)
    assert server.hits("/moved.xml") == 1 and server.hits("/new.xml") == 2
    sent = server.requests("/new.xml")[1].headers
    assert "if-modified-since" in sent


def test_edited_article_becomes_a_revision_with_a_diff(server, settings, store, real_pages, make_rss):
    page = real_pages["interfax"].decode("utf-8")
    server.routes["/story"] = Reply(200, page.encode())
    server.routes["/feed.xml"] = Reply(200, make_rss([{"title": "x", "link": server.url("/story")}]))
    monitor = make_monitor(store, settings)
    monitor.run_once(monitor.add_feeds([FeedSource(server.url("/feed.xml"), "rss")]))
    edited = page.replace(
        "Израиль приостановил процедуру экстрадиции граждан", "Израиль возобновил процедуру экстрадиции граждан"
    )
    assert edited != page
    server.routes["/story"] = Reply(200, edited.encode())
    with Fetcher(settings) as fetcher:
        from dragoman.pipeline.ingest import ingest

        result = ingest([server.url("/story")], store, settings, fetcher=fetcher)
    assert result.revised == 1
    diff = diff_revisions(store, result.article_ids[0])
    assert diff.changed and diff.old_revision == 1 and diff.new_revision == 2
    assert any("возобновил" in line for line in diff.title_diff)


def test_next_wakeup_ignores_other_feeds_items(settings, store):
    from dragoman.acquire.feeds import FeedItem

    clock = Clock()
    monitor = make_monitor(store, settings, clock)
    urls = monitor.add_feeds([FeedSource("http://127.0.0.1:9/feed.xml", "rss")])
    store.connection.execute("UPDATE monitor_feeds SET next_poll_at = ?", (clock.now + 500,))
    # A backfill left an item pending for its sitemap: `watch` on the feed must not wake up for it.
    monitor.state.enqueue([FeedItem(url="http://127.0.0.1:9/old")], source="http://127.0.0.1:9/sitemap.xml")
    assert monitor.state.next_wakeup(urls) == clock.now + 500
    assert monitor.state.next_wakeup() <= clock.now
