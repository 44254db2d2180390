"""Issue 16, section 2: the original page, kept. What was fetched comes back byte for byte (a saved page, a
``.html.gz`` file, a fetched URL, a WARC record), the WARC export opens in replay tools, and the setting
turns the archive off or caps it without losing articles."""

from __future__ import annotations

import gzip
import io
import json
import os
import pty
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from dragoman.cli import main
from dragoman.settings import Settings
from dragoman.store import SQLiteStore

from .conftest import LocalServer, Reply

REPO_ROOT = Path(__file__).resolve().parents[2]


def run(db: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, bytes, str]:
    result = CliRunner().invoke(main, ["--db", str(db), "--host-delay", "0", *args], env=env, catch_exceptions=False)
    return result.exit_code, result.stdout_bytes, result.stderr


@pytest.fixture
def saved(tmp_path: Path, data_dir: Path) -> dict[str, Path]:
    """A saved page as .html and another as .html.gz, as an analyst keeps them."""
    folder = tmp_path / "pages"
    folder.mkdir()
    shutil.copy(data_dir / "html_ru/fundus/ru/Kommersant_2025_05_14.html.gz", folder)
    shutil.copy(data_dir / "html_ru/htmldate_eval/pages/1647262025.html", folder / "tass.html")
    return {"gz": folder / "Kommersant_2025_05_14.html.gz", "html": folder / "tass.html"}


def article_id(db: Path, url_part: str) -> int:
    conn = sqlite3.connect(db)
    try:
        (found,) = conn.execute(
            "SELECT article_id FROM revisions WHERE source_url LIKE ?", (f"%{url_part}%",)
        ).fetchone()
    finally:
        conn.close()
    return int(found)


def test_original_of_a_saved_page_and_an_html_gz_is_byte_identical(saved: dict[str, Path], db_path: Path) -> None:
    """Issue 16 §2: `dragoman original` writes the page back byte for byte. A .html.gz keeps the page that
    was extracted (the decompressed bytes, whose SHA-256 is the revision's raw_sha256), not the gzip wrapper."""
    code, out, err = run(db_path, "ingest", str(saved["gz"].parent), "--json")
    assert code == 0, err
    assert json.loads(out)["archive"] == {"stored": 2}
    html_id, gz_id = article_id(db_path, "tass.html"), article_id(db_path, "Kommersant")

    target = db_path.parent / "tass.out"
    code, _, err = run(db_path, "original", str(html_id), "-o", str(target))
    assert code == 0, err
    assert target.read_bytes() == saved["html"].read_bytes()
    assert "sha256" in err and "file" in err

    code, stdout, err = run(db_path, "original", str(gz_id))  # to stdout: a pipe, not a terminal
    assert code == 0, err
    page = gzip.decompress(saved["gz"].read_bytes())
    assert stdout == page
    with SQLiteStore(db_path) as store:
        assert store.get(gz_id).article.raw_sha256 == store.original(gz_id).sha256
        stats = store.archive_stats()
    # Compressed, and no larger than the pages themselves.
    assert stats["raw_bytes"] == len(page) + saved["html"].stat().st_size
    assert stats["stored_bytes"] < stats["raw_bytes"] / 2


def test_the_same_bytes_are_stored_once(saved: dict[str, Path], db_path: Path, tmp_path: Path) -> None:
    """Issue 16 §2: originals are addressed by SHA-256; a page seen again adds a link, not a second copy."""
    again = tmp_path / "again"
    again.mkdir()
    shutil.copy(saved["html"], again / "copy.html")
    assert run(db_path, "ingest", str(saved["html"]))[0] == 0
    code, out, _ = run(db_path, "ingest", str(again / "copy.html"), "--json")
    assert code == 0
    assert json.loads(out)["unchanged"] == 1
    with SQLiteStore(db_path) as store:
        assert store.archive_stats()["originals"] == 1
        # Two articles carrying the same bytes (a page reached under two URLs): one row of bytes, two links.
        store.connection.execute("UPDATE articles SET key_url = 'https://elsewhere.example/1'")
    code, out, _ = run(db_path, "ingest", str(again / "copy.html"), "--json")
    assert json.loads(out)["stored"] == 1 and json.loads(out)["archive"] == {"deduplicated": 1}
    with SQLiteStore(db_path) as store:
        assert store.archive_stats() | {"raw_bytes": 0, "stored_bytes": 0} == {
            "originals": 1,
            "linked_revisions": 2,
            "raw_bytes": 0,
            "stored_bytes": 0,
        }


def test_original_of_a_fetched_page_keeps_status_headers_and_bytes(
    server: LocalServer, settings: Settings, data_dir: Path, db_path: Path
) -> None:
    """Issue 16 §2: a page fetched over HTTP (a real server on 127.0.0.1) comes back as served, with the
    response's status, Content-Type and headers kept beside it."""
    from dragoman.acquire.http import Fetcher
    from dragoman.pipeline import ingest as pipeline

    body = (data_dir / "html_ru/htmldate_eval/pages/1719330438.html").read_bytes()
    server.routes["/news/1.html"] = Reply(
        body=body, headers={"Content-Type": "text/html; charset=utf-8", "X-Served-By": "test"}
    )
    url = server.url("/news/1.html")
    with SQLiteStore(db_path) as store, Fetcher(settings) as fetcher:
        report = pipeline.ingest([url], store, settings, fetcher=fetcher)
        assert report.stored == 1 and report.archive == {"stored": 1}
        kept = store.original(report.article_ids[0])
    assert kept is not None
    assert kept.original.body == body
    assert (kept.original.kind, kept.original.status, kept.original.url) == ("http", 200, url)
    assert kept.original.content_type == "text/html; charset=utf-8"
    assert kept.original.headers.get("x-served-by") == "test"
    assert kept.original.fetched_at is not None


def test_the_monitor_keeps_the_page_it_fetched(
    server: LocalServer, settings: Settings, real_pages: dict[str, bytes], make_rss
) -> None:
    """Issue 16 §2: articles the monitor fetches from a feed keep their page; full-text feed items, which
    have no page, keep none."""
    from dragoman.acquire.http import Fetcher
    from dragoman.acquire.sources import FeedSource
    from dragoman.pipeline.watch import Monitor, MonitorConfig

    server.routes["/news/tass"] = Reply(200, real_pages["tass"], {"Content-Type": "text/html; charset=utf-8"})
    feed = make_rss([{"title": "t", "link": server.url("/news/tass")}])
    server.routes["/feed.xml"] = Reply(200, feed, {"Content-Type": "application/rss+xml"})
    with SQLiteStore(settings.db) as store, Fetcher(settings, retries=1) as fetcher:
        monitor = Monitor(store, settings, config=MonitorConfig(min_interval=60.0), fetcher=fetcher)
        report = monitor.run_once(monitor.add_feeds([FeedSource(server.url("/feed.xml"), "rss", "test")]))
        assert report.items.stored == 1 and report.items.archive == {"stored": 1}
        kept = store.original(report.items.article_ids[0])
    assert kept is not None and kept.original.body == real_pages["tass"]
    assert (kept.original.kind, kept.original.url) == ("http", server.url("/news/tass"))


def write_warc(path: Path, records: list[tuple[str, bytes, list[tuple[str, str]]]]) -> None:
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for url, payload, extra in records:
            headers = StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html; charset=utf-8"), *extra], protocol="HTTP/1.1"
            )
            record = writer.create_warc_record(url, "response", payload=io.BytesIO(payload), http_headers=headers)
            writer.write_record(record)
            record.raw_stream.close()


def warc_responses(path: Path) -> dict[str, tuple[str, bytes, str]]:
    """Response records read back with warcio: target URI -> (WARC-Date, payload, payload digest)."""
    found: dict[str, tuple[str, bytes, str]] = {}
    with path.open("rb") as handle:
        for record in ArchiveIterator(handle, check_digests="raise"):
            if record.rec_type == "response":
                uri = record.rec_headers.get_header("WARC-Target-URI")
                found[uri] = (
                    record.rec_headers.get_header("WARC-Date"),
                    record.content_stream().read(),
                    record.rec_headers.get_header("WARC-Payload-Digest"),
                )
    return found


def test_warc_record_round_trip_and_export(tmp_path: Path, real_pages: dict[str, bytes]) -> None:
    """Issue 16 §2: a WARC record's payload comes back byte for byte (decoded from its Content-Encoding, as
    extracted), and `export --format warc` writes WARC/1.1 request and response records that warcio reads
    with their digests checked, carrying the same payload, target URI and date; the export ingests again."""
    warc = tmp_path / "cc-news.warc.gz"
    kommersant_url, tass_url = "https://www.kommersant.ru/doc/7715044", "https://tass.ru/moskva/8836033"
    write_warc(
        warc,
        [
            (kommersant_url, gzip.compress(real_pages["kommersant"]), [("Content-Encoding", "gzip")]),
            (tass_url, real_pages["tass"], []),
        ],
    )
    db = tmp_path / "warc.db"
    result = CliRunner().invoke(main, ["--db", str(db), "ingest-warc", str(warc), "--json", "--no-print-alerts"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["stored"] == 2

    code, stdout, err = run(db, "original", tass_url)
    assert code == 0, err
    assert stdout == real_pages["tass"]
    code, stdout, _ = run(db, "original", kommersant_url)
    assert stdout == real_pages["kommersant"]
    with SQLiteStore(db) as store:
        kept = store.original(store.get(kommersant_url).id)
    assert kept.original.kind == "warc" and kept.original.status == 200
    assert kept.original.headers["content-encoding"] == "gzip"  # as received; the export says what it writes

    exported = tmp_path / "export.warc.gz"
    code, _, err = run(db, "export", "--format", "warc", "-o", str(exported))
    assert code == 0, err
    assert "2 original pages" in err
    with exported.open("rb") as handle:
        types = [(r.rec_type, r.rec_headers.protocol) for r in ArchiveIterator(handle)]
    assert types.count(("request", "WARC/1.1")) == 2 and types.count(("response", "WARC/1.1")) == 2
    responses = warc_responses(exported)
    assert set(responses) == {kommersant_url, tass_url}
    assert responses[tass_url][1] == real_pages["tass"]
    assert responses[kommersant_url][1] == real_pages["kommersant"]
    assert responses[tass_url][2].startswith("sha1:")
    assert responses[kommersant_url][0].startswith(kept.original.fetched_at.strftime("%Y-%m-%dT%H:%M:%S"))

    # fastwarc (what ingest-warc reads with) agrees on both digests.
    from fastwarc.warc import ArchiveIterator as FastIterator
    from fastwarc.warc import WarcRecordType

    for parse_http, verify in ((False, "verify_block_digest"), (True, "verify_payload_digest")):
        # Each check reads the record's body, so each gets its own pass (the payload's after the HTTP head).
        with exported.open("rb") as handle:
            checks = [
                getattr(record, verify)()
                for record in FastIterator(handle, record_types=WarcRecordType.response, parse_http=parse_http)
            ]
        assert checks == [True, True], verify

    again = tmp_path / "again.db"
    result = CliRunner().invoke(main, ["--db", str(again), "ingest-warc", str(exported), "--json", "--no-print-alerts"])
    assert json.loads(result.stdout)["stored"] == 2
    with SQLiteStore(again) as store:
        assert store.original(store.get(tass_url).id).sha256 == store.get(tass_url).article.raw_sha256


def test_original_refuses_a_terminal_and_explains_a_missing_original(
    saved: dict[str, Path], db_path: Path, tmp_path: Path
) -> None:
    """Issue 16 §2: binary is never written to a terminal (the user is told to use -o); a JSONL record has
    no original page, and `original` says so in one line."""
    assert run(db_path, "ingest", str(saved["html"]))[0] == 0
    leader, follower = pty.openpty()
    try:
        finished = subprocess.run(
            [sys.executable, "-m", "dragoman.cli", "--db", str(db_path), "original", "1"],
            stdout=follower,
            stderr=subprocess.PIPE,
            timeout=120,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT / "src")},
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert finished.returncode == 2
    assert b"binary: name a file with -o/--output" in finished.stderr
    assert b"Traceback" not in finished.stderr

    jsonl = tmp_path / "corpus.jsonl"
    record = {"url": "https://iz.ru/1/x", "title": "Заголовок", "text": "Первый абзац.\nВторой абзац."}
    jsonl.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    assert run(db_path, "ingest", str(jsonl))[0] == 0
    code, stdout, err = run(db_path, "original", "https://iz.ru/1/x")
    assert code == 1 and stdout == b""
    assert err.strip().count("\n") == 0
    assert "no original page is stored" in err and "JSONL" in err


def test_archive_off_and_capped(saved: dict[str, Path], db_path: Path, tmp_path: Path) -> None:
    """Issue 16 §2: archive_originals=false keeps no bytes; archive_max_bytes stops new originals at the cap,
    counts them in the report, and stores the articles all the same (exit 0)."""
    code, out, _ = run(db_path, "ingest", str(saved["html"]), "--json", env={"DRAGOMAN_ARCHIVE_ORIGINALS": "false"})
    assert code == 0 and json.loads(out)["stored"] == 1 and json.loads(out)["archive"] == {}
    with SQLiteStore(db_path) as store:
        assert store.archive_stats()["originals"] == 0

    capped = tmp_path / "capped.db"
    config = tmp_path / "config.toml"
    config.write_text("archive_max_bytes = 40000\n", encoding="utf-8")  # one compressed page fits, not two
    result = CliRunner().invoke(
        main, ["--db", str(capped), "--config", str(config), "ingest", str(saved["gz"].parent), "--json"]
    )
    summary = json.loads(result.stdout)
    assert result.exit_code == 0
    assert summary["stored"] == 2
    assert summary["archive"] == {"stored": 1, "over_cap": 1}
    with SQLiteStore(capped) as store:
        assert store.archive_stats()["stored_bytes"] <= 40000
        assert store.count() == 2
    page = tmp_path / "third.html"  # another file (its own article), other bytes: the archive is full
    page.write_bytes(saved["html"].read_bytes().replace(b"<title>", b"<title>3. ", 1))
    result = CliRunner().invoke(main, ["--db", str(capped), "--config", str(config), "ingest", str(page)])
    assert result.exit_code == 0
    assert "archive full: 1 original page not kept" in result.stderr


@pytest.fixture
def served_db(saved: dict[str, Path], db_path: Path) -> Iterator[tuple[Path, int]]:
    assert run(db_path, "ingest", str(saved["html"]))[0] == 0
    yield db_path, article_id(db_path, "tass.html")


def test_reader_serves_the_original_as_a_download_never_rendered(served_db: tuple[Path, int], saved) -> None:
    """Issue 16 §2: the reader links to the original, served as an attachment of type octet-stream with
    nosniff and a sandbox CSP: the page's scripts never run in the app's origin."""
    sys.path.insert(0, str(REPO_ROOT / "tests" / "serve"))
    from serve_corpus import asgi_client_class

    from dragoman.serve.app import create_app

    db, ident = served_db
    with asgi_client_class()(create_app(db)) as client:
        page = client.get(f"/articles/{ident}")
        assert f'href="/articles/{ident}/original?revision=1"' in page.text
        download = client.get(f"/articles/{ident}/original?revision=1")
        assert download.status_code == 200
        assert download.content == saved["html"].read_bytes()
        assert download.headers["content-type"] == "application/octet-stream"
        assert download.headers["content-disposition"].startswith("attachment;")
        assert download.headers["x-content-type-options"] == "nosniff"
        assert download.headers["content-security-policy"].startswith("sandbox")
        assert client.get(f"/articles/{ident}/original?revision=7").status_code == 404
        assert client.get(f"/articles/{ident + 1}/original").status_code == 404
