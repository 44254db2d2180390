"""The stories repository (``store.stories``) on both backends, through the real StoryIndex: exact and near copies
(MinHash signatures read back from BLOB/BYTEA), band keys, revisions, borrowed translations, two watchers."""

from __future__ import annotations

import csv
import sys
import threading
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from store_articles import article

from dragoman.acquire.dedupe import DEFAULT_THRESHOLD, StoryIndex
from dragoman.article import Article, Block, BlockKind, SentencePair, TranslatedSegment, Translation
from dragoman.store import open_store
from dragoman.store.stories import (
    StoryRepository,
    has_copies,
    link_story_copy,
    processed_story_member,
    story_id_of,
    story_of,
)


def make(url: str, title: str, text: str) -> Article:
    return Article(url=url, title=title, blocks=[Block(BlockKind.PARAGRAPH, p) for p in text.split("\n") if p])


@pytest.fixture(scope="module")
def story_articles(data_dir: Path) -> dict[str, Article]:
    """A wire story, an exact copy under another URL, a lightly edited repost and an unrelated article (real text
    from the crowd-labelled pairs of tgcontest_ru)."""
    csv.field_size_limit(sys.maxsize)
    path = data_dir / "tgcontest_ru/toloka/clustering_pairs/ru_train_pool.tsv"
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))

    def overlap(r: dict[str, str]) -> float:
        first, second = set(r["INPUT:first_text"].split()), set(r["INPUT:second_text"].split())
        return len(first & second) / len(first | second)

    pair = max((r for r in rows if r["GOLDEN:quality"] == "OK"), key=overlap)
    other = next(r for r in rows if r["GOLDEN:quality"] == "BAD")
    original = make(pair["INPUT:first_url"], pair["INPUT:first_title"], pair["INPUT:first_text"])
    return {
        "original": original,
        "copy": make("https://mirror.example/copy", original.title, original.text),
        "repost": make(pair["INPUT:second_url"], pair["INPUT:second_title"], pair["INPUT:second_text"]),
        "unrelated": make(other["INPUT:first_url"], other["INPUT:first_title"], other["INPUT:first_text"]),
    }


def fresh(articles: dict[str, Article], name: str) -> Article:
    return replace(articles[name], blocks=list(articles[name].blocks))


def translation_of(item: Article) -> Translation:
    def seg(role: str, index: int, text: str) -> TranslatedSegment:
        return TranslatedSegment(role, index, [SentencePair(source=text, target=f"EN {text[:20]}")])

    return Translation(
        engine="test",
        model_id="test-model",
        translated_at=datetime(2024, 1, 1, tzinfo=UTC),
        title=seg("title", 0, item.title),
        blocks=[seg("block", i, b.text) for i, b in enumerate(item.blocks)],
    )


def test_copies_join_one_story_and_a_restart_matches_a_near_copy(store_url: str, story_articles: dict) -> None:
    with open_store(store_url) as store:
        assert isinstance(store.stories, StoryRepository)
        assert not has_copies(store)
        index = StoryIndex(store)
        original = fresh(story_articles, "original")
        first = index.assign(store.ingest(original).article_id, original)
        copy = fresh(story_articles, "copy")
        exact = index.assign(store.ingest(copy).article_id, copy)
        unrelated = fresh(story_articles, "unrelated")
        separate = index.assign(store.ingest(unrelated).article_id, unrelated)
        assert (first.kind, exact.kind) == ("first", "exact_hash") and exact.story_id == first.story_id
        assert separate.story_id != first.story_id
        assert index.assign(exact.article_id, copy) == exact  # assigning again changes nothing
        assert len(index) == 3  # every member inside the window has band keys
    with open_store(store_url) as store:
        # A restart: candidates come from story_bands and the stored signatures, read back from the database.
        index = StoryIndex(store)
        repost = fresh(story_articles, "repost")
        near = index.assign(store.ingest(repost).article_id, repost)
        assert near.kind == "near" and near.story_id == first.story_id
        assert DEFAULT_THRESHOLD <= near.similarity < 1
        story = story_of(store, near.article_id)
        assert story is not None and story["article_count"] == 3 and story["first_article_id"] == first.article_id
        assert [m["article_id"] for m in story["members"]] == [first.article_id, exact.article_id, near.article_id]
        assert [m["kind"] for m in story_of(store, near.article_id, limit=2)["members"]] == ["first", "exact_hash"]
        assert story_id_of(store, separate.article_id) == separate.story_id
        assert story_id_of(store, 10**9) is None and story_of(store, 10**9) is None
        assert has_copies(store)


def test_a_changed_band_layout_recomputes_the_band_keys(store_url: str, story_articles: dict) -> None:
    with open_store(store_url) as store:
        index = StoryIndex(store)
        for name in ("original", "unrelated"):
            item = fresh(story_articles, name)
            index.assign(store.ingest(item).article_id, item)
        layout = store.stories.band_layout()
        other = StoryIndex(store, candidate_jaccard=0.3)  # another layout: keys are recomputed from signatures
        assert store.stories.band_layout() != layout == f"{index.bands}x{index.rows}"
        assert len(other) == 2
        # The copy is still found (exact hash), the repost with the new layout's keys.
        copy = fresh(story_articles, "copy")
        assert other.assign(store.ingest(copy).article_id, copy).kind == "exact_hash"


def test_a_revised_article_keeps_its_story_and_takes_its_new_text(store: Any, story_articles: dict) -> None:
    index = StoryIndex(store)
    original = fresh(story_articles, "original")
    result = store.ingest(original)
    first = index.assign(result.article_id, original)
    changed = replace(original, blocks=[*original.blocks, Block(BlockKind.PARAGRAPH, "Добавлен новый абзац.")])
    changed.content_sha256 = None
    revised = store.ingest(changed)
    index(revised.article_id, changed, revised)
    assert store.stories.recorded(first.article_id) == first
    assert store.stories.story_with_content(changed.content_sha256) == first.story_id
    assert store.stories.story_with_content(original.content_sha256) is None


def test_a_copy_borrows_its_members_translation(store: Any) -> None:
    index = StoryIndex(store)
    text = "Центральный банк России сохранил ключевую ставку на уровне шестнадцати процентов годовых."
    translated = article(1, text)
    copy = article(2, text, outlet="tass.ru")
    copy.title = translated.title
    first = store.ingest(translated)
    index.assign(first.article_id, translated)
    second = store.ingest(copy)
    assert index.assign(second.article_id, copy).kind == "exact_hash"
    assert processed_story_member(store, second.article_id, translated_by="test-model") is None
    store.save_translation(first.revision_id, translation_of(translated))
    assert processed_story_member(store, second.article_id, translated_by="test-model") == first.article_id
    assert processed_story_member(store, second.article_id, analyzed_by="v1") is None
    stored_copy = store.get(second.article_id)
    link = link_story_copy(store, stored_copy)
    assert link is not None and link.shares_text and link.member_id == first.article_id
    assert link.member_title_en == f"EN {translated.title[:20]}"
    assert stored_copy.article.translation is not None  # attached in memory ...
    assert store.get(second.article_id).article.translation is None  # ... never written back
    assert store.stories.story_translation(second.article_id)[0] == first.article_id


def test_two_watchers_recording_one_article_make_one_story(store_url: str) -> None:
    """Both decide "first of a new story" for the same article at once (five times, to give the race its chance);
    one record stands each time, and one story exists per article."""
    rounds = 5
    with open_store(store_url) as setup:
        article_ids = [setup.ingest(article(n)).article_id for n in range(rounds)]
    results: list[list[Any]] = [[], []]
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def watcher(number: int) -> None:
        try:
            with open_store(store_url) as store:
                for article_id in article_ids:
                    barrier.wait(30)
                    recorded = store.stories.record(
                        article_id,
                        None,
                        kind="first",
                        similarity=1.0,
                        title=f"story of {article_id}",
                        content_sha256=f"hash-{article_id}",
                        minhash=b"\x00" * 8,
                        band_keys=[article_id * 10 + 1, article_id * 10 + 2],
                        now=datetime.now(UTC).isoformat(),
                    )
                    results[number].append(recorded)
        except BaseException as exc:  # reported below: a thread's exception would vanish
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=watcher, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    assert results[0] == results[1] and len(results[0]) == rounds
    with open_store(store_url) as store:
        for article_id in article_ids:
            story = story_of(store, article_id)
            assert story is not None and story["article_count"] == 1 and len(story["members"]) == 1
            assert store.stories.newest_in_band(article_id * 10 + 2, 10) == [article_id]  # the loser wrote none
        assert len({story_id_of(store, a) for a in article_ids}) == rounds
