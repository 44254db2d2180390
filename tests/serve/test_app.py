"""The web pages and the JSON API, in-process against a real SQLite corpus."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from serve_corpus import TOKEN, Corpus, asgi_client_class, build_corpus

from dragoman.serve.app import CSP, create_app


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_search_page_finds_russian_and_english_words_with_counts(client: Any, corpus: Corpus) -> None:
    page = client.get("/", params={"q": "Путину"})
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == CSP
    hits = re.findall(r'<a class="title" href="/articles/(\d+)"', page.text)
    total = int(re.search(r"<strong>(\d+)</strong> articles", page.text).group(1))  # type: ignore[union-attr]
    assert total >= 10 and len(hits) == min(total, 20)
    assert "<mark>Путин" in page.text
    # facet link: the search page moved to /search (issue 15; "/" with a query still searches)
    assert 'href="/search?q=%D0%9F%D1%83%D1%82%D0%B8%D0%BD%D1%83&amp;outlet=iz.ru"' in page.text
    english = client.get("/", params={"q": "Putin", "outlet": "iz.ru"})
    assert "<mark>Putin</mark>" in english.text
    found = {int(i) for i in re.findall(r'<a class="title" href="/articles/(\d+)"', english.text)}
    assert found and all(corpus.articles[i].outlet == "iz.ru" for i in found)


def test_search_page_reports_a_bad_query_without_failing(client: Any) -> None:
    page = client.get("/", params={"q": "-Путин"})
    assert page.status_code == 400  # the search form with the message (was 200 before issue 13, item 6)
    assert 'class="error"' in page.text and "at least one word" in page.text
    api = client.get("/api/search", params={"q": "-Путин"})
    assert api.status_code == 400 and "at least one word" in api.json()["detail"]


def test_reader_aligns_sentences_marks_flags_entities_and_quotes(client: Any, corpus: Corpus) -> None:
    article_id = next(i for i in corpus.putin_ids if corpus.articles[i].analysis["quotes"][0]["sentence"] > 0)  # type: ignore[index]
    article = corpus.articles[article_id]
    page = client.get(f"/articles/{article_id}")
    assert page.status_code == 200
    html = page.text
    # Every English sentence and its Russian source carry the same data-s index.
    pairs = [p for seg in [article.translation.title, *article.translation.blocks] for p in seg.sentences]  # type: ignore[union-attr]
    en_spans = re.findall(r'<span class="s[^"]*" data-s="(\d+)" id="s\d+" tabindex="0">', html)
    ru_spans = re.findall(r'<span class="s" data-s="(\d+)" id="ru-s\d+">', html)
    assert en_spans == ru_spans == [str(i) for i in range(len(pairs))]
    body = text_of(html)
    for pair in pairs:
        assert " ".join(pair.target.split()) in body or pair.target.split()[0] in body
    # Entities: the Russian mention (from offsets) and the English name are links to the entity page.
    assert re.search(r'<a class="ent ent-PER" href="/entities/Q7747">Путин\w*</a>', html)
    assert re.search(r'<a class="ent ent-PER" href="/entities/Q7747">(Vladimir )?Putin</a>', html)
    assert "said by" in html and 'class="s quote"' in html
    # Metadata: outlet, English rubric, local and UTC time, source link, model, revisions.
    assert "Известия" in html or "РИА Новости" in html or "Коммерсантъ" in html
    assert "MSK (UTC+03:00)" in html and " UTC</span>" in html
    assert f'href="{article.url}"' in html
    assert "wmt-newstest2019-reference" in html
    assert "Revisions" in html
    flagged = client.get(f"/articles/{corpus.flagged_id}").text
    assert "⚑ length_ratio" in flagged and 'class="s qa"' in flagged


def test_reader_for_an_untranslated_article_and_missing_ones(client: Any, corpus: Corpus) -> None:
    page = client.get(f"/articles/{corpus.untranslated_id}")
    assert page.status_code == 200
    assert "not translated yet" in page.text and "No analysis yet" in page.text
    assert corpus.articles[corpus.untranslated_id].title in page.text
    assert client.get("/articles/999999").status_code == 404
    assert client.get(f"/articles/{corpus.ids[0]}?revision=7").status_code == 404


def test_entity_quotes_timeline_and_outlet_pages(client: Any, corpus: Corpus) -> None:
    analyzed = len(corpus.putin_ids) + len(corpus.unnamed_ids)
    entity = client.get("/entities/Q7747")
    assert entity.status_code == 200
    assert "Vladimir Putin" in entity.text and f"{analyzed} articles" in entity.text
    assert entity.text.count('<rect class="bar"') >= 5  # mentions over time, one bar per day
    assert "NATO" in entity.text  # co-occurring entity
    listing = client.get("/entities").text
    assert 'href="/entities/Q7747"' in listing and 'href="/entities/ORG%3A%D0%BD%D0%B0%D1%82%D0%BE"' in listing
    quotes = client.get("/quotes", params={"unnamed": "true"}).text
    assert quotes.count("<tr>") == len(corpus.unnamed_ids) + 1 and "informed source" in quotes
    named = client.get("/quotes", params={"speaker": "Q7747"}).text
    assert named.count("<tr>") == len(corpus.putin_ids) + 1
    timeline = client.get("/timeline", params={"actor": "Russia", "target": "NATO"})
    dots = re.findall(r'<a href="/articles/(\d+)#s(\d+)"><circle class="dot"', timeline.text)
    assert len(dots) >= 5 and "MEET" in timeline.text
    outlets = client.get("/outlets").text
    for outlet in ("iz.ru", "ria.ru", "kommersant.ru"):
        assert f'href="/search?outlet={outlet}"' in outlets
    assert "unnamed sources in" in outlets and outlets.count("<svg") == 3


def test_api_twins_of_the_pages(client: Any, corpus: Corpus) -> None:
    stats = client.get("/api/stats").json()
    assert stats["articles"] == stats["indexed"] == len(corpus.ids)
    assert stats["translated"] == len(corpus.ids) - 1
    search = client.get("/api/search", params={"q": "Путин", "unnamed": "true"}).json()
    assert {h["article_id"] for h in search["hits"]} == set(corpus.unnamed_ids)
    article = client.get(f"/api/articles/{corpus.flagged_id}").json()
    assert article["id"] == corpus.flagged_id and article["translation"]["model_id"]
    flagged = [s for s in article["sentences"] if s["flags"]]
    assert flagged and flagged[0]["flags"] == ["length_ratio"] and flagged[0]["ru"] and flagged[0]["en"]
    assert article["revisions"][0]["revision"] == 1
    entity = client.get("/api/entities/Q7747").json()
    assert entity["name"] == "Vladimir Putin" and entity["quotes"] and entity["events"]
    assert client.get("/api/entities/nobody").status_code == 404
    timeline = client.get("/api/timeline", params={"actor": "Russia", "target": "NATO"}).json()
    assert timeline == sorted(timeline, key=lambda e: e["date"])
    assert all(src["article_id"] in corpus.articles for e in timeline for src in e["sources"])
    outlets = client.get("/api/outlets").json()
    assert sum(o["articles"] for o in outlets) == len(corpus.ids)
    quotes = client.get("/api/quotes", params={"unnamed": "false"}).json()
    assert quotes and not any(q["unnamed"] for q in quotes)
    spec = client.get("/openapi.json").json()
    assert {"/api/search", "/api/articles/{article_id}", "/api/timeline", "/api/export"} <= set(spec["paths"])


def test_exports_from_the_web_stream_every_format(client: Any, corpus: Corpus) -> None:
    jsonl = client.get("/export", params={"format": "jsonl", "outlet": "iz.ru"})
    records = [json.loads(line) for line in jsonl.text.splitlines()]
    assert {r["id"] for r in records} == {i for i, a in corpus.articles.items() if a.outlet == "iz.ru"}
    assert jsonl.headers["content-disposition"].endswith('.jsonl"')
    rows = list(csv.DictReader(io.StringIO(client.get("/api/export", params={"format": "csv"}).text)))
    assert len(rows) == len(corpus.ids) and rows[0]["title_en"]
    table = pq.read_table(io.BytesIO(client.get("/export", params={"format": "parquet"}).content))
    assert table.num_rows == len(corpus.ids)
    assert str(table.schema.field("published_at").type) == "timestamp[us, tz=UTC]"
    flagged = corpus.articles[corpus.flagged_id].translation
    expected = sum(1 for seg in flagged.blocks for p in seg.sentences if p.flags)  # type: ignore[union-attr]
    by_id = dict(zip(table.column("id").to_pylist(), table.column("qa_flagged_sentences").to_pylist(), strict=True))
    assert expected > 0 and by_id[corpus.flagged_id] == expected and sum(by_id.values()) == expected
    tmx = ET.fromstring(client.get("/export", params={"format": "tmx"}).content)
    units = tmx.findall("./body/tu")
    pairs = [json.loads(line) for line in client.get("/export", params={"format": "pairs"}).text.splitlines()]
    assert len(units) == len(pairs) > 100
    first = units[0].findall("tuv")
    assert first[0].find("seg").text == pairs[0]["ru"] and first[1].find("seg").text == pairs[0]["en"]  # type: ignore[union-attr]
    text = client.get("/export", params={"format": "text", "since": "2022-01-02", "until": "2022-01-02"}).text
    assert text.count("Translated from Original Document: Russian To English: ") >= 1
    assert client.get("/api/export", params={"format": "docx"}).status_code == 422


def test_reindex_needs_the_token(tmp_path: Path, data_dir: Path, store_url: str) -> None:
    corpus = build_corpus(store_url, data_dir, n_articles=3)
    with asgi_client_class()(create_app(corpus.db, token=TOKEN)) as client:
        assert client.post("/api/reindex").status_code == 401
        assert client.post("/api/reindex", headers={"Authorization": "Bearer wrong"}).status_code == 401
        ok = client.post("/api/reindex", headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200 and ok.json() == {"indexed": 3}
        assert client.get("/api/reindex").status_code == 405
    with asgi_client_class()(create_app(corpus.db, token=None)) as client:
        refused = client.post("/api/reindex", headers={"Authorization": f"Bearer {TOKEN}"})
        assert refused.status_code == 403 and "DRAGOMAN_TOKEN" in refused.json()["detail"]


def test_pages_render_gracefully_before_any_analysis(tmp_path: Path, data_dir: Path) -> None:
    db = tmp_path / "empty.db"
    with asgi_client_class()(create_app(db)) as client:
        for path in ("/", "/search", "/entities", "/quotes", "/timeline", "/outlets", "/?q=Путин", "/brief"):
            page = client.get(path)
            assert page.status_code == 200, path
        assert "No analysis yet" in client.get("/entities").text
        assert "No analysis yet" in client.get("/timeline").text
        assert "0 articles" in client.get("/search").text
        assert "No stories in this window" in client.get("/").text
        assert client.get("/api/entities").json() == []


@pytest.mark.parametrize("path", ["/static/app.js", "/static/app.css"])
def test_static_files_are_served(client: Any, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200 and len(response.content) > 500


def test_reader_shows_older_revisions_with_their_own_translation(
    tmp_path: Path, data_dir: Path, store_url: str, open_db: Any
) -> None:
    corpus = build_corpus(store_url, data_dir, n_articles=2)
    article_id = corpus.ids[0]
    first = corpus.articles[article_id]
    store = open_db(corpus.db)
    first.title = "Исправленный заголовок"
    first.content_sha256 = ""
    first.translation = None
    first.analysis = None
    assert store.ingest(first).revision == 2
    store.close()
    with asgi_client_class()(create_app(corpus.db)) as client:
        current = client.get(f"/articles/{article_id}").text
        assert "Исправленный заголовок" in current and "not translated yet" in current
        assert f'href="/articles/{article_id}?revision=1"' in current
        older = client.get(f"/articles/{article_id}", params={"revision": 1}).text
        assert "showing an older revision" in older and "wmt-newstest2019-reference" in older
        assert "Исправленный заголовок" not in older
