"""`dragoman ingest-warc` on a WARC built here with warcio from real saved pages."""

from __future__ import annotations

import gzip
import io
import json

from click.testing import CliRunner
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from dragoman.cli import main
from dragoman.store import SQLiteStore


def write_warc(path, records):
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for url, status, content_type, body, extra in records:
            headers = StatusAndHeaders(f"{status} OK", [("Content-Type", content_type), *extra], protocol="HTTP/1.1")
            record = writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers)
            writer.write_record(record)
            record.raw_stream.close()  # warcio spools the payload to a temporary file and leaves it open
        request = writer.create_warc_record("https://tass.ru/x", "request", payload=io.BytesIO(b"GET /"))
        writer.write_record(request)
        request.raw_stream.close()


def test_ingest_warc_keeps_russian_articles(tmp_path, real_pages, data_dir):
    english = gzip.decompress(
        next(iter(sorted((data_dir / "article_extraction_benchmark/html").glob("*.html.gz")))).read_bytes()
    )
    warc = tmp_path / "cc-news.warc.gz"
    html = "text/html; charset=utf-8"
    write_warc(
        warc,
        [
            (
                "https://www.kommersant.ru/doc/7715044",
                200,
                html,
                gzip.compress(real_pages["kommersant"]),
                [("Content-Encoding", "gzip")],
            ),
            ("https://tass.ru/moskva/8836033", 200, html, real_pages["tass"], []),
            # Not a listed host, but Russian: kept by language detection.
            ("https://unknown-news.example/politics/1", 200, html, real_pages["mk"], []),
            ("https://www.example.com/english", 200, html, english, []),
            ("https://tass.ru/missing", 404, html, b"<html>nope</html>", []),
            ("https://tass.ru/logo.jpg", 200, "image/jpeg", b"\xff\xd8\xff" + b"\0" * 100, []),
        ],
    )
    db = tmp_path / "warc.db"
    result = CliRunner().invoke(main, ["--db", str(db), "ingest-warc", str(warc), "--json", "--no-print-alerts"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["stored"] == 3
    assert summary["skipped"] == {"not_russian": 1, "http_404": 1, "not_html": 1}
    with SQLiteStore(db) as store:
        kommersant = store.get("https://www.kommersant.ru/doc/7715044").article
        assert kommersant.title == "Легкий троннинг"
        assert kommersant.fetched_at is not None
        assert store.connection.execute("SELECT count(*) FROM story_members").fetchone()[0] == 3
        done = store.connection.execute("SELECT count(*) FROM monitor_items WHERE state = 'done'").fetchone()[0]
        assert done == 3  # the monitor will not fetch these again
    again = CliRunner().invoke(main, ["--db", str(db), "ingest-warc", str(warc), "--json", "--no-print-alerts"])
    assert json.loads(again.stdout)["unchanged"] == 3


def test_ingest_warc_reports_a_file_that_is_not_a_warc(tmp_path):
    bogus = tmp_path / "not.warc"
    bogus.write_bytes(b"this is not a WARC file\n" * 10)
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "x.db"), "ingest-warc", str(bogus), "--json"])
    summary = json.loads(result.stdout)
    assert result.exit_code == 1
    assert summary["stored"] == 0 and summary["failed"] == {"bad_warc": 1}
    assert "Invalid WARC header" in summary["problems"][0]["message"]
