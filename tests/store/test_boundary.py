"""The store as a boundary, on both backends: driver errors arrive as StoreError subclasses, read-only opens
neither create nor migrate nor write, and one ingest algorithm (one revision writer) serves both databases."""

from __future__ import annotations

import copy
import hashlib
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from store_articles import article

import dragoman.store.base as store_base
from dragoman.cli import main
from dragoman.errors import (
    StoreError,
    StoreIntegrityError,
    StoreLockedError,
    StoreMissingError,
    StoreQueryError,
    StoreReadOnlyError,
    StoreSchemaError,
)
from dragoman.store import IngestOutcome, open_store
from dragoman.store.base import ReextractOutcome


def _drivers_errors() -> tuple[type[BaseException], ...]:
    import psycopg

    return (sqlite3.Error, psycopg.Error)


def test_driver_errors_arrive_as_store_error_subclasses(store: Any) -> None:
    first = store.ingest(article(1))
    cases: list[tuple[type[StoreError], str, tuple[Any, ...]]] = [
        (StoreIntegrityError, "INSERT INTO translation_memory (model_id, source, target, created_at) VALUES (?,?,?,?)",
         ("m", "s", "t", "now")),
        (StoreSchemaError, "SELECT * FROM no_such_table WHERE x = ?", (1,)),
        (StoreSchemaError, "SELECT no_such_column FROM articles WHERE id = ?", (first.article_id,)),
        (StoreQueryError, "SELEKT 1 FROM articles WHERE id = ?", (1,)),
    ]  # fmt: skip
    store.sql.execute(cases[0][1], cases[0][2])  # the first row; the same key again breaks the primary key
    for kind, sql, params in cases:
        for conn in (store.sql, store.connection):
            with pytest.raises(kind) as caught:
                conn.execute(sql, params)
            assert not isinstance(caught.value, _drivers_errors())
            assert isinstance(caught.value.__cause__, _drivers_errors())  # the driver's error stays as the cause
    # A write that fails names what it was storing and keeps the kind.
    store.sql.execute("ALTER TABLE analyses RENAME TO analyses_gone")
    with pytest.raises(StoreSchemaError, match=r"^cannot store analysis of revision \d+: "):
        store.save_analysis(first.revision_id, {}, "an/1")


def test_a_locked_database_is_a_store_locked_error(store: Any, store_url: str) -> None:
    stored = store.ingest(article(1))
    if store.backend == "sqlite":
        other = sqlite3.connect(store_url, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
        store.sql.execute("PRAGMA busy_timeout = 50")
        try:
            with pytest.raises(StoreLockedError, match=r"^cannot store "):
                store.ingest(article(1, "Другой текст."))
        finally:
            other.execute("ROLLBACK")
            other.close()
    else:
        import psycopg

        with psycopg.connect(store_url) as other:  # a transaction holds the article's row
            other.execute("SELECT id FROM articles WHERE id = %s FOR UPDATE", (stored.article_id,))
            store.sql.execute("SET lock_timeout = '50ms'")
            with pytest.raises(StoreLockedError, match=r"^cannot store "):
                store.ingest(article(1, "Другой текст."))
            other.rollback()
    store.sql.execute("PRAGMA busy_timeout = 30000" if store.backend == "sqlite" else "SET lock_timeout = 0")
    assert store.ingest(article(1, "Другой текст.")).outcome is IngestOutcome.REVISED  # nothing half-written


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_read_only_open_reads_and_refuses_writes(store_url: str) -> None:
    with open_store(store_url) as store:
        stored = store.ingest(article(1))
    before = _digest(Path(store_url)) if not store_url.startswith("postgres") else None
    with open_store(store_url, readonly=True) as reader:
        assert reader.readonly and reader.get(stored.article_id).article.title == "Заголовок 1"
        assert [s.id for s in reader.iter_articles()] == [stored.article_id]
        with pytest.raises(StoreReadOnlyError):
            reader.ingest(article(2))
        with pytest.raises(StoreReadOnlyError):
            reader.connection.execute("DELETE FROM articles")
    if before is not None:
        assert _digest(Path(store_url)) == before
    with open_store(store_url) as store:
        assert store.count() == 1


def test_read_only_open_of_a_missing_database_creates_nothing(tmp_path: Path, store_url: str) -> None:
    if store_url.startswith("postgres"):
        missing_url = store_url.rsplit("/", 1)[0] + "/no_such_database_here"
        with pytest.raises(StoreMissingError, match="no_such_database_here"):
            open_store(missing_url, readonly=True)
        return
    missing = tmp_path / "missing.db"
    with pytest.raises(StoreMissingError, match=r"^no database at .*missing\.db"):
        open_store(missing, readonly=True)
    assert not missing.exists()
    not_ours = tmp_path / "other.db"
    sqlite3.connect(not_ours).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(StoreMissingError, match="not a dragoman database"):
        open_store(not_ours, readonly=True)


def test_read_only_open_of_an_old_schema_neither_migrates_nor_writes(store_url: str) -> None:
    with open_store(store_url) as store:
        store.ingest(article(1))
        with store.transaction() as conn:  # as a database from before migration 502 looks
            conn.execute("DELETE FROM schema_migrations WHERE version = 502")
    before = _digest(Path(store_url)) if not store_url.startswith("postgres") else None
    with pytest.raises(StoreMissingError, match=r"not been migrated .*missing migrations 502.*dragoman migrate"):
        open_store(store_url, readonly=True)
    if before is not None:
        assert _digest(Path(store_url)) == before
    with open_store(store_url, migrate=False) if store_url.startswith("postgres") else _sqlite_raw(store_url) as raw:
        versions = [int(r[0]) for r in raw.sql.execute("SELECT version FROM schema_migrations").fetchall()]
    assert 502 not in versions and 501 in versions


class _sqlite_raw:
    def __init__(self, path: str) -> None:
        self.sql = sqlite3.connect(path)

    def __enter__(self) -> _sqlite_raw:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sql.close()


READING_COMMANDS = [
    ["show", "1"],
    ["search", "NATO"],
    ["quotes"],
    ["timeline"],
    ["entities"],
    ["stories"],
    ["brief"],
    ["watchlist", "list"],
    ["export", "--format", "jsonl"],
]


@pytest.mark.parametrize("command", READING_COMMANDS, ids=lambda c: " ".join(c))
def test_cli_read_only_commands_neither_create_nor_migrate(tmp_path: Path, command: list[str]) -> None:
    """Commands that read never create a database or migrate one (those that read the search index bring it
    up to date, their only write, on a migrated database only)."""
    runner = CliRunner()
    missing = tmp_path / "missing.db"
    result = runner.invoke(main, ["--db", str(missing), *command])
    assert result.exit_code == 2 and "no database at" in result.stderr
    assert not missing.exists()
    old = tmp_path / "old.db"
    with open_store(old) as store:
        store.ingest(article(1))
        with store.transaction() as conn:
            conn.execute("DELETE FROM schema_migrations WHERE version >= 500")
    before = _digest(old)
    result = runner.invoke(main, ["--db", str(old), *command])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"error: database {old} has not been migrated to this version of dragoman"
        " (missing migrations 500, 501, 502); run `dragoman migrate` first"
    ]
    assert _digest(old) == before
    with sqlite3.connect(old) as raw:
        assert raw.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] < 500


def test_one_ingest_algorithm_and_one_revision_writer_on_both_backends(
    store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every revision row, whether from an ingest or a re-extraction, is written by ``insert_revision``."""
    written: list[tuple[int, str]] = []
    real = store_base.insert_revision

    def counting(conn: Any, article_id: int, revision: int, *args: Any, **kwargs: Any) -> int:
        written.append((revision, kwargs.get("origin", "acquired")))
        return real(conn, article_id, revision, *args, **kwargs)

    monkeypatch.setattr(store_base, "insert_revision", counting)
    first = store.ingest(article(1))
    assert store.ingest(article(1)).outcome is IngestOutcome.UNCHANGED
    assert store.ingest(article(1, "Исправленный текст.")).outcome is IngestOutcome.REVISED
    stored = store.get(first.article_id)
    better = copy.deepcopy(stored.article)
    better.blocks[0].text = "Текст, извлечённый заново."
    assert store.record_reextraction(stored, better) is ReextractOutcome.REVISED
    assert written == [(1, "acquired"), (2, "acquired"), (3, "reextract")]
    rows = store.sql.execute(
        "SELECT revision, origin FROM revisions WHERE article_id = ? ORDER BY revision", (first.article_id,)
    ).fetchall()
    assert [tuple(r) for r in rows] == [(1, "acquired"), (2, "acquired"), (3, "reextract")]


def test_concurrent_ingests_of_one_new_url_claim_it_once(store_url: str) -> None:
    """The claim step (INSERT ... ON CONFLICT DO NOTHING RETURNING id) under threads with a store each."""
    with open_store(store_url):
        pass
    results: list[Any] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def ingest(text: str) -> None:
        try:
            with open_store(store_url) as store:
                start.wait()
                results.append(store.ingest(article(1, text)))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=ingest, args=(t,)) for t in ("Один.", "Два.", "Один.", "Три.")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len({r.article_id for r in results}) == 1
    assert sorted(r.outcome.value for r in results).count("stored") == 1
    with open_store(store_url) as store:
        revisions = store.revisions(results[0].article_id)
        assert sorted(r.revision for r in revisions) == list(range(1, len(revisions) + 1))
        assert len(revisions) == 3  # three distinct texts, the repeated one stored once
