"""Run the command line as a user would, then look in the database (sqlite-utils' style)."""

from __future__ import annotations

import csv
import gzip
import io
import json
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from dragoman.cli import main


def run(db: Path, *args: str) -> tuple[int, str, str]:
    runner = CliRunner()
    result = runner.invoke(main, ["--db", str(db), "--host-delay", "0", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def pages(tmp_path: Path, data_dir: Path) -> Path:
    """A folder of real pages: Kommersant (gz), three Russian htmldate pages, and bad inputs."""
    folder = tmp_path / "pages"
    folder.mkdir()
    shutil.copy(data_dir / "html_ru/fundus/ru/Kommersant_2025_05_14.html.gz", folder)
    for name in ("1647262025.html", "1719330438.html", "1742998174.html"):
        shutil.copy(data_dir / "html_ru/htmldate_eval/pages" / name, folder / name)
    (folder / "empty.html").write_bytes(b"")
    (folder / "scan.html").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n" * 20)
    return folder


def test_ingest_a_folder_then_rerun_adds_nothing(pages: Path, db_path: Path) -> None:
    code, out, err = run(db_path, "ingest", str(pages))
    assert code == 0, err
    assert "stored 4" in err and "skipped 2" in err
    assert "empty.html" in err and "scan.html" in err
    conn = sqlite3.connect(db_path)
    rows = conn.execute("SELECT outlet, title FROM articles ORDER BY id").fetchall()
    assert len(rows) == 4
    assert ("kommersant.ru",) in [(r[0],) for r in rows]
    provenance = conn.execute(
        "SELECT source_url, fetched_at, raw_sha256, content_sha256, extractor_version FROM revisions"
    ).fetchall()
    assert all(all(field for field in row) for row in provenance)
    code, out, err = run(db_path, "ingest", str(pages), "--json")
    summary = json.loads(out)
    assert code == 0 and summary["stored"] == 0 and summary["unchanged"] == 4
    assert conn.execute("SELECT count(*) FROM revisions").fetchone()[0] == 4


def test_show_and_export_every_format(pages: Path, db_path: Path) -> None:
    run(db_path, "ingest", str(pages))
    code, out, _ = run(db_path, "show", "https://www.kommersant.ru/doc/7715044", "--format", "text")
    assert code == 0
    lines = out.splitlines()
    assert lines[-1] == "Original Document: Russian: https://www.kommersant.ru/doc/7715044"
    assert "May 14, 2025" in lines[1] and "MSK" in lines[1]
    assert "Андрей Колесников" in lines[2]
    code, out, _ = run(db_path, "show", "1", "--format", "json")
    assert json.loads(out)["schema_version"] == 1

    code, out, err = run(db_path, "export", "--format", "jsonl")
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(records) == 4 and "exported 4 articles" in err
    assert all(r["content_sha256"] and r["url"] for r in records)
    code, out, _ = run(db_path, "export", "--format", "csv", "--outlet", "kommersant.ru")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["outlet"] for r in rows] == ["kommersant.ru"] and rows[0]["authors"] == "Андрей Колесников"
    code, out, _ = run(db_path, "export", "--format", "text")
    assert out.count("Original Document: Russian: ") == 4


def test_exit_codes_and_one_line_errors(tmp_path: Path, db_path: Path) -> None:
    code, _, err = run(db_path, "ingest", str(tmp_path / "missing.html"))
    assert code == 1 and "missing.html: no such file or directory" in err
    assert "Traceback" not in err
    code, _, err = run(db_path, "show", "424242")
    assert code == 1 and err.strip().splitlines() == ["error: 424242: no such article in the database"]
    code, _, err = run(db_path, "show", "9" * 30)  # beyond SQLite's 64-bit integers
    assert code == 1 and "no such article" in err
    runner = CliRunner()
    assert runner.invoke(main, ["ingest"]).exit_code == 2
    assert runner.invoke(main, ["show", "1", "--format", "pdf"]).exit_code == 2
    code, _, err = run(tmp_path / "nowhere.db", "export")
    assert code == 2 and "no database" in err


def test_gzip_bomb_and_oversized_files_are_refused(tmp_path: Path, db_path: Path) -> None:
    bomb = tmp_path / "bomb.html.gz"
    with gzip.open(bomb, "wb") as handle:
        chunk = b"<p>" + b"a" * (1 << 20)
        for _ in range(64):  # 64 MB of decoded data in a small file
            handle.write(chunk)
    assert bomb.stat().st_size < 1_000_000
    code, out, _ = run(db_path, "ingest", str(bomb), "--json")
    assert code == 1 and json.loads(out)["failed"] == {"too_large": 1}


class _Handler(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass


@pytest.fixture
def local_site(pages: Path) -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 serving the saved pages."""
    (pages / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n", encoding="utf-8")
    (pages / "private").mkdir()
    shutil.copy(pages / "1647262025.html", pages / "private" / "page.html")

    def handler(*args: object, **kwargs: object) -> _Handler:
        return _Handler(*args, directory=str(pages), **kwargs)  # type: ignore[arg-type]

    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)  # type: ignore[arg-type]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_ingest_urls_from_a_local_server(local_site: str, db_path: Path) -> None:
    page = f"{local_site}/1719330438.html"
    code, _, err = run(db_path, "ingest", page)
    assert code == 1 and "private_address" in err  # loopback refused unless allowed
    code, out, err = run(
        db_path,
        "--allow-private",
        "ingest",
        page,
        f"{local_site}/nope.html",
        f"{local_site}/private/page.html",
        "--json",
    )
    summary = json.loads(out)
    assert summary["stored"] == 1
    assert summary["failed"] == {"http_404": 1, "robots_disallowed": 1}
    assert code == 1
    conn = sqlite3.connect(db_path)
    (source_url,) = conn.execute("SELECT source_url FROM revisions").fetchone()
    assert source_url == page or source_url.startswith("https://www.mk.ru/")


def test_ingest_a_jsonl_corpus_with_one_bad_line(tmp_path: Path, data_dir: Path, db_path: Path) -> None:
    """Researchers bring corpora as JSONL; here nine real Izvestia articles of the ODS news dataset."""
    csv.field_size_limit(10**8)
    with gzip.open(data_dir / "corus_samples/data/ods/iz.csv.gz", "rt", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    corpus = tmp_path / "iz.jsonl"
    with corpus.open("w", encoding="utf-8") as out:
        for row in rows:
            record = {"url": row["url"], "title": row["title"], "published": row["date"], "text": row["text"]}
            out.write(json.dumps({**record, "language": "ru", "authors": row["authors"]}, ensure_ascii=False) + "\n")
        out.write("{this is not json\n")
    code, out, _ = run(db_path, "ingest", str(corpus), "--json")
    summary = json.loads(out)
    assert summary["stored"] == len(rows) == 9
    assert summary["failed"] == {"bad_record": 1} and code == 1
    assert summary["problems"][0]["source"].endswith("iz.jsonl:10")
    conn = sqlite3.connect(db_path)
    outlet, published = conn.execute(
        "SELECT outlet, published_at FROM articles WHERE key_url = ?", (rows[0]["url"],)
    ).fetchone()
    assert outlet == "iz.ru"
    assert published == "2017-01-24T15:24:00+00:00"  # 18:24 Moscow time
    # A JSONL export loads back as the same records: nothing new is stored.
    exported = tmp_path / "export.jsonl"
    run(db_path, "export", "--format", "jsonl", "-o", str(exported))
    code, out, _ = run(db_path, "ingest", str(exported), "--json")
    assert json.loads(out)["unchanged"] == 9 and code == 0


def test_import_the_users_text_document_and_analyze_it(shared_dir: Path, tmp_path: Path, db_path: Path) -> None:
    example = shared_dir / "examples" / "izvestia-2022-01-26.txt"
    broken = tmp_path / "broken.txt"
    broken.write_text("a title\nand nothing else that makes a document\n", encoding="utf-8")
    code, out, _ = run(db_path, "import", str(example), str(broken), "--analyze", "--json")
    summary = json.loads(out)
    assert code == 1 and summary["stored"] == 1 and summary["failed"] == {"bad_document": 1}
    assert summary["analysis"]["stored"] == 1
    code, out, _ = run(db_path, "show", "1", "--format", "json")
    record = json.loads(out)
    assert record["language"] == "en" and record["outlet"] == "iz.ru"
    assert record["authors"] == ["Ekaterina Postnikova", "Tatyana Baikova"]
    names = {e.get("name") or e.get("canonical") for e in record["analysis"]["entities"]}
    assert {"Jens Stoltenberg", "NATO"} <= names
    code, out, _ = run(db_path, "show", "1", "--format", "text")
    assert out.splitlines()[-1] == example.read_text(encoding="utf-8").strip().splitlines()[-1]


def test_lone_surrogates_in_a_jsonl_record_are_replaced_not_fatal(tmp_path: Path, db_path: Path) -> None:
    corpus = tmp_path / "odd.jsonl"
    corpus.write_text('{"url": "https://iz.ru/1", "title": "\\ud800Заголовок", "text": "Текст \\udfff статьи"}\n')
    code, out, _ = run(db_path, "ingest", str(corpus), "--json")
    assert code == 0 and json.loads(out)["stored"] == 1
    (title,) = sqlite3.connect(db_path).execute("SELECT title FROM articles").fetchone()
    assert title == "\ufffdЗаголовок"
