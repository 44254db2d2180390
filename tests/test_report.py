"""One report shape and one exit-code rule for every stage, and the CLI options every command shares."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dragoman.analyze.pipeline import AnalyzeReport
from dragoman.cli import main
from dragoman.errors import ExtractError, SkipArticle
from dragoman.pipeline.reextract import ReextractReport
from dragoman.report import IngestReport, StageReport
from dragoman.scale.stages import BackfillReport
from dragoman.translate.stage import TranslateReport

COMMON_KEYS = ["processed", "stored", "skipped", "failed", "elapsed_seconds", "interrupted", "problems"]


def test_counts_per_reason_and_the_exit_code_rule() -> None:
    report = StageReport()
    report.outcomes["stored"] += 2
    report.record_problem("a.html", SkipArticle("not an article", reason="no_article"))
    assert (report.processed, report.stored, report.exit_code) == (3, 2, 0)  # a skip is not a failure
    report.record_problem("b.html", ExtractError("broken", reason="extract_crash", source="b.html"))
    report.record_failure("extract_crash", source="c.html", message="broken too")
    assert report.failed == {"extract_crash": 2} and report.skipped == {"no_article": 1}
    assert report.exit_code == 1 and report.processed == 5
    assert [(p.source, p.skipped) for p in report.problems] == [("a.html", True), ("b.html", False), ("c.html", False)]
    assert report.summary().endswith("skipped 1 (no_article 1), failed 2 (extract_crash 2)")
    report.interrupted = True
    assert report.exit_code == 130 and report.summary().startswith("interrupted after")


@pytest.mark.parametrize(
    "report_class", [IngestReport, ReextractReport, TranslateReport, AnalyzeReport, BackfillReport]
)
def test_every_stage_report_has_the_common_keys_first(report_class: type[StageReport]) -> None:
    report = report_class()
    report.record_failure("bad_record", source="article 7", message="lead must be a string")
    data = json.loads(json.dumps(report.to_json()))
    assert all(key in data for key in COMMON_KEYS)
    assert list(data)[:2] == ["processed", "stored"]
    assert data["failed"] == {"bad_record": 1} and data["problems"][0]["source"] == "article 7"
    assert report.exit_code == 1


def run(db: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--db", str(db), *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["export"],
        ["search", "x"],
        ["reextract"],
        ["translate"],
        ["analyze"],
        ["timeline"],
        ["backfill", "--sitemap", "u"],
    ],
)
def test_a_bad_date_is_bad_usage_in_every_command(tmp_path: Path, command: list[str]) -> None:
    code, _out, err = run(tmp_path / "d.db", *command, "--since", "last tuesday")
    assert code == 2 and "'last tuesday' is not a date (use YYYY-MM-DD)" in err
    assert not (tmp_path / "d.db").exists()  # refused before anything was opened


def test_stage_commands_print_the_same_summary_shape(tmp_path: Path, data_dir: Path) -> None:
    db = tmp_path / "d.db"
    page = data_dir / "html_ru/htmldate_eval/pages/1647262025.html"
    code, out, _ = run(db, "ingest", str(page), str(tmp_path / "missing.html"), "--json")
    ingest = json.loads(out)
    assert code == 1 and ingest["stored"] == 1 and sum(ingest["failed"].values()) == 1 and ingest["processed"] == 2
    for command in (["reextract", "--json"], ["analyze", "--json", "--outlet", "nowhere.example"]):
        code, out, _ = run(db, *command)
        summary = json.loads(out)
        assert code == 0 and all(key in summary for key in COMMON_KEYS), command
