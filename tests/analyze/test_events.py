"""Events from the Izvestia story (Russian sentences and the English example document)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dragoman.analyze import analyze_article
from dragoman.article import Article

IZVESTIA_RU = [
    "В начале октября в ответ на «враждебную деятельность России в странах — членах НАТО» альянс выслал восемь"
    " сотрудников российского постпредства и упразднил еще две должности.",
    "После этого Россия объявила, что с 1 ноября закроет свое представительство при альянсе и Информационное бюро"
    " НАТО в Москве.",
    "9 и 10 января в Женеве прошли российско-американские консультации.",
    "21 января в Женеве прошла встреча Сергея Лаврова и Энтони Блинкена.",
    "Москва не будет восстанавливать дипмиссию при НАТО.",
]


def _summary(event: dict[str, Any]) -> tuple[Any, ...]:
    return (
        event["type"],
        event["mode"],
        (event["actor"] or {}).get("state") or (event["actor"] or {}).get("name"),
        (event["target"] or {}).get("state") or (event["target"] or {}).get("name"),
        (event["date"] or {}).get("value"),
        event["status"],
    )


@pytest.fixture(scope="module")
def russian_events(make_article: Callable[..., Article]) -> list[dict[str, Any]]:
    return analyze_article(make_article(IZVESTIA_RU))["events"]


def test_expulsion_is_a_sanction_by_nato_on_russia_in_october(russian_events: list[dict[str, Any]]) -> None:
    expel = next(e for e in russian_events if e["mode"] == "expel_diplomats")
    assert _summary(expel) == ("SANCTION", "expel_diplomats", "NATO", "Russia", "2021-10", "happened")
    assert expel["quantity"]["value"] == 8 and expel["quantity"]["unit"] == "сотрудник"
    assert expel["evidence"]["ru"].startswith("В начале октября")


def test_announced_closure_from_november(russian_events: list[dict[str, Any]]) -> None:
    close = next(e for e in russian_events if e["mode"] == "close_mission")
    assert _summary(close) == ("SANCTION", "close_mission", "Russia", "NATO", "2021-11-01", "announced")


def test_consultations_and_meeting_with_place_and_dates(russian_events: list[dict[str, Any]]) -> None:
    consult = next(e for e in russian_events if e["type"] == "CONSULT")
    assert _summary(consult) == ("CONSULT", None, "Russia", "United States", "2022-01-09/2022-01-10", "happened")
    assert consult["location"]["name"] == "Geneva"
    meet = next(e for e in russian_events if e["type"] == "MEET")
    assert (meet["actor"]["name"], meet["target"]["name"], meet["date"]["value"]) == (
        "Sergei Lavrov",
        "Antony Blinken",
        "2022-01-21",
    )


def test_negated_restoration_is_a_rejection(russian_events: list[dict[str, Any]]) -> None:
    reject = next(e for e in russian_events if e["type"] == "REJECT")
    assert reject["negated"] is True and reject["actor"]["state"] == "Russia" and reject["status"] == "planned"


def test_english_example_document(shared_dir: Path) -> None:
    from dragoman.formats.document import parse_text_document

    article = parse_text_document((shared_dir / "examples" / "izvestia-2022-01-26.txt").read_text(encoding="utf-8"))
    assert article.language == "en"
    analysis = analyze_article(article)
    names = {e["name"] for e in analysis["entities"]}
    assert {
        "Jens Stoltenberg",
        "Sergei Ryabkov",
        "Wendy Sherman",
        "Alexander Grushko",
        "Yury Gorlach",
        "NATO-Russia Council",
        "Federation Council",
    } <= names
    summaries = {_summary(e)[:5] for e in analysis["events"]}
    assert ("SANCTION", "expel_diplomats", "NATO", "Russia", "2021-10") in summaries
    assert ("SANCTION", "close_mission", "Russia", "NATO", "2021-11-01") in summaries
    assert ("CONSULT", None, "Russia", "United States", "2022-01-09/2022-01-10") in summaries
    assert ("MEET", None, "Russia", "United States", "2022-01-21") in summaries
    speakers = {q["speaker_entity"] for q in analysis["quotes"]}
    assert {"Q57665", "PER:Vladimir Dzhabarov"} <= speakers  # Stoltenberg quoted, Dzhabarov in dialogue
    unnamed = [q for q in analysis["quotes"] if q["unnamed"]]
    assert unnamed and unnamed[0]["source_type"] == "informed_source"
