"""Issue 14, section 5: no dead ends in the browser (error pages in the site's layout, exports that keep the
search, the reader's canonical link and import provenance, charts on a real time axis)."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def text_of(markup: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup)))


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/?q=NATO&since=2022-13-01", 400, "'2022-13-01' is not a date (use YYYY-MM-DD)"),
        ("/?q=NATO&page=999", 400, "bad parameter page"),
        ("/articles/abc", 400, "bad parameter article_id"),
        ("/export?format=xml", 400, "unknown format 'xml'"),
        ("/foo", 404, "there is no page at /foo"),
    ],
)
def test_browser_routes_show_an_error_page_in_the_site_layout(client: Any, path: str, status: int, says: str) -> None:
    page = client.get(path)
    assert page.status_code == status
    assert page.headers["content-type"].startswith("text/html")
    assert "<nav" in page.text and 'href="/quotes"' in page.text  # the site's layout, with its navigation
    assert says in text_of(page.text)
    assert 'href="/">Back to search</a>' in page.text


@pytest.mark.parametrize(
    ("path", "status"), [("/api/foo", 404), ("/api/articles/abc", 422), ("/api/search?page=999", 400)]
)
def test_api_routes_keep_json_errors(client: Any, path: str, status: int) -> None:
    answer = client.get(path)
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["detail"]


# -- "Export these results" keeps the search ------------------------------------------------------------


def export_links(markup: str) -> dict[str, str]:
    found = re.findall(r'<a href="(/export\?[^"]+)">([^<]+)</a>', markup)
    return {name: html.unescape(href) for href, name in found}


def test_export_these_results_keeps_every_filter_and_offers_markdown(client: Any) -> None:
    page = client.get("/", params={"q": "Путину", "unnamed": "1"})
    total = int(re.search(r"<strong>([\d,]+)</strong> articles?", page.text).group(1))  # type: ignore[union-attr]
    links = export_links(page.text)
    assert set(links) == {"JSONL", "CSV", "text", "Markdown", "Parquet", "TMX", "sentence pairs"}
    assert "q=%D0%9F%D1%83%D1%82%D0%B8%D0%BD%D1%83" in links["JSONL"] and "unnamed=1" in links["JSONL"]
    exported = client.get(links["JSONL"])
    assert exported.status_code == 200
    ids = {json.loads(line)["id"] for line in exported.text.splitlines()}
    hits = client.get("/api/search", params={"q": "Путину", "unnamed": "1", "page": 1}).json()
    assert len(ids) == total == hits["total"] < client.get("/api/stats").json()["articles"]
    assert {h["article_id"] for h in hits["hits"]} <= ids
    markdown = client.get(links["Markdown"])
    assert markdown.status_code == 200 and markdown.headers["content-type"].startswith("text/markdown")
    assert markdown.text.count("\n# ") + markdown.text.startswith("# ") == total  # one heading per article


# -- a corpus as an analyst builds it: an ingested page and an imported English document ---------------


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def arrived_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database for the module on each backend: a SQLite file, or a PostgreSQL database of its own."""
    if request.param == "sqlite":
        yield str(tmp_path_factory.mktemp("arrived") / "d.db")
        return
    import uuid

    import psycopg

    server = request.getfixturevalue("postgres_server")
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server.rpartition('/')[0]}/{name}"
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def arrived(arrived_db: str, shared_dir: Path) -> Iterator[Any]:
    from click.testing import CliRunner
    from serve_corpus import asgi_client_class

    from dragoman.cli import main
    from dragoman.serve.app import create_app

    db = arrived_db
    kommersant = shared_dir / "data/html_ru/fundus/ru/Kommersant_2025_05_14.html.gz"
    example = shared_dir / "examples/izvestia-2022-01-26.txt"
    for args in (["ingest", str(kommersant)], ["import", str(example), "--analyze"]):
        result = CliRunner().invoke(main, ["--db", str(db), *args], catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
    with asgi_client_class()(create_app(db)) as test_client:
        test_client.example = example
        yield test_client


def test_reader_shows_the_canonical_link_of_an_ingested_page(arrived: Any) -> None:
    page = arrived.get("/articles/1")
    assert '<a class="source" href="https://www.kommersant.ru/doc/7715044"' in page.text
    assert "read from file://" in text_of(page.text)  # where it was read from, beside it


def test_reader_of_an_imported_document_shows_the_import_and_the_rubric_in_english(arrived: Any) -> None:
    page = text_of(arrived.get("/articles/2").text)
    assert f"Imported from {arrived.example} on 20" in page
    assert "Fetched" not in page and "Fetched unknown" not in page
    assert "Rubric World" in page and "PEACE" not in page.upper().replace("PEACEFUL", "")
    found = arrived.get("/api/search", params={"rubric": "World"}).json()
    assert 2 in [h["article_id"] for h in found["hits"]]


def test_pairs_before_any_translation_say_there_is_nothing_to_pair(arrived: Any) -> None:
    for fmt in ("pairs", "tmx"):
        page = arrived.get("/export", params={"format": fmt})
        assert page.status_code == 400 and page.headers["content-type"].startswith("text/html")
        assert "nothing to pair: none of the stored articles has an English translation" in text_of(page.text)


def test_outlets_page_counts_in_words(arrived: Any) -> None:
    lines = [text_of(p) for p in re.findall(r"<p>(.*?)</p>", arrived.get("/outlets").text)]
    assert (
        "1 article. In the 60 days up to its newest article: 1 article, 0 translated, unnamed sources in 0.0% of"
        " them." in lines
    )
    assert not [line for line in lines if "1 articles" in line or "Its newest" in line]


def test_from_later_than_to_says_why_nothing_is_found(arrived: Any) -> None:
    page = text_of(arrived.get("/", params={"q": "NATO", "since": "2025-06-01", "until": "2022-01-01"}).text)
    assert "Nothing found. From 2025-06-01 is later than To 2022-01-01: no date is in both." in page


# -- charts -----------------------------------------------------------------------------------------------


def test_mentions_chart_stands_on_a_real_time_axis() -> None:
    from dragoman.serve.queries import bar_chart

    months = bar_chart([{"label": "2022-01", "value": 3}, {"label": "2025-05", "value": 1}], width=640)
    first, last = months["bars"]
    assert last["x"] - (first["x"] + first["w"]) > 500  # 40 months apart: a wide gap, not neighbours
    assert (months["first"], months["last"]) == ("2022-01", "2025-05")
    one_day = bar_chart([{"label": "2022-01-26", "value": 4}], width=640)
    assert one_day["bars"][0]["w"] < 640 / 20  # a thin bar, not a solid block
    assert (one_day["first"], one_day["last"]) == ("2022-01-26", "2022-02-24")  # the axis says what it spans
    days = bar_chart([{"label": "2022-01-01", "value": 1}, {"label": "2022-01-31", "value": 1}], width=620)
    assert days["bars"][1]["x"] == pytest.approx(30 * 620 / 31)


def test_unknown_event_parties_are_named_in_words() -> None:
    from dragoman.cli import timeline_lines
    from dragoman.serve.queries import timeline_chart

    event = {
        "date": "2022-01-12", "date_basis": "text", "type": "MEET", "mode": None, "actor_name": "NATO",
        "target_name": None, "status": "", "sources": [{"article_id": 1, "sentence": 3, "evidence_en": "x"}],
    }  # fmt: skip
    assert "NATO -> unknown target" in timeline_lines([event])[0]
    assert timeline_chart([event])["dots"][0]["label"].endswith("NATO → unknown target")


def test_evidence_with_its_own_quote_marks_gets_no_second_opening_mark() -> None:
    from dragoman.serve.app import has_quote_marks

    assert has_quote_marks("“We regret that Russia has closed the mission,” Jens Stoltenberg said")
    assert has_quote_marks("«Мы сожалеем», — сказал он")
    assert not has_quote_marks("NATO expelled eight employees of the Russian mission")


# -- the API: docs with parameters and examples, /api/search's limit -------------------------------------


def test_api_docs_list_parameters_and_examples(client: Any) -> None:
    page = client.get("/api-docs")
    assert page.status_code == 200
    operations = sum(len(item) for item in client.get("/openapi.json").json()["paths"].values())
    assert page.text.count('<section class="api-op"') == operations  # one section for each, nothing else
    assert len(page.text) < 100_000
    search = re.search(r'<section class="api-op" id="get--api-search">(.*?)</section>', page.text, re.S)
    assert search is not None
    body = text_of(search.group(1))
    for name in ("q", "outlet", "since", "until", "entity", "page", "limit"):
        assert re.search(rf"\b{name}\b", body), name
    assert "published on or after (YYYY-MM-DD)" in body and "max 200" in body
    assert "Example: curl 'http://127.0.0.1:8080/api/search?q=NATO&limit=5'" in body
    article = re.search(r'<section class="api-op" id="get--api-articles-article_id">(.*?)</section>', page.text, re.S)
    assert article is not None and "/api/articles/1'" in text_of(article.group(1))
    assert "required" in text_of(article.group(1))


def test_api_search_honours_limit(client: Any) -> None:
    first = client.get("/api/search", params={"q": "Путину", "limit": 3}).json()
    assert len(first["hits"]) == 3 and first["page_size"] == 3 and first["total"] > 6
    second = client.get("/api/search", params={"q": "Путину", "limit": 3, "page": 2}).json()
    assert len(second["hits"]) == 3
    assert not {h["article_id"] for h in first["hits"]} & {h["article_id"] for h in second["hits"]}
    default = client.get("/api/search", params={"q": "Путину"}).json()
    assert default["page_size"] == 20 and len(default["hits"]) == min(20, default["total"])
    assert client.get("/api/search", params={"q": "x", "limit": 201}).status_code == 400


def test_a_page_past_the_last_says_so(client: Any) -> None:
    page = client.get("/", params={"q": "Путину", "page": 400})
    assert page.status_code == 200
    assert re.search(r"Nothing found\. Page 400 is past the last page \(\d+\)\.", text_of(page.text))
