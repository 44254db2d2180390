"""The surge's per-day counts (migration 421) agree with a count made from the stored documents themselves,
after ingest, a revision, a deletion, a re-index and the one-time backfill of a database indexed before them;
on SQLite and, with DRAGOMAN_TEST_POSTGRES, PostgreSQL."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from front_corpus import CB, CBR, SHOIGU, FrontCorpus, analysis, build_front_corpus, make
from test_front import _postgres_database

from dragoman.analyze.surge import title_terms
from dragoman.search import open_index
from dragoman.search.index import index_rows
from dragoman.serve import morning
from dragoman.store import open_store


@pytest.fixture(params=["sqlite", "postgres"])
def corpus(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[FrontCorpus]:
    if request.param == "sqlite":
        yield build_front_corpus(tmp_path / "counts.db")
        return
    databases = _postgres_database()
    try:
        yield build_front_corpus(next(databases))
    finally:
        databases.close()


def test_the_surge_shortcuts_change_no_verdict() -> None:
    """surges() skips the tail sum where the count is at most the expectation, or where P(X = count) alone
    exceeds max_p; on random counts it must find exactly what the full test finds."""
    import random

    from dragoman.analyze.surge import poisson_sf, surges

    rng = random.Random(1)
    found_any = 0
    for _ in range(100):
        window = {f"k{i}": rng.randrange(0, 60) for i in range(100)}
        baseline = {f"k{i}": rng.randrange(0, 400) for i in range(100)}
        totals = {"window_total": rng.randrange(100, 3000), "baseline_total": rng.randrange(1000, 60000)}
        expected = sorted(
            k
            for k, n in window.items()
            if n >= 3
            and poisson_sf(n, totals["window_total"] * (baseline[k] + 1) / (totals["baseline_total"] + 1)) <= 1e-3
        )
        assert sorted(s.key for s in surges(window, baseline, **totals)) == expected
        found_any += len(expected)
    assert found_any > 100  # the trials do surge


def test_a_watchlist_is_the_watches_sharing_a_label(tmp_path: Any) -> None:
    from dragoman.acquire.alerts import add_watch
    from dragoman.errors import ConfigError

    with open_store(tmp_path / "watches.db") as store:
        shoigu = add_watch(store, "entity", "Sergei Shoigu", label="defence")
        navy = add_watch(store, "term", "флот", label="Defence")
        add_watch(store, "term", "defence", label="press")  # its value is not the list "defence"
        gas = add_watch(store, "term", "Газпром")  # unlabelled: a list of one, by its value
        assert [w.id for w in morning.select_watches(store, "defence")] == [shoigu.id, navy.id]
        assert [w.id for w in morning.select_watches(store, "газпром")] == [gas.id]
        assert len(morning.select_watches(store, None)) == 4
        with pytest.raises(ConfigError, match=r"no watchlist 'Sergei Shoigu'.*defence, press"):
            morning.select_watches(store, "Sergei Shoigu")  # a labelled watch answers to its label only


def from_documents(store: Any) -> tuple[Counter[tuple[str, str, int]], set[tuple[int, str]]]:
    """(kind, key, day) -> articles, and the (article, term) pairs, counted from each article's stored record
    (its current revision, translation and analysis) with no index table read."""
    counts: Counter[tuple[str, str, int]] = Counter()
    pairs: set[tuple[int, str]] = set()
    for (article_id,) in store.connection.execute("SELECT id FROM articles ORDER BY id").fetchall():
        stored = store.get(int(article_id))
        row = index_rows(stored)
        day = (row["docid"] >> 22) // 86400
        counts["docs", "indexed", day] += 1
        for key in {e[0] for e in row["entities"]}:
            counts["entity", key, day] += 1
        if row["translation_model"] is not None:
            counts["docs", "translated", day] += 1
            title = stored.article.translation.title.sentences[0].target
            for term in title_terms(title):
                counts["term", term, day] += 1
                pairs.add((int(article_id), term))
    return counts, pairs


def from_index(store: Any) -> tuple[Counter[tuple[str, str, int]], set[tuple[int, str]]]:
    rows = store.connection.execute("SELECT kind, key, day, articles FROM search_day_counts").fetchall()
    counts = Counter({(str(k), str(key), int(d)): int(n) for k, key, d, n in rows})
    pairs = {(int(a), str(t)) for a, t in store.connection.execute("SELECT article_id, term FROM search_title_terms")}
    return counts, pairs


def assert_agree(store: Any) -> Counter[tuple[str, str, int]]:
    expected, expected_pairs = from_documents(store)
    counts, pairs = from_index(store)
    assert counts == expected
    assert pairs == expected_pairs
    return counts


def test_day_counts_follow_ingest_revision_deletion_reindex_and_backfill(corpus: FrontCorpus) -> None:
    store = open_store(corpus.db)
    try:
        counts = assert_agree(store)
        today = int(corpus.now.timestamp() - 3 * 3600) // 86400  # the central bank story's day
        assert counts["term", "shoigu", (int(corpus.now.timestamp()) - 2 * 3600) // 86400] >= 1
        assert counts["entity", SHOIGU["key"], (int(corpus.now.timestamp()) - 2 * 3600) // 86400] >= 1
        before = counts["term", "bank", today]
        assert before >= 1

        # A revision: tass.ru changes its headline and the article loses its entities but one.
        revised = make(
            "https://tass.ru/ekonomika/1",
            "tass.ru",
            ("ЦБ оставил ставку", "Regulator freezes borrowing costs"),
            CB,
            corpus.now - timedelta(hours=3),
        )
        english = revised.translation
        revised.translation = None
        result = store.ingest(revised)
        assert english is not None
        store.save_translation(result.revision_id, english)
        store.save_analysis(result.revision_id, analysis([CBR]), "front/1")
        open_index(store).sync()
        counts = assert_agree(store)
        assert counts["term", "regulator", today] >= 1 and counts["term", "freezes", today] == 1

        # A deletion (as any SQL writer would make it): the index rows cascade, the counts follow.
        with store.transaction() as conn:
            conn.execute("DELETE FROM articles WHERE id = ?", (corpus.ids["shoigu:0"],))
        counts = assert_agree(store)

        # A full re-index rebuilds the same counts.
        open_index(store).reindex()
        assert from_index(store)[0] == counts

        # A database indexed before migration 421: no title terms yet, the flag pending; the first surge
        # query writes them once.
        with store.transaction() as conn:
            conn.execute("DELETE FROM search_title_terms")
            conn.execute("UPDATE search_title_terms_backfill SET pending = 1")
        assert not [k for k in from_index(store)[0] if k[0] == "term"]
        found = morning.surging(store, window=timedelta(hours=24), now=corpus.now)
        assert "shoigu" in [t.surge.key for t in found.terms]
        assert from_index(store)[0] == counts
        assert not store.connection.execute("SELECT pending FROM search_title_terms_backfill").fetchone()[0]
    finally:
        store.close()
