"""Atom feeds (RFC 4287), built with the standard library's ElementTree.

Entry ids are ``urn:uuid:`` names derived (UUID 5) from what the entry is about: an article's key URL, a
story's first article's key URL, a watch and an article; never from database row ids, so the same entry has the
same id in a rebuilt or copied database and a feed reader does not show it twice. ``updated`` is the last
time the entry's content changed (an article's last revision, a story's newest member); the feed's is the
newest entry's. The ETag is a hash of the feed's bytes, so an unchanged feed answers 304.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM_TYPE = "application/atom+xml"
# Not a registered namespace of ours: only a fixed seed, so that the ids are the same on every installation.
ID_NAMESPACE = uuid.UUID("8f6d1c3e-5a0b-5b7e-9c1d-2e4f6a8b0c13")
_XML_INVALID = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32), 0xFFFE, 0xFFFF])

ET.register_namespace("", ATOM_NS)


def entry_id(*parts: str) -> str:
    """A stable IRI for an entry made of ``parts`` (e.g. "article", key URL)."""
    return "urn:uuid:" + str(uuid.uuid5(ID_NAMESPACE, "\x1f".join(parts)))


def rfc3339(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _clean(text: str | None) -> str:
    """Scraped text may hold control characters XML 1.0 cannot carry: they go."""
    return (text or "").translate(_XML_INVALID)


@dataclass(slots=True)
class AtomEntry:
    id: str
    title: str
    updated: datetime
    link: str  # the original article (rel=alternate)
    published: datetime | None = None
    summary: str | None = None
    author: str | None = None  # the outlet
    reader_link: str | None = None  # the article in dragoman (rel=related)
    categories: list[str] = field(default_factory=list)
    title_lang: str = "en"


@dataclass(slots=True)
class AtomFeed:
    id: str
    title: str
    self_url: str  # rel=self: the feed's own address
    alternate_url: str  # rel=alternate: the page the feed mirrors
    entries: Sequence[AtomEntry]
    subtitle: str | None = None
    generator_version: str = ""
    updated_when_empty: datetime = field(default_factory=lambda: datetime(2000, 1, 1, tzinfo=UTC))

    @property
    def updated(self) -> datetime:
        return max((e.updated for e in self.entries), default=self.updated_when_empty)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
    if text is not None:
        element.text = _clean(text)
    return element


def build_feed(feed: AtomFeed) -> bytes:
    """The feed as UTF-8 XML with the elements RFC 4287 requires (feed: id, title, updated, author or one per
    entry; entry: id, title, updated, link) and the optional ones we have."""
    root = ET.Element(f"{{{ATOM_NS}}}feed")
    _sub(root, "id", feed.id)
    _sub(root, "title", feed.title)
    if feed.subtitle:
        _sub(root, "subtitle", feed.subtitle)
    _sub(root, "updated", rfc3339(feed.updated))
    author = _sub(root, "author")
    _sub(author, "name", "dragoman")
    _sub(root, "link", rel="self", type=ATOM_TYPE, href=feed.self_url)
    _sub(root, "link", rel="alternate", type="text/html", href=feed.alternate_url)
    _sub(root, "generator", "dragoman", version=feed.generator_version)
    for item in feed.entries:
        entry = _sub(root, "entry")
        _sub(entry, "id", item.id)
        title = _sub(entry, "title", item.title, type="text")
        if item.title_lang != "en":
            title.set("{http://www.w3.org/XML/1998/namespace}lang", item.title_lang)
        _sub(entry, "updated", rfc3339(item.updated))
        if item.published is not None:
            _sub(entry, "published", rfc3339(item.published))
        _sub(entry, "link", rel="alternate", type="text/html", href=item.link)
        if item.reader_link:
            _sub(entry, "link", rel="related", type="text/html", href=item.reader_link)
        if item.author:
            entry_author = _sub(entry, "author")
            _sub(entry_author, "name", item.author)
        for category in item.categories:
            _sub(entry, "category", term=_clean(category))
        if item.summary:
            _sub(entry, "summary", item.summary, type="text")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8", xml_declaration=False)


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an If-None-Match header names ``etag`` (a list, weak forms and * included, RFC 9110 13.1.2)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in if_none_match.split(","))
