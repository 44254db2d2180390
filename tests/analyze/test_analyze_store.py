"""The stage over a real SQLite store: results saved with the analyzer version, tables filled, CLI on top."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dragoman.analyze import ANALYZER_VERSION
from dragoman.article import Article
from dragoman.cli import main
from dragoman.errors import StoreSchemaError
from dragoman.pipeline.analyze import analyze_store
from dragoman.search import open_index
from dragoman.store import open_store
from dragoman.store.analyses import AnalysisReadModel

FIRST = [
    "В начале октября альянс выслал восемь сотрудников российского постпредства.",
    "«Мы сожалеем, что Россия закрыла дипмиссию при НАТО», — сказал Йенс Столтенберг 12 января.",
]
SECOND = [
    "Как напомнил «Известиям» информированный источник, в начале октября НАТО выслало восемь сотрудников"
    " российского постпредства.",
    "9 и 10 января в Женеве прошли российско-американские консультации.",
]


def _fill(db_path: Path, make_article: Callable[..., Article]) -> None:
    with open_store(db_path) as store:
        store.ingest(make_article(FIRST, url="https://iz.ru/1", published=datetime(2022, 1, 25, 21, tzinfo=UTC)))
        store.ingest(
            make_article(
                SECOND, url="https://tass.ru/2", outlet="tass.ru", published=datetime(2022, 1, 26, 9, tzinfo=UTC)
            )
        )
        store.ingest(Article(url="https://iz.ru/empty", title="", blocks=[], outlet="iz.ru"))


def test_analyze_store_saves_indexes_and_skips(db_path: Path, make_article: Callable[..., Article]) -> None:
    _fill(db_path, make_article)
    with open_store(db_path) as store:
        report = analyze_store(store)
        assert report.stored == 2 and report.processed == 3 and report.exit_code == 0
        assert dict(report.skipped) == {"empty": 1}  # one bad item does not stop the batch
        stored = store.get("https://iz.ru/1")
        assert stored is not None and stored.article.analysis is not None
        assert stored.article.analysis["analyzer_version"] == ANALYZER_VERSION
        # a second run has nothing left to do for this version
        assert analyze_store(store).stored == 0
        assert analyze_store(store, only_missing=False).stored == 2
        # the read model is derived from the saved analyses by the search index
        open_index(store).sync()
        model = AnalysisReadModel(store)
        # the same expulsion in two articles is one timeline entry with both sources
        entries = model.timeline(actor="NATO", target="Russia", one_way=True)
        expel = [e for e in entries if e["mode"] == "expel_diplomats"]
        assert len(expel) == 1 and {s["url"] for s in expel[0]["sources"]} == {"https://iz.ru/1", "https://tass.ru/2"}
        assert expel[0]["date"] == "2021-10" and expel[0]["precision"] == "month"  # as precise as the text
        assert expel[0]["date_sort"] == "2021-10-01" and expel[0]["date_label"] == "October 2021"
        quotes = model.quotes(speaker="Stoltenberg")
        assert [q["speaker"] for q in quotes] == ["Q57665"]
        assert model.quotes(speaker="jens stoltenberg") == quotes == model.quotes(speaker="Q57665")
        unnamed = model.quotes(unnamed=True)
        assert [q["source_type"] for q in unnamed] == ["informed_source"]
        # what the entity page shows: mentions per day, co-occurring entities, events
        nato = model.entity("Q7184")
        assert nato is not None
        # days as printed on the articles: 21:00 UTC on the 25th is 00:00 MSK on the 26th (issue 14 §2)
        assert [(r["day"], r["articles"]) for r in nato["per_day"]] == [("2022-01-26", 2)]
        assert "Q159" in {r["key"] for r in nato["co_occurring"]}  # Russia named alongside
        assert any(e["mode"] == "expel_diplomats" for e in nato["events"])
        # the analyze stage's own tables are gone (migration 201): one read model
        for gone in ("entities", "entity_mentions", "quotes", "events"):
            with pytest.raises(StoreSchemaError):
                store.connection.execute(f"SELECT 1 FROM {gone}")


def test_cli_analyze_entities_quotes_timeline(db_path: Path, make_article: Callable[..., Article]) -> None:
    _fill(db_path, make_article)
    runner = CliRunner()
    result = runner.invoke(main, ["--db", str(db_path), "analyze", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["processed"], summary["stored"], summary["skipped"], summary["failed"]) == (3, 2, {"empty": 1}, {})
    result = runner.invoke(main, ["--db", str(db_path), "entities", "--type", "PER", "--json"])
    assert result.exit_code == 0, result.output
    assert "Jens Stoltenberg" in {row["name"] for row in json.loads(result.stdout)}
    result = runner.invoke(main, ["--db", str(db_path), "quotes", "--speaker", "Stoltenberg", "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)[0]["text_ru"].startswith("Мы сожалеем")
    result = runner.invoke(
        main, ["--db", str(db_path), "timeline", "--actor", "Russia", "--target", "United States", "--json"]
    )
    assert result.exit_code == 0, result.output
    consult = [e for e in json.loads(result.stdout) if e["type"] == "CONSULT"]
    assert consult and consult[0]["date"] == "2022-01-09" and consult[0]["date_basis"] == "text"
    table = runner.invoke(main, ["--db", str(db_path), "timeline", "--actor", "NATO"])
    assert table.exit_code == 0 and "Timeline NATO" in table.stdout and "SANCTION" in table.stdout


def test_export_jsonl_carries_the_analysis(db_path: Path, make_article: Callable[..., Article]) -> None:
    _fill(db_path, make_article)
    runner = CliRunner()
    assert runner.invoke(main, ["--db", str(db_path), "analyze"]).exit_code == 0
    result = runner.invoke(main, ["--db", str(db_path), "export", "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    analyzed = [r for r in records if r.get("analysis")]
    assert len(analyzed) == 2
    assert all(r["analysis"]["analyzer_version"] == ANALYZER_VERSION for r in analyzed)


def test_one_failing_article_does_not_stop_the_batch(
    db_path: Path, make_article: Callable[..., Article], monkeypatch: pytest.MonkeyPatch
) -> None:
    import dragoman.analyze.pipeline as pipeline

    real = pipeline.extract_quotes

    def broken_on_stoltenberg(doc: Any, sentences: Any, mentions: Any) -> Any:
        if "Столтенберг" in doc.text:
            raise RuntimeError("rule bug")
        return real(doc, sentences, mentions)

    monkeypatch.setattr(pipeline, "extract_quotes", broken_on_stoltenberg)
    _fill(db_path, make_article)
    with open_store(db_path) as store:
        report = analyze_store(store)
        assert report.stored == 1 and report.total_failed == 1 and report.exit_code == 1
        message = report.problems[0].message
        assert "https://iz.ru/1" in message and "RuntimeError: rule bug" in message
        # the failed article stays "missing" and is retried next time
        monkeypatch.setattr(pipeline, "extract_quotes", real)
        assert analyze_store(store).stored == 1
