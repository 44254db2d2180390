"""The SQLite store on a real file: idempotent ingest, revisions, migrations, crash consistency."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dragoman.article import Article, Block, BlockKind, SentencePair, TranslatedSegment, Translation
from dragoman.store import ArticleFilter, IngestOutcome, open_store
from dragoman.store.migrations import Migration


def article(n: int, text: str = "Текст статьи.", outlet: str = "iz.ru", day: int = 1) -> Article:
    return Article(
        url=f"https://{outlet}/news/{n}",
        title=f"Заголовок {n}",
        blocks=[Block(BlockKind.PARAGRAPH, text)],
        outlet=outlet,
        published_at=datetime(2022, 1, day, 12, tzinfo=UTC),
        extractor_version="test/1",
    )


def test_same_content_adds_nothing_and_changed_content_keeps_both(db_path: Path) -> None:
    with open_store(db_path) as store:
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
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM revisions").fetchone()[0] == 2
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_get_by_canonical_and_fetched_url(db_path: Path) -> None:
    with open_store(db_path) as store:
        a = article(7)
        a.canonical_url = "https://iz.ru/news/7-canonical"
        stored = store.ingest(a)
        by_canonical = store.get("https://iz.ru/news/7-canonical")
        by_url = store.get("https://iz.ru/news/7")
        assert by_canonical is not None and by_url is not None
        assert by_canonical.id == by_url.id == stored.article_id
        assert store.get("https://iz.ru/none") is None


def test_migrations_are_recorded_once(db_path: Path) -> None:
    with open_store(db_path) as store:
        applied = store.applied_migrations()
        assert applied[:2] == [1, 2]
        extra = Migration(99, "test table", "CREATE TABLE t (x INTEGER);")
        assert store.migrate([extra]) == [99]
        assert store.migrate([extra]) == []
    with open_store(db_path) as store:
        assert 99 in store.applied_migrations()


def test_iter_articles_streams_with_filters(db_path: Path) -> None:
    with open_store(db_path) as store:
        for n in range(1, 26):
            store.ingest(article(n, outlet="iz.ru" if n % 2 else "tass.ru", day=1 + n % 28))
        ids = [s.id for s in store.iter_articles(batch_size=4)]
        assert ids == sorted(ids) and len(ids) == 25
        tass = list(store.iter_articles(ArticleFilter(outlets=["tass.ru"]), batch_size=3))
        assert {s.article.outlet for s in tass} == {"tass.ru"} and len(tass) == 12
        since = datetime(2022, 1, 20, tzinfo=UTC)
        recent = list(store.iter_articles(ArticleFilter(since=since)))
        assert recent and all(s.article.published_at and s.article.published_at >= since for s in recent)
        assert len(list(store.iter_articles(ArticleFilter(limit=5), batch_size=2))) == 5


def test_translation_is_stored_per_revision_and_model(db_path: Path) -> None:
    with open_store(db_path) as store:
        result = store.ingest(article(1))
        translation = Translation(
            engine="ctranslate2",
            model_id="m1",
            translated_at=datetime.now(UTC),
            title=TranslatedSegment("title", 0, [SentencePair("Заголовок 1", "Headline 1")]),
            blocks=[TranslatedSegment("block", 0, [SentencePair("Текст статьи.", "Article text.", ["x"])])],
        )
        todo = ArticleFilter(without_translation_by="m1")
        assert [s.id for s in store.iter_articles(todo)] == [result.article_id]
        store.save_translation(result.revision_id, translation)
        store.save_translation(result.revision_id, translation)  # idempotent
        assert list(store.iter_articles(todo)) == []
        loaded = store.get(result.article_id)
        assert loaded is not None and loaded.article.translation is not None
        assert loaded.article.translation.blocks[0].sentences[0].target == "Article text."
        # A new revision needs translating again.
        store.ingest(article(1, "Новый текст."))
        assert [s.id for s in store.iter_articles(todo)] == [result.article_id]


CRASHING_WRITER = """
import os, sys
from dragoman.store import open_store
from dragoman.article import Article, Block, BlockKind
store = open_store(sys.argv[1])
n = 0
with store.transaction() as conn:
    pass
for i in range(10_000):
    a = Article(url=f"https://iz.ru/{i}", title=f"T{i}", blocks=[Block(BlockKind.PARAGRAPH, "x" * 50)])
    store.ingest(a)
    if i == 300:
        os._exit(9)  # dies like kill -9: no cleanup, no commit of anything in flight
"""


def test_a_killed_writer_leaves_a_consistent_database_and_a_rerun_finishes(db_path: Path, tmp_path: Path) -> None:
    script = tmp_path / "writer.py"
    script.write_text(CRASHING_WRITER, encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script), str(db_path)], capture_output=True, timeout=120)
    assert proc.returncode == 9
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    orphans = conn.execute(
        "SELECT count(*) FROM articles a LEFT JOIN revisions r ON r.id = a.current_revision_id WHERE r.id IS NULL"
    ).fetchone()[0]
    assert articles == 301 and orphans == 0
    conn.close()
    with open_store(db_path) as store:
        outcomes = [
            store.ingest(
                Article(url=f"https://iz.ru/{i}", title=f"T{i}", blocks=[Block(BlockKind.PARAGRAPH, "x" * 50)])
            ).outcome
            for i in range(320)
        ]
    assert outcomes.count(IngestOutcome.UNCHANGED) == 301
    assert outcomes.count(IngestOutcome.STORED) == 19


def test_unopenable_database_is_a_store_error(tmp_path: Path) -> None:
    from dragoman.errors import StoreError

    bad = tmp_path / "not.db"
    bad.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(StoreError, match="cannot open database"):
        open_store(bad)
