"""Render an article as the plain-text document our users know, as Markdown, or as JSON; and read the
plain-text format back (``parse_text_document``) for documents that arrive already translated.

The text format, line by line (see ``shared/examples/izvestia-2022-01-26.txt``)::

    Title
    RUBRIC January 26, 2022, 00:01 MSK (UTC+03:00)
    Title Author One, Author Two
    one line per block (lead, paragraphs, subheadings, quotes, list items)
    Translated from Original Document: Russian To English: <source url>

Unlike the example we fix three mistakes: the rubric comes from the outlet table (Мир -> WORLD, never
PEACE), teasers and subheadings are never run into the body (one block per line), and the time has a zone.
An untranslated article is rendered in Russian with ``Original Document: Russian: <url>`` as its last line.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from dragoman.article import Article, Block, BlockKind
from dragoman.extract.authors import split_authors
from dragoman.names.outlets import english_rubric, lookup_outlet
from dragoman.urls import escape_url

MONTHS = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip
TRANSLATED_PREFIX = "Translated from Original Document: Russian To English: "
ORIGINAL_PREFIX = "Original Document: Russian: "
# C0 and C1 control characters but newline and tab, and lone surrogates (broken Unicode from scraped pages).
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_AUTOLINK_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]{1,31}:")


def strip_controls(text: str) -> str:
    """``text`` without control characters (newline and tab kept) and lone surrogates.

    Scraped text is written by anyone: NUL or ESC sequences in a title would reach a file or a terminal
    (an ESC]0;...BEL retitles the terminal window, others move the cursor or rewrite what was printed).
    """
    return _CONTROLS.sub("", text)


def format_local_time(article: Article) -> str:
    """``January 26, 2022, 00:01 MSK (UTC+03:00)`` in the outlet's zone; empty when no date is known."""
    local = article.published_local
    if local is None:
        return ""
    offset = local.utcoffset() or timedelta(0)
    sign = "+" if offset >= timedelta(0) else "-"
    minutes = abs(int(offset.total_seconds())) // 60
    utc_label = f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    abbrev = local.tzname() or ""
    zone = f"{abbrev} ({utc_label})" if abbrev and abbrev[0].isalpha() and abbrev != "UTC" else utc_label
    return f"{MONTHS[local.month - 1]} {local.day}, {local.year}, {local:%H:%M} {zone}"


def _english_view(article: Article) -> tuple[str, str | None, list[str], list[tuple[BlockKind, str]], str]:
    """(title, rubric, authors, blocks, last line) in the language the document is rendered in.

    The source URL in the last line is escaped (``escape_url``): it never carries spaces or markup.
    """
    tr = article.translation
    source_url = escape_url(article.source_url)
    if tr is not None:
        by_index = {seg.index: seg.text for seg in tr.blocks}
        blocks = [(b.kind, by_index.get(i, "")) for i, b in enumerate(article.blocks)]
        lead = tr.lead.text if tr.lead else None
        if lead:
            blocks.insert(0, (BlockKind.PARAGRAPH, lead))
        rubric = english_rubric(article)
        return tr.title.text, rubric, tr.authors or article.authors, blocks, TRANSLATED_PREFIX + source_url
    blocks = [(b.kind, b.text) for b in article.blocks]
    if article.lead:
        blocks.insert(0, (BlockKind.PARAGRAPH, article.lead))
    if article.language == "en":
        last = (
            TRANSLATED_PREFIX + source_url if article.source == "text" else f"Original Document: English: {source_url}"
        )
        return article.title, article.rubric, article.authors, blocks, last
    return article.title, article.rubric, article.authors, blocks, ORIGINAL_PREFIX + source_url


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def render_text(article: Article) -> str:
    title, rubric, authors, blocks, last = _english_view(article)
    title = _one_line(title)
    dateline = " ".join(p for p in (_one_line(rubric).upper() if rubric else "", format_local_time(article)) if p)
    byline = " ".join(p for p in (title, ", ".join(_one_line(a) for a in authors)) if p)
    lines = [title, dateline, byline]
    lines.extend(_one_line(text) for _kind, text in blocks if text.strip())
    lines.append(last)
    return strip_controls("\n".join(lines) + "\n")


def render_markdown(article: Article) -> str:
    title, rubric, authors, blocks, last = _english_view(article)
    meta = [p for p in (rubric, format_local_time(article), ", ".join(authors), article.outlet_name) if p]
    out = [f"# {_md_escape(_one_line(title))}", ""]
    if meta:
        out += ["*" + " · ".join(_md_escape(_one_line(m)) for m in meta) + "*", ""]
    for kind, text in blocks:
        text = _md_escape(_one_line(text))
        if not text:
            continue
        if kind is BlockKind.SUBHEADING:
            out += [f"## {text}", ""]
        elif kind is BlockKind.BLOCKQUOTE:
            out += [f"> {text}", ""]
        elif kind is BlockKind.LIST_ITEM:
            out += [f"- {text}"]
        else:
            out += [text, ""]
    prefix, _, url = last.rpartition(": ")
    # An autolink only for a URL with a scheme: "<anything else>" would be an HTML tag to a Markdown renderer.
    source = f"<{url}>" if _AUTOLINK_SCHEME.match(url) else _md_escape(url)
    out += ["", f"{prefix}: {source}", ""]
    return strip_controls("\n".join(out))


def render_json(article: Article) -> str:
    return article.to_json(indent=2)


def _md_escape(text: str) -> str:
    # Scraped text must not become markup (links, images, HTML) when the Markdown is rendered.
    return re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", text)


RENDERERS = {"text": render_text, "md": render_markdown, "markdown": render_markdown, "json": render_json}


# -- reading the text format back ---------------------------------------------------------------------

_DATELINE = re.compile(
    r"^(?P<rubric>.*?)\s*(?P<month>" + "|".join(MONTHS) + r")\s+(?P<day>\d{1,2}),\s+(?P<year>\d{4}),\s+"
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?:\s+(?P<zone>[A-Z]{2,5}))?(?:\s*\(?UTC(?P<offset>[+-]\d{2}:\d{2})\)?)?\s*$"
)


def parse_text_document(text: str, *, default_timezone: str = "Europe/Moscow") -> Article:
    """Parse a document in the plain-text format (as rendered here or by the tools our users had).

    Raises ValueError naming what is missing when the text is not in that format.
    """
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    lines = [line for line in lines if line]
    if len(lines) < 4:
        raise ValueError("a document needs a title, a dateline, a byline, a body and a source line")
    last = lines[-1]
    translated = last.startswith(TRANSLATED_PREFIX)
    if translated:
        url = last[len(TRANSLATED_PREFIX) :].strip()
    elif last.startswith(ORIGINAL_PREFIX):
        url = last[len(ORIGINAL_PREFIX) :].strip()
    else:
        raise ValueError("the last line does not name the source (Translated from Original Document: ...)")
    title = lines[0]
    match = _DATELINE.match(lines[1])
    if match is None:
        raise ValueError(f"second line is not a rubric and date: {lines[1][:80]!r}")
    rubric = match["rubric"].strip() or None
    zone_name = default_timezone
    local = datetime(
        int(match["year"]),
        MONTHS.index(match["month"]) + 1,
        int(match["day"]),
        int(match["hour"]),
        int(match["minute"]),
    )
    if match["offset"]:
        sign = 1 if match["offset"][0] == "+" else -1
        hours, minutes = match["offset"][1:].split(":")
        tz = timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))
        published = local.replace(tzinfo=tz)
    else:
        # The users' old documents carry no zone: their times are Moscow time.
        published = local.replace(tzinfo=ZoneInfo(zone_name))
    byline = lines[2]
    authors_text = byline[len(title) :].strip() if byline.startswith(title) else ""
    body = lines[3:-1]
    outlet = outlet_name = None
    found = lookup_outlet(url)
    if found is not None:
        outlet, outlet_name, zone_name = found.key, found.name, found.timezone or zone_name
        if not match["offset"]:
            published = local.replace(tzinfo=ZoneInfo(zone_name))
    article = Article(
        url=url,
        title=title,
        blocks=[Block(BlockKind.PARAGRAPH, p) for p in body],
        outlet=outlet,
        outlet_name=outlet_name,
        language="en" if translated else "ru",
        rubric=rubric.title() if rubric and rubric.isupper() else rubric,
        published_at=published.astimezone(UTC),
        timezone=zone_name,
        authors=split_authors(authors_text),
        extractor="text-document",
        extractor_version="dragoman-textdoc/1",
        source="text",
    )
    article.content_sha256 = article.compute_content_hash()
    return article


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """``1 article``, ``12 articles``, ``1,204 articles``: a count with its noun in the right number."""
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"


def date_range_problem(
    since: date | datetime | None, until: date | datetime | None, names: tuple[str, str]
) -> str | None:
    """Why a search with this date range finds nothing, when the range itself is empty (From after To)."""
    if since is None or until is None:
        return None
    first = since.date() if isinstance(since, datetime) else since
    last = until.date() if isinstance(until, datetime) else until
    if first <= last:
        return None
    return f"{names[0]} {first.isoformat()} is later than {names[1]} {last.isoformat()}: no date is in both"
