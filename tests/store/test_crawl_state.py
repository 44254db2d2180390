"""The crawl-state repository (``store.crawl``) on both backends: feeds, announced items, retries, refusals."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from store_articles import article

from dragoman.store import open_store
from dragoman.store.crawl import IN_CHUNK, CrawlState


@dataclass
class Item:
    url: str
    title: str = ""
    published_at: datetime | None = None
    full_text: str | None = None


@dataclass
class Feed:
    url: str
    outlet: str | None = "iz.ru"
    kind: str = "rss"


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_the_store_offers_its_crawl_state(store: Any) -> None:
    assert isinstance(store.crawl, CrawlState) and store.crawl is store.crawl


def test_a_poll_records_new_items_once_and_keeps_the_validators(store: Any) -> None:
    clock = Clock()
    crawl = CrawlState(store, clock=clock)
    crawl.add_feed(Feed("https://iz.ru/rss"), 900.0)
    crawl.add_feed(Feed("https://tass.ru/rss", outlet="tass.ru"), 900.0)
    (feed,) = crawl.due_feeds(["https://iz.ru/rss"])
    assert (feed.url, feed.outlet, feed.kind, feed.interval, feed.failures) == (
        "https://iz.ru/rss",
        "iz.ru",
        "rss",
        900,
        0,
    )

    published = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
    items = [Item("https://iz.ru/1", "Один", published, "полный текст"), Item("https://iz.ru/2", "Два")]
    new = crawl.record_poll(
        feed, status="ok", interval=900.0, next_poll_at=clock.now + 900, etag='"v1"', last_modified="Fri", items=items
    )
    assert new == 2
    # The same items again (and one new): only the new one counts; no etag given keeps the stored one.
    again = crawl.record_poll(
        feed,
        status="unchanged",
        interval=1350.0,
        next_poll_at=clock.now + 1350,
        items=[*items, Item("https://iz.ru/3")],
    )
    assert again == 1
    assert crawl.due_feeds(["https://iz.ru/rss"]) == []  # polled: not due before next_poll_at
    clock.now += 2000
    (feed,) = crawl.due_feeds(["https://iz.ru/rss"])
    assert (feed.etag, feed.last_modified, feed.interval) == ('"v1"', "Fri", 1350.0)

    pending = crawl.pending_items(10)
    assert [i.url for i in pending] == ["https://iz.ru/1", "https://iz.ru/2", "https://iz.ru/3"]
    first = pending[0]
    assert (first.feed_url, first.outlet, first.title, first.full_text, first.attempts) == (
        "https://iz.ru/rss",
        "iz.ru",
        "Один",
        "полный текст",
        0,
    )
    assert datetime.fromisoformat(first.published_at) == published
    assert crawl.pending_items(10, ["https://tass.ru/rss"]) == []
    assert [f["items_seen"] for f in crawl.status()["feeds"] if f["url"] == "https://iz.ru/rss"] == [3]


def test_failures_count_up_and_reset_on_success(store: Any) -> None:
    clock = Clock()
    crawl = CrawlState(store, clock=clock)
    crawl.add_feed(Feed("https://iz.ru/rss"), 900.0)
    (feed,) = crawl.due_feeds()
    crawl.record_poll(feed, status="http_503", interval=900.0, next_poll_at=clock.now, failed=True)
    (feed,) = crawl.due_feeds()
    crawl.record_poll(feed, status="timeout", interval=900.0, next_poll_at=clock.now, failed=True)
    (feed,) = crawl.due_feeds()
    assert feed.failures == 2
    crawl.record_poll(feed, status="ok", interval=900.0, next_poll_at=clock.now)
    (feed,) = crawl.due_feeds()
    assert feed.failures == 0
    assert crawl.status()["feeds"][0]["last_status"] == "ok"


def test_items_finish_retry_and_report_their_states(store: Any) -> None:
    clock = Clock()
    crawl = CrawlState(store, clock=clock)
    urls = [f"https://iz.ru/{n}" for n in range(5)]
    assert crawl.enqueue([Item(u) for u in urls], source="https://iz.ru/sitemap.xml", outlet="iz.ru") == 5
    assert crawl.enqueue([Item(urls[0])], source="https://iz.ru/sitemap.xml") == 0
    crawl.finish_item(urls[0], "done", article_id=None)
    crawl.finish_item(urls[1], "failed", reason="http_404")
    crawl.finish_item(urls[2], "unavailable", reason="http_403")
    crawl.record_unavailable(urls[2], "http_403")
    crawl.record_unavailable(urls[2], "anti_bot")  # the same URL again: still one refused URL
    crawl.retry_item(urls[3], reason="timeout", not_before=clock.now + 600)
    assert crawl.counts() == {"done": 1, "failed": 1, "unavailable": 1, "pending": 2}
    # The retried item waits out its backoff; the other pending one is due now.
    assert [i.url for i in crawl.pending_items(10)] == [urls[4]]
    assert crawl.next_wakeup() == 0.0  # the item announced without a backoff has been due all along
    crawl.finish_item(urls[4], "skipped", reason="not_russian")
    assert crawl.next_wakeup() == clock.now + 600
    assert crawl.next_wakeup(["https://elsewhere.example/rss"]) is None
    clock.now += 601
    (retry,) = crawl.pending_items(10)
    assert (retry.url, retry.attempts) == (urls[3], 1)

    status = crawl.status()
    assert status["items"] == {"done": 1, "failed": 1, "unavailable": 1, "pending": 1, "skipped": 1}
    reasons = {(r["state"], r["reason"]): r["items"] for r in status["reasons"]}
    assert reasons == {
        ("failed", "http_404"): 1,
        ("unavailable", "http_403"): 1,
        ("skipped", "not_russian"): 1,
        ("pending", "timeout"): 1,
    }
    assert status["unavailable_hosts"] == [{"host": "iz.ru", "urls": 1}]


def test_known_urls_are_asked_in_chunks(store: Any) -> None:
    crawl = store.crawl
    urls = [f"https://iz.ru/news/{n}" for n in range(IN_CHUNK * 2 + 7)]
    assert crawl.enqueue([Item(u) for u in urls[::2]], source="test") == len(urls[::2])
    assert crawl.known_urls(urls) == set(urls[::2])
    assert crawl.known_urls([]) == set()


def test_an_article_already_stored_is_found_by_key_or_fetched_url(store: Any) -> None:
    stored = article(1)
    stored.canonical_url = "https://iz.ru/news/canonical-1"
    result = store.ingest(stored)
    assert store.crawl.stored_article_id("https://iz.ru/news/canonical-1") == result.article_id
    assert store.crawl.stored_article_id("https://iz.ru/news/1") == result.article_id  # as fetched
    assert store.crawl.stored_article_id("https://iz.ru/news/2") is None


def test_redirects_are_saved_and_updated(store: Any) -> None:
    crawl = store.crawl
    crawl.save_redirects({"http://a.example/rss": "https://a.example/rss"})
    crawl.save_redirects({"http://a.example/rss": "https://a.example/feed", "http://b.example/": "https://b.example/"})
    assert crawl.redirects() == {
        "http://a.example/rss": "https://a.example/feed",
        "http://b.example/": "https://b.example/",
    }


def test_ingest_warc_records_crawl_state_and_stories_on_both_backends(store_url: str, data_dir: Path, tmp_path) -> None:
    """`dragoman ingest-warc` (the monitor's intake: store, stories, alerts, crawl state) on either database."""
    import io

    from click.testing import CliRunner
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    from dragoman.cli import main

    page = (data_dir / "tgcontest_ru/test/data/example1.html").read_bytes()
    warc = tmp_path / "news.warc.gz"
    with warc.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for url in ("https://www.interfax.ru/world/682606", "https://mirror.example/world/682606"):
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            record = writer.create_warc_record(url, "response", payload=io.BytesIO(page), http_headers=headers)
            writer.write_record(record)
            record.raw_stream.close()
    command = ["--db", store_url, "ingest-warc", str(warc), "--json", "--no-print-alerts"]
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["stored"] == 2
    with open_store(store_url) as store:
        assert store.crawl.counts() == {"done": 2}  # neither URL is fetched by the monitor again
        first, mirror = list(store.iter_articles())
        assert store.crawl.stored_article_id("https://mirror.example/world/682606") == mirror.id
        story = store.stories.story_of(mirror.id)  # the same text under another URL: one story
        assert story is not None and story["article_count"] == 2 and story["first_article_id"] == first.id
        assert [m["kind"] for m in story["members"]] == ["first", "exact_hash"]
