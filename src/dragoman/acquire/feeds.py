"""RSS and Atom feeds: the list of article links an outlet publishes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from lxml import etree

from dragoman.errors import ExtractError


@dataclass(slots=True)
class FeedItem:
    url: str
    title: str = ""
    published_at: datetime | None = None
    full_text: str | None = None  # yandex:full-text and friends, when the feed carries the article


_FULL_TEXT_TAGS = ("full-text", "content", "encoded")


def parse_feed(body: bytes, *, source: str = "") -> list[FeedItem]:
    """Items of an RSS 2.0 or Atom feed, in feed order. Raises ExtractError for broken XML."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise ExtractError(f"feed is not valid XML: {exc}", reason="bad_feed", source=source) from exc
    items: list[FeedItem] = []
    for node in root.iter("{*}item", "{*}entry"):
        link = _child_text(node, "link")
        if not link:
            for el in node.iterfind("{*}link"):
                if el.get("rel", "alternate") == "alternate" and el.get("href"):
                    link = el.get("href", "")
                    break
        if not link:
            continue
        published = _child_text(node, "pubDate") or _child_text(node, "published") or _child_text(node, "updated")
        full_text = None
        for el in node:
            local = etree.QName(el).localname if isinstance(el.tag, str) else ""
            if local in _FULL_TEXT_TAGS and (el.text or "").strip():
                full_text = el.text
        items.append(
            FeedItem(
                url=link.strip(),
                title=(_child_text(node, "title") or "").strip(),
                published_at=_parse_date(published),
                full_text=full_text,
            )
        )
    return items


def _child_text(node: etree._Element, name: str) -> str | None:
    el = node.find("{*}" + name)
    if el is None:
        el = node.find(name)
    return el.text if el is not None and el.text else None


def _parse_date(value: str | None) -> datetime | None:
    """An RFC 822 or ISO 8601 time with a zone (UTC when none is given); None when it is not a usable time.

    Feeds are written by anyone: a zone offset too large for a C int (``+99999999999999999999``) overflows the
    email parser, and a time at the edge of the calendar (``0001-01-01T00:00:00+01:00``) parses but cannot be
    moved to UTC, which the monitor and the store do with every date. Both are treated as no date at all.
    """
    if not value:
        return None
    value = value.strip()
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        parsed.astimezone(UTC)
    except OverflowError:
        return None
    return parsed
