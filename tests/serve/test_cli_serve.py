"""The CLI side: `dragoman export` in the new formats, `dragoman reindex`, and `dragoman serve` on a real port."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from serve_corpus import Corpus, on_postgres

from dragoman.cli import main


def run(db: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--db", str(db), "-q", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_export_parquet_tmx_and_sentence_pairs(corpus: Corpus, tmp_path: Path) -> None:
    out = tmp_path / "a.parquet"
    code, _, _ = run(corpus.db, "export", "--format", "parquet", "-o", str(out), "--outlet", "ria.ru")
    assert code == 0
    table = pq.read_table(out)
    expected = sorted(i for i, a in corpus.articles.items() if a.outlet == "ria.ru")
    assert table.column("id").to_pylist() == expected
    assert set(table.column("outlet").to_pylist()) == {"ria.ru"}
    code, _, err = run(corpus.db, "export", "--format", "parquet")
    assert code == 2 and "-o" in err
    code, stdout, _ = run(corpus.db, "export", "--format", "pairs")
    pairs = [json.loads(line) for line in stdout.splitlines()]
    article = corpus.articles[corpus.ids[0]]
    first = [p for p in pairs if p["article_id"] == corpus.ids[0]]
    assert first[0]["ru"] == article.title and first[0]["en"] == article.translation.title.text  # type: ignore[union-attr]
    assert [p["sentence"] for p in first] == list(range(len(first)))
    assert not [p for p in pairs if p["article_id"] == corpus.untranslated_id]  # nothing to pair
    tmx_path = tmp_path / "m.tmx"
    code, _, _ = run(corpus.db, "export", "--format", "tmx", "-o", str(tmx_path))
    units = ET.parse(tmx_path).getroot().findall("./body/tu")
    assert code == 0 and len(units) == len(pairs)


def test_reindex_command_rebuilds_the_index(corpus: Corpus, tmp_path: Path) -> None:
    if on_postgres(corpus):
        pytest.skip("copies the corpus's SQLite file and empties its FTS5 table with sqlite3: SQLite only")
    db = tmp_path / "copy.db"
    shutil.copy(corpus.db, db)
    import sqlite3

    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM search_fts")
        conn.execute("DELETE FROM search_docs")
    code, _, _ = run(db, "reindex")
    assert code == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM search_docs").fetchone()[0] == len(corpus.ids)
        hits = conn.execute("SELECT count(*) FROM search_fts WHERE search_fts MATCH 'putin'").fetchone()[0]
    assert hits > 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_command_binds_localhost_and_serves(corpus: Corpus) -> None:
    port = free_port()
    cmd = [sys.executable, "-m", "dragoman.cli", "--db", str(corpus.db), "serve", "--port", str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/api/stats", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, "server exited"
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        assert response.json()["articles"] == len(corpus.ids)
        assert httpx.post(f"http://127.0.0.1:{port}/api/reindex", timeout=5).status_code == 403
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
    assert f"http://127.0.0.1:{port}/" in out  # the default host is loopback
    missing = CliRunner().invoke(main, ["--db", "/nonexistent/x.db", "serve"])
    assert missing.exit_code == 2 and "no database" in missing.stderr


def test_search_command(corpus: Corpus, request: pytest.FixtureRequest) -> None:
    code, stdout, _ = run(corpus.db, "search", "Путину", "--outlet", "iz.ru", "--json")
    assert code == 0
    results = json.loads(stdout)
    assert results["hits"] and all(corpus.articles[h["article_id"]].outlet == "iz.ru" for h in results["hits"])
    code, stdout, _ = run(corpus.db, "search", "Putin", "--limit", "2")
    lines = [line for line in stdout.splitlines() if not line.startswith("\t")]
    assert code == 0 and len(lines) == 2 and "[Putin]" in stdout
    code, _, err = run(corpus.db, "search", "--", "-Putin")
    assert code == 2 and "at least one word" in err  # a bad query is bad usage (README: exit 2)
