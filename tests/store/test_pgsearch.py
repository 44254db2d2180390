"""Search on PostgreSQL (the FTS5 tokens in a tsvector, under RUM or GIN) answers the same queries with the
same articles as the SQLite FTS5 search, over real WMT news text and its reference."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from backends import fresh_postgres_database
from dragoman.article import Article, Block, BlockKind, SentencePair, TranslatedSegment, Translation
from dragoman.search import open_index
from dragoman.search.postgres import PostgresSearchIndex
from dragoman.search.query import SearchQuery
from dragoman.store import open_store

pytestmark = pytest.mark.postgres
OUTLETS = [("iz.ru", "Мир"), ("ria.ru", "Политика"), ("kommersant.ru", "Экономика")]
PER_ARTICLE = 5
ARTICLES = 40


def corpus_articles(data_dir: Path) -> list[Article]:
    base = data_dir / "wmt_ru_en"
    ru = (base / "newstest2019.ru-en.ru").read_text(encoding="utf-8").splitlines()
    en = (base / "newstest2019.ru-en.en").read_text(encoding="utf-8").splitlines()
    articles = []
    for n in range(ARTICLES):
        pairs = list(zip(ru[n * PER_ARTICLE : (n + 1) * PER_ARTICLE], en[n * PER_ARTICLE :], strict=False))
        outlet, rubric = OUTLETS[n % len(OUTLETS)]
        article = Article(
            url=f"https://{outlet}/news/{n}",
            title=pairs[0][0],
            blocks=[Block(BlockKind.PARAGRAPH, r) for r, _ in pairs[1:]],
            outlet=outlet,
            rubric=rubric,
            published_at=datetime(2022, 1, 1, tzinfo=UTC) + timedelta(days=n % 20, hours=n),
            extractor_version="test/1",
        )
        if n % 7 != 6:  # some stay untranslated: found by Russian queries only
            article.translation = Translation(
                engine="reference",
                model_id="wmt-ref",
                translated_at=datetime(2022, 2, 1, tzinfo=UTC),
                title=TranslatedSegment("title", 0, [SentencePair(*pairs[0])]),
                blocks=[TranslatedSegment("block", i, [SentencePair(r, e)]) for i, (r, e) in enumerate(pairs[1:])],
            )
        articles.append(article)
    return articles


def fill(store: Any, articles: list[Article]) -> None:
    for article in articles:
        translation, article.translation = article.translation, None
        result = store.ingest(article)
        if translation is not None:
            store.save_translation(result.revision_id, translation)
        article.translation = translation


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory, postgres_server: str, data_dir: Path) -> Iterator[tuple[Any, Any]]:
    """The same corpus in SQLite and in PostgreSQL, built once for this module's read-mostly tests."""
    articles = corpus_articles(data_dir)
    with (
        fresh_postgres_database(postgres_server) as url,
        open_store(tmp_path_factory.mktemp("search") / "search.db") as lite,
        open_store(url) as pg,
    ):
        fill(lite, articles)
        fill(pg, articles)
        yield open_index(lite), open_index(pg)


QUERIES = [
    {"text": "Путин"},
    {"text": "путину"},  # another case form: the same articles
    {"text": "президента"},
    {"text": "Russia"},
    {"text": "президент OR министр"},
    {"text": "Россия -президент"},
    {"text": '"Владимир Путин"'},
    {"text": "през*"},
    {"text": "Путин", "outlets": ["ria.ru"]},
    {"text": "Russia", "since": datetime(2022, 1, 5, tzinfo=UTC), "until": datetime(2022, 1, 15, tzinfo=UTC)},
    {"text": "", "rubric": "Экономика"},
    {"text": ""},
]


def hit_ids(index: Any, **kwargs: Any) -> list[int]:
    return [h.article_id for h in index.search(SearchQuery(limit=200, **kwargs)).hits]


def test_postgres_answers_like_sqlite(both: tuple[Any, Any]) -> None:
    lite, pg = both
    assert isinstance(pg, PostgresSearchIndex) and not isinstance(lite, PostgresSearchIndex)
    found_any = 0
    for query in QUERIES:
        expected = hit_ids(lite, **query)
        got = hit_ids(pg, **query)
        assert got == expected, query  # same articles, same (newest-first) order
        found_any += bool(expected)
    assert found_any >= len(QUERIES) - 1
    results = pg.search(SearchQuery(text="Путин"))
    assert results.total == len(hit_ids(lite, text="Путин")) and sum(results.outlet_counts.values()) == results.total


def test_snippets_are_the_serve_stages_and_mark_the_hits(both: tuple[Any, Any]) -> None:
    lite, pg = both
    hits = pg.search(SearchQuery(text="Путина")).hits
    assert hits
    for hit in hits:
        marked = [f.text for s in hit.snippets if s.lang == "ru" for f in s.fragments if f.hit]
        assert marked and all(m.lower().startswith("путин") for m in marked)
    assert [h.snippets for h in hits] == [h.snippets for h in lite.search(SearchQuery(text="Путина")).hits]
    english = pg.search(SearchQuery(text="president")).hits
    assert english and all(any(s.lang == "en" for s in h.snippets) for h in english)


def test_relevance_order_ranks_title_hits_first(both: tuple[Any, Any]) -> None:
    _, pg = both
    newest = hit_ids(pg, text="Россия")
    relevant = pg.search(SearchQuery(text="Россия", sort="relevance", limit=200)).hits
    assert sorted(h.article_id for h in relevant) == sorted(newest)
    scores = [h.score for h in relevant]
    assert scores == sorted(scores, reverse=True)


def test_the_tsvector_is_rum_indexed_when_the_extension_exists(both: tuple[Any, Any], data_dir: Path) -> None:
    _, pg = both
    conn = pg.store.connection
    indexes = {
        r[0]: r[1] for r in conn.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'search_fts'")
    }
    rum = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'rum'").fetchone() is not None
    if rum:
        assert "USING rum (((tsv || ''::tsvector)))" in indexes["search_fts_rum"]  # rum_tsvector_ops: the default
        # one RUM index: newest-first comes from the month partitions (test_pg_partitions.py), not a second index
        assert "search_fts_rum_newest" not in indexes
        assert pg.layout() == "rum" and "search_fts_gin" not in indexes
    else:
        assert "gin (tsv)" in indexes["search_fts_gin"] and pg.layout() == "gin"
    # Titles weighted A, the facets tagged F, English tagged E: one row's tsvector, as PostgreSQL reads it.
    tsv = conn.execute("SELECT tsv::text FROM search_fts ORDER BY rowid LIMIT 1").fetchone()[0]
    assert ":2A" in tsv and " 'F" in tsv and " 'E" in tsv  # position 1 is the gap before the title
    # where the facets are: a lexeme without a position would make RUM re-read the row of every match
    assert all(lexeme.endswith("':1") for lexeme in tsv.split() if lexeme.startswith("'F")), tsv
    # A new revision is re-indexed: the old words are gone, the new ones found.
    store = pg.store
    changed = corpus_articles(data_dir)[0]
    changed.translation = None
    changed.blocks = [Block(BlockKind.PARAGRAPH, "Совершенно новый абзац про кукурузу.")]
    store.ingest(changed)
    assert [h.article_id for h in pg.search(SearchQuery(text="кукуруза")).hits] == [store.get(changed.url).id]
    assert pg.search(SearchQuery(text='"' + corpus_articles(data_dir)[0].blocks[0].text[:40] + '"')).hits == []


def test_the_web_app_searches_a_postgresql_store(both: tuple[Any, Any]) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from fastapi.testclient import TestClient

    from dragoman.serve.app import create_app

    lite, pg = both
    with TestClient(create_app(pg.store.url)) as client:
        answer = client.get("/api/search", params={"q": "путину"})
        assert answer.status_code == 200, answer.text
        found = [hit["article_id"] for hit in answer.json()["hits"]]
        assert found and found == hit_ids(lite, text="путину")[: len(found)]
        page = client.get("/", params={"q": "Путин"})
        assert page.status_code == 200 and "<mark" in page.text


def test_without_rum_the_gin_layout_answers_the_same_and_says_what_to_install(
    both: tuple[Any, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """A server without the RUM extension gets the GIN layout (what migration 310 builds there): the same
    articles, one log line naming the package; `dragoman reindex` switches to RUM once it is installed."""
    import dragoman.search.postgres as pgsearch

    lite, pg = both
    raw = pg.store.raw
    assert raw.execute("SELECT search_fts_layout(false)").fetchone()[0] == "gin"
    try:
        pgsearch._hinted = False
        with caplog.at_level("WARNING", logger="dragoman.search.postgres"):
            assert pg.layout() == "gin"
            for query in QUERIES:
                assert hit_ids(pg, **query) == hit_ids(lite, **query), query
        hints = [r.getMessage() for r in caplog.records if "RUM" in r.getMessage()]
        assert len(hints) == 1 and pgsearch.RUM_PACKAGE in hints[0] and "\n" not in hints[0]
        relevant = pg.search(SearchQuery(text="Россия", sort="relevance", limit=200)).hits
        assert sorted(h.article_id for h in relevant) == sorted(hit_ids(lite, text="Россия"))
    finally:
        pg.reindex()
    available = raw.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'rum'").fetchone() is not None
    assert pg.layout() == ("rum" if available else "gin")
    for query in QUERIES:
        assert hit_ids(pg, **query) == hit_ids(lite, **query), query
