"""Issue 16: an English page of an outlet in the table (tass.com) is stored as English and not translated.

The page is modelled on tass.com's article markup as public scrapers read it (opnweb/tass-scraper:
``div.news-header__lead`` for the lead, ``div.text-block p`` for the text; categories such as /politics/).
It is ingested as a saved file whose canonical link gives its URL, through the real CLI, then `translate`
runs with the tiny random model over a store that also holds Russian articles.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dragoman.cli import main
from dragoman.settings import Settings
from dragoman.store import open_store

from .test_stage import wmt_articles

TASS_URL = "https://tass.com/politics/1234567"
LEAD = "Russia is ready to resume the grain deal once the terms agreed in Istanbul are met, the Kremlin spokesman said."
PARAGRAPHS = [
    "MOSCOW, July 4. /TASS/. Moscow will consider returning to the Black Sea Grain Initiative as soon as the "
    "part of the agreement that concerns Russian exports is implemented, Kremlin Spokesman Dmitry Peskov said.",
    "According to him, the commitments made to Russia under the memorandum signed with the United Nations "
    "have not been fulfilled, and no progress has been reported on reconnecting the agricultural bank to SWIFT.",
    "The spokesman added that the president had discussed the matter with several foreign leaders in recent "
    "weeks and that contacts with the UN Secretariat would continue at the working level.",
]
TASS_PAGE = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Kremlin ready to resume grain deal once its terms are met - Politics - TASS</title>
<link rel="canonical" href="{TASS_URL}">
<meta property="og:type" content="article">
<meta property="og:site_name" content="TASS">
<meta property="og:title" content="Kremlin ready to resume grain deal once its terms are met">
<meta property="og:description" content="{LEAD}">
<meta property="article:published_time" content="2023-07-04T13:05:00+03:00">
</head><body>
<nav class="menu"><a href="/politics">Politics</a><a href="/world">World</a><a href="/economy">Economy</a></nav>
<main><div class="news-header">
<h1 class="news-header__title">Kremlin ready to resume grain deal once its terms are met</h1>
<div class="news-header__lead">{LEAD}</div>
</div>
<div class="text-block">{"".join(f"<p>{p}</p>" for p in PARAGRAPHS)}</div></main>
<footer>&copy; TASS Russian News Agency</footer>
</body></html>
"""


def _run(db: Path | str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--db", str(db), *args], catch_exceptions=False)
    return result.exit_code, result.stdout


def test_english_tass_page_is_stored_as_english_and_not_translated(
    installed_store: Settings, tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 16: a tass.com page is stored with language en (not refused as "not Russian") and translate skips it."""
    monkeypatch.setenv("DRAGOMAN_MODELS", str(installed_store.models_dir))
    db = installed_store.db
    page = tmp_path / "tass-1234567.html"
    page.write_text(TASS_PAGE, encoding="utf-8")
    with open_store(db) as store:
        store.ingest(wmt_articles(data_dir, 1)[0])  # a Russian article beside it, which translate must do

    code, out = _run(db, "ingest", "--json", str(page))
    assert code == 0, out
    assert json.loads(out)["stored"] == 1

    with open_store(db) as store:
        stored = store.get(TASS_URL)
        assert stored is not None
        before = stored.article
    assert before.language == "en"
    assert before.outlet == "tass.ru"
    assert before.lead == LEAD
    assert [b.text for b in before.blocks] == PARAGRAPHS
    assert before.rubric == "Politics"
    assert before.extra["extract"]["arrived_in"] == "en"

    code, out = _run(db, "translate", "--json", "--device", "cpu", "--beam", "1")
    assert code == 0, out
    report = json.loads(out)
    assert report["articles"] == 1  # the Russian article
    assert report["skipped"] == {"english": 1}

    with open_store(db) as store:
        after = store.get(TASS_URL)
        assert after is not None
        russian = [s for s in store.iter_articles() if s.article.language == "ru"]
    assert after.article.translation is None
    assert (after.article.title, after.article.lead, after.article.text) == (before.title, before.lead, before.text)
    assert after.revision_count == 1
    assert russian and russian[0].article.translation is not None
