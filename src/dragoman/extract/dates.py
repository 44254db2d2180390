"""Publication times: parse what pages state, keep the stated offset, localise bare local times."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

MOSCOW = "Europe/Moscow"

_MONTHS = {
    "январ": 1, "феврал": 2, "март": 3, "апрел": 4, "ма": 5, "июн": 6,
    "июл": 7, "август": 8, "сентябр": 9, "октябр": 10, "ноябр": 11, "декабр": 12,
    "янв": 1, "фев": 2, "мар": 3, "апр": 4, "авг": 8, "сен": 9, "сент": 9, "окт": 10, "ноя": 11, "дек": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11,
    "dec": 12,
}  # fmt: skip

_ISO = re.compile(
    r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[T\s]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<F>\d+))?)?)?"
    r"\s*(?P<tz>Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?",
    re.IGNORECASE,
)
_DOTTED = re.compile(
    r"(?<!\d)(?P<d>\d{1,2})[./](?P<m>\d{1,2})[./](?P<y>\d{4})(?:[,\s|]+(?:в\s+)?(?P<H>\d{1,2}):(?P<M>\d{2}))?"
)
_WORDS = re.compile(
    r"(?<!\d)(?P<d>\d{1,2})\s+(?P<mon>[А-Яа-яёA-Za-z]{3,9})\.?,?\s+(?P<y>\d{4})(?:\s*(?:г\.|года))?"
    r"(?:[,\s|]+(?:в\s+)?(?P<H>\d{1,2}):(?P<M>\d{2}))?",
)
_TIME_FIRST = re.compile(
    r"(?P<H>\d{1,2}):(?P<M>\d{2})[,\s|]+(?P<d>\d{1,2})[./\s](?P<m>\d{1,2}|[А-Яа-яёA-Za-z]{3,9})\.?[./\s,]+(?P<y>\d{4})"
)
_URL_DATE = re.compile(r"/(?P<y>(?:19|20)\d{2})[/-](?P<m>[01]?\d)[/-](?P<d>[0-3]?\d)(?:/|[-_]|\b)")
# rbc.ru puts the day first: /economics/03/07/2023/649ea4cc... (the dev-set page 09-rbc).
_URL_DATE_DAY_FIRST = re.compile(r"/(?P<d>[0-3]\d)/(?P<m>[01]\d)/(?P<y>(?:19|20)\d{2})/")
# ria.ru packs it into one segment: ria.ru/20190926/1559066091.html (URLs as public code cites them).
_URL_DATE_COMPACT = re.compile(r"/(?P<y>(?:19|20)\d{2})(?P<m>[01]\d)(?P<d>[0-3]\d)/")
_TIME_OF_DAY = re.compile(r"(?<![\d:])(?P<H>[01]?\d|2[0-3]):(?P<M>[0-5]\d)(?![\d:])")
_UPDATE_LABEL = re.compile(r"(?i)обновл|изменен|updated|modified")
_NUMBER = re.compile(r"(?<![\d:.])\d{1,4}(?![\d:])")


@dataclass(frozen=True, slots=True)
class ParsedTime:
    """A time as a page states it: naive when the page gave no offset, aware when it did."""

    value: datetime
    has_time: bool = True

    @property
    def has_offset(self) -> bool:
        return self.value.tzinfo is not None


def _month(word: str) -> int | None:
    word = word.lower().rstrip(".")
    if word.isdigit():
        return int(word)
    for length in (7, 6, 5, 4, 3, 2):
        number = _MONTHS.get(word[:length])
        if number is not None and (length > 2 or word in ("мая", "май")):
            return number
    return None


def _offset(tz: str | None) -> timezone | None:
    if not tz:
        return None
    tz = tz.upper()
    if tz in ("Z", "UTC", "GMT"):
        return UTC
    sign = -1 if tz[0] == "-" else 1
    digits = tz[1:].replace(":", "")
    hours = int(digits[:2])
    minutes = int(digits[2:4]) if len(digits) >= 4 else 0
    if hours > 14 or minutes >= 60:
        return None
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _build(y: str, m: int | None, d: str, hh: str | None, mm: str | None, ss: str | None = None) -> datetime | None:
    if m is None:
        return None
    try:
        return datetime(int(y), m, int(d), int(hh or 0), int(mm or 0), int(ss or 0))
    except ValueError:
        return None


def parse_datetime(text: str | None) -> ParsedTime | None:
    """Parse an ISO 8601, dotted (26.01.2022 00:01) or Russian worded date ("26 января 2022, 00:01")."""
    if not text:
        return None
    text = " ".join(str(text).split())[:200]
    if not text:
        return None
    if text.isdigit() and len(text) in (10, 13):  # unix timestamp (seconds or milliseconds)
        seconds = int(text) / (1000 if len(text) == 13 else 1)
        try:
            return ParsedTime(datetime.fromtimestamp(seconds, UTC))
        except (OverflowError, OSError, ValueError):
            return None
    match = _ISO.search(text)
    if match:
        value = _build(match["y"], int(match["m"]), match["d"], match["H"], match["M"], match["S"])
        if value is not None and match["F"]:
            value = value.replace(microsecond=int(match["F"][:6].ljust(6, "0")))
        if value is not None:
            offset = _offset(match["tz"]) if match["H"] else None
            return ParsedTime(value.replace(tzinfo=offset) if offset else value, has_time=bool(match["H"]))
    match = _TIME_FIRST.search(text)
    if match:
        value = _build(match["y"], _month(match["m"]), match["d"], match["H"], match["M"])
        if value is not None:
            return ParsedTime(value)
    for pattern in (_WORDS, _DOTTED):
        match = pattern.search(text)
        if match:
            month = _month(match["mon"]) if "mon" in match.groupdict() else int(match["m"])
            value = _build(match["y"], month, match["d"], match["H"], match["M"])
            if value is not None:
                return ParsedTime(value, has_time=bool(match["H"]))
    return None


def date_from_url(url: str) -> ParsedTime | None:
    """A date in the URL path (/2020/09/23/, rbc.ru's /03/07/2023/, ria.ru's /20220611/), day precision."""
    for pattern in (_URL_DATE, _URL_DATE_DAY_FIRST, _URL_DATE_COMPACT):
        match = pattern.search(url or "")
        if match:
            value = _build(match["y"], int(match["m"]), match["d"], None, None)
            if value is not None:
                return ParsedTime(value, has_time=False)
    return None


def time_on_day(text: str, day: datetime) -> ParsedTime | None:
    """``day`` at the time of day a header shows ("13:43", "15 авг, 13:43") when nothing in it names another day.

    For a page whose only machine-readable date is in its URL: the header's time completes it. A header
    that names a different day of the month (or any year) is not this day's stamp.
    """
    text = " ".join(text.split())
    match = _TIME_OF_DAY.search(text)
    if match is None or len(text) > 60 or _UPDATE_LABEL.search(text) or parse_datetime(text) is not None:
        return None  # an update time is not the publication's; a full date is read by parse_datetime
    numbers = [int(n) for n in _NUMBER.findall(text[: match.start()] + " " + text[match.end() :])]
    if any(n > 31 for n in numbers) or any(n != day.day for n in numbers):
        return None
    return ParsedTime(day.replace(hour=int(match["H"]), minute=int(match["M"])))


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return None


def zone_for_offset(offset: timedelta) -> str:
    """An IANA name for a fixed offset ("Etc/GMT-5" is UTC+5: the Etc zones invert the sign)."""
    if offset == timedelta(0):
        return "UTC"
    seconds = int(offset.total_seconds())
    if seconds % 3600:
        return "UTC"
    hours = seconds // 3600
    return f"Etc/GMT{'-' if hours > 0 else '+'}{abs(hours)}"


def localize(parsed: ParsedTime, outlet_zone: str | None) -> tuple[datetime, str | None]:
    """Return (UTC time, IANA zone for display) for a parsed page time.

    A stated offset is kept: the zone is the outlet's when it gives the same offset at that instant
    (or the page wrote UTC), else a fixed-offset zone. A bare local time is read in the outlet's zone;
    with no outlet zone it is taken as UTC and no zone is claimed.
    """
    value = parsed.value
    zone = _zone(outlet_zone) if outlet_zone else None
    if value.tzinfo is not None:
        offset = value.utcoffset() or timedelta(0)
        utc_value = value.astimezone(UTC)
        if zone is not None and (offset == timedelta(0) or utc_value.astimezone(zone).utcoffset() == offset):
            return utc_value, outlet_zone
        return utc_value, zone_for_offset(offset) if offset else "UTC"
    if zone is not None:
        return value.replace(tzinfo=zone).astimezone(UTC), outlet_zone
    return value.replace(tzinfo=UTC), None


def plausible(value: datetime, *, now: datetime | None = None) -> bool:
    """Reject dates before the web or more than two days in the future."""
    now = now or datetime.now(UTC)
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return date(1995, 1, 1) <= aware.date() and aware <= now + timedelta(days=2)
