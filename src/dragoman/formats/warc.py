"""WARC/1.1 export of the archive of originals, for replay tools (pywb, warcio, ReplayWeb.page).

Each kept original becomes a ``request`` and a ``response`` record (the response's HTTP block is the
status line, the stored response headers and the payload as the extractor read it), or a ``resource``
record for a page read from a local file: no HTTP exchange took place, and the record says so. Record ids
are derived from the content, so exporting the same corpus twice writes the same file.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from dragoman import __version__
from dragoman.store.archive import StoredOriginal
from dragoman.store.base import ArticleFilter

CRLF = b"\r\n"
# Headers that described the bytes on the wire: the payload is stored decoded and whole, so they would lie.
DROPPED_HEADERS = {"content-encoding", "transfer-encoding", "content-length", "connection", "keep-alive"}
_RECORD_NAMESPACE = uuid.UUID("5b0c6c0e-8f5e-4d0c-9f38-6472616700a1")


@dataclass(slots=True)
class WarcExportReport:
    articles: int = 0
    records: int = 0
    originals: int = 0
    without_original: int = 0  # articles with no kept original (JSONL records, archive off or full)


def sha1_digest(data: bytes) -> str:
    """``sha1:`` + base32 of the SHA-1, the form the WARC spec and every replay tool use."""
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


def warc_date(value: datetime | None) -> str:
    moment = (value or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _clean(value: str) -> str:
    """A header value on one line (stored headers come from the web)."""
    return " ".join(str(value).replace("\r", " ").replace("\n", " ").split())


def _record(kind: str, headers: list[tuple[str, str]], block: bytes) -> bytes:
    lines = [b"WARC/1.1", f"WARC-Type: {kind}".encode()]
    lines += [f"{name}: {_clean(value)}".encode() for name, value in headers]
    lines.append(f"Content-Length: {len(block)}".encode())
    return CRLF.join(lines) + CRLF + CRLF + block + CRLF + CRLF


def _record_id(*parts: object) -> str:
    return f"<urn:uuid:{uuid.uuid5(_RECORD_NAMESPACE, '|'.join(str(p) for p in parts))}>"


def http_response_block(kept: StoredOriginal) -> bytes:
    original = kept.original
    status = original.status or 200
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    head = [f"HTTP/1.1 {status} {phrase}".rstrip()]
    names = set()
    for name, value in original.headers.items():
        if name.lower() in DROPPED_HEADERS:
            continue
        names.add(name.lower())
        head.append(f"{_clean(name)}: {_clean(value)}")
    if "content-type" not in names and original.content_type:
        head.append(f"Content-Type: {_clean(original.content_type)}")
    head.append(f"Content-Length: {len(original.body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1", "replace") + original.body


def http_request_block(url: str) -> bytes:
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode("latin-1", "replace")


def warcinfo_record() -> bytes:
    fields = f"software: dragoman/{__version__}\r\nformat: WARC File Format 1.1\r\n".encode()
    headers = [
        ("WARC-Record-ID", _record_id("warcinfo", __version__)),
        ("WARC-Date", warc_date(None)),
        ("Content-Type", "application/warc-fields"),
    ]
    return _record("warcinfo", headers, fields)


def original_records(kept: StoredOriginal, citation_url: str) -> list[bytes]:
    """The records of one kept original: request + response, or one resource record for a local file."""
    original = kept.original
    date = warc_date(original.fetched_at)
    payload_digest = sha1_digest(original.body)
    if original.kind == "file":
        # A saved file: its target is the page's public URL when it names one, else where it was read from.
        target = citation_url if citation_url.startswith(("http://", "https://")) else original.url
        headers = [
            ("WARC-Record-ID", _record_id("resource", kept.sha256, target)),
            ("WARC-Date", date),
            ("WARC-Target-URI", target),
            ("WARC-Payload-Digest", payload_digest),
            ("WARC-Block-Digest", payload_digest),
            ("Content-Type", original.content_type or "text/html"),
        ]
        return [_record("resource", headers, original.body)]
    response_id = _record_id("response", kept.sha256, original.url, date)
    response_block = http_response_block(kept)
    response = _record(
        "response",
        [
            ("WARC-Record-ID", response_id),
            ("WARC-Date", date),
            ("WARC-Target-URI", original.url),
            ("WARC-Payload-Digest", payload_digest),
            ("WARC-Block-Digest", sha1_digest(response_block)),
            ("Content-Type", "application/http;msgtype=response"),
        ],
        response_block,
    )
    request_block = http_request_block(original.url)
    request = _record(
        "request",
        [
            ("WARC-Record-ID", _record_id("request", kept.sha256, original.url, date)),
            ("WARC-Date", date),
            ("WARC-Target-URI", original.url),
            ("WARC-Concurrent-To", response_id),
            ("WARC-Block-Digest", sha1_digest(request_block)),
            ("Content-Type", "application/http;msgtype=request"),
        ],
        request_block,
    )
    return [request, response]


def iter_warc(store: Any, where: ArticleFilter | None, report: WarcExportReport) -> Iterator[bytes]:
    """The records of every kept original of the matching articles (each distinct original once per URL)."""
    yield warcinfo_record()
    report.records += 1
    for stored in store.iter_articles(where):
        report.articles += 1
        kept_all = store.originals(stored.id)
        if not kept_all:
            report.without_original += 1
            continue
        seen: set[tuple[str, str]] = set()
        for kept in kept_all:
            key = (kept.sha256, kept.original.url)
            if key in seen:  # a re-extraction revision shares the original of the revision it came from
                continue
            seen.add(key)
            report.originals += 1
            for record in original_records(kept, stored.article.source_url):
                report.records += 1
                yield record


def export_warc(
    store: Any, out: BinaryIO, where: ArticleFilter | None = None, *, gzipped: bool = False
) -> WarcExportReport:
    """Write the archive as WARC/1.1; ``gzipped`` writes each record as its own gzip member (``.warc.gz``)."""
    report = WarcExportReport()
    for record in iter_warc(store, where, report):
        out.write(gzip.compress(record, mtime=0) if gzipped else record)
    return report
