"""Exports that stream: one article at a time from the store to the output, never the whole corpus in memory."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, BinaryIO, TextIO
from xml.sax.saxutils import escape as xml_escape

from dragoman.errors import StoreError
from dragoman.formats.document import render_markdown, render_text
from dragoman.store.base import ArticleFilter, StoredArticle
from dragoman.store.stories import StoryLink, has_copies, link_story_copy

CSV_COLUMNS = [
    "id",
    "revision",
    "url",
    "canonical_url",
    "outlet",
    "outlet_name",
    "published_at",
    "timezone",
    "rubric",
    "rubric_en",
    "title",
    "title_en",
    "authors",
    "agency",
    "lead",
    "text",
    "text_en",
    "content_sha256",
    "raw_sha256",
    "fetched_at",
    "extractor_version",
    "translation_engine",
    "translation_model",
    # A story copy: its story, and the member whose translation it shows (same text) or points to.
    "story_id",
    "translated_member_id",
    "qa_flagged_sentences",  # as in Parquet: how many translated sentences the QA checks flagged
]
DOCUMENT_SEPARATOR = "\n"  # text documents are separated by one blank line
# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def stored_to_record(stored: StoredArticle, story: StoryLink | None = None) -> dict[str, Any]:
    """The full record with the store's identity: what JSONL exports and the API return.

    For a story copy (``story``): which member's translation it shows (same text) or points to (a rewrite).
    """
    record = stored.article.to_dict()
    record["id"] = stored.id
    record["revision"] = stored.revision
    record["revision_count"] = stored.revision_count
    if story is not None:
        record["story"] = story_record(story)
    return record


def story_record(story: StoryLink) -> dict[str, Any]:
    return {
        "story_id": story.story_id,
        "article_count": story.article_count,
        "translated_member_id": story.member_id,
        "translated_member_url": story.member_url,
        "translated_member_title_en": story.member_title_en,
        # True: the translation above is the member's, of the same Russian text; False: see the member.
        "same_text": story.shares_text,
    }


def stored_to_row(stored: StoredArticle, story: StoryLink | None = None) -> dict[str, Any]:
    from dragoman.names.outlets import english_rubric

    a = stored.article
    tr = a.translation
    return {
        "id": stored.id,
        "revision": stored.revision,
        "url": a.url,
        "canonical_url": a.canonical_url or "",
        "outlet": a.outlet or "",
        "outlet_name": a.outlet_name or "",
        "published_at": a.published_at.isoformat() if a.published_at else "",
        "timezone": a.timezone or "",
        "rubric": a.rubric or "",
        "rubric_en": english_rubric(a) or "",
        "title": a.title,
        "title_en": tr.title.text if tr else "",
        "authors": "; ".join(a.authors),
        "agency": a.agency or "",
        "lead": a.lead or "",
        "text": "\n".join(b.text for b in a.blocks),
        "text_en": "\n".join(seg.text for seg in tr.blocks) if tr else "",
        "content_sha256": a.content_sha256,
        "raw_sha256": a.raw_sha256 or "",
        "fetched_at": a.fetched_at.isoformat() if a.fetched_at else "",
        "extractor_version": a.extractor_version,
        "translation_engine": tr.engine if tr else "",
        "translation_model": tr.model_id if tr else "",
        "story_id": story.story_id if story else "",
        "translated_member_id": story.member_id if story else "",
        "qa_flagged_sentences": tr.flagged_sentences if tr else 0,
    }


EXPORT_FORMATS: dict[str, tuple[str, str]] = {  # name -> (media type, file suffix)
    "jsonl": ("application/x-ndjson; charset=utf-8", "jsonl"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "text": ("text/plain; charset=utf-8", "txt"),
    "md": ("text/markdown; charset=utf-8", "md"),
    "parquet": ("application/vnd.apache.parquet", "parquet"),
    "tmx": ("application/x-tmx+xml; charset=utf-8", "tmx"),
    "pairs": ("application/x-ndjson; charset=utf-8", "pairs.jsonl"),
}
BINARY_FORMATS = {"parquet"}
PARQUET_ROWS_PER_GROUP = 2000


PAIRED_FORMATS = frozenset({"pairs", "tmx"})
NOTHING_TO_PAIR = "nothing to pair: none of the exported articles has an English translation (run `dragoman translate`)"


def export_articles(
    store: Any,
    out: TextIO | BinaryIO,
    fmt: str,
    where: ArticleFilter | None = None,
    *,
    on_unreadable: Callable[[int, StoreError], None] | None = None,
    counter: ExportCounter | None = None,
) -> int:
    """Write every matching article to ``out`` in ``fmt`` (see EXPORT_FORMATS); returns the article count
    (``counter`` also counts the sentence pairs written, for ``pairs`` and ``tmx``).

    ``out`` is a text stream, or a binary one for Parquet. An unreadable stored record is left out and
    handed to ``on_unreadable``.
    """
    counter = counter or ExportCounter()
    for chunk in iter_export(store, fmt, where, counter=counter, on_unreadable=on_unreadable):
        out.write(chunk)  # type: ignore[arg-type]
    return counter.articles


class ExportCounter:
    articles = 0
    pairs = 0  # sentence pairs written (pairs, tmx): none means nothing was translated


def iter_export(
    store: Any,
    fmt: str,
    where: ArticleFilter | None = None,
    *,
    counter: ExportCounter | None = None,
    on_unreadable: Callable[[int, StoreError], None] | None = None,
) -> Iterator[str | bytes]:
    """The export as a stream of chunks (str, or bytes for Parquet), one article at a time from the store.

    An unreadable stored record is left out (and handed to ``on_unreadable`` when given): a stream that is
    already being written cannot fail half-way without leaving a broken file.
    """
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; one of {', '.join(EXPORT_FORMATS)}")
    counter = counter or ExportCounter()

    def articles(borrow: bool = True) -> Iterator[tuple[StoredArticle, StoryLink | None]]:
        borrow = borrow and has_copies(store)  # checked once: a corpus without copies costs no lookups
        for stored in store.iter_articles(where, on_unreadable=on_unreadable or (lambda _id, _exc: None)):
            counter.articles += 1
            # An untranslated copy of a translated story: the same text borrows the member's translation.
            yield stored, link_story_copy(store, stored) if borrow else None

    def plain(borrow: bool = True) -> Iterator[StoredArticle]:
        return (stored for stored, _ in articles(borrow))

    if fmt == "jsonl":
        for stored, story in articles():
            yield json.dumps(stored_to_record(stored, story), ensure_ascii=False) + "\n"
    elif fmt == "csv":
        buffer = io.StringIO()
        table = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, quoting=csv.QUOTE_ALL)
        table.writeheader()
        for stored, story in articles():
            table.writerow({name: csv_cell(value) for name, value in stored_to_row(stored, story).items()})
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        if buffer.getvalue():
            yield buffer.getvalue()
    elif fmt in ("text", "md"):
        render = render_text if fmt == "text" else render_markdown
        for stored in plain():
            if counter.articles > 1:
                yield DOCUMENT_SEPARATOR
            yield render(stored.article)
    elif fmt == "pairs":
        # Parallel data: a copy's borrowed sentences would only repeat its member's pairs.
        for stored in plain(borrow=False):
            for pair in sentence_pairs(stored):
                counter.pairs += 1
                yield json.dumps(pair, ensure_ascii=False) + "\n"
    elif fmt == "tmx":
        yield from _iter_tmx(plain(borrow=False), counter)
    else:
        yield from _iter_parquet(plain())


def csv_cell(value: Any) -> Any:
    """``value`` safe to open in a spreadsheet: text a spreadsheet would run as a formula gets a leading ``'``.

    OWASP's rule for CSV injection; scraped titles, authors and text are written by anyone. Every cell is
    also quoted by the writer. The quote is part of the cell: strip one leading ``'`` to get the text back.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


# -- bilingual sentence pairs -------------------------------------------------------------------------


def sentence_pairs(stored: StoredArticle) -> Iterator[dict[str, Any]]:
    """Aligned (Russian, English) sentences of a translated article, numbered as the reader numbers them."""
    from dragoman.analyze.sentences import article_sentences

    tr = stored.article.translation
    if tr is None:
        return
    for s in article_sentences(stored.article):
        if s.en is None:
            continue
        yield {
            "article_id": stored.id,
            "revision": stored.revision,
            "url": stored.article.url,
            "sentence": s.index,
            "role": s.role,
            "block": s.block,
            "ru": s.text,
            "en": s.en,
            "flags": s.flags,
            "model": tr.model_id,
        }


_XML_INVALID = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    """Escaped text with the characters XML 1.0 forbids (controls, lone surrogates) removed."""
    return xml_escape(_XML_INVALID.sub("", text), {'"': "&quot;"})


def _iter_tmx(articles: Iterable[StoredArticle], counter: ExportCounter) -> Iterator[str]:
    from dragoman import __version__

    yield (
        '<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4">\n'
        f'<header creationtool="dragoman" creationtoolversion="{_xml_text(__version__)}" segtype="sentence"'
        ' o-tmf="dragoman" adminlang="en" srclang="ru" datatype="plaintext"/>\n<body>\n'
    )
    for stored in articles:
        for pair in sentence_pairs(stored):
            flags = "".join(f'<prop type="x-flag">{_xml_text(f)}</prop>' for f in pair["flags"])
            yield (
                f'<tu tuid="{pair["article_id"]}-{pair["sentence"]}">'
                f'<prop type="x-url">{_xml_text(pair["url"])}</prop>'
                f'<prop type="x-model">{_xml_text(pair["model"])}</prop>{flags}'
                f'<tuv xml:lang="ru"><seg>{_xml_text(pair["ru"])}</seg></tuv>'
                f'<tuv xml:lang="en"><seg>{_xml_text(pair["en"])}</seg></tuv></tu>\n'
            )
            counter.pairs += 1
    if not counter.pairs:
        # An empty body would look like a broken export: the file says why it holds no units.
        yield f"<!-- {NOTHING_TO_PAIR} -->\n"
    yield "</body>\n</tmx>\n"


# -- Parquet ------------------------------------------------------------------------------------------


def parquet_schema() -> Any:
    import pyarrow as pa

    fields = []
    for name in CSV_COLUMNS:
        if name in ("id", "revision"):
            fields.append(pa.field(name, pa.int64()))
        elif name in ("published_at", "fetched_at"):
            fields.append(pa.field(name, pa.timestamp("us", tz="UTC")))
        elif name == "authors":
            fields.append(pa.field(name, pa.list_(pa.string())))
        elif name == "qa_flagged_sentences":
            fields.append(pa.field(name, pa.int64()))
        else:
            fields.append(pa.field(name, pa.string()))
    return pa.schema(fields)


def _parquet_row(stored: StoredArticle) -> dict[str, Any]:
    row: dict[str, Any] = stored_to_row(stored)
    a = stored.article
    row["published_at"] = a.published_at
    row["fetched_at"] = a.fetched_at
    row["authors"] = list(a.authors)
    tr = a.translation
    row["qa_flagged_sentences"] = tr.flagged_sentences if tr else 0
    return row


class _ByteSink:
    """A write-only file that hands back what was written since the last ``take`` (for streaming)."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.position = 0
        self.closed = False

    def write(self, data: bytes) -> int:
        self.buffer += data
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        pass

    def writable(self) -> bool:
        return True

    def close(self) -> None:
        self.closed = True

    def take(self) -> bytes:
        data = bytes(self.buffer)
        self.buffer.clear()
        return data


def _iter_parquet(articles: Iterable[StoredArticle]) -> Iterator[bytes]:
    """Row groups of PARQUET_ROWS_PER_GROUP articles, each written out as soon as it is full."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema()
    sink = _ByteSink()
    writer = pq.ParquetWriter(pa.PythonFile(sink, mode="w"), schema, compression="zstd")
    rows: list[dict[str, Any]] = []
    try:
        for stored in articles:
            rows.append(_parquet_row(stored))
            if len(rows) >= PARQUET_ROWS_PER_GROUP:
                writer.write_table(pa.Table.from_pylist(rows, schema=schema))
                rows.clear()
                yield sink.take()
        if rows:
            writer.write_table(pa.Table.from_pylist(rows, schema=schema))
    finally:
        writer.close()
    yield sink.take()
