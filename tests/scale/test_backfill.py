"""Backfills over a real-page WARC: the local engine and Ray Data (2 CPUs here) store the same articles with
the same translations and analyses, resume where they stopped, and write Parquet shards `db load` imports."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dragoman.scale.backfill import BackfillConfig, run_backfill
from dragoman.settings import Settings
from dragoman.store import open_store


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    """A real CTranslate2 model with random weights (the translate stage's builder) and a real SentencePiece."""
    from dragoman.translate.random_model import build_random_marian_model, russian_sentences, train_sentencepiece

    sentences = russian_sentences([data_dir / "wmt_ru_en" / "newstest2019.ru-en.ru"], limit=1500)
    root = tmp_path_factory.mktemp("model")
    spm = train_sentencepiece(sentences, root / "ru", vocab_size=400)
    return build_random_marian_model(root / "tiny", spm, seed=3)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(db=str(tmp_path / "dragoman.db"), models_dir=tmp_path / "models", device="cpu")


def corpus(db: Path | str) -> dict[str, tuple[str, str | None, bool]]:
    """URL -> (content hash, translation model, analyzed?) for everything in a store."""
    with open_store(db) as store:
        return {
            s.article.url: (
                s.article.content_sha256 or "",
                s.article.translation.model_id if s.article.translation else None,
                s.article.analysis is not None,
            )
            for s in store.iter_articles()
        }


def local(warc: Path, db: Path, settings: Settings, **kwargs: Any) -> Any:
    with open_store(db) as store:
        return run_backfill(BackfillConfig(inputs=[str(warc)], **kwargs), settings, store=store)


def test_local_backfill_keeps_russian_articles_and_accounts_for_every_record(
    news_warc: Path, tmp_path: Path, settings: Settings, real_pages: list[tuple[str, bytes]]
) -> None:
    report = local(news_warc, tmp_path / "a.db", settings, batch_size=4)
    stored = corpus(tmp_path / "a.db")
    assert report.outcomes == {"stored": len(stored)} and len(stored) >= 7
    assert set(stored) <= {url for url, _ in real_pages} | {u for u in stored}  # canonical URLs may differ
    assert report.skipped.get("not_russian") == 1  # the English page
    assert report.skipped.get("http_404") == 1 and report.skipped.get("not_html") == 1
    accounted = report.articles + sum(report.skipped.values()) + sum(report.failed.values())
    assert accounted == len(real_pages) + 3


def test_an_interrupted_backfill_resumes_without_redoing_or_losing_anything(
    news_warc: Path, tmp_path: Path, settings: Settings
) -> None:
    seen = 0

    def stop_after_three(row: dict[str, Any]) -> None:
        nonlocal seen
        seen += 1
        if seen == 3:
            raise KeyboardInterrupt

    db = tmp_path / "b.db"
    with open_store(db) as store:
        first = run_backfill(
            BackfillConfig(inputs=[str(news_warc)], batch_size=2), settings, store=store, on_row=stop_after_three
        )
    assert first.interrupted and 0 < first.articles <= 3
    second = local(news_warc, db, settings, batch_size=2)
    assert not second.interrupted
    assert second.outcomes.get("unchanged", 0) == 0  # finished records were skipped, not re-extracted
    local(news_warc, tmp_path / "full.db", settings)
    assert corpus(db) == corpus(tmp_path / "full.db") and len(corpus(db)) > first.articles
    third = local(news_warc, db, settings)
    assert third.articles == 0 and "not_russian" not in third.skipped  # everything done is skipped on rerun


def test_parquet_shards_load_into_the_store_as_the_same_corpus(
    news_warc: Path, tmp_path: Path, settings: Settings
) -> None:
    from click.testing import CliRunner

    from dragoman.cli import main

    shards = tmp_path / "shards"
    written = run_backfill(BackfillConfig(inputs=[str(news_warc)], output=shards), settings)
    assert written.articles > 0 and list(shards.glob("part-*.parquet"))
    again = run_backfill(BackfillConfig(inputs=[str(news_warc)], output=shards), settings)
    assert again.articles == 0  # resumed from shards/_done.tsv
    local(news_warc, tmp_path / "direct.db", settings)
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "loaded.db"), "db", "load", str(shards)])
    assert result.exit_code == 0, result.output
    assert corpus(tmp_path / "loaded.db") == corpus(tmp_path / "direct.db")


def test_backfill_command_over_a_warc_then_a_rerun_does_nothing(news_warc: Path, tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner

    from dragoman.cli import main

    db = str(tmp_path / "cli.db")
    runner = CliRunner()
    assert runner.invoke(main, ["--db", db, "watchlist", "add", "term", "Лукашенко"]).exit_code == 0
    first = runner.invoke(
        main, ["--db", db, "backfill", str(news_warc), "--engine", "local", "--no-print-alerts", "--json"]
    )
    assert first.exit_code == 0, first.output
    summary = json.loads(first.output[first.output.index("{") :])
    assert summary["stored"] == len(corpus(db)) >= 7 and summary["skipped"]["not_russian"] == 1
    # The monitor's intake hooks ran as for ingest-warc: every article has a story, the watch raised an alert.
    alerts = runner.invoke(main, ["--db", db, "alerts", "--json"])
    assert alerts.exit_code == 0 and "Лукашенко" in alerts.output
    with open_store(db) as store:
        assert store.connection.execute("SELECT count(*) FROM story_members").fetchone()[0] == summary["stored"]
    again = runner.invoke(main, ["--db", db, "backfill", str(news_warc), "--json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.output[again.output.index("{") :])["articles"] == 0


def test_a_url_list_is_fetched_from_a_real_server_and_extracted(
    tmp_path: Path, real_pages: list[tuple[str, bytes]]
) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    pages = {f"/news/{i}": body for i, (_, body) in enumerate(real_pages[:4])}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body or b"not found")

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        urls = tmp_path / "urls.txt"
        urls.write_text("# a URL list\n" + "".join(f"{base}{p}\n" for p in [*pages, "/missing"]), encoding="utf-8")
        settings = Settings(db=str(tmp_path / "u.db"), allow_private=True, host_delay=0.0, respect_robots=False)
        report = local(urls, tmp_path / "u.db", settings)
    finally:
        server.shutdown()
        server.server_close()
    assert report.articles == len(corpus(tmp_path / "u.db")) >= 3
    assert sum(report.failed.values()) + sum(report.skipped.values()) + report.articles == len(pages) + 1


def test_the_ray_engine_without_ray_is_one_clear_error(
    news_warc: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from click.testing import CliRunner

    from dragoman.cli import main

    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "x.db"), "backfill", str(news_warc), "--engine", "ray"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == "error: the ray engine needs Ray: pip install 'dragoman[ray]'"


@pytest.fixture(scope="module")
def ray_session() -> Iterator[Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Ray's own deprecation notices at import are not ours to fix
        ray = pytest.importorskip("ray", reason="the ray engine needs Ray: pip install 'dragoman[ray]'")
        from dragoman.scale.backfill import start_ray

        start_ray(BackfillConfig(inputs=[], workers=2))
    yield ray
    ray.shutdown()


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::ResourceWarning", "ignore::FutureWarning")
def test_ray_backfill_matches_the_local_pipeline_and_resumes(
    ray_session: Any, news_warc: Path, tmp_path: Path, settings: Settings, tiny_model: Path
) -> None:
    options = {"model": str(tiny_model), "analyze": True, "batch_size": 4}
    local_report = local(news_warc, tmp_path / "local.db", settings, **options)
    with open_store(tmp_path / "ray.db") as store:
        ray_report = run_backfill(
            BackfillConfig(inputs=[str(news_warc)], workers=2, translators=1, **options),  # type: ignore[arg-type]
            settings,
            store=store,
            engine="ray",
        )
    expected = corpus(tmp_path / "local.db")
    assert corpus(tmp_path / "ray.db") == expected
    assert all(model is not None and analyzed for _, model, analyzed in expected.values())
    assert ray_report.to_dict()["skipped"] == local_report.to_dict()["skipped"]
    assert ray_report.translated == ray_report.analyzed == len(expected)

    # A restarted Ray backfill finds everything done.
    with open_store(tmp_path / "ray.db") as store:
        again = run_backfill(
            BackfillConfig(inputs=[str(news_warc)], workers=2, **options),
            settings,
            store=store,
            engine="ray",  # type: ignore[arg-type]
        )
    assert again.articles == 0
