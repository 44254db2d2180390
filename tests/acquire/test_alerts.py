"""Watchlists and alerts: stemmed Russian and English terms, outlets, JSONL and a real 127.0.0.1 webhook."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from click.testing import CliRunner

from dragoman.acquire.alerts import AlertEngine, JsonlSink, WebhookSink, add_watch, match_watch, recent_alerts
from dragoman.article import Article, Block, BlockKind, SentencePair, TranslatedSegment, Translation
from dragoman.cli import main
from dragoman.pipeline.watch import Intake
from dragoman.store import SQLiteStore

from .conftest import Reply


def article(url: str, title: str, text: str, outlet: str | None = None) -> Article:
    return Article(url=url, title=title, outlet=outlet, blocks=[Block(BlockKind.PARAGRAPH, text)])


def test_terms_match_on_stems_in_russian_and_english():
    text = "Евросоюз обсуждает новые санкциям против поставки газа."
    news = article("https://tass.ru/1", "Брюссель и газовые поставки", text, outlet="tass.ru")
    news.translation = Translation(
        engine="test",
        model_id="m",
        translated_at=datetime.now(UTC),
        title=TranslatedSegment("title", 0, [SentencePair("Брюссель", "Brussels and gas supplies")]),
        blocks=[
            TranslatedSegment("block", 0, [SentencePair(text, "The EU discusses new sanctions on gas deliveries.")])
        ],
    )
    watch = lambda kind, value: type("W", (), {"kind": kind, "value": value})()  # noqa: E731
    assert match_watch(watch("term", "санкции"), news) == "term санкции"
    assert match_watch(watch("term", "поставкам газа"), news) == "term поставкам газа"
    assert match_watch(watch("term", "газа поставкам"), news) is None  # word order of a phrase matters
    assert match_watch(watch("term", "sanction"), news) == "term sanction"
    assert match_watch(watch("term", "oil"), news) is None
    assert match_watch(watch("outlet", "tass.ru"), news) == "outlet tass.ru"
    assert match_watch(watch("outlet", "ria.ru"), news) is None
    # an entity watch matches the analyze stage's entities by English name or Russian normal form
    news.analysis = {"entities": [{"key": "Q458", "name": "European Union", "type": "ORG", "ru": "Евросоюз"}]}
    assert match_watch(watch("entity", "Евросоюз"), news) == "entity Евросоюз"
    assert match_watch(watch("entity", "european union"), news) == "entity European Union"
    assert match_watch(watch("entity", "NATO"), news) is None


def test_an_english_term_only_in_the_translated_lead_alerts():
    news = article("https://tass.ru/2", "Брюссель", "В Брюсселе прошла встреча.", outlet="tass.ru")
    news.lead = "Евросоюз обсуждает ледоколы."
    news.translation = Translation(
        engine="test",
        model_id="m",
        translated_at=datetime.now(UTC),
        title=TranslatedSegment("title", 0, [SentencePair("Брюссель", "Brussels")]),
        lead=TranslatedSegment("lead", 0, [SentencePair(news.lead, "The EU discusses icebreakers.")]),
        blocks=[TranslatedSegment("block", 0, [SentencePair("В Брюсселе прошла встреча.", "A meeting in Brussels.")])],
    )
    watch = type("W", (), {"kind": "term", "value": "icebreaker"})()
    assert match_watch(watch, news) == "term icebreaker"
    news.translation.lead = None  # the same words nowhere else: no alert
    assert match_watch(watch, news) is None


def test_alerts_go_to_jsonl_and_a_flaky_webhook_once_each(server, db_path, tmp_path):
    calls = {"n": 0}

    def receiver(_seen):
        calls["n"] += 1
        return Reply(200, b"ok") if calls["n"] >= 3 else Reply(503, b"later")

    server.routes["/hook"] = receiver
    jsonl = tmp_path / "alerts.jsonl"
    with SQLiteStore(db_path) as store:
        add_watch(store, "term", "газопровод")
        add_watch(store, "outlet", "ria.ru")
        webhook = WebhookSink(server.url("/hook"), retry_base=0.01)
        engine = AlertEngine(store, [JsonlSink(jsonl), webhook])
        intake = Intake(store, [engine])
        intake.take(article("https://ria.ru/1", "Газопроводы", "Строительство газопровода продолжено.", "ria.ru"))
        intake.take(article("https://iz.ru/2", "Погода", "В Москве снег.", "iz.ru"))
        intake.take(article("https://ria.ru/1", "Газопроводы", "Строительство газопровода продолжено.", "ria.ru"))
        assert server.requests("/hook") == []  # storing only records alerts; delivery is its own step
        for _ in range(3):  # the webhook answers 503 twice; each run tries it once, then skips it for that run
            engine.deliver_pending(due_only=False)
        webhook.close()
        rows = recent_alerts(store)
    lines = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    assert sorted(line["matched"] for line in lines) == ["outlet ria.ru", "term газопровод"]
    posted = [json.loads(s.body) for s in server.requests("/hook") if s.method == "POST"]
    assert len(posted) == 4  # two alerts; the first needed 3 tries (two 503s), the second went through at once
    assert {p["matched"] for p in posted} == {"outlet ria.ru", "term газопровод"}
    assert len(rows) == 2 and all(r["delivered_at"] for r in rows)


def test_dead_webhook_keeps_alert_undelivered_until_it_recovers(server, db_path):
    server.routes["/hook"] = Reply(500, b"down")
    with SQLiteStore(db_path) as store:
        add_watch(store, "term", "Минобороны")
        webhook = WebhookSink(server.url("/hook"), retries=1, retry_base=0.01)
        engine = AlertEngine(store, [webhook])
        Intake(store, [engine]).take(
            article("https://tass.ru/9", "Заявление Минобороны", "Минобороны сообщило о учениях.")
        )
        engine.deliver_pending()
        webhook.close()
        (row,) = recent_alerts(store)
        assert row["delivered_at"] is None and "HTTP 500" in row["last_error"]
    server.routes["/hook"] = Reply(204, b"")
    runner = CliRunner()
    result = runner.invoke(main, ["--db", str(db_path), "alerts", "--deliver", "--webhook", server.url("/hook")])
    assert result.exit_code == 0, result.output
    listed = runner.invoke(main, ["--db", str(db_path), "alerts", "--json"])
    (shown,) = [json.loads(line) for line in listed.stdout.splitlines()]
    assert shown["delivered_at"] and shown["title"] == "Заявление Минобороны"


def test_watch_applies_to_articles_first_seen_after_it(db_path):
    with SQLiteStore(db_path) as store:
        old = article("https://iz.ru/old", "Старый газопровод", "Текст про газопровод.")
        engine = AlertEngine(store, [])
        result = Intake(store, [engine]).take(old)
        add_watch(store, "term", "газопровод")
        assert engine.check(result.article_id, old) == 0
