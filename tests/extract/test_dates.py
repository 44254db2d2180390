"""Publication times: stated offsets kept, local times read in the outlet's zone, Russian month names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from dragoman.article import RawPage
from dragoman.extract.dates import date_from_url, localize, parse_datetime, plausible, zone_for_offset
from dragoman.extract.extractor import page_publication_time


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "2025-05-14T20:28:12.467+03:00",
            datetime(2025, 5, 14, 20, 28, 12, 467000, tzinfo=timezone(timedelta(hours=3))),
        ),
        ("2019-11-01T00:32:00Z", datetime(2019, 11, 1, 0, 32, tzinfo=UTC)),
        ("2020-01-13T17:04:34+0300", datetime(2020, 1, 13, 17, 4, 34, tzinfo=timezone(timedelta(hours=3)))),
        ("2020-12-03 18:47", datetime(2020, 12, 3, 18, 47)),
        ("26 января 2022, 00:01", datetime(2022, 1, 26, 0, 1)),
        ("3 мая 2021 в 12:30", datetime(2021, 5, 3, 12, 30)),
        ("14.05.2025, 20:28", datetime(2025, 5, 14, 20, 28)),
        ("20:28 14.05.2025", datetime(2025, 5, 14, 20, 28)),
        ("1 марта 2020 г.", datetime(2020, 3, 1)),
        ("01 Nov 2019, 00:32", datetime(2019, 11, 1, 0, 32)),
        ("1572568320", datetime(2019, 11, 1, 0, 32, tzinfo=UTC)),
    ],
)
def test_parse_datetime(text: str, expected: datetime) -> None:
    parsed = parse_datetime(text)
    assert parsed is not None
    assert parsed.value == expected
    assert parsed.has_offset == (expected.tzinfo is not None)


@pytest.mark.parametrize("text", ["", "сегодня", "32 января 2022", "2022-13-01", "no date here"])
def test_parse_datetime_rejects(text: str) -> None:
    assert parse_datetime(text) is None


def test_date_only_is_marked() -> None:
    parsed = parse_datetime("2020-09-23")
    assert parsed is not None and not parsed.has_time


def test_local_time_is_read_in_the_outlet_zone() -> None:
    # Izvestia's "26 января 2022, 00:01" is Moscow time: 21:01 UTC the day before.
    parsed = parse_datetime("26 января 2022, 00:01")
    assert parsed is not None
    when, zone = localize(parsed, "Europe/Moscow")
    assert when == datetime(2022, 1, 25, 21, 1, tzinfo=UTC)
    assert zone == "Europe/Moscow"


def test_stated_offset_is_kept_and_mapped_to_the_outlet_zone_when_consistent() -> None:
    parsed = parse_datetime("2026-01-08T17:46:00+02:00")
    assert parsed is not None
    when, zone = localize(parsed, "Europe/Kyiv")
    assert when == datetime(2026, 1, 8, 15, 46, tzinfo=UTC)
    assert zone == "Europe/Kyiv"


def test_inconsistent_offset_gets_a_fixed_offset_zone() -> None:
    # A Moscow outlet's regional page stating +05:00 (Orenburg) is not Moscow time.
    parsed = parse_datetime("2020-02-18T10:46:51+05:00")
    assert parsed is not None
    when, zone = localize(parsed, "Europe/Moscow")
    assert when == datetime(2020, 2, 18, 5, 46, 51, tzinfo=UTC)
    assert zone == "Etc/GMT-5"
    assert zone_for_offset(timedelta(hours=-4)) == "Etc/GMT+4"


def test_utc_time_keeps_the_outlet_zone_for_display() -> None:
    parsed = parse_datetime("2019-11-01T00:32:00+00:00")
    assert parsed is not None
    assert localize(parsed, "Europe/Moscow") == (datetime(2019, 11, 1, 0, 32, tzinfo=UTC), "Europe/Moscow")


def test_no_zone_known_means_utc_and_no_claimed_zone() -> None:
    parsed = parse_datetime("2020-12-03 18:47")
    assert parsed is not None
    assert localize(parsed, None) == (datetime(2020, 12, 3, 18, 47, tzinfo=UTC), None)


def test_date_from_url() -> None:
    parsed = date_from_url("https://www.mk.ru/politics/2020/09/23/prichinoy.html")
    assert parsed is not None and parsed.value == datetime(2020, 9, 23) and not parsed.has_time
    assert date_from_url("https://tass.ru/moskva/8836033") is None


def test_plausible() -> None:
    now = datetime(2026, 11, 26, tzinfo=UTC)
    assert plausible(datetime(2020, 1, 1, tzinfo=UTC), now=now)
    assert not plausible(datetime(1970, 1, 1, tzinfo=UTC), now=now)
    assert not plausible(datetime(2030, 1, 1, tzinfo=UTC), now=now)


def test_htmldate_eval_dates_right_to_the_day(htmldate_pages: list[tuple[str, bytes, str]]) -> None:
    """htmldate's 10 Russian-language pages: the local publication date matches on at least 9."""
    right = []
    for url, body, gold in htmldate_pages:
        when, zone = page_publication_time(RawPage(url=url, body=body))
        assert when is not None, url
        local = when.astimezone(ZoneInfo(zone)) if zone else when
        if local.date().isoformat() == gold:
            right.append(url)
    assert len(right) >= 9, f"only {len(right)}/10 right: {sorted(set(u for u, _, _ in htmldate_pages) - set(right))}"


_PROSE = "".join(
    f"<p>Совет Федерации одобрил закон о поддержке малого бизнеса, абзац номер {i}, сообщили в пресс-службе.</p>"
    for i in range(6)
)


def test_old_rbc_page_without_a_machine_readable_date_takes_its_url_date_and_header_time() -> None:
    """Issue 16: no stamp in the markup; the sidebar's date five months off the URL is not taken.

    rbc.ru URLs carry the day first (/politics/15/08/2016/...); the header shows "15 авг, 13:43" without a year.
    """
    page = (
        "<html><head><title>Совфед одобрил закон</title></head><body>"
        "<div class='article__header'><span class='article__header__date'>15 авг, 13:43</span></div>"
        f"<div class='article__text'>{_PROSE}</div>"
        "<div class='news-feed'><span class='news-feed__item__date'>10 марта 2016, 09:00</span>"
        "<a href='/politics/10/03/2016/x'>Другая новость</a></div></body></html>"
    )
    when, zone = page_publication_time(
        RawPage(url="https://www.rbc.ru/politics/15/08/2016/57b1a2b39a79471c1ae4f0f5", body=page.encode())
    )
    assert zone == "Europe/Moscow"
    assert when == datetime(2016, 8, 15, 13, 43, tzinfo=ZoneInfo("Europe/Moscow"))


def test_lone_stamp_far_from_the_url_date_needs_corroboration() -> None:
    """Issue 16: a stamp more than a day from the URL's date is suspect; two stamps agreeing on it are believed."""
    url = "https://lenta.ru/articles/2018/05/12/longread/"
    header = "<div class='topic-header'><a class='topic-header__time'>00:04, 12 мая 2018</a></div>"
    lone = "<meta property='article:published_time' content='2018-01-03T10:00:00+03:00'>"
    page = f"<html><head><title>Лонгрид</title>{lone}</head><body>{header}{_PROSE}</body></html>"
    when, _ = page_publication_time(RawPage(url=url, body=page.encode()))
    assert when == datetime(2018, 5, 12, 0, 4, tzinfo=ZoneInfo("Europe/Moscow"))

    both = (
        lone + '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Лонгрид",'
        ' "datePublished": "2018-01-03T10:00:00+03:00"}</script>'
    )
    page = f"<html><head><title>Лонгрид</title>{both}</head><body>{header}{_PROSE}</body></html>"
    when, _ = page_publication_time(RawPage(url=url, body=page.encode()))
    assert when == datetime(2018, 1, 3, 10, 0, tzinfo=ZoneInfo("Europe/Moscow"))


@pytest.mark.parametrize(
    ("url", "day"),
    [
        ("https://www.rbc.ru/economics/03/07/2023/649ea4cc9a7947b29e9db05a", datetime(2023, 7, 3)),
        ("https://ria.ru/20220611/kredity-1794000000.html", datetime(2022, 6, 11)),
        ("https://lenta.ru/news/2023/07/04/aeroport/", datetime(2023, 7, 4)),
    ],
)
def test_url_dates_of_the_outlets(url: str, day: datetime) -> None:
    parsed = date_from_url(url)
    assert parsed is not None and parsed.value == day
