"""Feeds and sitemaps are written by anyone: no entity in them may read a file or expand without bound.

Guards the audit's "XXE held up" finding (issue 13), so a later change of parser options cannot lose it.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from dragoman.acquire.feeds import parse_feed
from dragoman.acquire.sitemaps import parse_sitemap
from dragoman.errors import ExtractError

SECRET = "dragoman-secret-3f9a1c"


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET, encoding="utf-8")
    return path


def _external_entity_feed(target: Path) -> bytes:
    return (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "{target.as_uri()}">]>\n'
        "<rss><channel><item><title>&xxe;</title><link>https://iz.ru/1/&xxe;</link>"
        "<description>&xxe;</description></item></channel></rss>"
    ).encode()


def _billion_laughs(root: str, inner: str) -> bytes:
    entities = '<!ENTITY lol0 "lollollollollollollollollollol">'
    for level in range(1, 10):
        entities += f'<!ENTITY lol{level} "' + f"&lol{level - 1};" * 10 + '">'
    return f'<?xml version="1.0"?>\n<!DOCTYPE {root} [{entities}]>\n{inner}'.encode()


def test_feed_external_entity_never_reads_a_local_file(secret_file: Path) -> None:
    """An RSS item whose title is an external entity pointing at a local file keeps the file unread."""
    try:
        items = parse_feed(_external_entity_feed(secret_file))
    except ExtractError:
        return  # refusing the feed outright is a defence too
    assert all(SECRET not in (item.title + item.url + (item.full_text or "")) for item in items)


def test_sitemap_external_entity_never_reads_a_local_file(secret_file: Path) -> None:
    body = (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE urlset [<!ENTITY xxe SYSTEM "{secret_file.as_uri()}">]>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://iz.ru/&xxe;</loc></url></urlset>'
    ).encode()
    try:
        sitemap = parse_sitemap(body)
    except ExtractError:
        return
    assert all(SECRET not in entry.url for entry in sitemap.entries)


@pytest.mark.parametrize(
    ("parse", "document"),
    [
        (
            parse_feed,
            _billion_laughs(
                "rss", "<rss><channel><item><title>&lol9;</title><link>https://iz.ru/1</link></item></channel></rss>"
            ),
        ),
        (
            parse_sitemap,
            _billion_laughs(
                "urlset",
                '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://iz.ru/&lol9;</loc></url></urlset>',
            ),
        ),
    ],
    ids=["feed", "sitemap"],
)
def test_entity_expansion_bomb_stays_small(parse, document: bytes) -> None:
    """A billion-laughs document (10^9 'lol's if expanded) is refused or parsed without expanding it."""
    started = time.perf_counter()
    try:
        result = parse(document)
    except ExtractError:
        result = None
    assert time.perf_counter() - started < 5
    if result is not None:
        assert len(repr(result)) < 100_000
