"""`dragoman models ...` and `dragoman translate` as a user runs them, then a look in the database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dragoman.cli import main
from dragoman.store import open_store

from .test_stage import wmt_articles


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    models = tmp_path / "models"
    monkeypatch.setenv("DRAGOMAN_MODELS", str(models))
    monkeypatch.delenv("DRAGOMAN_GLOSSARY", raising=False)
    return models


def run(db: Path | str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--db", str(db), *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_translate_without_a_model_is_one_line(env: Path, tmp_path: Path, store_url: str, data_dir: Path) -> None:
    db = store_url
    with open_store(db) as store:
        store.ingest(wmt_articles(data_dir, 1)[0])
    code, _out, err = run(db, "translate")
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: no translation model installed") and "dragoman models install" in lines[0]
    code, _out, err = run(db, "models", "list")
    assert code == 0 and "no translation model installed" in err


def test_install_list_translate(
    env: Path, tmp_path: Path, store_url: str, tiny_model: Path, argos_package: Path, data_dir: Path
) -> None:
    db = store_url
    code, _out, err = run(db, "models", "install", str(tiny_model), "--name", "opus-mt-ru-en")
    assert code == 0 and "installed opus-mt-ru-en (marian" in err
    code, _out, err = run(db, "models", "install", str(argos_package))
    assert code == 0 and "argos" in err
    code, out, _err = run(db, "models", "list", "--json")
    listed = {m["name"]: m for m in json.loads(out)}
    assert set(listed) == {"opus-mt-ru-en", "argos-ru-en-0.0"}
    code, out, _err = run(db, "models", "list")  # a table with column headers (issue 14, item 6)
    header = next(line for line in out.splitlines() if "family" in line)
    assert all(column in header for column in ("name", "family", "model id", "size", "path"))
    assert "opus-mt-ru-en" in out and "argos-ru-en-0.0" in out
    assert (env / "opus-mt-ru-en" / "model.bin").is_file()

    with open_store(db) as store:
        for article in wmt_articles(data_dir, 3):
            store.ingest(article)
    code, out, _err = run(db, "translate", "--json", "--device", "cpu", "--beam", "1")
    assert code == 0
    report = json.loads(out)
    assert report["articles"] == 3 and report["failed"] == {}
    assert report["model_id"] == listed["opus-mt-ru-en"]["model_id"]  # opus-mt preferred by default
    assert report["sentences"] > 0 and "hit_rate" in report and report["tokens_per_second"] > 0
    code, _out, err = run(db, "translate")
    assert code == 0 and "translated 0 articles" in err  # --only-missing is the default
    code, out, _err = run(db, "translate", "--model", "argos-ru-en-0.0", "--outlet", "iz.ru", "--json")
    assert json.loads(out)["articles"] == 3
    with open_store(db) as store:
        engines = store.connection.execute("SELECT DISTINCT model_id FROM translations ORDER BY 1").fetchall()
    assert len(engines) == 2


def test_bad_model_path_and_unknown_engine(env: Path, tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    (tmp_path / "junk").mkdir()
    code, _out, err = run(db, "models", "install", str(tmp_path / "junk"))
    assert code == 1 and err.count("\n") == 1 and "not a CTranslate2 model" in err
    code, _out, err = run(db, "translate", "--engine", "babelfish")
    assert code == 2 and "unknown translation engine" in err


def test_ingest_with_translate_in_one_go(
    env: Path, tmp_path: Path, store_url: str, tiny_model: Path, data_dir: Path
) -> None:
    db = store_url
    run(db, "models", "install", str(tiny_model))
    corpus = tmp_path / "news.jsonl"
    rows = []
    for i, article in enumerate(wmt_articles(data_dir, 2)):
        text = "\n".join(b.text for b in article.blocks)
        rows.append(
            {"url": f"https://iz.ru/{i}", "title": article.title, "published": "2022-01-26T00:01", "text": text}
        )
    corpus.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    code, out, _err = run(db, "ingest", str(corpus), "--translate", "--json")
    assert code == 0, out
    with open_store(db) as store:
        count = store.connection.execute("SELECT count(*) FROM translations").fetchone()[0]
        article = store.get("https://iz.ru/0").article
    assert count == 2
    assert article.translation is not None and article.translation.engine == "ctranslate2"
    assert len(article.translation.blocks) == len(article.blocks)
