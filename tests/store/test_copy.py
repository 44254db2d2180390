"""`dragoman db copy` and `db migrate`: a corpus goes SQLite -> PostgreSQL -> SQLite with nothing lost, verified
by row counts and content hashes, and the copy keeps working as a store (ids, sequences, search)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from dragoman.article import Article, Block, BlockKind, SentencePair, TranslatedSegment, Translation
from dragoman.cli import main
from dragoman.search import open_index
from dragoman.search.query import SearchQuery
from dragoman.store import open_store

pytestmark = pytest.mark.postgres


def fill(db: Path) -> None:
    with open_store(db) as store:
        for n in range(1, 31):
            article = Article(
                url=f"https://tass.ru/politika/{n}",
                title=f"Переговоры в Женеве, день {n}",
                blocks=[Block(BlockKind.PARAGRAPH, f"Делегации встретились в {n}-й раз.")],
                outlet="tass.ru",
                published_at=datetime(2022, 1, 1 + n % 28, 9, tzinfo=UTC),
                extractor_version="test/1",
            )
            result = store.ingest(article)
            if n % 3 == 0:  # a revision, so revision ids and article ids diverge
                article.blocks.append(Block(BlockKind.PARAGRAPH, "Обновлено."))
                article.content_sha256 = None  # ingest filled it in for the first version
                result = store.ingest(article)
            store.save_translation(
                result.revision_id,
                Translation(
                    engine="ctranslate2",
                    model_id="m",
                    translated_at=datetime(2022, 2, 1, tzinfo=UTC),
                    title=TranslatedSegment("title", 0, [SentencePair(article.title, f"Talks in Geneva, day {n}")]),
                    blocks=[TranslatedSegment("block", 0, [SentencePair("x", "Delegations met.", ["length_ratio"])])],
                ),
            )
            store.save_analysis(result.revision_id, {"entities": [], "n": n, "score": n / 7}, "an/1")
        with store.transaction() as conn:  # stage tables with REAL and BLOB columns travel too
            conn.execute(
                "INSERT INTO stories (id, first_article_id, title, created_at) VALUES (1, 1, 'Женева', '2022-01-02')"
            )
            conn.execute(
                "INSERT INTO story_members (article_id, story_id, kind, similarity, content_sha256, minhash, added_at)"
                " VALUES (1, 1, 'first', 0.875, 'abc', ?, '2022-01-02')",
                (bytes(range(256)),),
            )
            conn.execute(
                "INSERT INTO translation_memory (model_id, source, target, created_at, hits)"
                " VALUES ('m', 'Да.', 'Yes.', '2022-01-01', 3)"
            )


def test_copy_round_trip_loses_nothing_and_the_copy_stays_a_working_store(tmp_path: Path, postgres_url: str) -> None:
    source = tmp_path / "source.db"
    fill(source)
    runner = CliRunner()
    there = runner.invoke(main, ["db", "copy", str(source), postgres_url])
    assert there.exit_code == 0, there.output
    assert "copy verified" in there.output and "MISMATCH" not in there.output
    back = runner.invoke(main, ["db", "copy", postgres_url, str(tmp_path / "back.db"), "--json"])
    assert back.exit_code == 0, back.output
    import json

    check = json.loads(back.output[back.output.index("{") :])
    tables = {t["table"]: t for t in check["tables"]}
    assert tables["articles"]["destination_rows"] == 30 and tables["revisions"]["destination_rows"] == 40
    assert all(t["ok"] for t in tables.values()) and tables["story_members"]["destination_rows"] == 1
    # Content equal to the original, byte for byte, including the BLOB and the REAL.
    original, copied = sqlite3.connect(source), sqlite3.connect(tmp_path / "back.db")
    for sql in (
        "SELECT id, key_url, current_revision_id, revision_count, published_at FROM articles ORDER BY id",
        "SELECT id, article_id, revision, content_sha256, record FROM revisions ORDER BY id",
        "SELECT revision_id, model_id, record FROM translations ORDER BY revision_id",
        "SELECT minhash, similarity FROM story_members",
    ):
        assert original.execute(sql).fetchall() == copied.execute(sql).fetchall(), sql
    original.close()
    copied.close()
    with open_store(postgres_url) as pg:
        # Identity sequences moved past the copied ids: a new article gets a fresh id, not a collision.
        new = pg.ingest(Article(url="https://tass.ru/new", title="Новая", blocks=[Block(BlockKind.PARAGRAPH, "Т.")]))
        assert new.article_id == 31 and new.revision_id == 41
        # The search index is rebuilt at the destination from the records.
        assert len(open_index(pg).search(SearchQuery(text="Geneva", limit=100)).hits) == 30
    refused = runner.invoke(main, ["db", "copy", str(source), postgres_url])
    assert refused.exit_code == 1 and "empty database" in refused.output


def test_db_migrate_reports_what_it_applied(postgres_url: str) -> None:
    runner = CliRunner()
    first = runner.invoke(main, ["--db", postgres_url, "db", "migrate"])
    assert first.exit_code == 0, first.output
    assert "applied 1: articles and revisions" in first.output and "applied 500: backfill progress" in first.output
    again = runner.invoke(main, ["--db", postgres_url, "db", "migrate"])
    assert again.exit_code == 0 and "applied " not in again.output.replace("migrations applied", "")


def test_every_stage_table_has_the_same_columns_on_both_backends(tmp_path: Path, postgres_url: str) -> None:
    """Migrations are described once; a stage's PostgreSQL form (e.g. the search index) must not drift."""
    with open_store(tmp_path / "lite.db") as lite, open_store(postgres_url) as pg:
        assert lite.applied_migrations() == pg.applied_migrations()
        pg_tables = set(pg.tables.names())
        for table in lite.tables.names():
            assert table in pg_tables, f"{table} is missing on PostgreSQL"
            missing = set(lite.tables.columns(table)) - set(pg.tables.columns(table))
            assert not missing, f"{table} lacks {sorted(missing)} on PostgreSQL"


def test_an_unreachable_server_is_one_line_without_the_password(tmp_path: Path) -> None:
    url = "postgresql://someone:secret@127.0.0.1:1/corpus"  # port 1: nothing listens there
    result = CliRunner().invoke(main, ["--db", url, "db", "migrate"])
    assert result.exit_code == 1
    line = result.output.strip().splitlines()[-1]
    assert line.startswith("error: cannot connect to postgresql://someone:***@127.0.0.1:1/corpus")
    assert "secret" not in result.output
