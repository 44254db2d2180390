"""Issue 11, section 5, the user path: import the English Izvestia example with --analyze, install a model,
translate. The English document must come through untouched: text, rubric and author line in `show`,
`search Stoltenberg` finds it, and the reader says "arrived in English", not a model id."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from dragoman.cli import main

REPO = Path(__file__).resolve().parents[2]


def _run(db: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--db", str(db), *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_imported_english_document_is_not_translated(
    settings: object, tiny_model: Path, shared_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRAGOMAN_MODELS", str(tmp_path / "models"))
    db = tmp_path / "dragoman.db"
    example = shared_dir / "examples" / "izvestia-2022-01-26.txt"
    original_lines = example.read_text(encoding="utf-8").splitlines()

    code, out, err = _run(db, "import", str(example), "--analyze")
    assert code == 0, out + err
    code, _out, err = _run(db, "models", "install", str(tiny_model), "--name", "tiny-opus")
    assert code == 0, err
    shown_before = _run(db, "show", "1")[1]

    code, out, err = _run(db, "translate", "--json", "--device", "cpu", "--beam", "1")
    assert code == 0, out + err
    report = json.loads(out)
    assert report["articles"] == 0 and report["skipped"] == {"english": 1}

    code, shown, _err = _run(db, "show", "1")
    assert code == 0
    assert shown == shown_before
    assert "Jens Stoltenberg said on January 12" in shown
    # the rubric line: the document's "PEACE" is Izvestia's «Мир», "World" in the outlet table (issue 14)
    assert shown.splitlines()[1].startswith("WORLD January 26, 2022")
    assert "Ekaterina Postnikova" in shown and "Tatyana Baikova" in shown  # the author line
    assert original_lines[4] in shown  # a paragraph, word for word

    code, found, _err = _run(db, "search", "Stoltenberg")
    assert code == 0 and "Non-permanent" in found

    sys.path.insert(0, str(REPO / "tests" / "serve"))
    from serve_corpus import asgi_client_class

    from dragoman.serve.app import create_app

    with asgi_client_class()(create_app(str(db))) as client:
        page = client.get("/articles/1").text
    assert "arrived in English" in page
    assert "tiny-opus" not in page
