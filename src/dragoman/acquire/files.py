"""Local inputs: HTML files (plain or gzipped), directories of them, and JSONL files of articles."""

from __future__ import annotations

import gzip
import json
import math
import os
import re
import stat
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from dragoman.article import (
    Article,
    Block,
    BlockKind,
    RawPage,
    RecordError,
    check_incoming,
    check_published,
    optional_str,
)
from dragoman.errors import DragomanError, ExtractError, FetchError
from dragoman.urls import RECORD_SCHEMES, check_url

HTML_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz", ".xhtml")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson")


def is_html_path(path: Path) -> bool:
    return path.name.lower().endswith(HTML_SUFFIXES)


def is_jsonl_path(path: Path) -> bool:
    return path.name.lower().endswith(JSONL_SUFFIXES)


def iter_directory(directory: Path) -> Iterator[Path]:
    """HTML and JSONL files below ``directory``, in a stable order."""
    for path in sorted(directory.rglob("*")):
        # is_file() is S_ISREG: FIFOs and devices, which would block a read for ever, are left out.
        if path.is_file() and (is_html_path(path) or is_jsonl_path(path)):
            yield path


def read_capped(path: Path, max_bytes: int) -> bytes:
    """Read a file (gunzipping ``.gz``) but never more than ``max_bytes`` of decoded data."""
    try:
        size = path.stat().st_size
        if not path.name.endswith(".gz"):
            if size > max_bytes:
                raise FetchError(
                    f"file is larger than the {max_bytes:,}-byte cap ({size:,} bytes)",
                    reason="too_large",
                    source=str(path),
                )
            return path.read_bytes()
        decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out = bytearray()
        with path.open("rb") as handle:
            while chunk := handle.read(65536):
                # Bounded decompression: a gzip bomb stops at the cap instead of filling memory.
                out += decompressor.decompress(chunk, max_bytes + 1 - len(out))
                if len(out) > max_bytes:
                    raise FetchError(
                        f"file decompresses to more than the {max_bytes:,}-byte cap",
                        reason="too_large",
                        source=str(path),
                    )
                while decompressor.unconsumed_tail:
                    out += decompressor.decompress(decompressor.unconsumed_tail, max_bytes + 1 - len(out))
                    if len(out) > max_bytes:
                        raise FetchError(
                            f"file decompresses to more than the {max_bytes:,}-byte cap",
                            reason="too_large",
                            source=str(path),
                        )
        return bytes(out)
    except zlib.error as exc:
        raise FetchError(f"not a valid gzip file: {exc}", reason="bad_gzip", source=str(path)) from exc
    except OSError as exc:
        raise FetchError(f"cannot read file: {exc.strerror or exc}", reason="unreadable", source=str(path)) from exc


def read_html_file(path: Path, max_bytes: int) -> RawPage:
    body = read_capped(path, max_bytes)
    mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    return RawPage(url=path.resolve().as_uri(), body=body, fetched_at=mtime, source=str(path))


def check_regular_file(path: Path) -> None:
    """FetchError unless ``path`` is a regular file: reading a FIFO, socket or device blocks for ever."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise FetchError(f"cannot read file: {exc.strerror or exc}", reason="unreadable", source=str(path)) from exc
    if not stat.S_ISREG(mode):
        raise FetchError(
            "not a regular file (a FIFO, device or socket is never read)", reason="not_a_file", source=str(path)
        )


def iter_jsonl_articles(path: Path, max_bytes: int) -> Iterator[Article | DragomanError]:
    """Articles extracted elsewhere, one JSON object per line (url, title, published, text, language).

    A bad line yields an ExtractError naming the line; the rest of the file still loads. Lines are read with
    a bounded read, so a line longer than ``max_bytes`` (say one gigabyte expanded from a small .gz) is
    skipped as too_large without ever being held whole. A file that ends early (a truncated .gz) yields a
    FetchError(reason="truncated") after the lines read so far.
    """
    check_regular_file(path)
    fetched_at = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    try:
        opener: Any = gzip.open if path.name.endswith(".gz") else open
        handle: IO[bytes] = opener(path, "rb")
    except OSError as exc:
        raise FetchError(f"cannot read file: {exc.strerror or exc}", reason="unreadable", source=str(path)) from exc
    with handle:
        number = 0
        while True:
            source = f"{path}:{number + 1}"
            try:
                line = handle.readline(max_bytes + 1)
                oversize = len(line) > max_bytes and not (len(line) == max_bytes + 1 and line.endswith(b"\n"))
                rest = line if oversize else b""
                while rest and not rest.endswith(b"\n"):
                    rest = handle.readline(_SKIP_CHUNK)  # drop the rest of the oversize line, a chunk at a time
            except _TRUNCATED as exc:
                yield FetchError(
                    f"file ends early or is corrupt after line {number} ({type(exc).__name__}: {exc})",
                    reason="truncated",
                    source=source,
                )
                return
            except OSError as exc:
                yield FetchError(f"cannot read file: {exc.strerror or exc}", reason="unreadable", source=source)
                return
            if not line:
                return
            number += 1
            if oversize:
                yield ExtractError(f"line is larger than the {max_bytes:,}-byte cap", reason="too_large", source=source)
                continue
            text = line.decode("utf-8", errors="replace")
            if not text.strip():
                continue
            try:
                yield article_from_record(json.loads(text), fetched_at=fetched_at)
            except RecursionError:
                yield ExtractError("record is nested too deeply", reason="bad_record", source=source)
            except (ValueError, TypeError, KeyError) as exc:
                yield ExtractError(f"not a usable article record: {exc}", reason="bad_record", source=source)


def article_from_record(data: dict[str, Any], *, fetched_at: datetime | None = None) -> Article:
    """Build an Article from a researcher's JSON record; full dragoman records round-trip unchanged.

    Raises RecordError (a ValueError) naming the field when a field has the wrong type or an impossible
    value, so that nothing later (search, analysis, exports) meets a number where it expects text.
    """
    if not isinstance(data, dict):
        raise RecordError(f"a JSON object is expected, not {type(data).__name__}")
    data = _without_lone_surrogates(data)
    if "schema_version" in data and "blocks" in data:  # a dragoman export
        return check_incoming(Article.from_dict(data))
    if data.get("url") is None:
        raise RecordError("url is missing")
    url = check_url(data["url"], schemes=RECORD_SCHEMES, field="url")
    title = (optional_str(data, "title") or "").strip()
    text = optional_str(data, "text") or optional_str(data, "body") or ""
    paragraphs = [p.strip() for p in text.replace("\r\n", "\n").split("\n") if p.strip()]
    if not title and not paragraphs:
        raise RecordError("record has neither title nor text")
    from dragoman.names.outlets import lookup_outlet

    outlet = lookup_outlet(url)
    zone = outlet.timezone if outlet is not None else "Europe/Moscow"
    published = data.get("published") or data.get("published_at") or data.get("date")
    published_at = _parse_published(published, zone) if published else None
    authors: Any = data.get("authors") or data.get("author") or []
    if isinstance(authors, str):
        authors = [a.strip() for a in authors.split(",") if a.strip()]
    elif not isinstance(authors, list) or not all(isinstance(a, str) for a in authors):
        raise RecordError("authors must be a string or a list of strings")
    article = Article(
        url=url,
        title=title,
        blocks=[Block(BlockKind.PARAGRAPH, p) for p in paragraphs],
        canonical_url=optional_str(data, "canonical_url") or None,
        outlet=outlet.key if outlet is not None else None,
        outlet_name=outlet.name if outlet is not None else None,
        timezone=zone,
        fetched_at=fetched_at,
        language=optional_str(data, "language") or "ru",
        rubric=optional_str(data, "rubric") or optional_str(data, "topic") or None,
        published_at=published_at,
        authors=list(authors),
        lead=optional_str(data, "lead") or None,
        extractor="jsonl",
        extractor_version="dragoman-jsonl/1",
        source="jsonl",
    )
    article.content_sha256 = article.compute_content_hash()
    return check_incoming(article)


def _parse_published(value: Any, zone: str) -> datetime:
    """A Unix time or an ISO 8601 date (a bare local time is in ``zone``) as an aware UTC datetime."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise RecordError(f"published must be a date string or a Unix time, not {type(value).__name__}")
    try:
        if isinstance(value, int | float):
            if not math.isfinite(value):
                raise RecordError(f"published is not a finite number: {value!r}")
            parsed = datetime.fromtimestamp(value, UTC)
        else:
            text = value.strip().replace("Z", "+00:00")
            if " " in text and "T" not in text:
                text = text.replace(" ", "T", 1)
            try:
                parsed = datetime.fromisoformat(text)
            except ValueError as exc:
                raise RecordError(f"published is not an ISO 8601 date: {value[:40]!r}") from exc
            if parsed.tzinfo is None:
                # A bare local time is the outlet's local time (Moscow for federal outlets), as in extract.
                parsed = parsed.replace(tzinfo=ZoneInfo(zone))
            parsed = parsed.astimezone(UTC)
    except (OverflowError, OSError) as exc:  # beyond what datetime can hold, before or after conversion
        raise RecordError(f"published is outside any possible date: {str(value)[:40]!r}") from exc
    return check_published(parsed, "published")


def _without_lone_surrogates(value: Any, depth: int = 0) -> Any:
    """JSON may carry lone surrogates (``\\ud800``) that no UTF-8 text can hold: replace them with U+FFFD.

    Also bounds nesting: no article needs more than MAX_RECORD_DEPTH levels, and walking deeper ones
    would exhaust the stack.
    """
    if depth > MAX_RECORD_DEPTH:
        raise RecordError(f"record is nested more than {MAX_RECORD_DEPTH} levels deep")
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {k: _without_lone_surrogates(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_lone_surrogates(v, depth + 1) for v in value]
    return value


# What gzip raises when a .gz ends early or its data is corrupt (BadGzipFile is an OSError: caught first).
_TRUNCATED = (EOFError, gzip.BadGzipFile, zlib.error)
_SKIP_CHUNK = 1 << 16
MAX_RECORD_DEPTH = 64
_SURROGATE = re.compile("[\ud800-\udfff]")
