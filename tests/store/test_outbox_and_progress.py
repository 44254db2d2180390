"""The alerts, backfill-progress, revision-log and table repositories on both backends."""

from __future__ import annotations

import json
from typing import Any

from store_articles import article

from dragoman.acquire.alerts import AlertEngine, JsonlSink, add_watch, list_watches, recent_alerts, remove_watch
from dragoman.scale.stages import done_keys, mark_done


def test_watches_are_added_once_listed_and_removed(store: Any) -> None:
    first = add_watch(store, "term", "  санкции   против ", label="s")
    again = add_watch(store, "term", "санкции против", label="other")
    assert again == first and first.value == "санкции против" and first.label == "s"
    outlet = add_watch(store, "outlet", "tass.ru")
    assert [w.id for w in list_watches(store)] == [first.id, outlet.id]
    assert remove_watch(store, first.id) and not remove_watch(store, first.id)
    assert list_watches(store) == [outlet]


def test_the_outbox_keeps_alerts_until_delivered_and_retries_failures(store: Any, tmp_path) -> None:
    add_watch(store, "term", "ставку")
    clock = [1_000.0]
    sink_path = tmp_path / "alerts.jsonl"
    engine = AlertEngine(store, [JsonlSink(sink_path)], clock=lambda: clock[0])
    matching = article(1, "Банк сохранил ставку.")
    result = store.ingest(matching)
    assert engine.check(result.article_id, matching) == 1
    assert engine.check(result.article_id, matching) == 0  # once per watch and article
    other = article(2, "Погода в Москве.")
    assert engine.check(store.ingest(other).article_id, other) == 0
    assert [a["state"] for a in recent_alerts(store)] == ["pending"]

    sink_path.mkdir()  # the sink cannot write: the alert waits out a backoff
    report = engine.deliver_pending()
    assert (report.delivered, report.retrying) == (0, 1)
    (pending,) = recent_alerts(store, undelivered_only=True)
    assert pending["attempts"] == 1 and "cannot write alert file" in pending["last_error"]
    assert pending["next_attempt_at"] is not None
    assert not engine.deliver_pending()  # not due yet: nothing tried
    sink_path.rmdir()
    clock[0] += 10 * 3600
    assert engine.deliver_pending().delivered == 1
    (delivered,) = recent_alerts(store)
    assert delivered["state"] == "delivered" and delivered["last_error"] is None and delivered["delivered_at"]
    assert recent_alerts(store, undelivered_only=True) == []
    (line,) = sink_path.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["article_id"] == result.article_id


def test_failed_alerts_go_back_to_the_outbox(store: Any, tmp_path) -> None:
    add_watch(store, "outlet", "iz.ru")
    sink_path = tmp_path / "blocked"
    sink_path.mkdir()
    engine = AlertEngine(store, [JsonlSink(sink_path)], max_attempts=1)
    item = article(1)
    engine.check(store.ingest(item).article_id, item)
    assert engine.deliver_pending().failed == 1
    assert [a["state"] for a in recent_alerts(store)] == ["failed"]
    assert engine.retry_failed() == 1 and engine.retry_failed() == 0
    (again,) = recent_alerts(store)
    assert (again["state"], again["attempts"]) == ("pending", 0)


def test_backfill_progress_is_kept_per_key_and_file(store: Any) -> None:
    mark_done(
        store,
        [
            ("cc-news-1.warc.gz@0", "stored", None, None),
            ("cc-news-1.warc.gz@512", "failed", "too_large", None),
            ("cc-news-2.warc.gz@0", "skipped", "not_russian", None),
            ("https://iz.ru/news/1", "stored", None, None),
        ],
    )
    assert done_keys(store, source="cc-news-1.warc.gz") == {"cc-news-1.warc.gz@0", "cc-news-1.warc.gz@512"}
    assert done_keys(store, source="cc-news-1.warc.gz", retry_failed=True) == {"cc-news-1.warc.gz@0"}
    assert len(done_keys(store)) == 4
    mark_done(store, [("cc-news-1.warc.gz@512", "stored", None, None)])  # a retried failure now stored
    assert done_keys(store, source="cc-news-1.warc.gz", retry_failed=True) == {
        "cc-news-1.warc.gz@0",
        "cc-news-1.warc.gz@512",
    }


def test_the_revision_log_lists_articles_the_outlet_changed(store: Any) -> None:
    store.ingest(article(1, "Первый вариант."))
    store.ingest(article(1, "Исправленный вариант."))
    store.ingest(article(2, "Не менялась."))
    changed = store.revision_log.changed_articles()
    assert [(c["url"], c["revision_count"]) for c in changed] == [("https://iz.ru/news/1", 2)]


def test_rows_written_with_their_ids_leave_room_for_new_ones(store: Any) -> None:
    tables = store.tables
    assert {"articles", "revisions", "story_members", "monitor_items", "alerts"} <= set(tables.names())
    columns = tables.columns("watchlist")
    assert columns == ["id", "kind", "value", "label", "created_at"]
    rows = [(7, "term", "нефть", None, "2024-01-01T00:00:00+00:00"), (9, "outlet", "tass.ru", "t", "2024-01-02")]
    assert tables.insert("watchlist", columns, rows) == 2 and tables.insert("watchlist", columns, []) == 0
    tables.advance_identity("watchlist")
    assert sorted(tables.rows("watchlist", columns)) == rows
    assert add_watch(store, "term", "газ").id == 10  # past the copied ids on both backends
