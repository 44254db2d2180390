"""Issue 14, section 6: what the README promises, through the CLI (global options anywhere, stories and
alerts for every way an article arrives, empty results that say so, the small polish items)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from dragoman.cli import main

KOMMERSANT = "html_ru/fundus/ru/Kommersant_2025_05_14.html.gz"


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def example(shared_dir: Path) -> Path:
    return shared_dir / "examples" / "izvestia-2022-01-26.txt"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database: a SQLite file, or a PostgreSQL database on the test server."""
    return str(tmp_path / "d.db") if request.param == "sqlite" else str(request.getfixturevalue("postgres_url"))


def current_analyses(db: str) -> list[int]:
    """The articles whose current revision has an analysis, read through the store."""
    from dragoman.store import open_store

    with open_store(db) as store:
        return [a.id for a in store.iter_articles() if a.article.analysis is not None]


def test_global_options_are_accepted_after_the_command_name(tmp_path: Path, data_dir: Path, example: Path) -> None:
    db = tmp_path / "x.db"
    code, out, err = invoke("ingest", str(data_dir / KOMMERSANT), "--db", str(db), "--json")
    assert code == 0, err
    assert json.loads(out)["stored"] == 1
    assert sqlite3.connect(db).execute("SELECT count(*) FROM articles").fetchone() == (1,)
    # --db=VALUE, a flag (-q) and a command of a group (db migrate) as well
    code, _out, err = invoke("import", str(example), "--db=" + str(db), "-q")
    assert code == 0 and err == ""  # -q silenced the summary
    assert sqlite3.connect(db).execute("SELECT count(*) FROM articles").fetchone() == (2,)
    code, out, _err = invoke("search", "NATO", "--json", "--db", str(db))
    assert code == 0 and json.loads(out)["total"] == 1
    code, _out, err = invoke("db", "migrate", "--db", str(db))
    assert code == 0, err
    # watch: --host-delay and a bare --allow-private after the command (the feed is a closed local port)
    code, _out, err = invoke(
        "watch", "--once", "--feed", "http://127.0.0.1:9/feed.xml", "--host-delay", "2", "--allow-private",
        "--db", str(db), "--no-print-alerts",
    )  # fmt: skip
    assert "No such option" not in err
    assert "2s between requests to one host" in err
    assert "private_address" not in err


def test_an_option_of_the_command_itself_is_not_taken_for_the_global_one(tmp_path: Path) -> None:
    # `models download --quiet` is the download's own flag (no progress bar), not the global -q/--quiet
    from dragoman.cli import _MainGroup, _option_names

    assert "--quiet" in _option_names(main.commands["models"])  # type: ignore[attr-defined]
    group = main
    assert isinstance(group, _MainGroup)
    args = group._globals_first(["models", "download", "x", "--quiet", "--db", "a.db"])
    assert args == ["--db", "a.db", "models", "download", "x", "--quiet"]
    args = group._globals_first(["ingest", "--allow-private", "127.0.0.1/8", "page.html"])
    assert args == ["--allow-private", "127.0.0.1/8", "ingest", "page.html"]
    args = group._globals_first(["search", "--", "--db"])
    assert args == ["search", "--", "--db"]


def test_ingest_and_import_join_stories_and_raise_alerts(any_db: str, data_dir: Path, example: Path) -> None:
    db = any_db
    # (the issue's «санкции» is not in this page's text; «Ушаков» is, and «Сергей Лавров»)
    for kind, value in (("term", "Ушаков"), ("entity", "Сергей Лавров"), ("term", "Stoltenberg")):
        assert invoke("--db", str(db), "watchlist", "add", kind, value)[0] == 0
    code, out, err = invoke("--db", str(db), "ingest", str(data_dir / KOMMERSANT))
    assert code == 0, err
    # the alerts print as with watch: one line each, on stdout
    assert "[term Ушаков]" in out and "[term Сергей Лавров]" in out
    code, out, err = invoke("--db", str(db), "story", "1")
    assert code == 0, err
    assert out.startswith("story ") and "(1 articles)" not in out and "(1 article)" in out
    code, out, err = invoke("--db", str(db), "import", str(example), "--json")
    assert code == 0, err
    assert json.loads(out)["stored"] == 1  # --json keeps stdout for the summary: alerts are recorded only
    assert invoke("--db", str(db), "story", "2")[0] == 0
    code, out, _err = invoke("--db", str(db), "alerts", "--json")
    matched = sorted((json.loads(line)["article_id"], json.loads(line)["matched"]) for line in out.splitlines())
    assert matched == [(1, "term Сергей Лавров"), (1, "term Ушаков"), (2, "term Stoltenberg")]
    # --no-stories is an option of the commands that store articles, not of `alerts`
    assert "--no-stories" not in invoke("alerts", "--help")[1]
    assert "--no-stories" in invoke("ingest", "--help")[1]


def test_import_of_a_web_page_says_to_use_ingest(tmp_path: Path, data_dir: Path) -> None:
    page = tmp_path / "page.html"
    shutil.copy(data_dir / "html_ru/htmldate_eval/pages/1719330438.html", page)
    code, out, err = invoke("--db", str(tmp_path / "d.db"), "import", str(page), "--json")
    report = json.loads(out)
    assert code == 1
    assert report["failed"] == {"html_not_document": 1}  # one line for the file, not one per chunk
    assert "this is HTML" in report["problems"][0]["message"]
    code, _out, err = invoke("--db", str(tmp_path / "d.db"), "import", str(page))
    assert code == 1 and "this is HTML, not a text document: use `dragoman ingest`" in err


def test_import_keeps_provenance_and_maps_the_machine_rubric(tmp_path: Path, example: Path) -> None:
    db = tmp_path / "d.db"
    assert invoke("--db", str(db), "import", str(example))[0] == 0
    _code, out, _err = invoke("--db", str(db), "show", "1", "--format", "json")
    record = json.loads(out)
    assert record["rubric"] == "World"  # the document says "PEACE": Izvestia's «Мир»
    assert record["extra"]["rubric_as_imported"] == "Peace"
    assert record["extra"]["imported_from"] == str(example)
    assert record["fetched_at"]  # the import time, not "unknown"
    _code, out, _err = invoke("--db", str(db), "search", "--rubric", "World", "--json")
    assert [h["article_id"] for h in json.loads(out)["hits"]] == [1]


def test_import_analyze_analyzes_only_the_imported_documents(any_db: str, data_dir: Path, example: Path) -> None:
    db = any_db
    assert invoke("--db", str(db), "ingest", str(data_dir / KOMMERSANT), "--no-stories")[0] == 0
    code, out, err = invoke("--db", str(db), "import", str(example), "--analyze", "--json")
    assert code == 0, err
    assert json.loads(out)["analysis"]["processed"] == 1
    assert current_analyses(db) == [2]  # the ingested article 1 waits for `dragoman analyze`


def test_analyze_after_translate_analyzes_what_changed(any_db: str, data_dir: Path) -> None:
    from datetime import UTC, datetime

    from dragoman.article import SentencePair, TranslatedSegment, Translation
    from dragoman.store import open_store

    db = any_db
    assert invoke("--db", str(db), "ingest", str(data_dir / KOMMERSANT), "--no-stories")[0] == 0
    _code, out, _err = invoke("--db", str(db), "analyze", "--json")
    assert json.loads(out)["processed"] == 1
    _code, out, _err = invoke("--db", str(db), "analyze", "--json")
    assert json.loads(out)["processed"] == 0  # nothing changed
    with open_store(db) as store:
        stored = store.get(1)
        assert stored is not None
        title = TranslatedSegment("title", 0, [SentencePair(stored.article.title, "Hand-made English title")])
        translation = Translation(engine="hand", model_id="hand-made", translated_at=datetime.now(UTC), title=title)
        store.save_translation(stored.revision_id, translation)
    _code, out, _err = invoke("--db", str(db), "analyze", "--json")
    assert json.loads(out)["processed"] == 1  # the translation came after the analysis: analyzed again
    _code, out, _err = invoke("--db", str(db), "analyze", "--json")
    assert json.loads(out)["processed"] == 0


def test_empty_results_say_so(tmp_path: Path, data_dir: Path) -> None:
    db = tmp_path / "d.db"
    assert invoke("--db", str(db), "ingest", str(data_dir / KOMMERSANT), "--no-stories")[0] == 0
    code, out, err = invoke("--db", str(db), "alerts")
    assert code == 0 and out == ""
    assert "no alerts yet: the watchlist is empty" in err
    code, out, err = invoke("--db", str(db), "watchlist", "list")
    assert code == 0 and out == "" and "the watchlist is empty" in err
    code, out, err = invoke("--db", str(db), "revisions")
    assert code == 0 and out == "" and "no article has changed after publication" in err
    assert invoke("--db", str(db), "watchlist", "add", "term", "Ушаков")[0] == 0
    code, out, err = invoke("--db", str(db), "alerts")
    assert "no alerts yet: a watch applies to articles first seen after it was added" in err
    code, out, _err = invoke("--db", str(db), "watchlist", "list")
    assert out == "1\tterm\tУшаков\t\n"
    code, out, err = invoke("--db", str(db), "search", "Путин", "--since", "2025-06-01", "--until", "2025-05-01")
    assert code == 0 and "--since 2025-06-01 is later than --until 2025-05-01: no date is in both" in err


def test_export_before_any_translation_says_there_is_nothing_to_pair(tmp_path: Path, data_dir: Path) -> None:
    import csv
    import xml.etree.ElementTree as ET

    db = tmp_path / "d.db"
    assert invoke("--db", str(db), "ingest", str(data_dir / KOMMERSANT), "--no-stories")[0] == 0
    pairs = tmp_path / "pairs.jsonl"
    code, _out, err = invoke("--db", str(db), "export", "--format", "pairs", "-o", str(pairs))
    assert code == 0 and pairs.read_text() == ""
    assert "read 1 article: nothing to pair: none of the exported articles has an English translation" in err
    assert "exported 1 article" not in err
    tmx = tmp_path / "x.tmx"
    code, _out, err = invoke("--db", str(db), "export", "--format", "tmx", "-o", str(tmx))
    assert "nothing to pair" in err
    assert "<!-- nothing to pair: none of the exported articles" in tmx.read_text()
    assert ET.parse(tmx).getroot().find("body") is not None  # still a well-formed TMX file
    table = tmp_path / "x.csv"
    assert invoke("--db", str(db), "export", "--format", "csv", "-o", str(table))[0] == 0
    with table.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["qa_flagged_sentences"] == "0"  # the column Parquet has
