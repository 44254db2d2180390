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
