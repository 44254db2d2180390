"""Issue 16: the archive of originals and re-extraction revisions, on both backends (SQLite file, PostgreSQL)."""

from __future__ import annotations

import copy
import random
from datetime import UTC, datetime
from typing import Any

import pytest
from store_articles import article

from dragoman.article import Block, BlockKind
from dragoman.errors import StoreError
from dragoman.store import IngestOutcome
from dragoman.store.archive import Original
from dragoman.store.base import ReextractOutcome

PAGE = "<html lang='ru'><head><title>Заголовок</title></head><body>" + "<p>Текст статьи.</p>" * 200 + "</body></html>"


def original(body: bytes, url: str = "https://iz.ru/news/1") -> Original:
    return Original(
        body=body,
        kind="http",
        url=url,
        fetched_at=datetime(2026, 12, 5, 10, 30, tzinfo=UTC),
        status=200,
        content_type="text/html; charset=utf-8",
        headers={"content-type": "text/html; charset=utf-8", "etag": '"abc"'},
    )


def test_originals_round_trip_once_per_sha256(store: Any) -> None:
    """Issue 16 §2: the bytes come back identical with status, headers and fetch time; identical bytes under
    two articles are stored once; a changed page is a second original."""
    body = PAGE.encode("utf-8") + b"\x00\xff binary tail"
    first = store.ingest(article(1), original(body))
    second = store.ingest(article(2), original(body, "https://iz.ru/news/2"))
    assert (first.archived, second.archived) == ("stored", "deduplicated")
    kept = store.original(first.article_id)
    assert kept is not None and kept.original.body == body
    assert (kept.original.status, kept.original.kind, kept.original.url) == (200, "http", "https://iz.ru/news/1")
    assert kept.original.headers == {"content-type": "text/html; charset=utf-8", "etag": '"abc"'}
    assert kept.original.fetched_at == datetime(2026, 12, 5, 10, 30, tzinfo=UTC)
    assert store.original(second.article_id).original.url == "https://iz.ru/news/2"
    stats = store.archive_stats()
    assert (stats["originals"], stats["linked_revisions"], stats["raw_bytes"]) == (1, 2, len(body))
    assert stats["stored_bytes"] < len(body) / 5

    edited = store.ingest(article(1, "Текст статьи, исправленный."), original(body + b"<p>edit</p>"))
    assert edited.outcome is IngestOutcome.REVISED and edited.archived == "stored"
    assert store.original(first.article_id, 1).original.body == body
    assert store.original(first.article_id).original.body == body + b"<p>edit</p>"
    assert [k.revision for k in store.originals(first.article_id)] == [1, 2]
    assert store.has_original(first.article_id, 2) and not store.has_original(first.article_id, 3)


def test_archive_cap_and_no_original(store: Any) -> None:
    """Issue 16 §2: past archive_max_bytes new bytes are not kept and the article is stored all the same."""
    kept = store.ingest(article(1), original(PAGE.encode()), archive_max_bytes=10_000)
    noise = random.Random(1).randbytes(20_000)  # incompressible: this page passes the cap
    over = store.ingest(article(2), original(PAGE.encode() + noise), archive_max_bytes=10_000)
    plain = store.ingest(article(3))
    assert (kept.archived, over.archived, plain.archived) == ("stored", "over_cap", None)
    assert store.count() == 3
    assert store.original(over.article_id) is None and store.original(plain.article_id) is None
    # Bytes seen again after the cap still link: they cost nothing.
    again = store.ingest(article(4), original(PAGE.encode()), archive_max_bytes=10_000)
    assert again.archived == "deduplicated"


def test_a_damaged_original_is_refused_not_served(store: Any) -> None:
    """Issue 16 §2: the archive proves what a page said; bytes that no longer match their SHA-256 are an error."""
    result = store.ingest(article(1), original(PAGE.encode()))
    good = store.original(result.article_id)
    damaged = original(b"<html>other</html>").body
    from dragoman.store.archive import compress

    with store.transaction() as conn:
        conn.execute("UPDATE originals SET data = ? WHERE sha256 = ?", (compress(damaged), good.sha256))
    with pytest.raises(StoreError, match="does not match its SHA-256"):
        store.original(result.article_id)


def test_reextraction_revision_metadata_update_and_idempotence(store: Any) -> None:
    """Issue 16 §3: changed text is a new current revision with origin `reextract` sharing the original;
    changed metadata alone rewrites the current record; the same result again writes nothing."""
    result = store.ingest(article(1), original(PAGE.encode()))
    stored = store.get(result.article_id)
    assert stored.origin == "acquired"

    same = copy.deepcopy(stored.article)
    assert store.record_reextraction(stored, same) is ReextractOutcome.UNCHANGED

    store.save_analysis(stored.revision_id, {"entities": []}, "analyzer/1")
    better_rubric = copy.deepcopy(stored.article)
    better_rubric.rubric = "Политика"
    assert store.record_reextraction(stored, better_rubric) is ReextractOutcome.UPDATED
    stored = store.get(result.article_id)
    assert stored.article.rubric == "Политика" and stored.revision == 1
    assert stored.article.analysis == {"entities": []}  # a rubric does not change what analysis found

    better_date = copy.deepcopy(stored.article)
    better_date.published_at = datetime(2022, 1, 2, 9, tzinfo=UTC)
    assert store.record_reextraction(stored, better_date) is ReextractOutcome.UPDATED
    stored = store.get(result.article_id)
    assert stored.article.published_at == datetime(2022, 1, 2, 9, tzinfo=UTC)
    assert stored.article.analysis is None  # relative dates were resolved against the old time: redo it

    better_text = copy.deepcopy(stored.article)
    better_text.blocks.append(Block(BlockKind.PARAGRAPH, "Абзац, который прежний экстрактор терял."))
    assert store.record_reextraction(stored, better_text) is ReextractOutcome.REVISED
    current = store.get(result.article_id)
    assert (current.revision, current.origin, current.revision_count) == (2, "reextract", 2)
    assert [r.origin for r in store.revisions(result.article_id)] == ["acquired", "reextract"]
    assert store.original(result.article_id, 2).sha256 == store.original(result.article_id, 1).sha256
    with pytest.raises(StoreError, match="changed while it was re-extracted"):
        store.record_reextraction(stored, better_text)  # based on revision 1, no longer current
    assert store.record_reextraction(current, copy.deepcopy(current.article)) is ReextractOutcome.UNCHANGED
