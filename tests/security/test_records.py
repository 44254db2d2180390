"""Issue 13, items 2, 5 and the record side of 9: records and record files from outside.

Every test runs the real command line (click's CliRunner on ``dragoman.cli:main``) on a real SQLite file,
names a bad input before a good one in the same command, and checks that the good one is stored, the bad
one is reported with its reason, and no traceback escapes.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import sqlite3
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dragoman.acquire.files import article_from_record, iter_jsonl_articles
from dragoman.article import Article
from dragoman.cli import main
from dragoman.errors import DragomanError
from dragoman.serve.app import create_app

GOOD_TEXT = "Санкции против крупнейших банков расширены. Об этом сообщили в министерстве финансов."
TOKEN = "records-test-token"


def run(db: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--db", str(db), "--host-delay", "0", *args], env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def good_record(n: int) -> dict[str, Any]:
    return {"url": f"https://iz.ru/{n}/good", "title": f"Хорошая статья {n}", "text": GOOD_TEXT}


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def stored_urls(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {row[0] for row in conn.execute("SELECT key_url FROM articles")}


def full_record(**changes: Any) -> str:
    """A dragoman export line (schema_version + blocks) with some fields replaced."""
    record = Article(url="https://iz.ru/full/1", title="Полная запись", timezone="Europe/Moscow").to_dict()
    record["blocks"] = [{"kind": "paragraph", "text": GOOD_TEXT}]
    record.update(changes)
    return json.dumps(record, ensure_ascii=False)


@pytest.fixture
def web(db_path: Path) -> Iterator[Any]:
    """The web app in-process on the test's database (as in tests/serve)."""
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from fastapi.testclient import TestClient

    def client() -> Any:
        return TestClient(create_app(db_path, token=TOKEN))

    yield client


WEB_PAGES = ["/", "/api/search?q=Санкции", "/api/stats", "/entities", "/quotes", "/outlets"]


# -- item 2: badly typed records ----------------------------------------------------------------------


def simple_record(**changes: Any) -> str:
    """A researcher's JSONL line (url, title, text) with some fields replaced."""
    return json.dumps({"url": "https://iz.ru/case/x", "title": "x", "text": GOOD_TEXT, **changes}, ensure_ascii=False)


BADLY_TYPED = {
    "lead_number": (simple_record(lead=5), "lead"),
    "lead_list": (simple_record(lead=["a"]), "lead"),
    "title_number": (simple_record(title=5), "title"),
    "text_object": (simple_record(text={"a": 1}), "text"),
    "url_number": (simple_record(url=5), "url"),
    "authors_numbers": (simple_record(authors=[5]), "authors"),
    "full_block_text": (full_record(blocks=[{"kind": "paragraph", "text": 5}]), "blocks[0].text"),
    "full_timezone_number": (full_record(timezone=5), "timezone"),
    "full_timezone_unknown": (full_record(timezone="Mars/Olympus_Mons"), "timezone"),
    "full_url_number": (full_record(url=5), "url"),
    "full_published_year_1": (full_record(published_at="0001-01-01T00:00:00+00:00"), "published_at"),
    "full_published_not_a_date": (full_record(published_at="yesterday"), "published_at"),
    "full_translation_title": (
        full_record(translation={"engine": "e", "model_id": "m", "title": 5}),
        "translation.title",
    ),
}


@pytest.mark.parametrize("name", list(BADLY_TYPED))
def test_badly_typed_record_is_refused_and_the_app_keeps_working(
    name: str, tmp_path: Path, db_path: Path, web: Any
) -> None:
    """Item 2: a JSONL line with a number or list where text belongs was stored and then broke the web app,
    search and analysis. It is refused with reason bad_record naming the field and the line; the good line
    after it is stored and every page answers."""
    line, field_name = BADLY_TYPED[name]
    data = write_jsonl(tmp_path / "records.jsonl", [line, json.dumps(good_record(1), ensure_ascii=False)])
    code, _, err = run(db_path, "ingest", str(data))
    assert code == 1, err
    assert f"{data}:1: not a usable article record: {field_name}" in err and "[bad_record]" in err
    assert "failed 1 (bad_record 1)" in err and "Traceback" not in err
    assert stored_urls(db_path) == {"https://iz.ru/1/good"}
    code, out, err = run(db_path, "search", "Санкции")
    assert code == 0 and "Хорошая статья 1" in out and "left out" not in err
    with web() as client:
        for page in WEB_PAGES:
            assert client.get(page).status_code == 200, page


def test_tolerated_shapes_still_load(tmp_path: Path, db_path: Path) -> None:
    """Item 2: what was accepted and is sensible stays accepted: authors as one string, nulls for optional
    fields, and a full record exported by dragoman round-trips."""
    record = {**good_record(2), "authors": "Анна Петрова, Иван Сидоров", "lead": None, "rubric": None}
    data = write_jsonl(tmp_path / "ok.jsonl", [json.dumps(record, ensure_ascii=False), full_record()])
    code, _, err = run(db_path, "ingest", str(data))
    assert code == 0, err
    assert stored_urls(db_path) == {"https://iz.ru/2/good", "https://iz.ru/full/1"}
    code, out, _ = run(db_path, "show", "https://iz.ru/2/good", "--format", "json")
    assert json.loads(out)["authors"] == ["Анна Петрова", "Иван Сидоров"]


def poison(db: Path, article_id: int, **changes: Any) -> None:
    """Rewrite an article's stored record behind the checks, as a database written before them may hold."""
    with sqlite3.connect(db) as conn:
        (revision_id, record) = conn.execute(
            "SELECT r.id, r.record FROM revisions r JOIN articles a ON a.current_revision_id = r.id WHERE a.id = ?",
            (article_id,),
        ).fetchone()
        conn.execute(
            "UPDATE revisions SET record = ? WHERE id = ?", (json.dumps({**json.loads(record), **changes}), revision_id)
        )
        conn.execute("INSERT OR IGNORE INTO search_queue (article_id) VALUES (?)", (article_id,))


def test_a_poisoned_stored_record_is_left_out_and_reported(tmp_path: Path, db_path: Path, web: Any) -> None:
    """Item 2: a database that already holds a record with ``lead: 5`` (stored before records were checked)
    made search, reindex, analyze and the web app fail for every article and stayed queued for ever. Now
    the index leaves that one article out and says so, takes it off the queue, and the others are found."""
    lines = [json.dumps(good_record(n), ensure_ascii=False) for n in (1, 2)]
    code, _, err = run(db_path, "ingest", str(write_jsonl(tmp_path / "good.jsonl", lines)))
    assert code == 0, err
    poison(db_path, 1, lead=5)

    code, out, err = run(db_path, "search", "Санкции")
    assert code == 0 and "Хорошая статья 2" in out and "Хорошая статья 1" not in out
    assert "left out of the search index: article 1:" in err and "lead must be a string, not int [bad_record]" in err
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM search_queue").fetchone()[0] == 0  # not queued for ever

    code, out, err = run(db_path, "reindex")
    assert code == 1 and "indexed 1 article, left out 1" in err and "article 1:" in err

    code, out, err = run(db_path, "analyze")
    assert code == 1 and "analyzed 1 article" in err and "article 1: article 1 has an unreadable record" in err

    code, out, err = run(db_path, "export", "--format", "jsonl")
    assert code == 1 and [json.loads(x)["url"] for x in out.splitlines()] == ["https://iz.ru/2/good"]
    assert "skipped: article 1 has an unreadable record" in err

    code, out, err = run(db_path, "show", "1")
    assert code == 1 and "unreadable record: lead must be a string" in err and "Traceback" not in err

    poison(db_path, 1, lead=5)  # queue it again for the web app's own sync
    with web() as client:
        for page in WEB_PAGES:
            assert client.get(page).status_code == 200, page
        hits = client.get("/api/search", params={"q": "Санкции"}).json()["hits"]
        assert [h["article_id"] for h in hits] == [2]
        reader = client.get("/articles/1")  # the poisoned one: a page in the site's layout naming the fault
        assert reader.status_code == 500 and reader.headers["content-type"].startswith("text/html")
        assert "unreadable record" in reader.text and "Back to search" in reader.text
        assert client.get("/api/articles/1").json()["detail"].startswith("article 1 has an unreadable record")
        assert client.get("/articles/2").status_code == 200
        reindexed = client.post("/api/reindex", headers={"Authorization": f"Bearer {TOKEN}"})
        assert reindexed.status_code == 200
        assert reindexed.json()["indexed"] == 1
        assert [(x["article_id"], x["reason"]) for x in reindexed.json()["left_out"]] == [(1, "bad_record")]


@pytest.mark.slow
def test_translate_goes_on_past_a_poisoned_stored_record(
    tmp_path: Path, db_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Item 2: ``dragoman translate`` over a database holding an unreadable record translates the others
    and names the bad one (it used to stop at it). The model is a tiny random-weight CTranslate2 model, as
    in tests/translate."""
    from dragoman.translate.random_model import build_random_marian_model, russian_sentences, train_sentencepiece

    sentences = russian_sentences([data_dir / "wmt_ru_en" / "newstest2019.ru-en.ru"], limit=2000)
    (tmp_path / "spm").mkdir()
    spm = train_sentencepiece(sentences, tmp_path / "spm" / "ru", vocab_size=800)
    model = build_random_marian_model(tmp_path / "tiny-opus", spm, seed=1)
    monkeypatch.setenv("DRAGOMAN_MODELS", str(tmp_path / "models"))
    monkeypatch.delenv("DRAGOMAN_GLOSSARY", raising=False)
    assert run(db_path, "models", "install", str(model), "--name", "tiny")[0] == 0
    lines = [json.dumps(good_record(n), ensure_ascii=False) for n in (1, 2)]
    assert run(db_path, "ingest", str(write_jsonl(tmp_path / "good.jsonl", lines)))[0] == 0
    poison(db_path, 1, lead=5)
    code, out, _ = run(db_path, "translate", "--json", "--device", "cpu", "--beam", "1")
    summary = json.loads(out)
    assert code == 1 and summary["articles"] == 1, summary
    assert summary["failed"] == {"bad_record": 1} and "lead must be a string" in json.dumps(summary, ensure_ascii=False)
    with sqlite3.connect(db_path) as conn:
        translated = conn.execute(
            "SELECT a.id FROM translations t JOIN revisions r ON r.id = t.revision_id JOIN articles a"
            " ON a.id = r.article_id"
        ).fetchall()
    assert translated == [(2,)]


def test_db_load_refuses_a_badly_typed_row_alone(tmp_path: Path, db_path: Path) -> None:
    """Item 2: ``dragoman db load`` (Parquet shards, another way records come in) stopped at a row whose
    article has ``lead: 5``; the row now fails alone with bad_record and the other rows are stored."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from dragoman.scale.stages import arrow_schema, new_row

    def row(n: int, **changes: Any) -> dict[str, Any]:
        record = json.loads(full_record(url=f"https://iz.ru/shard/{n}", **changes))
        return new_row(key=f"https://iz.ru/shard/{n}", url=f"https://iz.ru/shard/{n}", article=json.dumps(record))

    shard = tmp_path / "part-0-00000.parquet"
    table = pa.Table.from_pylist([row(1, lead=5), row(2)], schema=arrow_schema())
    pq.write_table(table, shard)
    code, out, err = run(db_path, "db", "load", str(shard), "--json")
    assert code == 1, err  # the one exit-code rule: some items failed
    summary = json.loads(out)
    assert summary["stored"] == 1 and summary["failed"] == {"bad_record": 1}
    assert any("lead must be a string" in p["message"] for p in summary["problems"])
    assert stored_urls(db_path) == {"https://iz.ru/shard/2"}


def test_an_article_that_breaks_indexing_is_left_out_alone(
    tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Item 2: one article whose index rows cannot be built (a fault injected into the row builder, standing
    for any bug a readable record might still trip) used to fail the whole batch; now it is left out with
    reason index_crash, none of its rows stay behind, and the other articles are indexed."""
    import dragoman.search.index as search_module

    lines = [json.dumps(good_record(n), ensure_ascii=False) for n in (1, 2, 3)]
    assert run(db_path, "ingest", str(write_jsonl(tmp_path / "good.jsonl", lines)))[0] == 0
    real_index_rows = search_module.index_rows

    def index_rows_failing_for_article_2(stored: Any) -> dict[str, Any]:
        rows = real_index_rows(stored)
        if stored.id == 2:
            raise TypeError("sequence item 0: expected str instance, int found")
        return rows

    monkeypatch.setattr(search_module, "index_rows", index_rows_failing_for_article_2)
    code, _, err = run(db_path, "reindex")
    assert code == 1 and "indexed 2 articles, left out 1" in err
    assert "article 2: TypeError: sequence item 0: expected str instance, int found [index_crash]" in err
    with sqlite3.connect(db_path) as conn:
        assert [r[0] for r in conn.execute("SELECT article_id FROM search_docs ORDER BY 1")] == [1, 3]
        assert conn.execute("SELECT count(*) FROM search_queue").fetchone()[0] == 0
    monkeypatch.undo()
    code, out, _ = run(db_path, "search", "Санкции")
    assert code == 0 and "Хорошая статья 1" in out and "Хорошая статья 3" in out


# -- item 5: inputs that stop a batch or use unbounded memory -------------------------------------------


@pytest.mark.parametrize(
    "published",
    ["1e20", "-1e20", "Infinity", "-Infinity", "NaN", '"0001-01-01T00:00:00"', '"9999-12-31T23:59:59"', '"1850-05-01"'],
)
def test_impossible_publication_date_is_refused(published: str, tmp_path: Path, db_path: Path) -> None:
    """Item 5: ``"published": 1e20`` (or Infinity, NaN, year 1 which underflows in conversion to UTC) ended
    ingest with an OverflowError traceback and the next file was never stored. Dates outside 1900-01-01 ..
    tomorrow are refused with bad_record."""
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"url": "https://iz.ru/case/date", "title": "x", "text": "y", "published": ' + published + "}\n",
        encoding="utf-8",
    )
    good = write_jsonl(tmp_path / "good.jsonl", [json.dumps(good_record(3), ensure_ascii=False)])
    code, _, err = run(db_path, "ingest", str(bad), str(good))
    assert code == 1 and "published" in err and "[bad_record]" in err and "failed 1 (bad_record 1)" in err
    assert stored_urls(db_path) == {"https://iz.ru/3/good"}


@pytest.mark.parametrize("depth", [100, 100_000])
def test_deeply_nested_record_is_refused(depth: int, tmp_path: Path, db_path: Path) -> None:
    """Item 5: ``"extra"`` nested 100,000 deep raised RecursionError out of json.loads and stopped the batch;
    nesting is also bounded where records are walked (100 levels is refused, not walked)."""
    nested = "[" * depth + "]" * depth
    bad = tmp_path / "deep.jsonl"
    bad.write_text('{"url": "https://iz.ru/deep", "title": "x", "text": "y", "extra": ' + nested + "}\n")
    good = write_jsonl(tmp_path / "good.jsonl", [json.dumps(good_record(4), ensure_ascii=False)])
    code, _, err = run(db_path, "ingest", str(bad), str(good))
    assert code == 1 and "nested" in err and "failed 1 (bad_record 1)" in err
    assert stored_urls(db_path) == {"https://iz.ru/4/good"}


def test_truncated_gzip_keeps_what_was_read_and_goes_on(tmp_path: Path, db_path: Path) -> None:
    """Item 5: a truncated ``.jsonl.gz`` ended ingest with "Aborted!", no summary, and the next file was not
    stored. The lines before the cut are kept, the file ends with reason truncated, the next file loads."""
    lines = [json.dumps(good_record(n), ensure_ascii=False) for n in range(100, 400)]
    whole = gzip.compress("".join(x + "\n" for x in lines).encode("utf-8"))
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    good = write_jsonl(tmp_path / "good.jsonl", [json.dumps(good_record(5), ensure_ascii=False)])
    code, _, err = run(db_path, "ingest", str(cut), str(good))
    assert code == 1 and "[truncated]" in err and "failed 1 (truncated 1)" in err and "done in" in err
    urls = stored_urls(db_path)
    assert "https://iz.ru/5/good" in urls
    assert 10 < len(urls - {"https://iz.ru/5/good"}) < 300  # the lines before the cut, not the rest


def test_oversize_line_is_skipped_in_bounded_memory(tmp_path: Path, db_path: Path) -> None:
    """Item 5: a small ``.jsonl.gz`` expanding to one huge line was read whole before the too_large check
    (2.2 GB for 1 GB). Lines are now read with a bounded read: with a 1 MB cap, a 64 MB line is skipped as
    too_large while Python's peak allocation stays a few MB, and the line after it still loads."""
    huge = '{"url": "https://iz.ru/huge", "title": "x", "text": "' + "а" * (32 << 20) + '"}'  # 64 MB of UTF-8
    big = tmp_path / "big.jsonl.gz"
    with gzip.open(big, "wt", encoding="utf-8", compresslevel=1) as handle:
        handle.write(huge + "\n" + json.dumps(good_record(6), ensure_ascii=False) + "\n")
    del huge
    cap = 1_000_000
    # Build one record first, so that the first-time imports and the outlet table it loads are not counted.
    article_from_record(good_record(0))
    tracemalloc.start()
    try:
        items = list(iter_jsonl_articles(big, cap))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [getattr(x, "reason", None) for x in items if isinstance(x, DragomanError)] == ["too_large"]
    assert [x.url for x in items if isinstance(x, Article)] == ["https://iz.ru/6/good"]
    assert peak < 4 * cap, f"peak {peak:,} bytes while skipping a 64 MB line"  # about 2 MB; 135 MB before

    good = write_jsonl(tmp_path / "good.jsonl", [json.dumps(good_record(7), ensure_ascii=False)])
    code, _, err = run(db_path, "ingest", str(big), str(good), env={"DRAGOMAN_MAX_BYTES": str(cap)})
    assert code == 1 and "big.jsonl.gz:1: line is larger than the 1,000,000-byte cap [too_large]" in err
    assert stored_urls(db_path) == {"https://iz.ru/6/good", "https://iz.ru/7/good"}


@pytest.mark.timeout(30)
def test_fifo_on_the_command_line_is_refused(tmp_path: Path, db_path: Path, shared_dir: Path) -> None:
    """Item 5: a FIFO named on the ``ingest`` or ``import`` command line blocked for ever. Anything that is
    not a regular file is refused with reason not_a_file and the next file is stored; a FIFO inside a
    named directory is passed over."""
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    folder = tmp_path / "folder"
    folder.mkdir()
    os.mkfifo(folder / "inner.jsonl")
    write_jsonl(folder / "good.jsonl", [json.dumps(good_record(8), ensure_ascii=False)])
    code, _, err = run(db_path, "ingest", str(fifo), str(folder))
    assert code == 1 and f"{fifo}: not a regular file" in err and "failed 1 (not_a_file 1)" in err
    assert stored_urls(db_path) == {"https://iz.ru/8/good"}

    text_fifo = tmp_path / "pipe.txt"
    os.mkfifo(text_fifo)
    document = tmp_path / "document.txt"
    shutil.copy(shared_dir / "examples" / "izvestia-2022-01-26.txt", document)
    code, _, err = run(db_path, "import", str(text_fifo), str(document))
    assert code == 1 and "[not_a_file]" in err and "stored 1" in err


# -- item 9 (record side): URLs that carry markup ---------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"url": 'https://iz.ru/1> <img src="x" onerror="alert(1)">'}, "url contains a character"),
        ({"canonical_url": 'https://iz.ru/1> <img src="x" onerror="alert(1)">'}, "canonical_url contains"),
        ({"canonical_url": "file:///etc/passwd"}, "canonical_url must start with one of http, https"),
        ({"url": "https://iz.ru/a\x1b]0;title\x07"}, "url contains a character"),
        ({"url": "javascript:alert(1)"}, "url must start with one of file, http, https"),
    ],
)
def test_record_urls_with_markup_are_refused(
    fields: dict[str, str], message: str, tmp_path: Path, db_path: Path
) -> None:
    """Item 9: a record's URL with spaces, angle brackets or control characters was stored and came out as
    live HTML in the Markdown export. Simple and full records refuse it (``url`` may be http, https or
    file; ``canonical_url`` only http or https)."""
    lines = [simple_record(**fields), full_record(**fields), json.dumps(good_record(9), ensure_ascii=False)]
    code, _, err = run(db_path, "ingest", str(write_jsonl(tmp_path / "urls.jsonl", lines)))
    assert code == 1 and err.count(message) == 2 and "failed 2 (bad_record 2)" in err
    assert stored_urls(db_path) == {"https://iz.ru/9/good"}


def test_imported_document_with_a_markup_url_is_refused(tmp_path: Path, db_path: Path, shared_dir: Path) -> None:
    """Item 9: the plain-text document importer took its source line's URL as it was."""
    text = (shared_dir / "examples" / "izvestia-2022-01-26.txt").read_text(encoding="utf-8").rstrip("\n")
    lines = text.splitlines()
    bad = tmp_path / "bad.txt"
    bad.write_text("\n".join([*lines[:-1], lines[-1] + '"><img src=x onerror=alert(1)>']) + "\n", encoding="utf-8")
    good = tmp_path / "good.txt"
    good.write_text(text + "\n", encoding="utf-8")
    code, _, err = run(db_path, "import", str(bad), str(good))
    assert code == 1 and "url contains a character" in err and "[bad_document]" in err and "stored 1" in err
