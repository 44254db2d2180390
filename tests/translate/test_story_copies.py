"""Copies point to their story and are translated once; the reader, the API and exports show the story's English."""

from __future__ import annotations

import csv
import io
import json
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from dragoman.acquire.dedupe import StoryIndex
from dragoman.article import Block
from dragoman.cli import main
from dragoman.pipeline.translate import translate_store
from dragoman.settings import Settings
from dragoman.store import ArticleFilter
from dragoman.store.stories import story_translation
from dragoman.translate import create_engine

from .test_stage import CountingEngine, wmt_articles


def test_copies_are_translated_once_and_show_their_story_translation(
    installed_store: Settings, data_dir: Path, open_db: Any
) -> None:
    original, unrelated = wmt_articles(data_dir, 2)
    exact = replace(original, url="https://mirror.example/exact-copy", blocks=list(original.blocks))
    # A lightly edited repost: another outlet, one extra closing paragraph.
    near = replace(
        original,
        url="https://repost.example/near-copy",
        blocks=[*original.blocks, Block(original.blocks[0].kind, "Подробнее читайте на нашем сайте.")],
    )
    store = open_db(installed_store.db)
    index = StoryIndex(store)
    assigned = {}
    for name, article in (("original", original), ("exact", exact), ("near", near), ("unrelated", unrelated)):
        assigned[name] = index.assign(store.ingest(article).article_id, article)
    assert assigned["exact"].kind == "exact_hash" and assigned["near"].kind == "near"
    assert len({assigned[n].story_id for n in ("original", "exact", "near")}) == 1
    assert assigned["unrelated"].story_id != assigned["original"].story_id

    engine = CountingEngine(create_engine("ctranslate2", installed_store))
    report = translate_store(store, installed_store, engine=engine)
    # The exact copy is skipped (its text is translated already); the lightly edited repost is translated,
    # but only its new sentence reaches the engine: the translation memory serves the rest.
    assert report.articles == 3 and report.total_failed == 0
    assert report.skipped["story_copy"] == 1 and report.to_dict()["skipped"] == {"story_copy": 1}
    assert "skipped 1 (story_copy 1)" in report.summary()
    assert engine.sentences.count("Подробнее читайте на нашем сайте.") == 1
    assert len(engine.sentences) == len(set(engine.sentences))  # no sentence of the story translated twice
    rows = store.connection.execute(
        "SELECT r.article_id FROM translations t JOIN revisions r ON r.id = t.revision_id ORDER BY r.article_id"
    ).fetchall()
    assert [row[0] for row in rows] == [assigned[n].article_id for n in ("original", "near", "unrelated")]
    # The exact copy points to its story's translation instead of holding its own.
    copy_id = assigned["exact"].article_id
    stored = store.get(copy_id)
    assert stored is not None and stored.article.translation is None
    found = story_translation(store, copy_id)
    assert found is not None and found[0] == assigned["original"].article_id
    assert found[1].title.text

    # A rerun finds nothing to translate: the copies' story is translated already.
    sent_before = len(engine.sentences)
    again = translate_store(store, installed_store, engine=engine)
    assert again.articles == 0 and again.skipped["story_copy"] == 1 and len(engine.sentences) == sent_before
    engine.close()
    store.close()

    result = CliRunner().invoke(main, ["--db", str(installed_store.db), "story", str(assigned["exact"].article_id)])
    assert result.exit_code == 0, result.output
    assert f"translation (article {assigned['original'].article_id}" in result.output
    assert found[1].title.text in result.output
    check_copies_in_reader_api_and_exports(
        installed_store, {name: a.article_id for name, a in assigned.items()}, open_db
    )


def check_copies_in_reader_api_and_exports(installed: Settings, ids: dict[str, int], open_db: Any) -> None:
    """The exact copy shows its story's English as its own; the edited repost shows its own translation."""
    from dragoman.formats.export import iter_export
    from dragoman.serve.app import create_app

    with warnings.catch_warnings():  # starlette's TestClient prefers httpx2, which we do not use
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from fastapi.testclient import TestClient

    store = open_db(installed.db)
    original = store.get(ids["original"])
    assert original is not None and original.article.translation is not None
    english_title = original.article.translation.title.text
    model_id = original.article.translation.model_id
    records = {r["id"]: r for r in map(json.loads, "".join(iter_export(store, "jsonl")).splitlines())}
    assert records[ids["exact"]]["translation"]["title"] == original.article.translation.title.to_dict()
    assert records[ids["exact"]]["translation"]["model_id"] == model_id
    assert records[ids["exact"]]["story"]["translated_member_id"] == ids["original"]
    assert records[ids["exact"]]["story"]["same_text"] is True
    # The edited repost has its own translation (its text differs): nothing borrowed, no link needed.
    assert records[ids["near"]]["translation"]["model_id"] == model_id and "story" not in records[ids["near"]]
    assert "story" not in records[ids["original"]] and "story" not in records[ids["unrelated"]]
    rows = {int(r["id"]): r for r in csv.DictReader(io.StringIO("".join(iter_export(store, "csv"))))}
    assert rows[ids["exact"]]["title_en"] == english_title and rows[ids["exact"]]["translation_model"] == model_id
    assert rows[ids["near"]]["title_en"] and rows[ids["near"]]["translated_member_id"] == ""
    documents = "".join(iter_export(store, "text", ArticleFilter(ids=[ids["exact"]])))
    assert documents.splitlines()[0] == " ".join(english_title.split())
    assert documents.rstrip().endswith("Russian To English: https://mirror.example/exact-copy")
    # Parallel data keeps one copy of each sentence pair: the exact copy adds none of its own.
    pair_ids = {json.loads(line)["article_id"] for line in "".join(iter_export(store, "pairs")).splitlines()}
    assert pair_ids == {ids["original"], ids["near"], ids["unrelated"]}
    stored_copy = store.get(ids["exact"])
    assert stored_copy is not None and stored_copy.article.translation is None  # borrowed in memory only
    store.close()

    with TestClient(create_app(installed.db)) as client:
        page = client.get(f"/articles/{ids['exact']}").text
        assert 'class="reader bilingual"' in page and f'href="/articles/{ids["original"]}"' in page
        assert "same text as" in page
        page = client.get(f"/articles/{ids['near']}").text
        assert 'class="reader bilingual"' in page and "same text as" not in page
        api = client.get(f"/api/articles/{ids['exact']}").json()
        assert api["story"]["same_text"] is True and all(s["en"] for s in api["sentences"])
