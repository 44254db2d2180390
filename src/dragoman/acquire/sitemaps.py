"""Sitemaps: ordinary ones and indexes (for history) and Google News sitemaps (for recent articles).

Sitemaps may be gzipped; decompression is bounded by the size cap so a sitemap bomb stops there.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from dragoman.acquire.feeds import _parse_date
from dragoman.acquire.http import Fetcher
from dragoman.errors import DragomanError, ExtractError, FetchError


@dataclass(slots=True)
class SitemapEntry:
    url: str
    lastmod: datetime | None = None
    title: str = ""  # news:title
    published_at: datetime | None = None  # news:publication_date


@dataclass(slots=True)
class Sitemap:
    is_index: bool
    entries: list[SitemapEntry]  # pages, or child sitemaps for an index


def gunzip_capped(body: bytes, max_bytes: int, *, source: str = "") -> bytes:
    """Decompress gzip ``body`` (returned as is when not gzip) without ever holding more than ``max_bytes``."""
    if not body.startswith(b"\x1f\x8b"):
        return body
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = decompressor.decompress(body, max_bytes + 1)
    except zlib.error as exc:
        raise FetchError(f"not a valid gzip file: {exc}", reason="bad_gzip", source=source) from exc
    if len(out) > max_bytes:
        raise FetchError(
            f"sitemap decompresses to more than the {max_bytes:,}-byte cap", reason="too_large", source=source
        )
    return out


def parse_sitemap(body: bytes, *, source: str = "") -> Sitemap:
    """Entries of a sitemap (``<urlset>``) or a sitemap index (``<sitemapindex>``)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise ExtractError(f"sitemap is not valid XML: {exc}", reason="bad_sitemap", source=source) from exc
    local = etree.QName(root).localname
    if local not in ("urlset", "sitemapindex"):
        raise ExtractError(f"not a sitemap (root element <{local}>)", reason="bad_sitemap", source=source)
    is_index = local == "sitemapindex"
    entries: list[SitemapEntry] = []
    for node in root.iterfind("{*}sitemap" if is_index else "{*}url"):
        loc = node.findtext("{*}loc")
        if not loc or not loc.strip():
            continue
        entry = SitemapEntry(url=loc.strip(), lastmod=_parse_date(node.findtext("{*}lastmod")))
        news = node.find("{*}news")
        if news is not None:
            entry.title = (news.findtext("{*}title") or "").strip()
            entry.published_at = _parse_date(news.findtext("{*}publication_date"))
        entries.append(entry)
    return Sitemap(is_index=is_index, entries=entries)


@dataclass(slots=True)
class SitemapProblem:
    url: str
    error: DragomanError


def iter_sitemap(
    fetcher: Fetcher,
    url: str,
    *,
    since: datetime | None = None,
    max_depth: int = 4,
    max_sitemaps: int = 10_000,
) -> Iterator[SitemapEntry | SitemapProblem]:
    """Page entries of ``url``, following indexes depth-first; children older than ``since`` are skipped.

    A child sitemap that fails is yielded as a SitemapProblem; the walk goes on with the others.
    """
    stack: list[tuple[str, int]] = [(url, 0)]
    visited: set[str] = set()
    while stack and len(visited) < max_sitemaps:
        current, depth = stack.pop()
        if current in visited:
            continue
        visited.add(current)
        try:
            page = fetcher.fetch(current)
            sitemap = parse_sitemap(
                gunzip_capped(page.body, fetcher.settings.max_bytes, source=current), source=current
            )
        except DragomanError as exc:
            exc.source = exc.source or current
            yield SitemapProblem(current, exc)
            continue
        if sitemap.is_index:
            if depth >= max_depth:
                yield SitemapProblem(
                    current, ExtractError("sitemap indexes nested too deep", reason="too_deep", source=current)
                )
                continue
            children = [e for e in sitemap.entries if since is None or e.lastmod is None or e.lastmod >= since]
            # Reversed onto the stack so children are walked in the order the index lists them.
            stack.extend((child.url, depth + 1) for child in reversed(children))
            continue
        for entry in sitemap.entries:
            when = entry.published_at or entry.lastmod
            if since is not None and when is not None and when < since:
                continue
            yield entry
