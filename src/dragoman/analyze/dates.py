"""Dates and counted quantities in Russian news, resolved against the publication date with a precision.

We find date expressions with patterns first and resolve only those spans: a general date parser run on
whole sentences reads ordinary words as weekdays or months. A date without a year takes the year that puts
it nearest the publication date (no more than ~2 months ahead): "12 января" in a January 2022 article is
2022-01-12, "в начале октября" is 2021-10, "с 1 ноября" is 2021-11-01.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

_MONTH_STEMS = [
    "январ",
    "феврал",
    "март",
    "апрел",
    "ма",
    "июн",
    "июл",
    "август",
    "сентябр",
    "октябр",
    "ноябр",
    "декабр",
]
_GEN = r"(?P<{n}>января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря)"
_PREP = r"(?P<{n}>январе|феврале|марте|апреле|мае|июне|июле|августе|сентябре|октябре|ноябре|декабре)"
_YEAR_TAIL = r"(?:\s+(?P<{n}>(?:1[6-9]|20)\d\d)(?:\s*(?:года|году|г\.?))?)?"
_PREFIX = r"(?P<prep>(?:[Сс]о?|[Дд]о|[Кк]о?|[Пп]осле|[Пп]о|[Нн]а|[Вв]о?|[Нн]ачиная\s+с|[Вв]плоть\s+до)\s+)?"
_WEEKDAYS = {"понедельник": 0, "вторник": 1, "среду": 2, "четверг": 3, "пятницу": 4, "субботу": 5, "воскресенье": 6}
_NUM_WORDS = {
    "один": 1,
    "одна": 1,
    "одного": 1,
    "одной": 1,
    "два": 2,
    "две": 2,
    "двух": 2,
    "двум": 2,
    "три": 3,
    "трех": 3,
    "трёх": 3,
    "четыре": 4,
    "четырех": 4,
    "четырёх": 4,
    "пять": 5,
    "пяти": 5,
    "шесть": 6,
    "шести": 6,
    "семь": 7,
    "семи": 7,
    "восемь": 8,
    "восьми": 8,
    "девять": 9,
    "девяти": 9,
    "десять": 10,
    "десяти": 10,
    "одиннадцать": 11,
    "двенадцать": 12,
    "пятнадцать": 15,
    "двадцать": 20,
    "двадцати": 20,
    "тридцать": 30,
    "сорок": 40,
    "пятьдесят": 50,
    "сто": 100,
    "ста": 100,
    "тысяча": 1000,
    "тысячи": 1000,
    "несколько": None,
    "нескольких": None,
    "десятки": None,
    "десятков": None,
    "сотни": None,
    "сотен": None,
}
_SCALE = {
    "тыс": 1_000,
    "тысяч": 1_000,
    "тысячи": 1_000,
    "млн": 1_000_000,
    "миллион": 1_000_000,
    "миллиона": 1_000_000,
    "миллионов": 1_000_000,
    "млрд": 1_000_000_000,
    "миллиард": 1_000_000_000,
    "миллиарда": 1_000_000_000,
    "миллиардов": 1_000_000_000,
    "трлн": 10**12,
}


def _p(template: str, *names: str) -> str:
    return template.format(**{"n": names[0]}) if names else template


PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("numeric", re.compile(_PREFIX + r"(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>(?:1[6-9]|20)\d\d)\b")),
    (
        "day_range",
        re.compile(
            _PREFIX + r"(?P<d1>\d{1,2})\s*(?:и|-|–|—|по)\s*(?P<d2>\d{1,2})\s+" + _p(_GEN, "mon") + _p(_YEAR_TAIL, "y")
        ),
    ),
    ("day", re.compile(_PREFIX + r"(?P<d>\d{1,2})(?:-?го)?\s+" + _p(_GEN, "mon") + _p(_YEAR_TAIL, "y"))),
    (
        "month_part",
        re.compile(
            _PREFIX
            + r"(?P<part>начале|начала|середине|середины|конце|конца|первой половине|второй половине)\s+"
            + _p(_GEN, "mon")
            + _p(_YEAR_TAIL, "y")
        ),
    ),
    ("month", re.compile(_PREFIX + _p(_PREP, "mon") + _p(_YEAR_TAIL, "y"))),
    (
        "month_gen",
        re.compile(r"(?P<prep>(?:[Сс]|[Дд]о|[Кк]|[Пп]осле|[Нн]ачиная\s+с)\s+)" + _p(_GEN, "mon") + _p(_YEAR_TAIL, "y")),
    ),
    (
        "season",
        re.compile(
            r"(?P<season>[Вв]есной|[Лл]етом|[Оо]сенью|[Зз]имой)(?:\s+(?P<rel>этого|прошлого|следующего)\s+года"
            r"|\s+(?P<y>(?:1[6-9]|20)\d\d)\s*(?:года|г\.?))?"
        ),
    ),
    ("decade", re.compile(_PREFIX + r"(?P<y>(?:1[6-9]|20)\d0)-(?:е|х|м|ые|ых)(?:\s+годы|\s+годах|\s+годов)?")),
    ("century", re.compile(_PREFIX + r"(?P<c>X{0,2}(?:IX|IV|V?I{0,3}))\s+(?:века|веке|век)\b")),
    (
        "year",
        re.compile(_PREFIX + r"(?P<y>(?:1[6-9]|20)\d\d)(?:\s*(?:года|году|год|г\.)|(?=\s*[-–—]\s*(?:1[6-9]|20)\d\d))"),
    ),
    ("year_bare", re.compile(r"(?P<prep>(?:[Вв]|[Сс]|[Дд]о|[Кк])\s+)(?P<y>(?:1[6-9]|20)\d\d)\b(?!\s*(?:год|г\.))")),
    (
        "relative_unit",
        re.compile(
            r"(?P<prep>[Вв]о?\s+|[Нн]а\s+)(?P<rel>этом|этой|прошлом|прошлой|следующем|следующей|текущем|текущей)\s+"
            r"(?P<unit>году|месяце|неделе)"
        ),
    ),
    (
        "relative_day",
        re.compile(r"(?<![\w-])(?P<word>[Сс]егодня|[Вв]чера|[Пп]озавчера|[Зз]автра|[Пп]ослезавтра|[Нн]акануне)\b"),
    ),
    (
        "weekday",
        re.compile(r"(?P<prep>[Вв]о?\s+)(?P<wd>понедельник|вторник|среду|четверг|пятницу|субботу|воскресенье)\b"),
    ),
]


@dataclass(slots=True)
class DateMention:
    sentence: int
    start: int  # offsets in the sentence
    stop: int
    text: str
    value: str | None  # ISO at its precision: 2022-01-12, 2021-10, 2018, 2022-W04
    precision: str  # day | week | month | season | year | decade | century
    kind: str  # absolute | partial (year inferred) | relative
    begin: str | None = None  # ISO date the expression starts
    end: str | None = None  # ISO date it ends (inclusive)
    modifier: str | None = None  # since | until | by | after | early | mid | late

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}  # type: ignore[attr-defined]


_MOD_OF_PREP = {
    "с": "since",
    "со": "since",
    "начиная с": "since",
    "до": "until",
    "вплоть до": "until",
    "к": "by",
    "ко": "by",
    "после": "after",
    "по": "until",
}
_MOD_OF_PART = {
    "начале": "early",
    "начала": "early",
    "середине": "mid",
    "середины": "mid",
    "конце": "late",
    "конца": "late",
    "первой половине": "first_half",
    "второй половине": "second_half",
}


def _month_number(word: str) -> int:
    word = word.lower()
    if word.startswith("ма") and len(word) <= 3:
        return 5
    for i, stem in enumerate(_MONTH_STEMS, 1):
        if stem != "ма" and word.startswith(stem):
            return i
    raise ValueError(word)


def _infer_year(month: int, day: int, published: date) -> int:
    """The year that puts month/day nearest the publication date, at most ~2 months ahead of it."""
    candidate = date(published.year, month, min(day, 28))
    if candidate - published > timedelta(days=62):
        return published.year - 1
    if published - candidate > timedelta(days=300):
        return published.year + 1
    return published.year


def _month_end(year: int, month: int) -> date:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return nxt - timedelta(days=1)


_ROMAN = {"I": 1, "V": 5, "X": 10}


def _roman(text: str) -> int:
    total = 0
    for i, ch in enumerate(text):
        v = _ROMAN[ch]
        total += -v if i + 1 < len(text) and _ROMAN[text[i + 1]] > v else v
    return total


def extract_dates(text: str, published: date | None, sentence: int = 0) -> list[DateMention]:
    """Date expressions in one sentence, resolved when ``published`` is known (partial ones need it)."""
    taken: list[tuple[int, int]] = []
    found: list[DateMention] = []
    for kind, pattern in PATTERNS:
        for m in pattern.finditer(text):
            start, stop = m.span()
            if any(a < stop and start < b for a, b in taken):
                continue
            if (start > 0 and text[start - 1].isalnum()) or (stop < len(text) and text[stop].isalnum()):
                continue  # inside a word: "мае" in "понимает"
            mention = _resolve(kind, m, published, sentence)
            if mention is None:
                continue
            taken.append((start, stop))
            found.append(mention)
    found.sort(key=lambda d: d.start)
    return _merge_weekday_with_date(found, text)


def _merge_weekday_with_date(found: list[DateMention], text: str) -> list[DateMention]:
    """ "в среду, 3 октября 2018 года" is one date: the weekday only restates the day."""
    out: list[DateMention] = []
    for d in found:
        if out and out[-1].precision == "day" and out[-1].kind == "relative" and d.precision == "day":
            prev = out[-1]
            if re.fullmatch(r",?\s*", text[prev.stop : d.start]):
                d.start, d.text = prev.start, text[prev.start : d.stop]
                out[-1] = d
                continue
        out.append(d)
    return out


def _prep_modifier(m: re.Match[str]) -> str | None:
    prep = (m.groupdict().get("prep") or "").strip().lower()
    return _MOD_OF_PREP.get(" ".join(prep.split()))


def _resolve(kind: str, m: re.Match[str], published: date | None, sentence: int) -> DateMention | None:
    g = m.groupdict()
    text = m.group(0).strip()
    start = m.start() + (len(m.group(0)) - len(m.group(0).lstrip()))
    dm = DateMention(sentence, start, start + len(text), text, None, "day", "absolute", modifier=_prep_modifier(m))
    try:
        if kind == "numeric":
            d = date(int(g["y"]), int(g["m"]), int(g["d"]))
            dm.value = dm.begin = dm.end = d.isoformat()
        elif kind in ("day", "day_range"):
            month = _month_number(g["mon"])
            day1 = int(g.get("d") or g["d1"])
            day2 = int(g.get("d2") or day1)
            if g.get("y"):
                year = int(g["y"])
            elif published is not None:
                year, dm.kind = _infer_year(month, day1, published), "partial"
            else:
                dm.kind, dm.precision = "partial", "day"
                return dm
            dm.begin = date(year, month, day1).isoformat()
            dm.end = date(year, month, day2).isoformat()
            dm.value = dm.begin if day1 == day2 else f"{dm.begin}/{dm.end}"
        elif kind in ("month", "month_part", "month_gen"):
            month = _month_number(g["mon"])
            dm.precision = "month"
            if g.get("part"):
                dm.modifier = _MOD_OF_PART[" ".join(g["part"].split())]
            if g.get("y"):
                year = int(g["y"])
            elif published is not None:
                year, dm.kind = _infer_year(month, 15, published), "partial"
            else:
                dm.kind = "partial"
                return dm
            dm.value = f"{year:04d}-{month:02d}"
            dm.begin, dm.end = date(year, month, 1).isoformat(), _month_end(year, month).isoformat()
        elif kind == "season":
            dm.precision = "season"
            season = g["season"].lower()
            year = int(g["y"]) if g.get("y") else None
            if year is None and published is not None:
                offset = {"этого": 0, "прошлого": -1, "следующего": 1}.get(g.get("rel") or "", 0)
                year = published.year + offset
                dm.kind = "relative" if g.get("rel") else "partial"
            if year is None:
                return dm
            months = {"весной": (3, 5), "летом": (6, 8), "осенью": (9, 11), "зимой": (12, 2)}[season]
            begin = date(year, months[0], 1)
            end_year = year + 1 if months[0] == 12 else year
            dm.begin, dm.end = begin.isoformat(), _month_end(end_year, months[1]).isoformat()
            dm.value = (
                f"{year}-{ {'весной': 'spring', 'летом': 'summer', 'осенью': 'autumn', 'зимой': 'winter'}[season] }"
            )
        elif kind == "decade":
            y = int(g["y"])
            dm.precision, dm.value = "decade", f"{y}s"
            dm.begin, dm.end = date(y, 1, 1).isoformat(), date(y + 9, 12, 31).isoformat()
        elif kind == "century":
            if not g.get("c"):
                return None
            c = _roman(g["c"])
            dm.precision, dm.value = "century", f"C{c}"
            dm.begin, dm.end = date((c - 1) * 100 + 1, 1, 1).isoformat(), date(c * 100, 12, 31).isoformat()
        elif kind in ("year", "year_bare"):
            y = int(g["y"])
            dm.precision, dm.value = "year", str(y)
            dm.begin, dm.end = date(y, 1, 1).isoformat(), date(y, 12, 31).isoformat()
        elif kind == "relative_unit":
            dm.kind = "relative"
            if published is None:
                dm.precision = {"году": "year", "месяце": "month", "неделе": "week"}[g["unit"]]
                return dm
            rel = g["rel"][:4]
            offset = {"этом": 0, "этой": 0, "теку": 0, "прош": -1, "след": 1}[rel]
            unit = g["unit"]
            if unit == "году":
                y = published.year + offset
                dm.precision, dm.value = "year", str(y)
                dm.begin, dm.end = date(y, 1, 1).isoformat(), date(y, 12, 31).isoformat()
            elif unit == "месяце":
                month_index = published.year * 12 + published.month - 1 + offset
                y, mth = divmod(month_index, 12)
                dm.precision, dm.value = "month", f"{y:04d}-{mth + 1:02d}"
                dm.begin, dm.end = date(y, mth + 1, 1).isoformat(), _month_end(y, mth + 1).isoformat()
            else:
                monday = published - timedelta(days=published.weekday()) + timedelta(weeks=offset)
                iso = monday.isocalendar()
                dm.precision, dm.value = "week", f"{iso[0]}-W{iso[1]:02d}"
                dm.begin, dm.end = monday.isoformat(), (monday + timedelta(days=6)).isoformat()
        elif kind == "relative_day":
            dm.kind = "relative"
            if published is None:
                return dm
            word = g["word"].lower()
            offset = {"сегодня": 0, "вчера": -1, "позавчера": -2, "завтра": 1, "послезавтра": 2, "накануне": -1}[word]
            d = published + timedelta(days=offset)
            dm.value = dm.begin = dm.end = d.isoformat()
        elif kind == "weekday":
            dm.kind = "relative"
            if published is None:
                return dm
            # News reports the past week: the latest such weekday not after publication.
            wd = _WEEKDAYS[g["wd"]]
            d = published - timedelta(days=(published.weekday() - wd) % 7)
            dm.value = dm.begin = dm.end = d.isoformat()
    except ValueError:
        return None
    return dm


_QUANTITY = re.compile(
    r"(?<![\w.,])(?P<num>\d+(?:[.,]\d+)?|"
    + "|".join(sorted((w for w in _NUM_WORDS), key=len, reverse=True))
    + r")(?:\s+(?P<scale>тыс\.?|тысяч[иа]?|млн|миллион(?:а|ов)?|млрд|миллиард(?:а|ов)?|трлн))?"
    r"\s+(?P<unit>(?:[а-яё]+\s+)?[а-яё]{3,})",
    re.IGNORECASE,
)
_UNIT_STOP = {
    "года",
    "году",
    "год",
    "лет",
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
    "часов",
    "часа",
    "минут",
    "века",
}


def extract_quantities(text: str, sentence: int, lemma_of: dict[int, tuple[str, str]]) -> list[dict[str, Any]]:
    """Counted things: "восемь сотрудников", "10 человек", "$2 млрд" -> value, unit lemma, text.

    ``lemma_of`` maps a character offset (in the sentence) to (lemma, pos) of the token starting there.
    """
    out: list[dict[str, Any]] = []
    for m in _QUANTITY.finditer(text):
        num = m.group("num").lower()
        if num.replace(",", "").replace(".", "").isdigit():
            try:
                value: float | None = float(num.replace(",", "."))
            except ValueError:
                continue
        else:
            value = _NUM_WORDS.get(num)
        scale = (m.group("scale") or "").rstrip(".").lower()
        if value is not None and scale:
            value *= _SCALE.get(scale, 1)
        words = m.group("unit").split()
        # the counted noun: the first noun among the next two words ("двух сотрудников", "10 новых танков")
        unit_lemma = None
        unit_start = m.start("unit")
        for w in words:
            lemma, pos = lemma_of.get(unit_start, (w.lower(), "X"))
            if pos == "NOUN":
                unit_lemma = lemma
                break
            unit_start += len(w) + 1
        if unit_lemma is None or words[-1].lower() in _UNIT_STOP or words[0].lower() in _UNIT_STOP:
            continue
        if value is not None and float(value).is_integer():
            value = int(value)
        stop = unit_start + len(unit_lemma) if False else m.end()
        out.append(
            {
                "sentence": sentence,
                "start": m.start(),
                "stop": stop,
                "text": text[m.start() : stop],
                "value": value,
                "unit": unit_lemma,
            }
        )
    return out
