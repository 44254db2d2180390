"""Local inputs: HTML files (plain or gzipped), directories of them, and JSONL files of articles."""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from dragoman.acquire.page import RawPage
from dragoman.article import Article, Block, BlockKind
from dragoman.errors import ExtractError, FetchError

HTML_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz", ".xhtml")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson")


def is_html_path(path: Path) -> bool:
    return path.name.lower().endswith(HTML_SUFFIXES)


def is_jsonl_path(path: Path) -> bool:
    return path.name.lower().endswith(JSONL_SUFFIXES)


def iter_directory(directory: Path) -> Iterator[Path]:
    """HTML and JSONL files below ``directory``, in a stable order."""
    for path in sorted(directory.rglob("*")):
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


def iter_jsonl_articles(path: Path, max_bytes: int) -> Iterator[Article | ExtractError]:
    """Articles extracted elsewhere, one JSON object per line (url, title, published, text, language).

    A bad line yields an ExtractError naming the line; the rest of the file still loads.
    """
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        handle = opener(path, "rt", encoding="utf-8", errors="replace")
    except OSError as exc:
        raise FetchError(f"cannot read file: {exc.strerror or exc}", reason="unreadable", source=str(path)) from exc
    with handle:
        for number, line in enumerate(handle, start=1):
            source = f"{path}:{number}"
            if not line.strip():
                continue
            if len(line) > max_bytes:
                yield ExtractError("line is larger than the size cap", reason="too_large", source=source)
                continue
            try:
                data = json.loads(line)
                yield article_from_record(data, fetched_at=datetime.fromtimestamp(path.stat().st_mtime, UTC))
            except (ValueError, TypeError, KeyError) as exc:
                yield ExtractError(f"not a usable article record: {exc}", reason="bad_record", source=source)


def article_from_record(data: dict[str, Any], *, fetched_at: datetime | None = None) -> Article:
    """Build an Article from a researcher's JSON record; full dragoman records round-trip unchanged."""
    if not isinstance(data, dict):
        raise TypeError("a JSON object is expected")
    data = _without_lone_surrogates(data)
    if "schema_version" in data and "blocks" in data:  # a dragoman export
        return Article.from_dict(data)
    url = str(data.get("url") or "").strip()
    if not url:
        raise KeyError("url")
    title = str(data.get("title") or "").strip()
    text = str(data.get("text") or data.get("body") or "")
    paragraphs = [p.strip() for p in text.replace("\r\n", "\n").split("\n") if p.strip()]
    if not title and not paragraphs:
        raise ValueError("record has neither title nor text")
    from dragoman.extract.outlets import lookup_outlet

    outlet = lookup_outlet(url)
    zone = outlet.timezone if outlet is not None else "Europe/Moscow"
    published = data.get("published") or data.get("published_at") or data.get("date")
    published_at = _parse_published(published, zone) if published else None
    authors = data.get("authors") or data.get("author") or []
    if isinstance(authors, str):
        authors = [a.strip() for a in authors.split(",") if a.strip()]
    article = Article(
        url=url,
        title=title,
        blocks=[Block(BlockKind.PARAGRAPH, p) for p in paragraphs],
        canonical_url=data.get("canonical_url") or None,
        outlet=outlet.key if outlet is not None else None,
        outlet_name=outlet.name if outlet is not None else None,
        timezone=zone,
        fetched_at=fetched_at,
        language=str(data.get("language") or "ru"),
        rubric=data.get("rubric") or data.get("topic") or None,
        published_at=published_at,
        authors=[str(a) for a in authors],
        lead=data.get("lead") or None,
        extractor="jsonl",
        extractor_version="dragoman-jsonl/1",
        source="jsonl",
    )
    article.content_sha256 = article.compute_content_hash()
    return article


def _parse_published(value: Any, zone: str) -> datetime:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    text = str(value).strip().replace("Z", "+00:00")
    if " " in text and "T" not in text:
        text = text.replace(" ", "T", 1)
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        # A bare local time is the outlet's local time (Moscow for federal outlets), as in extract.
        parsed = parsed.replace(tzinfo=ZoneInfo(zone))
    return parsed.astimezone(UTC)


def _without_lone_surrogates(value: Any) -> Any:
    """JSON may carry lone surrogates (``\\ud800``) that no UTF-8 text can hold: replace them with U+FFFD."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {k: _without_lone_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_lone_surrogates(v) for v in value]
    return value


_SURROGATE = re.compile("[\ud800-\udfff]")
