"""What a person sees, in real Chromium (Debian's /usr/bin/chromium) driven by Playwright.

The app runs under uvicorn on 127.0.0.1 in a thread; screenshots of each page go to the test's tmp folder.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from serve_corpus import Corpus

from dragoman.acquire.dedupe import StoryIndex
from dragoman.article import Article, Block, BlockKind, SentencePair, TranslatedSegment, Translation
from dragoman.serve.app import create_app
from dragoman.store import open_store
from system_packages import missing_system_package

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]  # fmt: skip

pytestmark = pytest.mark.browser


@contextmanager
def serving(db: Path) -> Iterator[str]:
    """The app over ``db`` under uvicorn on a free 127.0.0.1 port, in a thread; yields its base URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    config = uvicorn.Config(create_app(db), host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    app_server = uvicorn.Server(config)
    thread = threading.Thread(target=app_server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not app_server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        app_server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def server(corpus: Corpus) -> Iterator[str]:
    with serving(corpus.db) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        missing_system_package("the real-browser test", "chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.console_errors = []  # type: ignore[attr-defined]
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))  # type: ignore[attr-defined]
    page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))  # type: ignore[attr-defined]
    yield page
    context.close()


def test_search_read_align_entity_and_timeline(server: str, page: Any, corpus: Corpus, tmp_path: Path) -> None:
    # Search for a Russian word through the form.
    page.goto(server + "/")
    page.fill("input[name=q]", "Путина")
    page.click("form.search button[type=submit]")
    page.wait_for_selector("ol.hits li.hit")
    assert page.locator("ol.hits li.hit").count() >= 5
    assert page.locator("p.snippet[lang=ru] mark").first.inner_text().startswith("Путин")
    page.screenshot(path=str(tmp_path / "search-ru.png"), full_page=True)

    # An English word finds the translations, highlighted in English.
    page.fill("input[name=q]", "president")
    page.click("form.search button[type=submit]")
    page.wait_for_selector("p.snippet[lang=en] mark")
    assert page.locator("p.snippet[lang=en] mark").first.inner_text().lower().startswith("president")
    page.screenshot(path=str(tmp_path / "search-en.png"), full_page=True)

    # Open an article from the results; click an English sentence: its Russian source lights up.
    page.locator("ol.hits a.title").first.click()
    page.wait_for_selector(".reader.bilingual")
    english = page.locator('.aligned .en .s[data-s="2"]')
    russian = page.locator('.aligned .ru .s[data-s="2"]')
    assert "pinned" not in (russian.get_attribute("class") or "")
    english.click()
    assert "pinned" in (russian.get_attribute("class") or "")
    assert "pinned" in (english.get_attribute("class") or "")
    other_ru = page.locator('.aligned .ru .s[data-s="3"]')
    page.locator('.aligned .en .s[data-s="3"]').hover()
    assert "hover" in (other_ru.get_attribute("class") or "")
    # Highlight colour is visible, not just a class name.
    background = russian.evaluate("el => getComputedStyle(el).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")
    page.screenshot(path=str(tmp_path / "article.png"), full_page=True)

    # The entity page of a linked person, with its chart.
    article_id = next(i for i in corpus.putin_ids if corpus.articles[i].analysis["quotes"][0]["sentence"] > 0)  # type: ignore[index]
    page.goto(f"{server}/articles/{article_id}")
    page.locator('.aligned a.ent[href="/entities/Q7747"]').first.click()
    page.wait_for_selector("h1.entity-name")
    assert "Vladimir Putin" in page.locator("h1.entity-name").inner_text()
    assert page.locator("svg rect.bar").count() >= 5
    page.screenshot(path=str(tmp_path / "entity.png"), full_page=True)

    # The timeline of Russia and NATO: dots in an inline SVG linking to source sentences.
    page.goto(f"{server}/timeline?actor=Russia&target=NATO")
    assert page.locator("svg circle.dot").count() >= 5
    assert page.locator("ol.timeline > li").count() >= 5
    page.screenshot(path=str(tmp_path / "timeline.png"), full_page=True)
    page.locator("ol.timeline ul.sources a").first.click()
    page.wait_for_selector(".reader")
    assert page.url.split("#")[1].startswith("s")
    assert page.locator(".reader .s.pinned").count() == 2  # the linked sentence is shown with its source

    assert page.console_errors == []  # no CSP violations, no script errors
    for name in ("search-ru", "search-en", "article", "entity", "timeline"):
        assert (tmp_path / f"{name}.png").stat().st_size > 10_000


def test_pages_read_without_javascript(browser: Any, server: str, corpus: Corpus) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{server}/?q=Путин")
    assert page.locator("ol.hits li.hit").count() >= 5
    page.goto(f"{server}/articles/{corpus.putin_ids[0]}")
    assert page.locator(".aligned .en .s").count() == page.locator(".aligned .ru .s").count() > 3
    context.close()


def test_hostile_article_stays_text_in_the_browser(browser: Any, tmp_path: Path) -> None:
    """Script tags, an event-handler image and a javascript: source link, stored as a real article: Chromium
    runs none of it (no dialog, no extra script element) and shows the markup as text."""
    script = '<script>alert("owned")</script>'
    title = f"Взрыв {script} <img src=x onerror=alert(2)>"
    store = open_store(tmp_path / "d.db")
    article = Article(url="javascript:alert(3)", title=title, blocks=[Block(BlockKind.PARAGRAPH, f"Текст {script}.")],
                      published_at=datetime(2022, 1, 1, tzinfo=UTC))  # fmt: skip
    first = store.ingest(article)
    index = StoryIndex(store)
    index(first.article_id, article, first)
    # The outlet edits it (a second revision, more markup) and a mirror copies the edited text (its story).
    edited = replace(article, title=f"{title} (обновлено)", content_sha256="")  # ingest hashes the new content
    result = store.ingest(edited)
    index(result.article_id, edited, result)
    mirror = replace(edited, url="https://mirror.example/1")
    mirrored = store.ingest(mirror)
    assert index.assign(mirrored.article_id, mirror).kind == "exact_hash"
    store.save_translation(
        result.revision_id,
        Translation(engine="t", model_id="m", translated_at=datetime(2022, 1, 2, tzinfo=UTC),
                    title=TranslatedSegment("title", 0, [SentencePair(title, f"Blast {script}")]),
                    blocks=[TranslatedSegment("block", 0, [SentencePair(f"Текст {script}.", f"Text {script}.")])]),
    )  # fmt: skip
    store.close()
    context = browser.new_context()
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    with serving(tmp_path / "d.db") as url:
        pages = (f"/articles/{result.article_id}", f"/articles/{result.article_id}/diff")
        for path in (*pages, f"/articles/{mirrored.article_id}", "/?q=взрыв", "/?q=blast"):
            page.goto(url + path)
            page.wait_for_load_state("load")
            assert page.evaluate("document.scripts.length") == 1, path  # only /static/app.js
            assert page.evaluate("document.images.length") == 0, path
        page.goto(f"{url}/articles/{result.article_id}/diff")
        assert script in page.locator("pre.diff-lines .add").first.inner_text()
        page.goto(f"{url}/articles/{mirrored.article_id}")  # the copy shows its story's English as text
        assert script in page.locator("h1.en").inner_text()
        page.goto(f"{url}/articles/{result.article_id}")
        assert script in page.locator("h1.en").inner_text()
        assert script in page.locator(".story-members a").first.inner_text()
        assert page.locator("a[href^='javascript:']").count() == 0
        page.locator(".unsafe-url").click()  # the URL is plain text: clicking it does nothing
    assert dialogs == []
    context.close()


def test_front_page_story_and_brief_in_chromium(page: Any, tmp_path: Path) -> None:
    """Issue 15: the top stories home page, a story page and the printable brief, in real Chromium."""
    from front_corpus import WATCHLIST, build_front_corpus

    built = build_front_corpus(tmp_path / "front.db")
    at = built.now.strftime("%Y-%m-%dT%H:%M:%SZ")  # no "+" in a query string
    with serving(tmp_path / "front.db") as url:
        page.goto(f"{url}/?at={at}")
        page.wait_for_selector("ol.stories li.story")
        assert page.locator("ol.stories a.headline").first.inner_text() == "Central Bank keeps key rate at 16%"
        assert "Sergei Shoigu" in page.locator("aside.surging").inner_text()
        assert page.locator('link[rel="alternate"][type="application/atom+xml"]').count() == 1
        page.screenshot(path=str(tmp_path / "front.png"), full_page=True)
        page.locator("ol.stories a.headline").first.click()
        page.wait_for_selector("ol.members li.member")
        assert page.locator("ol.members li.member").count() == 4
        assert (
            page.locator(".changes li.added")
            .first.inner_text()
            .endswith("Analysts had expected exactly this decision.")
        )
        page.screenshot(path=str(tmp_path / "story.png"), full_page=True)
        page.goto(f"{url}/brief?at={at}&watchlist={WATCHLIST}")
        page.wait_for_selector("article.brief section.brief-hits li")
        assert page.locator("section.brief-quotes li").count() == 6
        page.emulate_media(media="print")
        assert not page.locator("header.top").is_visible()  # the print stylesheet hides the navigation
        page.screenshot(path=str(tmp_path / "brief-print.png"), full_page=True)
        page.pdf(path=str(tmp_path / "brief.pdf"), format="A4")
        assert page.console_errors == []  # no CSP violations
    for name in ("front", "story", "brief-print"):
        assert (tmp_path / f"{name}.png").stat().st_size > 10_000
    assert (tmp_path / "brief.pdf").read_bytes().startswith(b"%PDF")


@pytest.fixture(scope="module")
def mixed_corpus(tmp_path_factory: pytest.TempPathFactory, shared_dir: Path, data_dir: Path) -> dict[str, Any]:
    """What an analyst's corpus holds (issue 14): an ingested page left untranslated (Kommersant), the
    imported English example document, and a Russian article with its human English translation (WMT
    newstest2019, a passage about NATO), all analyzed by the real analyze stage."""
    from click.testing import CliRunner
    from serve_corpus import SENTENCES_PER_ARTICLE, article_of, read_pairs, translation_of

    from dragoman.cli import main

    db = tmp_path_factory.mktemp("mixed") / "d.db"
    example = shared_dir / "examples/izvestia-2022-01-26.txt"

    def cli(*args: str) -> None:
        result = CliRunner().invoke(main, ["--db", str(db), *args], catch_exceptions=False)
        assert result.exit_code == 0, result.stderr

    cli("ingest", str(data_dir / "html_ru/fundus/ru/Kommersant_2025_05_14.html.gz"))
    cli("import", str(example))
    pairs = read_pairs(data_dir, 1500)
    chunks = [pairs[i : i + SENTENCES_PER_ARTICLE] for i in range(0, len(pairs), SENTENCES_PER_ARTICLE)]
    chunk = next(c for c in chunks if any("НАТО" in r for r, _ in c))
    with open_store(db) as store:
        stored = store.ingest(article_of(chunk, 0))
        store.save_translation(stored.revision_id, translation_of(chunk))
    cli("analyze")
    return {"db": db, "untranslated": 1, "imported": 2, "translated": stored.article_id, "example": example}


def test_an_analysts_walk_search_reader_entity_quotes_timeline(
    browser: Any, mixed_corpus: dict[str, Any], tmp_path: Path
) -> None:
    """Issue 14's closing walk, in Chromium with a screenshot of every page: search -> reader -> entity ->
    quotes -> timeline, over an imported English document, a translated article and an untranslated one."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    shots: list[str] = []

    def shot(name: str) -> None:
        page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
        shots.append(name)

    with serving(mixed_corpus["db"]) as server:
        # Search: an English word finds the imported English document and the translated article.
        page.goto(server + "/")
        page.fill("input[name=q]", "NATO")
        page.click("form.search button[type=submit]")
        page.wait_for_selector("ol.hits li.hit")
        titles = page.locator("ol.hits a.title").all_inner_texts()
        assert any(t.startswith("Non-permanent: will the Russian Federation restore") for t in titles)
        assert any(t.startswith("During his mission, the Maydan events") for t in titles)
        imported_hit = page.locator("ol.hits li.hit", has_text="Non-permanent")
        assert imported_hit.locator(".title-ru").count() == 0  # an English document's title is shown once
        exports = page.locator("p.exports a").all_inner_texts()
        assert "Markdown" in exports and "q=NATO" in (page.locator("p.exports a").first.get_attribute("href") or "")
        shot("1-search")

        # Reader of the imported document: it arrived in English, from a file, in Izvestia's rubric "World".
        page.locator("ol.hits a.title", has_text="Non-permanent").click()
        page.wait_for_selector(".reader")
        meta = page.locator("dl.meta").inner_text()
        assert "arrived in English" in meta
        assert f"from {mixed_corpus['example']}" in meta and "Fetched" not in meta
        assert "World" in meta and "PEACE" not in meta.upper()
        assert page.locator("a.source").get_attribute("href", timeout=2000).startswith("https://iz.ru/1281923/")
        shot("2-reader-imported")

        # Entity: Jens Stoltenberg, from his name in the text; his chart and his quotes.
        page.locator(".aligned a.ent", has_text="Stoltenberg").first.click()
        page.wait_for_selector("h1.entity-name")
        assert "Jens Stoltenberg" in page.locator("h1.entity-name").inner_text()
        assert page.locator("svg rect.bar").count() >= 1
        assert "We regret that Russia has closed the diplomatic mission" in page.locator("body").inner_text()
        shot("3-entity")

        # Quotes: the speaker's name in the form finds his two quotes, linked to their sentences.
        page.goto(server + "/quotes")
        page.fill("input[name=speaker]", "Jens Stoltenberg")
        page.click("form button[type=submit]")
        page.wait_for_selector("table.quotes")
        rows = page.locator("table.quotes tbody tr")
        assert rows.count() == 2
        assert "We regret" in rows.all_inner_texts()[0] + rows.all_inner_texts()[1]
        shot("4-quotes")

        # Timeline of NATO (the entity page's timeline link): unknown parties in words, quotes marked once.
        page.goto(server + "/entities/Q7184")
        page.locator('a[href^="/timeline?entity="]').first.click()
        page.wait_for_selector("ol.timeline")
        assert page.url.endswith("/timeline?entity=Q7184")
        assert page.locator("svg circle.dot").count() >= 5
        listing = page.locator("ol.timeline").inner_text()
        assert "unknown target" in listing and "→ ?" not in listing
        assert "““" not in listing
        shot("5-timeline")
        # Stoltenberg's own timeline: "We regret ..." is his act (the quoted "we" is its speaker), its evidence
        # keeps the sentence's own quotation mark and gets no second one.
        page.goto(server + "/timeline?entity=Q57665")
        page.wait_for_selector("ol.timeline")
        listing = page.locator("ol.timeline").inner_text()
        assert "““" not in listing and "“We regret" in listing

        # The translated article reads in both languages; the ingested one names its canonical link.
        page.goto(f"{server}/articles/{mixed_corpus['translated']}")
        page.wait_for_selector(".reader.bilingual")
        page.locator('.aligned .en .s[data-s="2"]').click()
        assert "pinned" in (page.locator('.aligned .ru .s[data-s="2"]').get_attribute("class") or "")
        shot("6-reader-translated")
        page.goto(f"{server}/articles/{mixed_corpus['untranslated']}")
        meta = page.locator("dl.meta").inner_text()
        assert "not translated yet" in meta
        assert page.locator("a.source").get_attribute("href") == "https://www.kommersant.ru/doc/7715044"
        shot("7-reader-untranslated")

        assert errors == []  # no CSP violations, no script errors on the way

        # A mistyped date is a page of the site, not JSON (Chromium logs its 400 status, nothing else).
        page.goto(server + "/?q=NATO&since=2022-13-01")
        assert page.locator("nav").count() == 1 and "is not a date" in page.locator("main, body").first.inner_text()
        shot("8-bad-date")

    context.close()
    assert [e for e in errors if "status of 400" not in e] == []
    for name in shots:
        assert (tmp_path / f"{name}.png").stat().st_size > 10_000
