"""The analyst's morning (issue 15): top stories, story pages, surging, attention, the brief and the Atom feeds,
over a corpus with known stories (front_corpus.py), on SQLite and, with DRAGOMAN_TEST_POSTGRES, PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import feedparser
import pytest
from front_corpus import SHOIGU, WATCHLIST, FrontCorpus, build_front_corpus
from serve_corpus import asgi_client_class

from dragoman.analyze.story_rank import OutletPresence, rank_stories
from dragoman.analyze.surge import poisson_sf, surges
from dragoman.serve import morning
from dragoman.serve.app import create_app
from dragoman.store import open_store

REPO = Path(__file__).resolve().parents[2]


def _postgres_database() -> Iterator[str]:
    server = os.environ.get("DRAGOMAN_TEST_POSTGRES")
    if not server:
        pytest.skip("set DRAGOMAN_TEST_POSTGRES to a PostgreSQL server URL to run the PostgreSQL case")
    import psycopg

    name = f"t_front_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.rpartition("/")[0] + "/" + name
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def front_corpus(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FrontCorpus]:
    if request.param == "sqlite":
        yield build_front_corpus(tmp_path_factory.mktemp("front") / "front.db")
        return
    databases = _postgres_database()
    url = next(databases)
    try:
        yield build_front_corpus(url)
    finally:
        databases.close()


@pytest.fixture(scope="module")
def front_client(front_corpus: FrontCorpus) -> Iterator[Any]:
    with asgi_client_class()(create_app(front_corpus.db)) as client:
        yield client


def at(corpus: FrontCorpus) -> str:
    return corpus.now.isoformat()


# -- pure parts -------------------------------------------------------------------------------------------


def test_ranking_counts_distinct_outlets_and_prefers_recent() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    hour = timedelta(hours=1)
    ranked = rank_stories(
        {
            1: [OutletPresence("a", 9, now - 2 * hour, now - hour)],  # one prolific outlet
            2: [OutletPresence(o, 1, now - hour, now - hour) for o in "abc"],  # three outlets now
            3: [OutletPresence(o, 1, now - 20 * hour, now - 20 * hour) for o in "abc"],  # three, yesterday
        },
        now=now,
        window=timedelta(hours=24),
    )
    assert [r.key for r in ranked] == [2, 3, 1]


def test_poisson_tail_and_surge_rule() -> None:
    assert poisson_sf(0, 3.0) == 1.0
    assert abs(poisson_sf(1, 2.0) - (1 - 2.718281828459045**-2)) < 1e-12
    assert abs(poisson_sf(6, 0.7) - 9.4e-5) < 1e-5  # far tail, summed in log space
    found = surges({"x": 6, "y": 6, "z": 2}, {"x": 1, "y": 30}, window_total=12, baseline_total=34)
    assert [s.key for s in found] == ["x"]  # y is as common as ever; z is below the minimum count
    # without a baseline nothing surges: the expected count is the whole window
    assert surges({"x": 6}, {}, window_total=6, baseline_total=0) == []


# -- top stories ------------------------------------------------------------------------------------------


def test_top_stories_ranked_by_outlets_with_english_headlines(front_corpus: FrontCorpus) -> None:
    with open_store(front_corpus.db) as store:
        found = morning.top_stories(store, window=timedelta(hours=24), now=front_corpus.now)
        stories = [s for s in found.stories if s.story_id]
        assert stories[0].story_id == front_corpus.stories["cb"]
        cb = stories[0]
        assert {o for o, _ in cb.outlets} == {"tass.ru", "mirror.example", "kommersant.ru", "ria.ru"}
        assert cb.headline == "Central Bank keeps key rate at 16%" and cb.headline_lang == "en"
        assert cb.lead_en.startswith("The Central Bank of Russia kept its key rate")
        assert [e["name"] for e in cb.organizations] == ["Central Bank of Russia"]
        assert [e["name"] for e in cb.places] == ["Moscow"]
        assert stories[1].story_id == front_corpus.stories["gas"]
        assert front_corpus.stories["old"] not in [s.story_id for s in found.stories]  # two days old
        week = morning.top_stories(store, window=timedelta(days=3), now=front_corpus.now)
        keys = [s.story_id for s in week.stories if s.story_id]
        assert keys.index(front_corpus.stories["cb"]) < keys.index(front_corpus.stories["old"])
        only_iz = morning.top_stories(store, window=timedelta(days=3), now=front_corpus.now, outlets=["iz.ru"])
        assert {s.story_id for s in only_iz.stories if s.story_id} == {
            front_corpus.stories["gas"],
            front_corpus.stories["old"],
        }
        culture = morning.top_stories(store, window=timedelta(days=3), now=front_corpus.now, rubric="Культура")
        assert [s.story_id for s in culture.stories] == [front_corpus.stories["old"]]
        for english in ("Culture", "culture "):  # the outlets' rubric tables name it in English
            found = morning.top_stories(store, window=timedelta(days=3), now=front_corpus.now, rubric=english)
            assert [s.story_id for s in found.stories] == [front_corpus.stories["old"]]
        army = morning.top_stories(store, window=timedelta(days=3), now=front_corpus.now, rubric="Army")
        assert sorted(-s.key for s in army.stories) == sorted(front_corpus.ids[f"shoigu:{i}"] for i in range(6))
        assert morning.top_stories(store, window=timedelta(days=3), now=front_corpus.now, rubric="Sport").stories == []


def test_story_page_marks_copies_and_shows_what_the_rewrite_changed(
    front_corpus: FrontCorpus, front_client: Any
) -> None:
    story = front_client.get(f"/api/stories/{front_corpus.stories['cb']}").json()
    kinds = {m["outlet"]: m["kind"] for m in story["members"]}
    assert kinds == {
        "tass.ru": "first",
        "mirror.example": "same text",
        "kommersant.ru": "same text",
        "ria.ru": "rewrite",
    }
    ria = next(m for m in story["members"] if m["outlet"] == "ria.ru")
    assert ria["diff_lang"] == "en"
    assert ria["added"] == ["Analysts had expected exactly this decision."]
    # against tass.ru's current (edited) text: the last two sentences are left out
    assert ria["removed"] == ["The next rate meeting is scheduled for July.", "The rate has not changed since March."]
    page = front_client.get(f"/stories/{front_corpus.stories['cb']}")
    assert page.status_code == 200
    assert 'class="added"' in page.text and "Analysts had expected exactly this decision." in page.text
    assert front_client.get("/stories/999999").status_code == 404


def test_home_page_is_top_stories_and_old_search_links_still_search(
    front_corpus: FrontCorpus, front_client: Any
) -> None:
    page = front_client.get("/", params={"at": at(front_corpus)})
    assert page.status_code == 200
    assert page.text.index("Central Bank keeps key rate at 16%") < page.text.index("Gazprom resumes gas supplies")
    assert 'rel="alternate" type="application/atom+xml"' in page.text and "/feeds/top.atom" in page.text
    assert "Sergei Shoigu" in page.text.split('class="surging"')[1]  # in the surging column
    search = front_client.get("/", params={"q": "Gazprom"})
    assert 'class="hits"' in search.text and "Gazprom resumes gas supplies" in search.text
    bad_window = front_client.get("/", params={"window": "fortnight"})  # a browser route: an error page
    assert bad_window.status_code == 400 and "window" in bad_window.text and "<nav" in bad_window.text


def test_stories_cli_gives_the_same_list(front_corpus: FrontCorpus) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "dragoman.cli",
            "--db",
            front_corpus.db,
            "stories",
            "--since",
            "24h",
            "--at",
            at(front_corpus),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
    )
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    with open_store(front_corpus.db) as store:
        expected = morning.top_stories(store, window=timedelta(hours=24), now=front_corpus.now).to_dict()
    assert [s["story_id"] or s["article_id"] for s in listed["stories"]] == [
        s["story_id"] or s["article_id"] for s in expected["stories"]
    ]
    assert listed["stories"][0]["outlet_count"] == 4


# -- surging ----------------------------------------------------------------------------------------------


def test_the_surging_entity_is_found_with_its_articles(front_corpus: FrontCorpus, front_client: Any) -> None:
    found = front_client.get("/api/surging", params={"window": "24h", "at": at(front_corpus)}).json()
    keys = [e["key"] for e in found["entities"]]
    assert keys[0] == SHOIGU["key"]
    assert "Q7747" not in keys and "Q649" not in keys  # Putin and Moscow are as common as in the baseline
    shoigu = found["entities"][0]
    assert shoigu["window_count"] == 6 and shoigu["baseline_count"] == 1 and shoigu["p_value"] < 1e-3
    assert len(shoigu["articles"]) == 3 and all(a["title_en"].startswith("Shoigu") for a in shoigu["articles"])
    assert "shoigu" in [t["key"] for t in found["terms"]]
    # a week later the surge is part of the baseline
    later = (front_corpus.now + timedelta(days=8)).isoformat()
    assert front_client.get("/api/surging", params={"at": later}).json()["entities"] == []


def test_attention_chart_table_and_csv(front_corpus: FrontCorpus, front_client: Any) -> None:
    days = {
        "since": (front_corpus.now - timedelta(days=40)).date().isoformat(),
        "until": front_corpus.now.date().isoformat(),
    }
    csv_text = front_client.get("/attention.csv", params={"entity": SHOIGU["key"], **days}).text
    rows = [line.split(",") for line in csv_text.strip().splitlines()]
    assert rows[0] == ["day", "outlet", "articles"]
    assert sum(int(r[2]) for r in rows[1:]) == 7  # six today, one in the baseline
    page = front_client.get("/attention", params={"entity": SHOIGU["key"], **days})
    assert page.status_code == 200 and page.text.count('<rect class="stack s') >= 4
    assert "<table" in page.text and "<script>" not in page.text
    words = front_client.get("/attention.csv", params={"q": "Gazprom", **days}).text
    assert sum(int(r.split(",")[2]) for r in words.strip().splitlines()[1:]) == 2
    russian = front_client.get("/attention.csv", params={"q": "газпром", "outlet": "iz.ru", **days}).text
    assert [r.split(",")[1:] for r in russian.strip().splitlines()[1:]] == [["iz.ru", "1"]]
    with_entity = front_client.get("/attention.csv", params={"q": "defence", "entity": SHOIGU["key"], **days}).text
    assert sum(int(r.split(",")[2]) for r in with_entity.strip().splitlines()[1:]) == 6


# -- the brief --------------------------------------------------------------------------------------------


def test_brief_sections(front_corpus: FrontCorpus) -> None:
    with open_store(front_corpus.db) as store:
        made = morning.brief(store, window=timedelta(hours=24), now=front_corpus.now, watchlist=WATCHLIST)
    data = made.to_dict()
    assert data["top_stories"][0]["story_id"] == front_corpus.stories["cb"]
    assert len(data["quotes"]) == 6 and {q["speaker_name"] for q in data["quotes"]} == {"Sergei Shoigu"}
    assert data["surging"]["entities"][0]["key"] == SHOIGU["key"]
    assert [e["article_id"] for e in data["edited"]] == [front_corpus.ids["cb:tass"]]
    assert {h["article_id"] for h in data["watchlist_hits"]} == {front_corpus.ids[f"shoigu:{i}"] for i in range(6)}
    with open_store(front_corpus.db) as store, pytest.raises(Exception, match="no watchlist 'sports'"):
        morning.brief(store, window=timedelta(hours=24), now=front_corpus.now, watchlist="sports")


def test_brief_markdown_and_html(front_corpus: FrontCorpus, front_client: Any, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    base = [
        sys.executable,
        "-m",
        "dragoman.cli",
        "--db",
        front_corpus.db,
        "brief",
        "--since",
        "24h",
        "--at",
        at(front_corpus),
        "--watchlist",
        WATCHLIST,
        "--base-url",
        "http://127.0.0.1:8765",
    ]
    md = subprocess.run(base, capture_output=True, text=True, timeout=120, env=env)
    assert md.returncode == 0, md.stderr
    for heading in (
        "## Top stories",
        "## New quotes by watched people",
        "## Surging",
        "## Edited after publication",
        "## Watchlist hits",
    ):
        assert heading in md.stdout
    tass = front_corpus.ids["cb:tass"]
    assert f"[what changed](http://127.0.0.1:8765/articles/{tass}/diff)" in md.stdout
    assert "[original](https://tass.ru/ekonomika/1)" in md.stdout
    html_file = tmp_path / "brief.html"
    html = subprocess.run(
        [*base, "--format", "html", "-o", str(html_file)], capture_output=True, text=True, timeout=120, env=env
    )
    assert html.returncode == 0, html.stderr
    text = html_file.read_text(encoding="utf-8")
    assert "@page { size: A4" in text and f'href="http://127.0.0.1:8765/articles/{tass}/diff"' in text
    web = front_client.get("/brief", params={"at": at(front_corpus), "watchlist": WATCHLIST})
    assert web.status_code == 200 and '/static/print.css" media="print"' in web.text
    assert f'href="/articles/{tass}/diff"' in web.text
    assert front_client.get("/brief", params={"watchlist": "sports"}).status_code == 400


# -- feeds ------------------------------------------------------------------------------------------------

REQUIRED_FEED = ("id", "title", "updated")
REQUIRED_ENTRY = ("id", "title", "updated", "link")


def parsed(response: Any) -> Any:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    for name in REQUIRED_FEED:
        assert feed.feed.get(name), name
    for entry in feed.entries:
        for name in REQUIRED_ENTRY:
            assert entry.get(name), name
    return feed


def test_feeds_parse_with_required_elements_and_etag(front_corpus: FrontCorpus, front_client: Any) -> None:
    top = front_client.get("/feeds/top.atom", params={"at": at(front_corpus)})
    feed = parsed(top)
    first = feed.entries[0]
    assert first.title == "Central Bank keeps key rate at 16%" and first.link == "https://tass.ru/ekonomika/1"
    assert first.author == "tass.ru" and "Carried by 4 outlets" in first.summary
    again = front_client.get(
        "/feeds/top.atom", params={"at": at(front_corpus)}, headers={"If-None-Match": top.headers["etag"]}
    )
    assert again.status_code == 304 and again.content == b""

    search = parsed(front_client.get("/feeds/search.atom", params={"q": "Gazprom"}))
    assert {e.link for e in search.entries} == {"https://iz.ru/news/gas", "https://lenta.ru/news/gas"}
    assert all(e.get("published") for e in search.entries)
    outlet_only = parsed(front_client.get("/feeds/search.atom", params={"q": "Gazprom", "outlet": "iz.ru"}))
    assert [e.link for e in outlet_only.entries] == ["https://iz.ru/news/gas"]

    alerts = parsed(front_client.get("/feeds/alerts.atom", params={"watchlist": WATCHLIST}))
    assert len(alerts.entries) == 7 and all(e.tags[0].term == WATCHLIST for e in alerts.entries)  # 6 today, 1 before
    edited = next(
        e
        for e in parsed(front_client.get("/feeds/search.atom", params={"q": "ставку"})).entries
        if e.link == "https://tass.ru/ekonomika/1"
    )
    assert edited.updated != edited.published  # an edited article is updated when it was edited


def test_feed_ids_are_stable_across_databases(front_corpus: FrontCorpus, tmp_path: Path) -> None:
    """Another database built from the same articles (other row ids, other times of storing) gives the same
    entry ids."""
    other = build_front_corpus(tmp_path / "again.db", now=front_corpus.now)
    ids = []
    for db in (front_corpus.db, other.db):
        with asgi_client_class()(create_app(db)) as client:
            top = parsed(client.get("/feeds/top.atom", params={"at": at(front_corpus), "window": "3d"}))
            alerts = parsed(client.get("/feeds/alerts.atom"))
            ids.append(([e.id for e in top.entries], sorted(e.id for e in alerts.entries), top.feed.id))
    assert ids[0] == ids[1]
    assert all(i.startswith("urn:uuid:") for i in ids[0][0])
