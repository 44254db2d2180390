"""The pages on the analyze stage's real output (natasha on real news text), not only on hand-made records."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from serve_corpus import asgi_client_class, build_corpus

from dragoman.article import Article, Block, BlockKind
from dragoman.serve.app import create_app


def test_reader_and_entity_pages_show_real_analysis(
    tmp_path: Path, data_dir: Path, store_url: str, open_db: Any
) -> None:
    from dragoman.analyze.pipeline import analyze_article

    corpus = build_corpus(store_url, data_dir, n_articles=3)
    store = open_db(corpus.db)
    analyses = {}
    for article_id in corpus.ids[:2]:
        stored = store.get(article_id)
        assert stored is not None
        analysis = analyze_article(stored.article)
        store.save_analysis(stored.revision_id, analysis, analysis["analyzer_version"])
        analyses[article_id] = analysis
    store.close()
    with asgi_client_class()(create_app(corpus.db)) as client:
        for article_id, analysis in analyses.items():
            html = client.get(f"/articles/{article_id}").text
            linked = re.findall(r'<a class="ent ent-\w+" href="/entities/([^"]+)">([^<]+)</a>', html)
            mentioned = {m["text"] for m in analysis["mentions"]}
            assert mentioned and mentioned <= {text for _key, text in linked}
            top = analysis["entities"][0]
            entity = client.get(f"/api/entities/{top['key']}").json()
            assert entity["name"] == top["name"] and article_id in {a["id"] for a in entity["recent_articles"]}
            assert client.get(f"/entities/{top['key']}").status_code == 200
        quotes = [q for a in analyses.values() for q in a["quotes"]]
        listed = client.get("/api/quotes", params={"limit": 500}).json()
        assert len([q for q in listed if q["article_id"] in analyses]) == len(quotes)


def test_timeline_shows_the_events_the_analyze_stage_finds(tmp_path: Path, store_url: str, open_db: Any) -> None:
    """Izvestia's story of 26 January 2022 (shared/examples), in Russian: every event analyze finds is on the
    timeline of its actor, linked to its evidence sentence, with the article's page open at that sentence."""
    from dragoman.analyze.pipeline import analyze_article

    article = Article(
        url="https://iz.ru/1281923/ekaterina-postnikova-tatiana-baikova/nepostpredstvenno",
        title="Россия не восстановит миссию при НАТО",
        outlet="iz.ru",
        timezone="Europe/Moscow",
        published_at=datetime(2022, 1, 25, 21, 1, tzinfo=UTC),
        blocks=[
            Block(BlockKind.PARAGRAPH, "В начале октября альянс выслал восемь сотрудников российского постпредства и"
                  " упразднил еще две должности. После этого Россия объявила, что с 1 ноября закроет свое"
                  " представительство при альянсе."),
            Block(BlockKind.PARAGRAPH, "21 января в Женеве Сергей Лавров встретился с Энтони Блинкеном."),
        ],
    )  # fmt: skip
    store = open_db(store_url)
    result = store.ingest(article)
    analysis = analyze_article(article)
    store.save_analysis(result.revision_id, analysis, analysis["analyzer_version"])
    store.close()
    events = [e for e in analysis["events"] if (e.get("actor") or {}).get("entity")]
    assert events, "the analyze stage found no events in this text"
    with asgi_client_class()(create_app(store_url)) as client:
        for event in events:
            listed = client.get("/api/timeline", params={"entity": event["actor"]["entity"]}).json()
            sources = {(s["article_id"], s["sentence"]) for e in listed for s in e["sources"]}
            assert (result.article_id, event["sentence"]) in sources
        page = client.get("/timeline", params={"actor": events[0]["actor"]["entity"]}).text
        assert f'href="/articles/{result.article_id}#s{events[0]["sentence"]}"' in page
