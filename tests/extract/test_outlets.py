"""The outlet table: lookup by URL, display names, zones, rubric translation from data."""

from __future__ import annotations

import pytest

from dragoman.extract import lookup_outlet, translate_rubric
from dragoman.extract.outlets import registered_domain


@pytest.mark.parametrize(
    ("url", "key", "name", "zone"),
    [
        ("https://iz.ru/1282340/2022-01-26/x", "iz.ru", "Izvestia", "Europe/Moscow"),
        ("https://www.kommersant.ru/doc/7715044", "kommersant.ru", "Kommersant", "Europe/Moscow"),
        ("https://m.lenta.ru/news/2022/01/26/x/", "lenta.ru", "Lenta.ru", "Europe/Moscow"),
        ("https://oren.mk.ru/social/2020/02/18/x.html", "mk.ru", "Moskovsky Komsomolets", "Europe/Moscow"),
        ("https://www.unn.com.ua/ru/news/1906059", "unn.com.ua", "UNN", "Europe/Kyiv"),
        ("https://www.inform.kz/ru/x", "inform.kz", "Kazinform", "Asia/Almaty"),
        ("https://russian.rt.com/world/news/1", "rt.com", "RT", "Europe/Moscow"),
    ],
)
def test_lookup(url: str, key: str, name: str, zone: str) -> None:
    outlet = lookup_outlet(url)
    assert outlet is not None
    assert (outlet.key, outlet.name, outlet.timezone) == (key, name, zone)


def test_unknown_outlet() -> None:
    assert lookup_outlet("https://example.org/news/1") is None
    assert lookup_outlet("not a url") is None
    assert lookup_outlet("file:///tmp/page.html") is None


def test_registered_domain() -> None:
    assert registered_domain("https://www.unn.com.ua/ru/news/1") == "unn.com.ua"
    assert registered_domain("https://rzn.mk.ru/social/1") == "mk.ru"
    assert registered_domain("http://WWW.Example.ORG:8080/x") == "example.org"


def test_rubrics_translate_from_the_table_never_word_by_word() -> None:
    # «Мир» at Izvestia is the World section, never "Peace".
    assert translate_rubric("iz.ru", "Мир") == "World"
    assert translate_rubric("iz.ru", "Армия") == "Army"
    assert translate_rubric("iz.ru", "Происшествия") == "Incidents"
    assert translate_rubric("kommersant.ru", "Мир") == "World"  # generic table
    assert translate_rubric("tass.ru", "Международная панорама") == "International"  # outlet override
    assert translate_rubric(None, " общество ") == "Society"  # case and spacing do not matter
    assert translate_rubric("iz.ru", "Неизвестная рубрика") is None
    assert translate_rubric("iz.ru", None) is None
