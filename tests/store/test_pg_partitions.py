"""PostgreSQL search over month partitions (migration 311): the newest months are read first and the search stops
when it holds the page and the count, so what it answers must be what SQLite's FTS5 answers, whatever the cap,
across month boundaries and date windows; a database indexed before 311 is partitioned without losing a row."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from backends import fresh_postgres_database
from dragoman.article import Article, Block, BlockKind
from dragoman.search import index as search_index
from dragoman.search import open_index
from dragoman.search import postgres as search_postgres
from dragoman.search import sqlite as search_sqlite
from dragoman.search.query import SearchQuery
from dragoman.store import open_store

pytestmark = pytest.mark.postgres
MONTHS = 7
PER_MONTH = 6
OUTLETS = ["iz.ru", "ria.ru", "tass.ru"]


def spread_articles(data_dir: Path) -> list[Article]:
    """Real WMT sentences, PER_MONTH articles in each of MONTHS months (Moscow time, some on a month's first
    and last hours, where a UTC reading of the date would put them in the neighbouring month)."""
    lines = (data_dir / "wmt_ru_en" / "newstest2019.ru-en.ru").read_text(encoding="utf-8").splitlines()
    articles = []
    for n in range(MONTHS * PER_MONTH):
        month, k = divmod(n, PER_MONTH)
        first = datetime(2021, 11 + month, 1) if month < 2 else datetime(2022, month - 1, 1)
        day = [timedelta(minutes=30), timedelta(days=9), timedelta(days=15), timedelta(days=20), timedelta(days=25)]
        moment = first + (day[k] if k < len(day) else timedelta(days=27, hours=23, minutes=30))
        sentences = lines[n * 4 : n * 4 + 4]
        articles.append(
            Article(
                url=f"https://{OUTLETS[n % 3]}/news/{n}",
                title=f"{sentences[0]} Россия",  # one word every article holds, for caps and samples
                blocks=[Block(BlockKind.PARAGRAPH, s) for s in sentences[1:]],
                outlet=OUTLETS[n % 3],
                published_at=moment.replace(tzinfo=UTC) - timedelta(hours=3),  # read back as Moscow time
                timezone="Europe/Moscow",
                extractor_version="test/1",
            )
        )
    return articles


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory, postgres_server: str, data_dir: Path) -> Iterator[tuple[Any, Any]]:
    articles = spread_articles(data_dir)
    with (
        fresh_postgres_database(postgres_server) as url,
        open_store(tmp_path_factory.mktemp("parts") / "parts.db") as lite,
        open_store(url) as pg,
    ):
        for article in articles:
            lite.ingest(article)
            pg.ingest(article)
        yield open_index(lite), open_index(pg)


def test_one_partition_per_month_printed_on_the_articles(both: tuple[Any, Any]) -> None:
    _, pg = both
    pg.sync_quietly()
    parts = pg.partitions(0, 1 << 62)
    months = ["202205", "202204", "202203", "202202", "202201", "202112", "202111"]
    assert [name for name, _, _ in parts] == [f"search_fts_m{m}" for m in months]
    raw = pg.store.raw
    for name, first, end in parts:
        rows = raw.execute(f'SELECT min(rowid) AS lo, max(rowid) AS hi, count(*) AS n FROM "{name}"').fetchone()
        assert rows["n"] == PER_MONTH and first <= rows["lo"] and rows["hi"] < end, name
        # each month has its own text index (the partitioned index's child)
        indexes = [r["indexdef"] for r in raw.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", [name])]
        assert any(" rum " in d or " gin " in d for d in indexes), indexes
    # the article dated 1 December 2021, 00:30 in Moscow lies in December, not in November (UTC)
    assert pg.search(SearchQuery(text="", since=datetime(2021, 12, 1), until=datetime(2021, 12, 1, 2))).total == 1


CAPS = [(3, 2), (7, 5), (40, 40), (10_000, 2_000)]
QUERIES = [
    {"text": "россия"},
    {"text": "", "outlets": ["tass.ru"]},
    {"text": ""},
    {"text": "россия", "outlets": ["ria.ru"]},
    {"text": "россия", "since": datetime(2021, 12, 10), "until": datetime(2022, 3, 16)},
    {"text": "", "since": datetime(2022, 1, 1), "until": datetime(2022, 2, 1)},
    {"text": "россия -президент"},
    {"text": "россия", "sort": "relevance"},
    {"text": "россия", "sort": "relevance", "since": datetime(2022, 2, 1), "until": datetime(2022, 4, 1)},
]


@pytest.fixture(params=["rum", "gin"])
def layout(request: pytest.FixtureRequest, both: tuple[Any, Any]) -> Iterator[str]:
    """Each index layout in turn on the partitioned table (GIN is what a server without RUM gets)."""
    raw = both[1].store.raw
    rum_here = raw.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'rum'").fetchone() is not None
    if request.param == "rum" and not rum_here:
        pytest.skip("the RUM extension is not installed on this server (postgresql-15-rum)")
    with raw.transaction():
        raw.execute("SELECT search_fts_layout(%s)", [request.param == "rum"])
    assert both[1].layout() == request.param
    yield request.param
    with raw.transaction():
        raw.execute("SELECT search_fts_layout()")


@pytest.mark.parametrize(("cap", "sample"), CAPS)
def test_newest_months_first_answer_like_sqlite_whatever_the_cap(
    both: tuple[Any, Any], layout: str, monkeypatch: pytest.MonkeyPatch, cap: int, sample: int
) -> None:
    """The month-by-month read stops at COUNT_CAP + 1 matches: totals, the capped flag, the newest-first pages
    (deep pages too) and the per-outlet sample must still be SQLite's, with either index layout."""
    for module in (search_index, search_postgres, search_sqlite):
        monkeypatch.setattr(module, "COUNT_CAP", cap)
        monkeypatch.setattr(module, "FACET_SAMPLE", sample)
    lite, pg = both
    for spec in QUERIES:
        for offset in (0, 5, 17):
            query = SearchQuery(limit=5, offset=offset, **spec)
            a, b = lite.search(query), pg.search(query)
            assert (b.total, b.total_is_capped) == (a.total, a.total_is_capped), (spec, cap)
            assert b.outlet_counts == a.outlet_counts and b.outlet_counts_sampled == a.outlet_counts_sampled
            if spec.get("sort") != "relevance":  # bm25 and RUM's distance rank differently; the sets are checked
                assert [h.article_id for h in b.hits] == [h.article_id for h in a.hits], (spec, cap, offset)
            elif not a.total_is_capped:
                every = SearchQuery(limit=200, **spec)
                assert {h.article_id for h in pg.search(every).hits} == {h.article_id for h in lite.search(every).hits}


def answer(index: Any, spec: dict[str, Any]) -> list[int] | set[int]:
    """The articles a query finds: in order, or as a set for relevance order, where articles at the same RUM
    distance come back in the order of the rows on disk, which moving them to their months changes."""
    found = [h.article_id for h in index.search(SearchQuery(limit=50, **spec)).hits]
    return set(found) if spec.get("sort") == "relevance" else found


def test_a_database_indexed_before_partitions_is_partitioned_without_losing_a_row(
    postgres_url: str, data_dir: Path
) -> None:
    """Migration 311 on a search_fts as migration 310 left it (one table, its tsv computed): every row moves to
    its month, nothing is queued for re-indexing, and every query answers as before."""
    import psycopg

    url = postgres_url
    with open_store(url) as store:
        for article in spread_articles(data_dir)[:20]:
            store.ingest(article)
        index = open_index(store)
        index.sync_quietly()
        before = {str(q): answer(index, q) for q in QUERIES}
    with psycopg.connect(url, autocommit=True) as conn:  # search_fts back to migration 310's shape
        conn.execute("CREATE TABLE flat AS SELECT rowid, title_ru, body_ru, title_en, body_en, facets, tsv"
                     " FROM search_fts")  # fmt: skip
        conn.execute("DROP TABLE search_fts")
        conn.execute("ALTER TABLE flat RENAME TO search_fts")
        conn.execute("ALTER TABLE search_fts ADD PRIMARY KEY (rowid), ALTER COLUMN tsv SET NOT NULL")
        # and its facet lexemes without a position, as the indexer wrote them before 311
        unpositioned = r"regexp_replace(tsv::text, '''(F[a-z0-9]+)'':1', '''\1''', 'g')::tsvector"
        conn.execute(f"UPDATE search_fts SET tsv = {unpositioned}")
        positioned = r"SELECT count(*) FROM search_fts WHERE tsv::text ~ '''F[a-z0-9]+'':'"
        assert conn.execute(positioned).fetchone()[0] == 0
        conn.execute("SELECT search_fts_layout()")
        conn.execute("DELETE FROM schema_migrations WHERE version = 311")
        assert conn.execute("SELECT count(*) FROM pg_inherits").fetchone()[0] == 0
    with open_store(url) as store:
        raw = store.raw
        assert raw.execute("SELECT count(*) AS n FROM search_queue").fetchone()["n"] == 0
        assert raw.execute("SELECT relkind FROM pg_class WHERE relname = 'search_fts'").fetchone()["relkind"] == "p"
        assert raw.execute("SELECT count(*) AS n FROM search_fts").fetchone()["n"] == 20
        bare = r"SELECT count(*) AS n FROM search_fts WHERE tsv::text ~ '''F[a-z0-9]+''( |$)'"
        assert raw.execute(bare).fetchone()["n"] == 0  # every facet lexeme has its position again
        index = open_index(store)
        assert len(index.partitions(0, 1 << 62)) == 4  # 20 articles: 6 + 6 + 6 + 2
        after = {str(q): answer(index, q) for q in QUERIES}
    assert after == before
