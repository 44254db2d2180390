"""The same query finds the same articles on SQLite (FTS5) and on PostgreSQL (RUM or GIN over a tsvector).

One corpus, built twice through the product's own path (ingest, save_translation, save_analysis, then the
search index's sync): the serve tests' corpus (real WMT newstest2019 Russian news, its human English reference
as the translation, analyses with entities and unnamed sources, a QA flag) plus the real Russian pages of
``../shared/data/html_ru`` extracted by the extract stage (ё, й, Latin words, numbers, hyphens). Queries are
drawn from the articles' own words (every kind: words in both languages, case forms, prefixes, phrases, AND,
OR, NOT, parentheses) plus filters (outlet, rubric, entity, unnamed sources, QA flag, date windows); both
backends must return the same articles and the same totals.
"""

from __future__ import annotations

import re
import sqlite3
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from backends import fresh_postgres_database
from dragoman.article import RawPage
from dragoman.errors import DragomanError
from dragoman.extract import extract
from dragoman.search import open_index
from dragoman.search.index import stem_russian
from dragoman.search.postgres import FTS5_TOKENIZER, PostgresSearchIndex, fts5_tokens
from dragoman.search.query import SearchQuery
from dragoman.store import open_store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "serve"))
from serve_corpus import build_corpus

pytestmark = pytest.mark.postgres
WORD = re.compile(r"\w+")
HTML_PAGES = ["htmldate_eval/pages/*.html", "fundus/ru/*.html.gz", "fundus/ua/*.html.gz"]


def real_pages(data_dir: Path) -> list[tuple[str, bytes]]:
    import gzip

    pages = []
    for pattern in HTML_PAGES:
        for path in sorted((data_dir / "html_ru").glob(pattern)):
            body = path.read_bytes()
            pages.append((f"https://{path.stem.split('.')[0]}.example.ru/news/{len(pages)}", gzip.decompress(body)
                          if path.suffix == ".gz" else body))  # fmt: skip
    return pages


def fill(url: str, data_dir: Path) -> int:
    """The serve corpus, then the extracted real pages (untranslated, found by Russian words only)."""
    build_corpus(url, data_dir, n_articles=40)  # type: ignore[arg-type]  # open_store takes URLs too
    added = 0
    with open_store(url) as store:
        for n, (page_url, body) in enumerate(real_pages(data_dir)):
            try:
                article = extract(RawPage(url=page_url, body=body))
            except DragomanError:
                continue  # a page the extract stage skips (no article body) is not part of the corpus
            article.published_at = datetime(2022, 1, 10, tzinfo=UTC) + timedelta(hours=7 * n)
            store.ingest(article)
            added += 1
        open_index(store).sync()
    return added


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory, postgres_server: str, data_dir: Path) -> Iterator[tuple[Any, Any]]:
    with fresh_postgres_database(postgres_server) as url:
        lite_path = tmp_path_factory.mktemp("parity") / "search.db"
        pages = fill(str(lite_path), data_dir)
        assert pages >= 8 and fill(url, data_dir) == pages
        with open_store(lite_path) as lite, open_store(url) as pg:
            yield open_index(lite), open_index(pg)


def corpus_texts(index: Any) -> tuple[list[str], list[str]]:
    """Russian and English text of every indexed article: the stored records and the index's English."""
    import json

    conn = index.store.connection
    ru = [
        " ".join([r.get("title", ""), *(b.get("text", "") for b in r.get("blocks") or [])])
        for r in (json.loads(row[0]) for row in conn.execute(
            "SELECT rv.record FROM articles a JOIN revisions rv ON rv.id = a.current_revision_id ORDER BY a.id"))
    ]  # fmt: skip
    en = [f"{row[0]} {row[1]}" for row in conn.execute("SELECT title_en, body_en FROM search_fts ORDER BY rowid")]
    return ru, [e for e in en if e.strip()]


def drawn_queries(ru: list[str], en: list[str]) -> list[dict[str, Any]]:
    """Words, case forms, prefixes, phrases and boolean queries taken from the corpus itself."""
    queries: list[dict[str, Any]] = []
    for texts, step in ((ru, 131), (en, 97)):  # about 500 queries: every kind, from all over the corpus
        words = [w for text in texts for w in WORD.findall(text)]
        for i in range(0, len(words) - 2, step):
            a, b, c = words[i], words[i + 1], words[i + 2]
            queries.append({"text": a})
            queries.append({"text": f'"{a} {b}"'})
            if len(a) >= 5:
                queries.append({"text": a[: max(4, len(a) - 2)] + "*"})
            if i % (step * 3) == 0:
                queries.append({"text": f"{a} -{c}"})
                queries.append({"text": f"{a} OR {c}"})
                queries.append({"text": f"({a} OR {b}) {c}"})
                queries.append({"text": f'"{a} {b}" -{c}'})
    return queries


FIXED: list[dict[str, Any]] = [
    {"text": "Путин"},
    {"text": "путину"},
    {"text": "Путина OR Трампа"},
    {"text": '"Владимир Путин"'},
    {"text": "президент -Россия"},
    {"text": "Russia"},
    {"text": "Russian president"},
    {"text": "ещё"},
    {"text": "еще"},
    {"text": "самопровозглашенной"},
    {"text": "2018"},
    {"text": "из-за"},
    {"text": "SpaceX"},
    {"text": "assembly"},
    {"text": "presiden*"},
    {"text": "санкци*"},
    {"text": "путин*"},
    {"text": "Путин Russia"},  # one language side must hold both words, as with FTS5's column filters
    {"text": "Путин", "outlets": ["ria.ru"]},
    {"text": "Путин", "outlets": ["ria.ru", "iz.ru"]},
    {"text": "", "rubric": "Экономика"},
    {"text": "Russia", "rubric": "Politics"},
    {"text": "", "entities": ["Q7747"]},
    {"text": "", "unnamed_sources": True},
    {"text": "", "qa_flagged": True},
    {"text": "", "outlets": ["kommersant.ru"], "unnamed_sources": True},
    {"text": "России", "since": datetime(2022, 1, 5, tzinfo=UTC), "until": datetime(2022, 1, 15, tzinfo=UTC)},
    {"text": "", "since": datetime(2022, 1, 20, tzinfo=UTC)},
    {"text": ""},
]


def answer(index: Any, query: dict[str, Any]) -> tuple[list[int], int]:
    results = index.search(SearchQuery(limit=200, **query))
    return sorted(h.article_id for h in results.hits), results.total


def test_the_tokens_are_sqlites_own(both: tuple[Any, Any]) -> None:
    """fts5_tokens against what an FTS5 table with the index's tokenizer holds, over the whole corpus."""
    lite, _ = both
    ru, en = corpus_texts(lite)
    conn = sqlite3.connect(":memory:")
    conn.execute(f"CREATE VIRTUAL TABLE t USING fts5(x, tokenize = '{FTS5_TOKENIZER}')")
    conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
    texts = [stem_russian(t) for t in ru] + en + ["Ёжик café naïve COVID-19 Übermaß x_y 3,5% assembly ﬁnance"]
    for n, text in enumerate(texts, 1):
        conn.execute("INSERT INTO t (rowid, x) VALUES (?, ?)", (n, text))
    for n, text in enumerate(texts, 1):
        expected = [r[0] for r in conn.execute("SELECT term FROM v WHERE doc = ? ORDER BY offset", (n,))]
        assert fts5_tokens(text) == expected, text[:80]


def test_the_same_queries_find_the_same_articles(both: tuple[Any, Any]) -> None:
    lite, pg = both
    assert isinstance(pg, PostgresSearchIndex) and not isinstance(lite, PostgresSearchIndex)
    ru, en = corpus_texts(lite)
    queries = FIXED + drawn_queries(ru, en)
    assert len(queries) > 300
    differing = []
    found = 0
    for query in queries:
        expected = answer(lite, query)
        got = answer(pg, query)
        found += bool(expected[0])
        if got != expected:
            differing.append((query, expected, got))
    assert not differing, differing[:5]
    assert found > 0.8 * len(queries)  # the drawn words are in the corpus: most queries find something


def test_newest_first_and_relevance_agree_on_the_articles(both: tuple[Any, Any]) -> None:
    """Newest-first is the same order on both; relevance order ranks the same articles (scores differ:
    bm25 on SQLite, RUM's or ts_rank's on PostgreSQL) with title hits first."""
    lite, pg = both
    for text in ("Путин", "России", "president", '"Владимир Путин"'):
        newest_lite = [h.article_id for h in lite.search(SearchQuery(text=text, limit=200)).hits]
        newest_pg = [h.article_id for h in pg.search(SearchQuery(text=text, limit=200)).hits]
        assert newest_pg == newest_lite and newest_lite, text
        relevant = pg.search(SearchQuery(text=text, sort="relevance", limit=200)).hits
        assert sorted(h.article_id for h in relevant) == sorted(newest_lite)
        scores = [h.score or 0.0 for h in relevant]
        assert scores == sorted(scores, reverse=True), text
    in_title = {h.article_id for h in pg.search(SearchQuery(text="Путин", limit=200)).hits if "Путин" in h.title}
    top = pg.search(SearchQuery(text="Путин", sort="relevance", limit=len(in_title))).hits
    assert in_title and {h.article_id for h in top} == in_title
