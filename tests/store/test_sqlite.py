"""SQLite-specific store tests (WAL, file integrity after a kill -9); the shared contract is test_store.py."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from store_articles import article

from dragoman.article import Article, Block, BlockKind
from dragoman.store import IngestOutcome, open_store


def test_sqlite_runs_in_wal_mode_with_one_article_row_per_url(db_path: Path) -> None:
    """SQLite-only details; the store contract itself is tests/store/test_store.py, run on both backends."""
    with open_store(db_path) as store:
        store.ingest(article(1))
        store.ingest(article(1, "Текст статьи, исправленный."))
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM revisions").fetchone()[0] == 2
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


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
