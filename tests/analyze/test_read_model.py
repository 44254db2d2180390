"""One read model of the analysis: the CLI, the web pages and the API give the same timeline and quotes.

The corpus is analyzed by the real analyze stage and stored in a real SQLite file or a real PostgreSQL
database (``DRAGOMAN_TEST_POSTGRES``, or a throwaway server; skipped when neither is there, as in tests/store).
The question is the one the three front ends answered differently before: the timeline of Russia and NATO,
and the quotes of Stoltenberg.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dragoman.analyze import analyze_article
from dragoman.article import Article
from dragoman.cli import main
from dragoman.serve.app import create_app
from dragoman.store import open_store
from serve.serve_corpus import asgi_client_class

ARTICLES = [
    (
        "https://iz.ru/1",
        datetime(2022, 1, 25, 21, tzinfo=UTC),
        [
            "В начале октября альянс выслал восемь сотрудников российского постпредства.",
            "«Мы сожалеем, что Россия закрыла дипмиссию при НАТО», — сказал Йенс Столтенберг 12 января.",
        ],
    ),
    (
        "https://tass.ru/2",
        datetime(2022, 1, 26, 9, tzinfo=UTC),
        [
            "Как напомнил «Известиям» информированный источник, в начале октября НАТО выслало восемь сотрудников"
            " российского постпредства.",
            "В ответ Россия приостановила работу своего постпредства при НАТО.",
            "Генсек НАТО Йенс Столтенберг заявил, что альянс готов к диалогу с Москвой.",
        ],
    ),
]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def analyzed_db(request: pytest.FixtureRequest, tmp_path: Path, make_article: Callable[..., Article]) -> str:
    """A database (SQLite path or PostgreSQL URL) holding the articles and the analyze stage's records."""
    url = str(tmp_path / "dragoman.db") if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    with open_store(url) as store:
        for page_url, published, paragraphs in ARTICLES:
            outlet = page_url.split("/")[2]
            article = make_article(paragraphs, url=page_url, outlet=outlet, published=published)
            result = store.ingest(article)
            analysis = analyze_article(article)
            store.save_analysis(result.revision_id, analysis, analysis["analyzer_version"])
    return url


def _cli_json(db: str, *args: str) -> Any:
    result = CliRunner().invoke(main, ["--db", db, *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _page_timeline(html: str) -> list[tuple[str, list[int]]]:
    """(event type, source article ids) of each entry the timeline page lists."""
    entries = re.findall(r'<strong class="etype">([^<]+)</strong>.*?<ul class="sources">(.*?)</ul>', html, re.S)
    return [(kind, [int(i) for i in re.findall(r'href="/articles/(\d+)', sources)]) for kind, sources in entries]


def _page_quotes(html: str) -> list[int]:
    """Article ids of the rows of the quotes page, in order."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [int(row) for row in re.findall(r'<tr>.*?href="/articles/(\d+)', body, re.S)]


def test_cli_pages_and_api_give_the_same_timeline_and_quotes(analyzed_db: str) -> None:
    cli_timeline = _cli_json(analyzed_db, "timeline", "--actor", "Russia", "--target", "NATO")
    cli_one_way = _cli_json(analyzed_db, "timeline", "--actor", "Russia", "--target", "NATO", "--one-way")
    cli_quotes = _cli_json(analyzed_db, "quotes", "--speaker", "Stoltenberg")
    with asgi_client_class()(create_app(analyzed_db)) as client:
        api_timeline = client.get("/api/timeline", params={"actor": "Russia", "target": "NATO"}).json()
        api_one_way = client.get("/api/timeline", params={"actor": "Russia", "target": "NATO", "one_way": "true"})
        api_quotes = client.get("/api/quotes", params={"speaker": "Stoltenberg"}).json()
        page_timeline = _page_timeline(client.get("/timeline", params={"actor": "Russia", "target": "NATO"}).text)
        page_quotes = _page_quotes(client.get("/quotes", params={"speaker": "Stoltenberg"}).text)

    # The timeline: both directions between the two parties, the shared expulsion one entry with both sources.
    assert cli_timeline == api_timeline
    assert page_timeline == [(e["type"], [s["article_id"] for s in e["sources"]]) for e in cli_timeline]
    directions = {(e["actor_state"] or e["actor_name"], e["target_state"] or e["target_name"]) for e in cli_timeline}
    assert directions == {("NATO", "Russia"), ("Russia", "NATO")}
    expel = [e for e in cli_timeline if e["mode"] == "expel_diplomats"]
    assert len(expel) == 1 and {s["url"] for s in expel[0]["sources"]} == {"https://iz.ru/1", "https://tass.ru/2"}
    assert cli_timeline == sorted(cli_timeline, key=lambda e: e["date"])
    # one way: only what Russia does to NATO, the same answer from the CLI and the API
    assert cli_one_way == api_one_way.json() and cli_one_way
    assert {(e["actor_state"] or e["actor_name"], e["target_name"]) for e in cli_one_way} == {("Russia", "NATO")}

    # The quotes: both of Stoltenberg's, found by a part of his English name, newest first.
    assert cli_quotes == api_quotes
    assert [q["speaker"] for q in cli_quotes] == ["Q57665", "Q57665"]
    assert [q["url"] for q in cli_quotes] == ["https://tass.ru/2", "https://iz.ru/1"]
    assert page_quotes == [q["article_id"] for q in cli_quotes]


def test_timeline_dates_events_as_the_text_does(store_url: str, make_article: Callable[..., Article]) -> None:
    """An event the text dates keeps its date; one told as the day's news takes its article's day, marked so;
    one the text leaves undated (planned, told as earlier news) is never given the publication day."""
    article = make_article(["Россия выслала дипломатов.", "НАТО планирует встречу.", "Ранее стороны встречались."],
                           published=datetime(2022, 1, 25, 21, 1, tzinfo=UTC))  # fmt: skip
    russia = {"entity": "Q159", "name": "Russia", "state": "Russia"}
    nato = {"entity": "Q7184", "name": "NATO", "state": "NATO"}
    events = [
        {"sentence": 1, "type": "SANCTION", "actor": russia, "target": nato, "dated_by": "text",
         "date": {"text": "12 января", "value": "2022-01-12", "precision": "day", "begin": "2022-01-12"}},
        {"sentence": 2, "type": "MEET", "actor": nato, "target": russia, "dated_by": None, "status": "planned"},
        {"sentence": 3, "type": "CONSULT", "actor": russia, "target": nato, "dated_by": "publication"},
    ]  # fmt: skip
    with open_store(store_url) as store:
        result = store.ingest(article)
        store.save_analysis(result.revision_id, {"analyzer_version": "test", "events": events}, "test")
    entries = _cli_json(store_url, "timeline")
    by_type = {e["type"]: e for e in entries}
    assert (by_type["SANCTION"]["date"], by_type["SANCTION"]["date_basis"]) == ("2022-01-12", "text")
    # published 2022-01-25 21:01 UTC, 00:01 in Moscow: the day printed on the article
    assert (by_type["CONSULT"]["date"], by_type["CONSULT"]["date_basis"]) == ("2022-01-26", "published")
    assert (by_type["MEET"]["date"], by_type["MEET"]["date_basis"]) == (None, "none")
    assert [e["type"] for e in entries] == ["SANCTION", "CONSULT", "MEET"]  # undated last, on both databases
    assert "MEET" not in {e["type"] for e in _cli_json(store_url, "timeline", "--since", "2022-01-01")}
