"""Issue 16 §2 in the backfill: the WARC pages a backfill stores keep their bytes in the archive, directly
or through Parquet shards and `db load`, and the setting turns that off."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from click.testing import CliRunner

from dragoman.cli import main
from dragoman.scale.backfill import BackfillConfig, run_backfill
from dragoman.settings import Settings
from dragoman.store import open_store


def originals(db: Path) -> dict[str, tuple[str, bytes] | None]:
    """Fetched URL -> (kind, bytes) of every stored article's original (None when it has none)."""
    found: dict[str, tuple[str, bytes] | None] = {}
    with open_store(db) as store:
        for stored in store.iter_articles():
            kept = store.original(stored.id)
            found[stored.article.url] = (kept.original.kind, kept.original.body) if kept else None
    return found


def test_backfilled_pages_keep_their_originals_directly_and_through_shards(
    news_warc: Path, tmp_path: Path, real_pages: list[tuple[str, bytes]]
) -> None:
    """Issue 16 §2: a backfilled WARC record's payload comes back byte for byte, also after `db load`."""
    settings = Settings(db=str(tmp_path / "direct.db"), models_dir=tmp_path / "models", device="cpu")
    with open_store(tmp_path / "direct.db") as store:
        run_backfill(BackfillConfig(inputs=[str(news_warc)]), settings, store=store)
    direct = originals(tmp_path / "direct.db")
    pages = dict(real_pages)
    assert len(direct) >= 7
    assert all(kept == ("warc", pages[url]) for url, kept in direct.items())

    shards = tmp_path / "shards"
    run_backfill(BackfillConfig(inputs=[str(news_warc)], output=shards), settings)
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "loaded.db"), "db", "load", str(shards)])
    assert result.exit_code == 0, result.output
    assert originals(tmp_path / "loaded.db") == direct


def test_backfill_with_the_archive_off_keeps_no_bytes(news_warc: Path, tmp_path: Path) -> None:
    """Issue 16 §2: archive_originals = false: the articles are stored, their pages are not."""
    settings = Settings(db=str(tmp_path / "off.db"), models_dir=tmp_path / "models", device="cpu")
    with open_store(tmp_path / "off.db") as store:
        run_backfill(BackfillConfig(inputs=[str(news_warc)]), replace(settings, archive_originals=False), store=store)
    kept = originals(tmp_path / "off.db")
    assert len(kept) >= 7 and set(kept.values()) == {None}
