"""Fixtures for backfill tests: a WARC file written here (warcio) from real saved Russian news pages."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest


def write_warc(path: Path, responses: list[tuple[str, int, str, bytes]]) -> Path:
    """A gzipped WARC of HTTP responses (url, status, content type, body), as a crawler writes them."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for url, status, content_type, body in responses:
            headers = StatusAndHeaders(
                f"{status} {'OK' if status == 200 else 'Not Found'}",
                [("Content-Type", content_type), ("Content-Length", str(len(body)))],
                protocol="HTTP/1.1",
            )
            record = writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers)
            writer.write_record(record)
            record.raw_stream.close()  # warcio buffers the payload in a temporary file it does not close
    return path


@pytest.fixture(scope="session")
def real_pages(data_dir: Path) -> list[tuple[str, bytes]]:
    """(URL, HTML) of the real Russian-language news pages of html_ru/htmldate_eval."""
    base = data_dir / "html_ru" / "htmldate_eval"
    gold = json.loads((base / "gold_dates.json").read_text(encoding="utf-8"))
    pages = [(url, (base / "pages" / entry["file"]).read_bytes()) for url, entry in sorted(gold.items())]
    assert len(pages) >= 8, "html_ru/htmldate_eval pages are missing"
    return pages


@pytest.fixture(scope="session")
def news_warc(tmp_path_factory: pytest.TempPathFactory, real_pages: list[tuple[str, bytes]]) -> Path:
    """Real pages plus what a CC-NEWS file also holds: a 404, an image, an English page."""
    responses = [(url, 200, "text/html; charset=utf-8", body) for url, body in real_pages]
    responses.insert(3, ("https://tass.ru/missing", 404, "text/html", b"<html><body>Not found</body></html>"))
    responses.insert(5, ("https://tass.ru/logo.png", 200, "image/png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64))
    english = (
        b"<html lang='en'><head><title>Weather</title></head><body><p>" + b"Sunny today. " * 40 + b"</p></body></html>"
    )
    responses.append(("https://example.com/en/weather", 200, "text/html", english))
    return write_warc(tmp_path_factory.mktemp("warc") / "CC-NEWS-20220101000000-00001.warc.gz", responses)
