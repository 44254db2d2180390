"""The outlet table: lookup by URL, display names, zones, rubric translation from data."""

from __future__ import annotations

import pytest

from dragoman.extract import lookup_outlet, translate_rubric
from dragoman.names.outlets import registered_domain


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


ANALYST_OUTLETS = [
    "iz.ru", "ria.ru", "tass.ru", "kommersant.ru", "lenta.ru", "rbc.ru", "rg.ru", "interfax.ru",
    "vedomosti.ru", "gazeta.ru", "rt.com", "meduza.io", "novayagazeta.ru", "mk.ru", "aif.ru", "fontanka.ru",
]  # fmt: skip


@pytest.mark.parametrize("key", ANALYST_OUTLETS)
def test_outlet_table_covers_the_outlets_analysts_follow(key: str) -> None:
    """Issue 16: each outlet has its names in English and Russian and a real time zone."""
    from zoneinfo import ZoneInfo

    from dragoman.names.outlets import outlet_by_key

    outlet = outlet_by_key(key)
    assert outlet is not None
    assert outlet.name and outlet.name_ru and outlet.name_ru != key
    assert ZoneInfo(outlet.timezone)


def test_english_sites_belong_to_their_outlet() -> None:
    """Issue 16: tass.com is TASS's English site, www.rt.com RT's; russian.rt.com is not an English site."""
    from dragoman.names.outlets import is_english_site

    tass = lookup_outlet("https://tass.com/politics/1234567")
    assert tass is not None and tass.key == "tass.ru"
    assert is_english_site(tass, "https://tass.com/politics/1234567")
    assert not is_english_site(tass, "https://tass.ru/politika/7999199")
    rt = lookup_outlet("https://www.rt.com/russia/580000-x/")
    assert rt is not None and is_english_site(rt, "https://www.rt.com/russia/580000-x/")
    assert not is_english_site(rt, "https://russian.rt.com/world/news/338712-x")


def test_english_sites_are_not_russian_hosts_for_warc_intake() -> None:
    """tass.com serves English: the WARC intake's list of Russian-language hosts does not take it in."""
    from dragoman.acquire.warc import default_hosts, host_listed

    hosts = default_hosts()
    assert host_listed("tass.ru", hosts)
    assert not host_listed("tass.com", hosts)


def test_one_english_rubric_for_the_translator_and_the_readers() -> None:
    """The translation's rubric when there is one, else the outlet table's, found by the record's outlet key or,
    without one, by its URL's registered domain (the subdomain of a record imported without an outlet key)."""
    from datetime import UTC, datetime

    from dragoman.article import Article, TranslatedSegment, Translation
    from dragoman.names.outlets import english_rubric, table_rubric

    keyless = Article(url="https://m.lenta.ru/news/1", title="Заголовок", rubric="Среда обитания")
    assert table_rubric(keyless) == english_rubric(keyless) == "Habitat"  # lenta.ru's own rubric, not generic
    assert english_rubric(Article(url="https://example.org/1", title="T", rubric="Среда обитания")) is None
    assert english_rubric(Article(url="https://lenta.ru/1", title="T")) is None
    keyless.translation = Translation(
        engine="e", model_id="m", translated_at=datetime(2022, 1, 1, tzinfo=UTC),
        title=TranslatedSegment(role="title", index=0, sentences=[]), rubric="Environment",
    )  # fmt: skip
    assert english_rubric(keyless) == "Environment" and table_rubric(keyless) == "Habitat"
