"""The store contract, run on both backends (SQLite file, PostgreSQL server): idempotent ingest, revisions,
migrations, streaming filters, results per revision, and several writer processes at once."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from store_articles import article

from dragoman.article import Article, Block, BlockKind, SentencePair, TranslatedSegment, Translation
from dragoman.errors import StoreQueryError
from dragoman.store import ArticleFilter, IngestOutcome, open_store
from dragoman.store.schema import portable


def test_same_content_adds_nothing_and_changed_content_keeps_both(store: Any) -> None:
    first = store.ingest(article(1))
    again = store.ingest(article(1))
    changed = store.ingest(article(1, "Текст статьи, исправленный."))
    assert [first.outcome, again.outcome, changed.outcome] == [
        IngestOutcome.STORED,
        IngestOutcome.UNCHANGED,
        IngestOutcome.REVISED,
    ]
    assert first.article_id == again.article_id == changed.article_id
    revisions = store.revisions(first.article_id)
    assert [r.article.blocks[0].text for r in revisions] == ["Текст статьи.", "Текст статьи, исправленный."]
    current = store.get(first.article_id)
    assert current is not None and current.revision == 2 and current.revision_count == 2
    assert store.count() == 1
    assert store.connection.execute("SELECT count(*) FROM revisions").fetchone()[0] == 2


def test_get_by_canonical_and_fetched_url(store: Any) -> None:
    a = article(7)
    a.canonical_url = "https://iz.ru/news/7-canonical"
    stored = store.ingest(a)
    by_canonical = store.get("https://iz.ru/news/7-canonical")
    by_url = store.get("https://iz.ru/news/7")
    assert by_canonical is not None and by_url is not None
    assert by_canonical.id == by_url.id == stored.article_id
    assert by_canonical.article.title == "Заголовок 7"
    assert store.get("https://iz.ru/none") is None
    assert store.get(stored.article_id + 1000) is None


def test_migrations_are_recorded_once(store_url: str) -> None:
    with open_store(store_url) as store:
        applied = store.applied_migrations()
        assert applied[:2] == [1, 2]
        extra = portable(599, "test table", "CREATE TABLE t_extra (x {id}, y DOUBLE PRECISION);")
        assert store.migrate([extra]) == [599]
        assert store.migrate([extra]) == []
        store.connection.execute("INSERT INTO t_extra (y) VALUES (?)", (1.5,))
        assert store.connection.execute("SELECT x, y FROM t_extra").fetchone()[1] == 1.5
    with open_store(store_url) as store:
        assert 599 in store.applied_migrations()
        assert store.migrate() == []


def test_iter_articles_streams_with_filters(store: Any) -> None:
    for n in range(1, 26):
        store.ingest(article(n, outlet="iz.ru" if n % 2 else "tass.ru", day=1 + n % 28))
    ids = [s.id for s in store.iter_articles(batch_size=4)]
    assert ids == sorted(ids) and len(ids) == 25
    tass = list(store.iter_articles(ArticleFilter(outlets=["tass.ru"]), batch_size=3))
    assert {s.article.outlet for s in tass} == {"tass.ru"} and len(tass) == 12
    since = datetime(2022, 1, 20, tzinfo=UTC)
    recent = list(store.iter_articles(ArticleFilter(since=since)))
    assert recent and all(s.article.published_at and s.article.published_at >= since for s in recent)
    until = list(store.iter_articles(ArticleFilter(until=since)))
    assert len(recent) + len(until) == 25
    assert len(list(store.iter_articles(ArticleFilter(limit=5), batch_size=2))) == 5
    picked = [s.id for s in store.iter_articles(ArticleFilter(ids=[ids[3], ids[7]]))]
    assert picked == [ids[3], ids[7]]
    assert list(store.iter_articles(ArticleFilter(ids=[]))) == []


def translation(model: str = "m1", text: str = "Article text.") -> Translation:
    return Translation(
        engine="ctranslate2",
        model_id=model,
        translated_at=datetime.now(UTC),
        title=TranslatedSegment("title", 0, [SentencePair("Заголовок 1", "Headline 1")]),
        blocks=[TranslatedSegment("block", 0, [SentencePair("Текст статьи.", text, ["x"])])],
    )


def test_translation_and_analysis_are_stored_per_revision(store: Any) -> None:
    result = store.ingest(article(1))
    todo = ArticleFilter(without_translation_by="m1")
    assert [s.id for s in store.iter_articles(todo)] == [result.article_id]
    store.save_translation(result.revision_id, translation(text="First."))
    store.save_translation(result.revision_id, translation(text="Article text."))  # replaces, no duplicate
    assert list(store.iter_articles(todo)) == []
    store.save_analysis(result.revision_id, {"entities": ["Q7747"]}, "an/1")
    store.save_analysis(result.revision_id, {"entities": ["Q7747", "Q159"]}, "an/1")
    assert list(store.iter_articles(ArticleFilter(without_analysis_by="an/1"))) == []
    loaded = store.get(result.article_id)
    assert loaded is not None and loaded.article.translation is not None
    assert loaded.article.translation.blocks[0].sentences[0].target == "Article text."
    assert loaded.article.translation.blocks[0].sentences[0].flags == ["x"]
    assert loaded.article.analysis == {"entities": ["Q7747", "Q159"]}
    assert store.connection.execute("SELECT count(*) FROM translations").fetchone()[0] == 1
    # A new revision needs translating again; the old revision keeps its translation.
    store.ingest(article(1, "Новый текст."))
    assert [s.id for s in store.iter_articles(todo)] == [result.article_id]
    assert store.get(result.article_id).article.translation is None


def test_the_connection_takes_portable_sql_and_rewrites_nothing_else(store: Any) -> None:
    """What code outside the store's own SQL gets: ``?`` placeholders, rows by name and index, RETURNING,
    ON CONFLICT; SQLite's own idioms (INSERT OR IGNORE ...) are not rewritten for PostgreSQL any more."""
    conn = store.connection
    store.migrate([portable(598, "test table", "CREATE TABLE kv (id {id}, k TEXT UNIQUE, v TEXT)")])
    with store.transaction() as tx:
        first_id = tx.execute("INSERT INTO kv (k, v) VALUES (?, ?) RETURNING id", ("a", "100% sure")).fetchone()[0]
        tx.execute("INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT (k) DO NOTHING", ("a", "other"))
        tx.executemany("INSERT INTO kv (k, v) VALUES (?, ?)", [("b", "x?"), ("c", "'quoted'")])
    row = conn.execute("SELECT id, k, v FROM kv WHERE k = ?", ("a",)).fetchone()
    assert row["id"] == row[0] == first_id and row["v"] == "100% sure"
    assert dict(row) == {"id": first_id, "k": "a", "v": "100% sure"}
    assert [r[0] for r in conn.execute("SELECT k FROM kv WHERE v LIKE '%?%' OR v = ? ORDER BY k", ("'quoted'",))] == [
        "b",
        "c",
    ]
    assert isinstance(conn.execute("SELECT sum(id) FROM kv").fetchone()[0], int)
    with store.transaction() as tx:
        tx.execute(
            "INSERT INTO kv (id, k, v) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET v = excluded.v",
            (first_id, "a", "replaced"),
        )
    assert conn.execute("SELECT v FROM kv WHERE id = ?", (first_id,)).fetchone()[0] == "replaced"
    if store.backend == "postgres":  # SQLite's dialect reaches PostgreSQL as written: a clear StoreQueryError
        with pytest.raises(StoreQueryError):
            conn.execute("INSERT OR IGNORE INTO kv (k, v) VALUES (?, ?)", ("a", "x"))


WRITER = """
import json, sys, time
from pathlib import Path
from dragoman.article import Article, Block, BlockKind
from dragoman.store import open_store

url, order, ready, go = sys.argv[1], json.loads(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])
outcomes = {}
with open_store(url) as store:
    ready.touch()
    while not go.exists():
        time.sleep(0.005)
    for n, text in order:
        a = Article(url=f"https://iz.ru/news/{n}", title=f"T{n}", blocks=[Block(BlockKind.PARAGRAPH, text)])
        result = store.ingest(a)
        outcomes[result.outcome.value] = outcomes.get(result.outcome.value, 0) + 1
print(json.dumps(outcomes))
"""


def test_two_writer_processes_lose_nothing_and_duplicate_nothing(store_url: str, tmp_path: Path) -> None:
    with open_store(store_url):
        pass  # migrated once here, so the writers race on articles, not on the schema
    script = tmp_path / "writer.py"
    script.write_text(WRITER, encoding="utf-8")
    first = [(n, "Первая версия.") for n in range(0, 80)] + [(n, "Вторая версия.") for n in range(0, 20)]
    second = [(n, "Первая версия.") for n in range(119, 39, -1)] + [(n, "Вторая версия.") for n in range(0, 20)]
    go = tmp_path / "go"
    procs = []
    for i, order in enumerate((first, second)):
        ready = tmp_path / f"ready{i}"
        cmd = [sys.executable, str(script), store_url, json.dumps(order), str(ready), str(go)]
        procs.append((subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True), ready))
    deadline = time.monotonic() + 60
    while not all(ready.exists() for _, ready in procs) and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()
    totals: dict[str, int] = {}
    for proc, _ in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        for key, value in json.loads(out).items():
            totals[key] = totals.get(key, 0) + value
    # Every (URL, content) pair written exactly once, whoever got there first.
    assert totals == {"stored": 120, "revised": 20, "unchanged": 60}
    with open_store(store_url) as store:
        conn = store.connection
        assert store.count() == 120
        assert conn.execute("SELECT count(*) FROM revisions").fetchone()[0] == 140
        assert conn.execute("SELECT count(DISTINCT key_url) FROM articles").fetchone()[0] == 120
        bad = conn.execute(
            "SELECT a.id FROM articles a WHERE a.revision_count <> (SELECT count(*) FROM revisions r"
            " WHERE r.article_id = a.id) OR a.current_revision_id NOT IN (SELECT r.id FROM revisions r"
            " WHERE r.article_id = a.id AND r.revision = a.revision_count)"
        ).fetchall()
        assert bad == []
        assert [s.revision_count for s in store.iter_articles(ArticleFilter(limit=200))].count(2) == 20


KILLED_WRITER = """
import os, sys
from dragoman.article import Article, Block, BlockKind
from dragoman.store import open_store

store = open_store(sys.argv[1])
for i in range(10_000):
    store.ingest(Article(url=f"https://iz.ru/{i}", title=f"T{i}", blocks=[Block(BlockKind.PARAGRAPH, "x" * 50)]))
    if i == 150:
        os._exit(9)  # dies like kill -9: no cleanup, the connection just drops
"""


@pytest.mark.postgres
def test_a_killed_writer_leaves_postgresql_consistent_and_a_rerun_finishes(postgres_url: str, tmp_path: Path) -> None:
    script = tmp_path / "writer.py"
    script.write_text(KILLED_WRITER, encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script), postgres_url], capture_output=True, timeout=120)
    assert proc.returncode == 9, proc.stderr
    with open_store(postgres_url) as store:
        orphans = store.connection.execute(
            "SELECT count(*) FROM articles a LEFT JOIN revisions r ON r.id = a.current_revision_id WHERE r.id IS NULL"
        ).fetchone()[0]
        assert store.count() == 151 and orphans == 0
        outcomes = [
            store.ingest(
                Article(url=f"https://iz.ru/{i}", title=f"T{i}", blocks=[Block(BlockKind.PARAGRAPH, "x" * 50)])
            ).outcome
            for i in range(160)
        ]
    assert outcomes.count(IngestOutcome.UNCHANGED) == 151 and outcomes.count(IngestOutcome.STORED) == 9


def test_story_copies_and_revisions_read_alike_on_both_backends(store: Any) -> None:
    """Stories are written by StoryIndex and read by the reader and exports through the same SQL on both."""
    from dragoman.acquire.dedupe import StoryIndex
    from dragoman.acquire.revisions import diff_revisions
    from dragoman.formats.export import iter_export
    from dragoman.store.stories import link_story_copy, story_of

    text = "Центробанк сохранил ключевую ставку на уровне 16 процентов и пообещал следить за инфляцией в регионах."
    original, copy = article(1, text, outlet="tass.ru"), article(2, text, outlet="ria.ru")
    copy.title = original.title
    index = StoryIndex(store)
    first = store.ingest(original)
    index(first.article_id, original, first)
    stored_copy = store.ingest(copy)
    assert index.assign(stored_copy.article_id, copy).kind == "exact_hash"
    store.save_translation(first.revision_id, translation())
    loaded = store.get(stored_copy.article_id)
    link = link_story_copy(store, loaded)
    assert link is not None and link.member_id == first.article_id and link.shares_text
    assert loaded.article.translation is not None and loaded.article.translation.model_id == "m1"
    records = [json.loads(line) for line in "".join(iter_export(store, "jsonl")).splitlines()]
    assert [r["translation"]["model_id"] for r in records] == ["m1", "m1"]
    assert story_of(store, first.article_id, limit=1)["article_count"] == 2
    # A revision keeps the story and replaces the member's signature: a copy of the new text matches exactly.
    edited = article(1, text + " Следующее заседание в июле.", outlet="tass.ru")
    revised = store.ingest(edited)
    index(revised.article_id, edited, revised)
    diff = diff_revisions(store, first.article_id)
    assert diff.body_diff[-1] == f"+{text} Следующее заседание в июле."
    late_copy = article(3, edited.blocks[0].text, outlet="lenta.ru")
    late_copy.title = edited.title
    assert index.assign(store.ingest(late_copy).article_id, late_copy).kind == "exact_hash"
