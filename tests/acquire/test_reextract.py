"""Issue 16, section 3: re-extraction. `dragoman reextract` runs today's extractor over the stored originals:
exactly the articles whose extraction changed get a new revision marked as a re-extraction, translate and
analyze pick them up, and a second run changes nothing."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner

import dragoman.extract
from dragoman.article import Article, RawPage
from dragoman.cli import main
from dragoman.extract.extractor import EXTRACTOR_VERSION
from dragoman.settings import Settings
from dragoman.store import SQLiteStore
from dragoman.translate.engine import BatchOutput

# The stored pages carry today's extractor version; the "improved" extractor of these tests is the next one.
_MAJOR, _MINOR = re.search(r"/(\d+)\.(\d+)", EXTRACTOR_VERSION).groups()  # type: ignore[union-attr]
CURRENT_VERSION = f"{_MAJOR}.{_MINOR}"
NEXT_VERSION = f"{_MAJOR}.{int(_MINOR) + 1}"

CHANGED_PAGE = "1719330438.html"  # mk.ru: the page whose extraction "improves"
RUBRIC_PAGE = "1742998174.html"  # aif.ru: only its rubric improves


def run(db: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--db", str(db), *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


class EchoEngine:
    """A translation engine that marks its input: enough to see which articles translate_store picks."""

    name = "echo"
    model_id = "echo/1"
    parallelism = 1

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(t.split()) for t in texts]

    def translate_batch(self, texts: Sequence[str]) -> BatchOutput:
        return BatchOutput([f"EN {t}" for t in texts], sum(len(t.split()) for t in texts))

    def close(self) -> None:
        pass


@pytest.fixture
def corpus(tmp_path: Path, data_dir: Path, db_path: Path) -> dict[str, int]:
    """Four saved pages (one .html.gz) and a JSONL record ingested, translated and analyzed; ids by name."""
    folder = tmp_path / "pages"
    folder.mkdir()
    shutil.copy(data_dir / "html_ru/fundus/ru/Kommersant_2025_05_14.html.gz", folder)
    for name in ("1647262025.html", CHANGED_PAGE, RUBRIC_PAGE):
        shutil.copy(data_dir / "html_ru/htmldate_eval/pages" / name, folder / name)
    record = {"url": "https://iz.ru/1/x", "title": "Заголовок", "text": "Первый абзац.\nВторой абзац."}
    (folder / "corpus.jsonl").write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    code, out, err = run(db_path, "ingest", str(folder), "--json")
    assert code == 0, err
    assert json.loads(out)["stored"] == 5
    translate_and_analyze(db_path, expect=5)
    conn = sqlite3.connect(db_path)
    rows = conn.execute("SELECT article_id, source_url FROM revisions").fetchall()
    conn.close()
    return {Path(url).name if url.startswith("file:") else url: int(ident) for ident, url in rows}


def translate_and_analyze(db: Path, *, expect: int) -> None:
    """The next `translate` (here with a marking engine) and `analyze` runs, each on what is pending."""
    from dragoman.pipeline.analyze import analyze_store
    from dragoman.pipeline.translate import translate_store

    with SQLiteStore(db) as store:
        translated = translate_store(store, Settings(db=str(db)), engine=EchoEngine())
        analyzed = analyze_store(store)
    assert (translated.articles, analyzed.stored) == (expect, expect)


def search_rubric(db: Path, rubric: str) -> list[int]:
    code, out, err = run(db, "search", "--rubric", rubric, "--json")
    assert code == 0, err
    return [hit["article_id"] for hit in json.loads(out)["hits"]]


def read_in_the_reader(db: Path, ident: int) -> tuple[str, str, dict[str, object]]:
    """The article page, its what-changed page and its API record, from the web reader in-process."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "serve"))
    from serve_corpus import asgi_client_class

    from dragoman.serve.app import create_app

    with asgi_client_class()(create_app(db)) as client:
        return (
            client.get(f"/articles/{ident}").text,
            client.get(f"/articles/{ident}/diff").text,
            client.get(f"/api/articles/{ident}").json(),
        )


def improve_extractor(monkeypatch: pytest.MonkeyPatch) -> None:
    """A better extractor, as far as two pages are concerned: it drops the mk.ru page's last paragraph
    (say, a footer it used to keep) and finds the aif.ru page's rubric. Every other page comes out as before."""
    today = dragoman.extract.extract

    def improved(page: RawPage, **kwargs: object) -> Article:
        article = today(page, **kwargs)  # type: ignore[arg-type]
        if page.url.endswith(CHANGED_PAGE):
            assert len(article.blocks) > 1
            article.blocks = article.blocks[:-1]
        elif page.url.endswith(RUBRIC_PAGE):
            article.rubric = "Общество"
        article.extractor_version = f"dragoman-extract/{NEXT_VERSION}"
        return article

    monkeypatch.setattr(dragoman.extract, "extract", improved)


def test_reextract_revises_exactly_the_changed_article_and_is_idempotent(
    corpus: dict[str, int], db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 16 §3: after an extractor improvement, only the article whose text changed gets a new revision,
    marked `reextract` (shown as a re-extraction, not an outlet's edit); metadata-only improvements correct
    the record in place; the JSONL record, which has no original, is skipped and counted; translate and
    analyze pick up the new revision; a second run changes nothing."""
    improve_extractor(monkeypatch)
    changed, rubric_only = corpus[CHANGED_PAGE], corpus[RUBRIC_PAGE]
    assert search_rubric(db_path, "Общество") == []
    code, out, err = run(db_path, "reextract", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["revised_ids"] == [changed]
    assert report["updated_ids"] == [rubric_only]
    assert (report["revised"], report["updated"], report["unchanged"]) == (1, 1, 2)
    assert report["skipped"] == {"no_original": 1}

    with SQLiteStore(db_path) as store:
        for name, ident in corpus.items():
            revisions = store.revisions(ident)
            if ident == changed:
                assert [(r.revision, r.origin) for r in revisions] == [(1, "acquired"), (2, "reextract")]
                old, new = revisions[0].article, revisions[1].article
                assert new.blocks == old.blocks[:-1] and new.extractor_version == f"dragoman-extract/{NEXT_VERSION}"
                # The new revision points to the same stored page as the one it was re-extracted from.
                assert store.original(ident, 2).sha256 == store.original(ident, 1).sha256
            else:
                assert len(revisions) == 1, name
        assert store.get(rubric_only).article.rubric == "Общество"
    assert search_rubric(db_path, "Общество") == [rubric_only]  # the search index took the correction

    code, out, _ = run(db_path, "revisions", str(changed))
    assert code == 0
    assert "2\t" in out and "re-extraction" in out.splitlines()[1] and "as acquired" in out.splitlines()[0]
    code, out, _ = run(db_path, "revisions", str(changed), "--diff")
    assert "re-extraction: the stored page read again by a newer extractor" in out
    code, out, _ = run(db_path, "revisions")  # articles the outlets changed: a re-extraction is not one
    assert out.strip() == ""

    reader_page, diff_page, api = read_in_the_reader(db_path, changed)
    assert "re-extracted" in reader_page and "changed after it was first stored" not in reader_page
    assert "re-extraction" in diff_page and "the outlet did not edit it" in diff_page
    assert [r["origin"] for r in api["revisions"]] == ["acquired", "reextract"]

    translate_and_analyze(db_path, expect=1)
    with SQLiteStore(db_path) as store:
        translation = store.get(changed).article.translation
        assert translation is not None and translation.source_sha256 == store.get(changed).article.content_sha256

    code, out, err = run(db_path, "reextract", "--json")
    assert code == 0, err
    again = json.loads(out)
    assert (again["revised"], again["updated"], again["unchanged"]) == (0, 0, 4)
    with SQLiteStore(db_path) as store:
        assert sum(len(store.revisions(i)) for i in corpus.values()) == 6
    translate_and_analyze(db_path, expect=0)


def test_reextract_selects_by_outlet_and_extractor_version(
    corpus: dict[str, int], db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 16 §3: --outlet and --extractor-older-than choose what is re-extracted; a bad version is a usage
    error before anything runs."""
    improve_extractor(monkeypatch)
    code, out, _ = run(db_path, "reextract", "--extractor-older-than", CURRENT_VERSION, "--json")
    report = json.loads(out)
    assert code == 0 and report["revised"] == 0
    assert report["skipped"] == {"current_extractor": 4, "no_original": 1}  # a JSONL record has no HTML version
    code, out, _ = run(db_path, "reextract", "--outlet", "kommersant.ru", "--json")
    report = json.loads(out)
    assert (report["revised"], report["unchanged"]) == (0, 1)
    code, out, _ = run(db_path, "reextract", "--extractor-older-than", NEXT_VERSION, "--json")
    report = json.loads(out)
    assert report["revised_ids"] == [corpus[CHANGED_PAGE]]
    code, out, _ = run(db_path, "reextract", "--extractor-older-than", NEXT_VERSION, "--json")
    report = json.loads(out)  # what was re-extracted now carries the next version; the rest finds nothing new
    assert report["revised"] == 0 and report["skipped"] == {"current_extractor": 2, "no_original": 1}
    code, _, err = run(db_path, "reextract", "--extractor-older-than", "latest")
    assert code == 2 and "names no version number" in err
