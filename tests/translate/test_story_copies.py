"""Copies point to their story and are translated once: translate_store skips exact and near copies."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from click.testing import CliRunner

from dragoman.acquire.dedupe import StoryIndex, story_translation
from dragoman.article import Block
from dragoman.cli import main
from dragoman.settings import Settings
from dragoman.store import open_store
from dragoman.translate import create_engine, translate_store

from .test_stage import CountingEngine, wmt_articles


def test_copies_are_translated_once_and_show_their_story_translation(installed: Settings, data_dir: Path) -> None:
    original, unrelated = wmt_articles(data_dir, 2)
    exact = replace(original, url="https://mirror.example/exact-copy", blocks=list(original.blocks))
    # A lightly edited repost: another outlet, one extra closing paragraph.
    near = replace(
        original,
        url="https://repost.example/near-copy",
        blocks=[*original.blocks, Block(original.blocks[0].kind, "Подробнее читайте на нашем сайте.")],
    )
    store = open_store(installed.db)
    index = StoryIndex(store)
    assigned = {}
    for name, article in (("original", original), ("exact", exact), ("near", near), ("unrelated", unrelated)):
        assigned[name] = index.assign(store.ingest(article).article_id, article)
    assert assigned["exact"].kind == "exact_hash" and assigned["near"].kind == "near"
    assert len({assigned[n].story_id for n in ("original", "exact", "near")}) == 1
    assert assigned["unrelated"].story_id != assigned["original"].story_id

    engine = CountingEngine(create_engine("ctranslate2", installed))
    report = translate_store(store, installed, engine=engine)
    assert report.articles == 2 and report.failed == 0
    assert report.skipped["story_copy"] == 2 and report.to_dict()["skipped"] == {"story_copy": 2}
    assert "skipped (story_copy): 2" in report.summary_lines()
    rows = store.connection.execute(
        "SELECT r.article_id FROM translations t JOIN revisions r ON r.id = t.revision_id ORDER BY r.article_id"
    ).fetchall()
    assert [row[0] for row in rows] == [assigned["original"].article_id, assigned["unrelated"].article_id]
    # Each copy points to its story's translation instead of holding its own.
    for name in ("exact", "near"):
        copy_id = assigned[name].article_id
        stored = store.get(copy_id)
        assert stored is not None and stored.article.translation is None
        found = story_translation(store, copy_id)
        assert found is not None and found[0] == assigned["original"].article_id
        assert found[1].title.text

    # A rerun finds nothing to translate: the copies' story is translated already.
    sent_before = len(engine.sentences)
    again = translate_store(store, installed, engine=engine)
    assert again.articles == 0 and again.skipped["story_copy"] == 2 and len(engine.sentences) == sent_before
    engine.close()
    store.close()

    result = CliRunner().invoke(main, ["--db", str(installed.db), "story", str(assigned["near"].article_id)])
    assert result.exit_code == 0, result.output
    assert f"translation (article {assigned['original'].article_id}" in result.output
    assert found[1].title.text in result.output
