"""Issue 13, the output side: canonical hijacks (3), CSV formula injection (8), markup in the source line (9)
and terminal and display injection (13). Each test plays the attack through the real CLI, store or web app."""

from __future__ import annotations

import gzip
import io
import json
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dragoman.acquire.page import RawPage
from dragoman.cli import main
from dragoman.extract import extract

KOMMERSANT_URL = "https://www.kommersant.ru/doc/7715044"
KOMMERSANT_TITLE = "Легкий троннинг"
FAKE_TITLE = "Поддельный заголовок о переговорах в Кремле"
FAKE_BODY = """<p>Президент России Владимир Путин провел совещание с членами правительства. Обсуждали бюджет на
следующий год и расходы на здравоохранение, образование и строительство дорог в регионах страны.</p>
<p>По словам пресс-секретаря, участники совещания договорились вернуться к теме через месяц и подготовить
новые предложения по финансированию национальных проектов.</p>"""


def hijack_page(canonical: str, title: str = FAKE_TITLE) -> bytes:
    """A page on any host that names another outlet's article as its canonical URL."""
    return (
        f'<html lang="ru"><head><meta charset="utf-8"><title>{title}</title>'
        f'<link rel="canonical" href="{canonical}"><meta property="og:type" content="article"></head>'
        f"<body><article><h1>{title}</h1>{FAKE_BODY}<p class='date'>26 января 2022, 00:01</p></article></body></html>"
    ).encode()


def run(db: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--db", str(db), "--host-delay", "0", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def kommersant_file(tmp_path: Path, data_dir: Path) -> Path:
    """The real Kommersant page, saved to disk as a user would have it."""
    target = tmp_path / "saved" / "Kommersant_2025_05_14.html.gz"
    target.parent.mkdir()
    shutil.copy(data_dir / "html_ru/fundus/ru/Kommersant_2025_05_14.html.gz", target)
    return target


@pytest.fixture
def hostile_site() -> Iterator[tuple[str, dict[str, bytes]]]:
    """A real HTTP server on 127.0.0.1; tests put pages in the dict it serves from."""
    pages: dict[str, bytes] = {"/robots.txt": b"User-agent: *\nAllow: /\n"}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            body = pages.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", pages
    server.shutdown()
    server.server_close()


# -- item 3: canonical hijacks ---------------------------------------------------------------------------


def test_a_page_on_another_host_cannot_overwrite_an_outlets_article(
    kommersant_file: Path, hostile_site: tuple[str, dict[str, bytes]], db_path: Path
) -> None:
    """Item 3: a page at any address claiming Kommersant's canonical URL stays a separate article."""
    base, pages = hostile_site
    pages["/news/1.html"] = hijack_page(KOMMERSANT_URL)
    code, _, err = run(db_path, "ingest", str(kommersant_file))
    assert code == 0, err
    code, out, err = run(db_path, "--allow-private", "ingest", f"{base}/news/1.html", "--json")
    assert code == 0, err
    assert json.loads(out)["stored"] == 1  # a new article, not a new revision of article 1

    code, out, _ = run(db_path, "show", "1")
    assert out.splitlines()[0] == KOMMERSANT_TITLE and FAKE_TITLE not in out
    code, out, _ = run(db_path, "show", KOMMERSANT_URL)
    assert out.splitlines()[0] == KOMMERSANT_TITLE
    conn = sqlite3.connect(db_path)
    rows = conn.execute("SELECT id, key_url, outlet, revision_count FROM articles ORDER BY id").fetchall()
    assert rows == [(1, KOMMERSANT_URL, "kommersant.ru", 1), (2, f"{base}/news/1.html", "127.0.0.1", 1)]
    code, out, _ = run(db_path, "show", "2", "--format", "json")
    fake = json.loads(out)
    assert fake["title"] == FAKE_TITLE and fake["canonical_url"] is None
    assert fake["extra"]["extract"]["claimed_canonical_url"] == KOMMERSANT_URL  # noted, never the key
    code, out, _ = run(db_path, "show", "2")
    assert out.splitlines()[-1] == f"Original Document: Russian: {base}/news/1.html"


def test_a_warc_record_from_an_unlisted_host_cannot_overwrite_an_outlets_article(
    tmp_path: Path, data_dir: Path, db_path: Path
) -> None:
    """Item 3: the same hijack through a WARC record; the record's target URI is the page's address."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    kommersant = gzip.decompress((data_dir / "html_ru/fundus/ru/Kommersant_2025_05_14.html.gz").read_bytes())
    records = [(KOMMERSANT_URL, kommersant), ("https://unlisted-news.example/politics/1", hijack_page(KOMMERSANT_URL))]
    warc = tmp_path / "hijack.warc.gz"
    with warc.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for url, body in records:
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            record = writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers)
            writer.write_record(record)
            record.raw_stream.close()
    code, out, err = run(db_path, "ingest-warc", str(warc), "--json", "--no-print-alerts")
    assert code == 0, err
    assert json.loads(out)["stored"] == 2
    code, out, _ = run(db_path, "show", KOMMERSANT_URL)
    assert out.splitlines()[0] == KOMMERSANT_TITLE
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT key_url, revision_count FROM articles ORDER BY id").fetchall() == [
        (KOMMERSANT_URL, 1),
        ("https://unlisted-news.example/politics/1", 1),
    ]


def test_a_canonical_on_the_pages_own_site_or_an_outlet_alias_is_still_taken() -> None:
    """Item 3: the rule only refuses other sites; subdomains and outlets.toml aliases keep their canonical."""
    own = extract(RawPage(url="https://m.iz.ru/1282340", body=hijack_page("https://iz.ru/1282340/2022-01-26/x")))
    assert own.canonical_url == "https://iz.ru/1282340/2022-01-26/x" and own.outlet == "iz.ru"
    alias = extract(RawPage(url="https://izvestia.ru/news/1", body=hijack_page("https://iz.ru/1282340/2022-01-26/x")))
    assert alias.canonical_url == "https://iz.ru/1282340/2022-01-26/x"
    # A saved file has no site of its own: its canonical says where it was published (the user's own input).
    saved = extract(RawPage(url="file:///tmp/saved.html", body=hijack_page(KOMMERSANT_URL)))
    assert saved.canonical_url == KOMMERSANT_URL
    # Public-suffix aware: two sites under one public suffix are different sites.
    foreign = extract(RawPage(url="https://someone.github.io/a", body=hijack_page("https://other.github.io/b")))
    assert foreign.canonical_url is None and foreign.key_url == "https://someone.github.io/a"
