"""The one HTTP client against a real 127.0.0.1 server: safety checks, politeness, retries, redirects."""

from __future__ import annotations

import gzip
import time
from dataclasses import replace

import pytest

from dragoman.acquire.http import Fetcher, backoff_delay, looks_like_anti_bot, parse_retry_after
from dragoman.article import RawPage
from dragoman.errors import FetchError, RobotsDisallowed

from .conftest import Reply


def fetcher_for(settings, **kwargs) -> Fetcher:
    kwargs.setdefault("retry_base", 0.01)
    return Fetcher(settings, **kwargs)


def test_private_address_refused_without_allow_private(server, settings):
    server.routes["/a"] = Reply(200, b"<html>x</html>")
    with fetcher_for(replace(settings, allow_private=False)) as fetcher, pytest.raises(FetchError) as info:
        fetcher.fetch(server.url("/a"))
    assert info.value.reason == "private_address"
    assert server.log == []  # refused before any request, robots.txt included


def test_size_cap_and_gzip_bomb(server, settings):
    small = replace(settings, max_bytes=100_000)
    server.routes["/big"] = Reply(200, b"x" * 200_000)
    bomb = gzip.compress(b"\0" * 20_000_000)  # ~20 KB on the wire, 20 MB decoded
    server.routes["/bomb"] = Reply(200, bomb, {"Content-Encoding": "gzip"})
    with fetcher_for(small) as fetcher:
        for path in ("/big", "/bomb"):
            with pytest.raises(FetchError) as info:
                fetcher.fetch(server.url(path))
            assert info.value.reason == "too_large", path
    assert len(bomb) < 100_000


def test_redirect_loop_and_permanent_redirect_remembered(server, settings):
    server.routes["/a"] = Reply(302, b"", {"Location": "/b"})
    server.routes["/b"] = Reply(302, b"", {"Location": "/a"})
    server.routes["/old"] = Reply(301, b"", {"Location": "/new"})
    server.routes["/new"] = Reply(200, b"<html>new</html>")
    with fetcher_for(settings) as fetcher:
        with pytest.raises(FetchError) as info:
            fetcher.fetch(server.url("/a"))
        assert info.value.reason == "redirect_loop"
        assert fetcher.fetch(server.url("/old")).body == b"<html>new</html>"
        assert fetcher.fetch(server.url("/old")).body == b"<html>new</html>"
        assert fetcher.permanent_redirects == {server.url("/old"): server.url("/new")}
    assert server.hits("/old") == 1 and server.hits("/new") == 2


def test_robots_disallow_cached_and_crawl_delay_honoured(server, settings):
    server.routes["/robots.txt"] = Reply(
        200, b"User-agent: *\nDisallow: /private\nCrawl-delay: 1\n", {"Content-Type": "text/plain"}
    )
    server.routes["/p1"] = Reply(200, b"<html>1</html>")
    server.routes["/p2"] = Reply(200, b"<html>2</html>")
    with fetcher_for(settings) as fetcher:
        with pytest.raises(RobotsDisallowed):
            fetcher.fetch(server.url("/private/x"))
        fetcher.fetch(server.url("/p1"))
        fetcher.fetch(server.url("/p2"))
    assert server.hits("/robots.txt") == 1
    assert server.hits("/private/x") == 0
    first, second = server.requests("/p1")[0].at, server.requests("/p2")[0].at
    assert second - first >= 0.95  # host_delay is 0, the site's Crawl-delay wins


def test_user_agent_names_contact_url(server, settings):
    server.routes["/a"] = Reply(200, b"<html>x</html>")
    with fetcher_for(replace(settings, contact_url="https://example.org/contact")) as fetcher:
        fetcher.fetch(server.url("/a"))
    agent = server.requests("/a")[0].headers["user-agent"]
    assert agent.startswith("dragoman/") and "https://example.org/contact" in agent


def test_retries_5xx_then_succeeds_and_gives_up(server, settings):
    calls = {"n": 0}

    def flaky(_seen):
        calls["n"] += 1
        return Reply(200, b"<html>ok</html>") if calls["n"] >= 3 else Reply(503, b"busy")

    server.routes["/flaky"] = flaky
    server.routes["/down"] = Reply(500, b"down")
    with fetcher_for(settings, retries=2) as fetcher:
        assert fetcher.fetch(server.url("/flaky")).body == b"<html>ok</html>"
        with pytest.raises(FetchError) as info:
            fetcher.fetch(server.url("/down"))
    assert info.value.reason == "http_500"
    assert server.hits("/flaky") == 3 and server.hits("/down") == 3


def test_retry_after_honoured_on_429(server, settings):
    calls = {"n": 0}

    def limited(_seen):
        calls["n"] += 1
        return Reply(200, b"<html>ok</html>") if calls["n"] > 1 else Reply(429, b"slow down", {"Retry-After": "1"})

    server.routes["/limited"] = limited
    server.routes["/later"] = Reply(429, b"", {"Retry-After": "3600"})
    with fetcher_for(settings) as fetcher:
        fetcher.fetch(server.url("/limited"))
        first, second = (s.at for s in server.requests("/limited"))
        assert second - first >= 0.95
        with pytest.raises(FetchError) as info:
            fetcher.fetch(server.url("/later"))
    assert info.value.reason == "http_429"
    assert info.value.retry_after == 3600  # handed to the caller, not slept through
    assert server.hits("/later") == 1


def test_slow_server_times_out_after_retries(server, settings):
    server.routes["/slow"] = Reply(200, b"late", delay=1.5)
    started = time.monotonic()
    with fetcher_for(replace(settings, read_timeout=0.3), retries=1) as fetcher, pytest.raises(FetchError) as info:
        fetcher.fetch(server.url("/slow"))
    assert info.value.reason == "timeout"
    assert server.hits("/slow") == 2
    assert time.monotonic() - started < 3


def test_403_and_anti_bot_page_are_reported_not_evaded(server, settings):
    server.routes["/forbidden"] = Reply(403, b"no")
    challenge = b"<html><head><title>Just a moment...</title></head><body>cf-chl-widget</body></html>"
    server.routes["/challenge"] = Reply(200, challenge)
    with fetcher_for(settings) as fetcher:
        for path, reason in (("/forbidden", "http_403"), ("/challenge", "anti_bot")):
            with pytest.raises(FetchError) as info:
                fetcher.fetch(server.url(path))
            assert info.value.reason == reason
    assert server.hits("/forbidden") == 1 and server.hits("/challenge") == 1


def test_conditional_get_returns_304(server, settings):
    def feed(seen):
        if seen.headers.get("if-none-match") == '"v1"':
            return Reply(304, b"")
        return Reply(200, b"<rss/>", {"ETag": '"v1"'})

    server.routes["/feed"] = feed
    with fetcher_for(settings) as fetcher:
        assert fetcher.fetch(server.url("/feed")).headers["etag"] == '"v1"'
        assert fetcher.fetch(server.url("/feed"), headers={"If-None-Match": '"v1"'}).status == 304


def test_helpers():
    assert parse_retry_after("120") == 120
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480 - 60) == 60
    assert parse_retry_after("soon") is None
    delays = [backoff_delay(3, 1.0) for _ in range(50)]
    assert all(4.0 <= d <= 8.0 for d in delays) and len(set(delays)) > 1  # jittered
    article = RawPage(url="u", body=b"<html>" + b"captcha " * 20_000 + b"</html>", content_type="text/html")
    assert not looks_like_anti_bot(article)  # a long page that mentions captchas is not a challenge
