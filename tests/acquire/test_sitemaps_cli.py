"""Sitemaps and the monitoring commands as a user runs them: watch --once, backfill, revisions, sources file."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from dragoman.acquire.sitemaps import parse_sitemap
from dragoman.acquire.sources import load_sources, polled_feeds
from dragoman.cli import main
from dragoman.errors import ConfigError, ExtractError
from dragoman.store import SQLiteStore

from .conftest import Reply

NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"'


def news_sitemap(entries):
    urls = "".join(
        f"<url><loc>{loc}</loc><news:news><news:publication><news:name>T</news:name><news:language>ru</news:language>"
        f"</news:publication><news:publication_date>{date}</news:publication_date><news:title>{title}</news:title>"
        f"</news:news></url>"
        for loc, date, title in entries
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset {NS}>{urls}</urlset>'.encode()


def test_parse_news_sitemap_and_reject_junk():
    sitemap = parse_sitemap(news_sitemap([("https://tass.ru/1", "2024-03-01T10:00:00+03:00", "Заголовок")]))
    (entry,) = sitemap.entries
    assert entry.title == "Заголовок" and entry.published_at == datetime(2024, 3, 1, 7, tzinfo=UTC)
    with pytest.raises(ExtractError):
        parse_sitemap(b"<html><body>not a sitemap</body></html>")


def test_default_sources_cover_the_outlets_analysts_follow(tmp_path):
    """Issue 16: every outlet the issue names has its feed, and each is an outlet of the outlet table."""
    from dragoman.names.outlets import outlet_by_key

    outlets = load_sources()
    # fmt: off
    assert {o.key for o in outlets} == {
        "iz.ru", "ria.ru", "tass.ru", "kommersant.ru", "lenta.ru", "rbc.ru", "rg.ru", "interfax.ru",
        "vedomosti.ru", "gazeta.ru", "rt.com", "meduza.io", "novayagazeta.ru", "mk.ru", "aif.ru", "fontanka.ru",
    }
    # fmt: on
    assert all(outlet_by_key(o.key) is not None and o.feeds for o in outlets)
    assert "https://rssexport.rbc.ru/rbcnews/news/30/full.rss" in {f.url for f in polled_feeds(outlets)}
    bad = tmp_path / "bad.toml"
    bad.write_text('[[outlet]]\nkey = "x.ru"\nrss = ["ftp://x.ru/feed"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="not an http"):
        load_sources(bad)


def test_backfill_follows_index_and_since(server, tmp_path, real_pages):
    for name in ("kommersant", "tass", "interfax"):
        server.routes[f"/a/{name}"] = Reply(200, real_pages[name])
    server.routes["/sitemap_index.xml"] = Reply(
        200,
        (
            f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{server.url('/recent.xml.gz')}</loc><lastmod>2024-05-02</lastmod></sitemap>"
            f"<sitemap><loc>{server.url('/old.xml')}</loc><lastmod>2019-01-01</lastmod></sitemap>"
            f"</sitemapindex>"
        ).encode(),
    )
    server.routes["/recent.xml.gz"] = Reply(
        200,
        gzip.compress(
            news_sitemap(
                [
                    (server.url("/a/kommersant"), "2024-05-01T12:00:00+03:00", "Один"),
                    (server.url("/a/tass"), "2024-04-30T12:00:00+03:00", "Два"),
                    (server.url("/a/interfax"), "2023-01-01T12:00:00+03:00", "Старое"),
                ]
            )
        ),
        {"Content-Type": "application/x-gzip"},
    )
    server.routes["/old.xml"] = Reply(200, b"never fetched")
    db = tmp_path / "b.db"
    args = [
        "--db",
        str(db),
        "--allow-private",
        "--host-delay",
        "0",
        "backfill",
        "--sitemap",
        server.url("/sitemap_index.xml"),
        "--since",
        "2024-01-01",
        "--json",
        "--no-print-alerts",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["stored"] == 2
    assert server.hits("/old.xml") == 0 and server.hits("/a/interfax") == 0
    rerun = CliRunner().invoke(main, args)
    assert json.loads(rerun.stdout)["stored"] == 0
    assert server.hits("/a/kommersant") == 1  # already done: not fetched again


def test_watch_once_with_alerts_and_revisions_command(server, tmp_path, real_pages, make_rss):
    server.routes["/p/1"] = Reply(200, real_pages["interfax"])
    server.routes["/feed.xml"] = Reply(200, make_rss([{"title": "x", "link": server.url("/p/1")}]))
    db = tmp_path / "w.db"
    jsonl = tmp_path / "alerts.jsonl"
    runner = CliRunner()
    assert runner.invoke(main, ["--db", str(db), "watchlist", "add", "term", "экстрадиция"]).exit_code == 0
    base = ["--db", str(db), "--allow-private", "--host-delay", "0"]
    result = runner.invoke(
        main, [*base, "watch", "--once", "--feed", server.url("/feed.xml"), "--alert-jsonl", str(jsonl)]
    )
    assert result.exit_code == 0, result.output
    assert "ALERT [term экстрадиция]" in result.stdout
    (alert,) = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    assert alert["title"].startswith("Израиль приостановил")
    again = runner.invoke(main, [*base, "watch", "--once", "--feed", server.url("/feed.xml")])
    assert again.exit_code == 0 and "nothing due" in again.output and "ALERT" not in again.output
    assert server.hits("/feed.xml") == 1
    health = json.loads(runner.invoke(main, ["--db", str(db), "feeds", "--json"]).stdout)
    assert [(f["url"], f["last_status"], f["items_seen"]) for f in health["feeds"]] == [
        (server.url("/feed.xml"), "ok", 1)
    ]
    assert health["items"] == {"done": 1} and health["reasons"] == []
    table = runner.invoke(main, ["--db", str(db), "feeds"])
    assert table.exit_code == 0 and "1 done" in table.stdout and "ok" in table.stdout
    listed = runner.invoke(main, ["--db", str(db), "alerts"])
    assert "Израиль приостановил" in listed.stdout
    # The outlet edits the article; the next ingest keeps both versions and the diff shows the change.
    edited = real_pages["interfax"].decode().replace("приостановил процедуру", "возобновил процедуру").encode()
    server.routes["/p/1"] = Reply(200, edited)
    assert runner.invoke(main, [*base, "ingest", server.url("/p/1")]).exit_code == 0
    with SQLiteStore(db) as store:
        # Served from 127.0.0.1, the page may not claim interfax.ru as its canonical: it is kept under its own URL.
        article_id = store.get(server.url("/p/1")).id
    changed = runner.invoke(main, ["--db", str(db), "revisions"])
    assert f"{article_id}\t2 revisions" in changed.stdout
    diff = runner.invoke(main, ["--db", str(db), "revisions", str(article_id), "--diff"])
    assert "- Израиль приостановил" in diff.stdout and "+ Израиль возобновил" in diff.stdout
    story = runner.invoke(main, ["--db", str(db), "story", str(article_id), "--json"])
    assert json.loads(story.stdout)["article_count"] == 1


def test_gzipped_sitemap_bomb_stops_at_the_cap():
    from dragoman.acquire.sitemaps import gunzip_capped
    from dragoman.errors import FetchError

    bomb = gzip.compress(b"<" * 5_000_000)
    with pytest.raises(FetchError) as info:
        gunzip_capped(bomb, 1_000_000, source="bomb.xml.gz")
    assert info.value.reason == "too_large"
    assert gunzip_capped(b"<urlset/>", 10) == b"<urlset/>"  # plain XML passes through
