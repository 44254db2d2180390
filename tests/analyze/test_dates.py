"""Dates resolved against the publication date, with precision: the cases named in issue 4."""

from __future__ import annotations

from datetime import date

import pytest

from dragoman.analyze.dates import extract_dates, extract_quantities
from dragoman.analyze.english import extract_english_dates

PUBLISHED = date(2022, 1, 26)  # the Izvestia example, Moscow time


@pytest.mark.parametrize(
    ("text", "value", "precision", "modifier"),
    [
        ("Столтенберг заявил 12 января по итогам заседания", "2022-01-12", "day", None),
        ("В начале октября альянс выслал восемь сотрудников", "2021-10", "month", "early"),
        ("с 1 ноября она закроет представительство", "2021-11-01", "day", "since"),
        ("Письменный ответ ожидается на этой неделе", "2022-W04", "week", None),
        ("С 2018 года у России нет постпреда при НАТО", "2018", "year", "since"),
        ("МИД опубликовал их 17 декабря 2021 года", "2021-12-17", "day", None),
        ("9 и 10 января в Женеве прошли консультации", "2022-01-09/2022-01-10", "day", None),
        ("Осенью 2021 года статус отношений понизили", "2021-autumn", "season", None),
        ("в прошлом году", "2021", "year", None),
        ("вчера", "2022-01-25", "day", None),
        ("в понедельник", "2022-01-24", "day", None),
        ("12.01.2022", "2022-01-12", "day", None),
        ("в 1990-х годах", "1990s", "decade", None),
    ],
)
def test_russian_dates_resolve_against_publication(text: str, value: str, precision: str, modifier: str | None) -> None:
    found = extract_dates(text, PUBLISHED)
    assert [(d.value, d.precision) for d in found] == [(value, precision)]
    assert found[0].modifier == modifier


def test_week_range_and_partial_kind() -> None:
    (week,) = extract_dates("на этой неделе", PUBLISHED)
    assert (week.begin, week.end) == ("2022-01-24", "2022-01-30")
    (partial,) = extract_dates("12 января", PUBLISHED)
    assert partial.kind == "partial"  # the year was inferred, not written


def test_words_are_not_read_as_dates() -> None:
    # a general date parser reads "мае" in "понимает" or a weekday in ordinary words; ours must not
    assert extract_dates("Он понимает, что среда обитания меняется", PUBLISHED) == []


def test_without_publication_date_partial_dates_stay_unresolved() -> None:
    (d,) = extract_dates("12 января", None)
    assert d.value is None and d.kind == "partial"


def test_english_dates_match_the_russian_rules() -> None:
    found = extract_english_dates(
        "In early October the alliance expelled eight employees; from November 1 it will"
        " close. A response is expected this week.",
        PUBLISHED,
    )
    assert [(d.value, d.precision) for d in found] == [
        ("2021-10", "month"),
        ("2021-11-01", "day"),
        ("2022-W04", "week"),
    ]


def test_quantities_count_things() -> None:
    text = "альянс выслал восемь сотрудников и оставил в миссии 10 человек"
    lemmas = {14: ("восемь", "NUM"), 21: ("сотрудник", "NOUN"), 52: ("10", "NUM"), 55: ("человек", "NOUN")}
    found = extract_quantities(text, 0, lemmas)
    assert [(q["value"], q["unit"]) for q in found] == [(8, "сотрудник"), (10, "человек")]
