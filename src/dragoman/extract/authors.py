"""Authors are people: agencies, photo credits, section names, emails and URLs are not."""

from __future__ import annotations

import re
from collections.abc import Iterable

# Wire agencies as credited in Russian text, mapped to the name we record in ``Article.agency``.
AGENCIES: dict[str, str] = {
    "тасс": "ТАСС",
    "итар-тасс": "ТАСС",
    "tass": "ТАСС",
    "риа новости": "РИА Новости",
    "риа": "РИА Новости",
    "ria novosti": "РИА Новости",
    "интерфакс": "Интерфакс",
    "interfax": "Интерфакс",
    "interfax.ru": "Интерфакс",
    "прайм": "ПРАЙМ",
    "рбк": "РБК",
    "regnum": "REGNUM",
    "регнум": "REGNUM",
    "ура.ру": "URA.RU",
    "ura.ru": "URA.RU",
    "укринформ": "Укринформ",
    "унн": "УНН",
    "казинформ": "Казинформ",
    "reuters": "Reuters",
    "рейтер": "Reuters",
    "рейтерс": "Reuters",
    "ap": "AP",
    "associated press": "AP",
    "afp": "AFP",
    "франс пресс": "AFP",
    "bloomberg": "Bloomberg",
    "синьхуа": "Синьхуа",
    "белта": "БелТА",
}

# Words that mark a credit line or a byline that is not a person.
_NOT_PEOPLE = re.compile(
    r"(?i)^(?:редакци|редактор сайта|автор не указан|пресс-служб|пресс-центр|корреспондент|собкор|"
    r"служба новостей|отдел|новости|коммерсант|известия|газета|журнал|телеканал|радио|сайт|портал|"
    r"информационн|агентств|staff|editor|admin|newsroom|guest|anonymous|unknown)"
)
# Words that occur in names of outlets and organisations, never in a person's name.
_ORGANISATION_WORDS = frozenset(
    {
        "комсомолец", "комсомольская", "правда", "известия", "коммерсантъ", "коммерсант", "газета", "газеты",
        "ведомости", "новости", "вести", "агентство", "редакция", "сайт", "онлайн", "журнал", "радио", "тв",
        "медиа", "пресс-служба", "информбюро", "телеграм-канал", "media", "news", "online", "agency", "press",
        "magazine", "group", "staff", "team",
    }
)  # fmt: skip
_CREDIT_PREFIX = re.compile(
    r"(?i)^\s*(?:фото|фотография|видео|иллюстрация|инфографика|графика|скриншот|коллаж|источник|photo|"
    r"image|getty)\b\s*[:\-—–]?"
)
_BYLINE_PREFIX = re.compile(r"(?i)^\s*(?:автор(?:ы)?|текст|материал подготовил[аи]?|by|от)\s*[:\-—–]?\s+")
_SPLIT = re.compile(r"\s*(?:,|;|\||/|&|\s+и\s+|\s+and\s+)\s*")
_NAME_WORD = re.compile(
    r"^(?:[A-ZА-ЯЁ][a-zа-яё'’\-]+|[A-ZА-ЯЁ]\.(?:[A-ZА-ЯЁ]\.)?|[A-ZА-ЯЁ][a-zа-яё]+-[A-ZА-ЯЁ][a-zа-яё]+)$"
)
_PARTICLES = frozenset(
    {"de", "van", "von", "der", "la", "le", "di", "da", "bin", "ibn", "оглы", "кызы", "фон", "ван", "де"}
)


def agency_name(text: str | None) -> str | None:
    """The wire agency ``text`` names ("ТАСС", "РИА Новости" ...), or None."""
    if not text:
        return None
    key = " ".join(text.strip().strip("/()«»\"'.").split()).casefold()
    return AGENCIES.get(key)


def is_person_name(text: str) -> bool:
    """A person's name: two to four capitalised words or initials, no digits, no @ or URL."""
    if not text or len(text) > 60 or any(ch.isdigit() for ch in text) or "@" in text or "://" in text:
        return False
    if _NOT_PEOPLE.match(text) or agency_name(text):
        return False
    words = text.split()
    if not 2 <= len(words) <= 4:
        return False
    if any(w.casefold().strip("«»\"'") in _ORGANISATION_WORDS for w in words):
        return False
    name_words = [w for w in words if w.lower() not in _PARTICLES]
    return len(name_words) >= 2 and all(_NAME_WORD.match(w) for w in name_words)


def split_authors(raw: str) -> list[str]:
    """Split a byline such as "Екатерина Постникова, Татьяна Байкова" or "Иван Петров и Анна Сидорова".

    Without a separator, four or six capitalized name words are two or three "first last" names: how the
    users' old tools wrote a byline ("Иван Петров Анна Сидорова"), and never one person's name.
    """
    raw = _BYLINE_PREFIX.sub("", " ".join(raw.split()))
    parts = [part.strip(" .:-—–") for part in _SPLIT.split(raw) if part.strip(" .:-—–")]
    if len(parts) == 1:
        words = parts[0].split()
        if len(words) in (4, 6) and all(_NAME_WORD.match(w) and w.lower() not in _PARTICLES for w in words):
            return [" ".join(words[i : i + 2]) for i in range(0, len(words), 2)]
    return parts


def clean_authors(candidates: Iterable[str], exclude: Iterable[str] = ()) -> tuple[list[str], str | None]:
    """People among the byline candidates, in order and without duplicates, plus an agency if credited.

    ``exclude``: names that are not people on this page (the outlet's own name as its site states it).
    """
    people: list[str] = []
    seen: set[str] = {name.casefold() for name in exclude if name}
    agency: str | None = None
    for raw in candidates:
        if not raw or _CREDIT_PREFIX.match(raw):
            continue
        for part in split_authors(raw):
            found_agency = agency_name(part)
            if found_agency:
                agency = agency or found_agency
                continue
            if is_person_name(part) and part.casefold() not in seen:
                seen.add(part.casefold())
                people.append(part)
    return people, agency
