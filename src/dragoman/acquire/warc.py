"""WARC archives (Common Crawl's CC-NEWS and the like): keep Russian-language article responses.

A response is a candidate when its host is one of the known outlets (outlets.toml, or a list the user
gives) or when its HTML says or looks Russian. Reading is here; storing what they hold is
``pipeline.warc.ingest_warc``'s (the same extract stage and intake as fetched pages), and an article whose text
is not Russian is skipped with reason ``not_russian``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from dragoman.acquire.sitemaps import gunzip_capped
from dragoman.article import RawPage
from dragoman.errors import DragomanError, FetchError, SkipArticle

_HTML_LANG = re.compile(rb"<html[^>]*\blang\s*=\s*[\"']?([a-zA-Z-]+)", re.IGNORECASE)
_TAGS = re.compile(rb"<script.*?</script>|<style.*?</style>|<[^>]+>", re.IGNORECASE | re.DOTALL)


def default_hosts() -> set[str]:
    """Domains (and aliases) of the Russian-language outlets in outlets.toml."""
    raw = tomllib.loads(resources.files("dragoman").joinpath("data/outlets.toml").read_text("utf-8"))
    hosts: set[str] = set()
    for key, entry in raw.get("outlets", {}).items():
        if entry.get("language", "ru") == "ru":
            hosts.add(key)
            hosts.update(entry.get("aliases", []))
    return hosts


def host_listed(host: str, hosts: set[str]) -> bool:
    labels = host.lower().rstrip(".").split(".")
    return any(".".join(labels[i:]) in hosts for i in range(len(labels) - 1))


def looks_russian(body: bytes, charset: str | None = None) -> bool:
    """Cheap check on the raw HTML: a lang="ru" attribute, or Russian letters in the visible text."""
    from dragoman.extract.sniff import detect_language

    declared = _HTML_LANG.search(body[:4096])
    if declared:
        return declared.group(1).decode("ascii", "replace").lower().startswith("ru")
    text = _TAGS.sub(b" ", body[:200_000])
    for encoding in filter(None, (charset, "utf-8", "cp1251")):
        try:
            return detect_language(text.decode(encoding)) == "ru"
        except (LookupError, UnicodeDecodeError):
            continue
    return False


@dataclass(slots=True)
class WarcResponse:
    page: RawPage
    offset: int


def iter_warc_responses(path: Path, max_bytes: int) -> Iterator[WarcResponse | DragomanError]:
    """HTTP 200 HTML responses of a WARC file (gzipped or not); a bad record yields an error and the walk goes on."""
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    source = str(path)
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise FetchError(f"cannot read WARC file: {exc.strerror or exc}", reason="unreadable", source=source) from exc
    with handle:
        for record in ArchiveIterator(handle, record_types=WarcRecordType.response, parse_http=True):
            url = record.headers.get("WARC-Target-URI") or ""
            where = f"{source}@{record.stream_pos}"
            http = record.http_headers
            if http is None or not url:
                yield DragomanError("record without an HTTP response", reason="not_http", source=where)
                continue
            if http.status_code != 200:
                yield SkipArticle(f"HTTP {http.status_code}", reason=f"http_{http.status_code}", source=url)
                continue
            content_type = record.http_content_type or http.get("Content-Type") or ""
            if content_type and "html" not in content_type.lower():
                yield SkipArticle(f"not HTML ({content_type})", reason="not_html", source=url)
                continue
            body = record.reader.read(max_bytes + 1)
            if len(body) > max_bytes:
                yield FetchError(f"response is larger than the {max_bytes:,}-byte cap", reason="too_large", source=url)
                continue
            encoding = (http.get("Content-Encoding") or "").lower()
            if encoding in ("gzip", "x-gzip"):
                try:
                    body = gunzip_capped(body, max_bytes, source=url)
                except DragomanError as exc:
                    yield exc
                    continue
            elif encoding not in ("", "identity"):
                yield SkipArticle(f"unsupported Content-Encoding {encoding}", reason="bad_encoding", source=url)
                continue
            fetched_at = record.record_date or datetime.now(UTC)
            if fetched_at.tzinfo is None:
                fetched_at = fetched_at.replace(tzinfo=UTC)
            headers = {k.lower(): v for k, v in http.items()}
            yield WarcResponse(
                RawPage(
                    url=url,
                    body=body,
                    fetched_at=fetched_at,
                    content_type=content_type or None,
                    source=url,
                    status=200,
                    headers=headers,
                ),
                record.stream_pos,
            )


def is_candidate(page: RawPage, hosts: set[str]) -> bool:
    """Whether a response may be a Russian-language article: a listed outlet's, or Russian by its HTML."""
    host = urlsplit(page.url).hostname or ""
    return host_listed(host, hosts) or looks_russian(page.body, _charset(page.content_type))


def _charset(content_type: str | None) -> str | None:
    if content_type and "charset=" in content_type.lower():
        return content_type.lower().split("charset=", 1)[1].split(";")[0].strip().strip('"') or None
    return None
