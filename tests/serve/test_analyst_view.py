"""Issue 14 §2-§4, what the analyst sees: dates as printed, quotes a reader can use, names across languages,
clear errors for malformed queries. Asked the way the issue saw them: through the CLI, the web pages and the
API, on a real SQLite corpus built by the real commands from saved pages (TASS «МОСКВА, 29 июня» 00:16 MSK,
Kommersant with «Сергей Лавров») and the imported example document (January 26, 2022, 00:01 MSK)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from serve_corpus import asgi_client_class

from dragoman.cli import main
from dragoman.serve.app import create_app
from dragoman.store.analyses import date_at_precision, date_label

TASS_PAGE = "html_ru/htmldate_eval/pages/1647262025.html"  # tass.ru/moskva/8836033, «МОСКВА, 29 июня» 00:16 MSK
KOMMERSANT_PAGE = "html_ru/fundus/ru/Kommersant_2025_05_14.html.gz"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> str:
    folder = tmp_path_factory.mktemp("analyst")
    pages = folder / "pages"
    pages.mkdir()
    shutil.copy(data_dir / TASS_PAGE, pages / "tass.html")
    shutil.copy(data_dir / KOMMERSANT_PAGE, pages)
    path = str(folder / "dragoman.db")
    runner = CliRunner()
    for args in (["ingest", str(pages)], ["import", str(data_dir.parent / "examples/izvestia-2022-01-26.txt")],
                 ["analyze", "--all"]):  # fmt: skip
        result = runner.invoke(main, ["--db", path, *args])
        assert result.exit_code == 0, result.output
    return path


@pytest.fixture(scope="module")
def client(db: str) -> Any:
    with asgi_client_class()(create_app(db)) as test_client:
        yield test_client


def cli(db: str, *args: str) -> Any:
    return CliRunner().invoke(main, ["--db", db, *args])


def search_json(db: str, *args: str) -> dict[str, Any]:
    result = cli(db, "search", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def titles(found: dict[str, Any]) -> list[str]:
    return [h["title_en"] or h["title"] for h in found["hits"]]


# -- §2 dates as the article states them ------------------------------------------------------------


def test_since_finds_articles_by_the_day_printed_on_them(db: str) -> None:
    example = search_json(db, "NATO", "--since", "2022-01-26")
    assert any("Non-permanent" in t for t in titles(example))  # 00:01 MSK on the 26th, 21:01 UTC on the 25th
    assert search_json(db, "NATO", "--until", "2022-01-26")["total"] == 0  # until is exclusive: not the 25th
    tass = search_json(db, "", "--since", "2020-06-29", "--until", "2020-06-30")
    assert [h["outlet"] for h in tass["hits"]] == ["tass.ru"]  # 00:16 MSK on June 29, 21:16 UTC on the 28th
    hit = tass["hits"][0]
    assert hit["published_at"].startswith("2020-06-29T00:16") and hit["published_at"].endswith("+03:00")
    assert hit["published_utc"].startswith("2020-06-28T21:16")


def test_lists_show_the_local_date_everywhere(db: str, client: Any) -> None:
    listed = cli(db, "search", "NATO").stdout
    assert "\t2022-01-26\t" in listed and "2022-01-25" not in listed
    api = client.get("/api/search", params={"q": "NATO", "since": "2022-01-26"}).json()
    assert api["total"] == 1
    assert api["hits"][0]["published_at"].startswith("2022-01-26T00:01")
    assert api["hits"][0]["published_utc"].startswith("2022-01-25T21:01")
    page = client.get("/", params={"q": "NATO", "since": "2022-01-26"}).text
    assert ">2022-01-26 00:01 UTC+03:00</time>" in page and ">2022-01-25" not in page  # UTC only in datetime=
    quotes = client.get("/api/quotes", params={"speaker": "Stoltenberg"}).json()
    assert quotes and all(q["published_at"].startswith("2022-01-26") for q in quotes)
    assert "2022-01-26" in client.get("/quotes", params={"speaker": "Stoltenberg"}).text


def test_a_date_is_shown_no_more_precisely_than_the_text_gives_it() -> None:
    assert date_at_precision("2021-10-01", "month") == "2021-10"
    assert date_label("2021-10-01", "month") == "October 2021"
    assert date_at_precision("2021-01-01", "year") == "2021"
    assert date_at_precision("2022-01-24", "week") == "2022-W04"
    assert date_at_precision("2022-01-12", "day") == "2022-01-12"
    assert date_label("2021-09-01", "season") == "autumn 2021"


def test_timeline_gives_month_dates_as_months_with_a_sortable_key(db: str, client: Any) -> None:
    api = client.get("/api/timeline").json()
    months = [e for e in api if e["precision"] == "month" and e["date_basis"] == "text"]
    assert months, "the example says 'In early October' (2021): a month-precision event"
    for entry in months:
        assert len(entry["date"]) == 7 and entry["date_sort"].startswith(entry["date"])
    cli_entries = json.loads(cli(db, "timeline", "--json").stdout)
    assert [e["date"] for e in cli_entries] == [e["date"] for e in api]
    dated = [e["date_sort"] for e in api if e["date_sort"] is not None]
    assert dated == sorted(dated)
    # undated events (planned, told as earlier news) come last, never given the publication day
    assert all(e["date_basis"] == "none" for e in api[len(dated) :])
    page = client.get("/timeline").text
    label = months[0]["date_label"]
    assert f'<span class="date">{label}</span>' in page and f'<span class="date">{months[0]["date_sort"]}' not in page
    entity = client.get("/api/entities/" + (months[0]["actor"] or months[0]["target"])).json()
    assert {e["date"] for e in entity["events"] if e["precision"] == "month"} <= {e["date"] for e in months}


# -- §3 quotes a reader can use -----------------------------------------------------------------------


@pytest.mark.parametrize("speaker", ["Stoltenberg", "stoltenberg", "Столтенберг"])
def test_speaker_filter_is_the_same_in_the_cli_the_page_and_the_api(db: str, client: Any, speaker: str) -> None:
    from_cli = json.loads(cli(db, "quotes", "--speaker", speaker, "--json").stdout)
    from_api = client.get("/api/quotes", params={"speaker": speaker}).json()
    assert len(from_cli) == 2 and from_cli == from_api
    assert {q["speaker_name"] for q in from_api} == {"Jens Stoltenberg"}
    page = client.get("/quotes", params={"speaker": speaker}).text
    assert page.count("Jens Stoltenberg") == 2


def test_russian_and_english_names_find_the_same_speaker(db: str, client: Any) -> None:
    """SQLite's lower() does not fold Cyrillic: «путин» must still find the speaker, and «Путин» the English
    name Vladimir Putin."""
    answers = [client.get("/api/quotes", params={"speaker": s}).json() for s in ("Путин", "путин", "Putin", "PUTIN")]
    assert answers[0] and all(a == answers[0] for a in answers)
    assert {q["speaker_name"] for q in answers[0]} == {"Vladimir Putin"}


def test_quote_rows_have_english_verbs_ids_and_honest_source_types(db: str, client: Any) -> None:
    rows = client.get("/api/quotes", params={"limit": 500}).json()
    pronouns = {"я", "мы", "он", "она", "они", "unknown"}
    for q in rows:
        if (q["speaker_name"] or "").lower() in pronouns or q["speaker_name"] is None:
            assert q["source_type"] in ("unresolved", *[t for t in [q["source_type"]] if q["unnamed"]])
        if q["verb_en"]:
            assert q["verb_en"].isascii()
        assert q["source_type"] != "named" or q["speaker"]
    assert any(q["source_type"] == "unresolved" for q in rows)
    kommersant = [q for q in rows if q["outlet"] == "kommersant.ru"]
    assert {"said", "asked"} <= {q["verb_en"] for q in kommersant}
    table = cli(db, "quotes", "--outlet", "kommersant.ru", "--limit", "5").stdout
    assert "file://" not in table and "kommersant.ru/doc" not in table
    assert str(kommersant[0]["article_id"]) in table
    assert "сказать" not in table and "said" in table
    page = client.get("/quotes", params={"outlet": "kommersant.ru"}).text
    assert 'class="speaker"' in page and "speaker not resolved" in page and "сказать" not in page


def test_a_speaker_with_no_quotes_says_what_was_searched(db: str, client: Any) -> None:
    result = cli(db, "quotes", "--speaker", "Lavrov")
    assert result.exit_code == 0 and result.stdout.strip() == ""
    total = len(client.get("/api/quotes", params={"limit": 500}).json())
    assert f"no quotes by a speaker matching 'Lavrov' among {total:,} quotes" in result.stderr
    page = client.get("/quotes", params={"speaker": "Lavrov"}).text
    assert "No quotes by a speaker matching" in page and f"among {total:,} quotes" in page


# -- §4 search across languages, clear errors --------------------------------------------------------


def test_an_english_name_finds_untranslated_russian_articles(db: str, client: Any) -> None:
    lavrov = search_json(db, "Lavrov")
    assert "Легкий троннинг" in titles(lavrov)  # Kommersant, untranslated, «Сергей Лавров»
    assert [(e["term"], "Лавров" in e["forms"]) for e in lavrov["expanded"]] == [("Lavrov", True)]
    assert {h["article_id"] for h in search_json(db, "Putin")["hits"]} == {
        h["article_id"] for h in search_json(db, "Путин")["hits"]
    }
    nato = search_json(db, "НАТО")
    assert any("Non-permanent" in t for t in titles(nato))  # the English example says NATO
    assert "also searched: Lavrov as Лавров" in cli(db, "search", "Lavrov").stderr
    api = client.get("/api/search", params={"q": "Lavrov"}).json()
    assert api["expanded"] == [{"term": "Lavrov", "forms": ["Лавров"]}]
    page = client.get("/", params={"q": "Lavrov"}).text
    assert "Also searched in the other language" in page and "Лавров" in page


@pytest.mark.parametrize("name", ["Lavrov", "Sergei Lavrov", "Сергей Лавров", "PER:Sergei Lavrov"])
def test_the_entity_filter_takes_a_name(db: str, name: str) -> None:
    found = search_json(db, "", "--entity", name)
    assert "Легкий троннинг" in titles(found)
    assert found["entity_keys"] == ["PER:Sergei Lavrov"]


@pytest.mark.parametrize("query", ["AND OR", "(", ")", "OR", "*", '"unclosed', "NOT"])
def test_a_malformed_query_is_one_clear_message_everywhere(db: str, client: Any, query: str) -> None:
    result = cli(db, "search", "--", query)
    assert result.exit_code == 2  # bad usage
    assert result.stderr.startswith("error: bad query:") and result.stderr.count("\n") == 1
    message = result.stderr.removeprefix("error: bad query: ").strip()
    api = client.get("/api/search", params={"q": query})
    assert api.status_code == 400 and api.json()["detail"] == message
    page = client.get("/", params={"q": query})
    assert page.status_code == 400 and page.headers["content-type"].startswith("text/html")
    assert 'class="error"' in page.text and 'name="q"' in page.text  # in the site's layout, with the form


def test_search_hits_show_the_rubric_in_english_and_english_quotes_once(db: str, client: Any) -> None:
    """Kommersant's «Мир» reads "World" on the search page (the outlet table's name, as the reader shows it);
    a quote of the imported English document is shown once on the Quotes page, not as "Russian" and English."""
    page = client.get("/search", params={"q": "Лавров"}).text
    assert "<bdi>World</bdi>" in page and "<bdi>Мир</bdi>" not in page
    api = client.get("/api/search", params={"q": "Лавров"}).json()
    assert any(h["rubric"] == "Мир" and h["rubric_en"] == "World" for h in api["hits"])
    quotes = client.get("/quotes", params={"speaker": "Stoltenberg"}).text
    assert quotes.count("We regret that Russia has closed") == 1
