"""Outlets as data: names, time zones, rubric names, URL sections and English sites from ``data/outlets.toml``.

The table is read by the extractor (which outlet a page is from, its rubric), the translate stage (the
outlet's and the rubric's English names: from this table, never from the model) and the readers (search,
web, exports): it lives below all of them, with the other names.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from ipaddress import ip_address
from urllib.parse import urlsplit

from publicsuffixlist import PublicSuffixList

from dragoman.article import Article
from dragoman.names.translit import transliterate


@dataclass(frozen=True, slots=True)
class Outlet:
    key: str  # registered domain, e.g. "iz.ru"
    name: str  # display name in English
    language: str
    timezone: str  # IANA zone
    federal: bool = False
    aliases: tuple[str, ...] = ()
    rubrics: dict[str, str] = field(default_factory=dict)
    name_ru: str = ""
    english_domains: tuple[str, ...] = ()  # hosts where the outlet publishes in English (tass.com)
    sections: dict[str, str] = field(default_factory=dict)  # URL path prefix (or host + prefix) -> rubric
    names_ru: tuple[str, ...] = ()  # other Russian names the outlet goes by in text («Ъ» for Kommersant)


@dataclass(frozen=True, slots=True)
class _Table:
    outlets: dict[str, Outlet]
    by_domain: dict[str, Outlet]
    generic_rubrics: dict[str, str]
    not_rubrics: frozenset[str]
    machine_rubrics: dict[str, str]  # a machine's word-for-word English rubric -> the Russian rubric it renders


@lru_cache(maxsize=1)
def _table() -> _Table:
    raw = tomllib.loads(resources.files("dragoman").joinpath("data/outlets.toml").read_text("utf-8"))
    generic = {_rubric_key(k): v for k, v in raw.get("generic_rubrics", {}).items()}
    outlets: dict[str, Outlet] = {}
    by_domain: dict[str, Outlet] = {}
    for key, entry in raw.get("outlets", {}).items():
        outlet = Outlet(
            key=key,
            name=entry["name"],
            language=entry.get("language", "ru"),
            timezone=entry.get("timezone", "Europe/Moscow"),
            federal=bool(entry.get("federal", False)),
            aliases=tuple(entry.get("aliases", ())),
            rubrics={_rubric_key(k): v for k, v in entry.get("rubrics", {}).items()},
            name_ru=entry.get("name_ru", ""),
            english_domains=tuple(entry.get("english_domains", ())),
            sections=dict(entry.get("sections", {})),
            names_ru=tuple(entry.get("names_ru", ())),
        )
        outlets[key] = outlet
        for domain in (key, *outlet.aliases, *outlet.english_domains):
            by_domain[domain] = outlet
    not_rubrics = frozenset(_rubric_key(r) for r in raw.get("not_rubrics", ()))
    machine = {_rubric_key(k): v for k, v in raw.get("machine_rubrics", {}).items()}
    return _Table(
        outlets=outlets, by_domain=by_domain, generic_rubrics=generic, not_rubrics=not_rubrics, machine_rubrics=machine
    )


def _rubric_key(rubric: str) -> str:
    return " ".join(rubric.replace("ё", "е").replace("Ё", "Е").split()).casefold()


def hostname(url: str) -> str:
    """Lower-case host of ``url`` without port, ``www.`` or ``m.``; empty when there is none."""
    try:
        host = (urlsplit(url.strip()).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""
    for prefix in ("www.", "m.", "amp."):
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix) :]
    return host


@lru_cache(maxsize=1)
def _public_suffixes() -> PublicSuffixList:
    # The Public Suffix List as shipped inside the package: nothing is fetched at run time.
    return PublicSuffixList()


def registered_domain(url: str) -> str | None:
    """The registered domain of ``url`` ("oren.mk.ru" -> "mk.ru", "www.unn.com.ua" -> "unn.com.ua").

    Public-suffix aware (the Public Suffix List, private section included): "a.github.io" and "b.github.io"
    are different sites. An IP address is its own domain; a host that is itself a public suffix is returned
    as it is.
    """
    host = hostname(url)
    if not host:
        return None
    try:
        ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        return host
    return _public_suffixes().privatesuffix(host) or host


def same_site(url: str, other: str) -> bool:
    """True when both URLs are on one registered domain, or on domains the outlet table gives one outlet.

    What lets a page name another URL as its canonical address: a page may speak for its own site only.
    """
    domain = registered_domain(url)
    if domain is not None and domain == registered_domain(other):
        return True
    outlet = lookup_outlet(url)
    return outlet is not None and outlet == lookup_outlet(other)


def lookup_outlet(url: str) -> Outlet | None:
    """The outlet serving ``url``, matching the host and then each parent domain."""
    host = hostname(url)
    if not host:
        return None
    by_domain = _table().by_domain
    labels = host.split(".")
    for start in range(len(labels) - 1):
        outlet = by_domain.get(".".join(labels[start:]))
        if outlet is not None:
            return outlet
    return None


def outlet_by_key(key: str) -> Outlet | None:
    return _table().outlets.get(key)


def outlet_named(russian: str) -> Outlet | None:
    """The outlet a Russian text names («Коммерсантъ», «Ъ», «Известия»), by its Russian names; None if none."""
    wanted = " ".join(russian.strip(' «»"').split()).casefold()
    if not wanted:
        return None
    for outlet in _table().outlets.values():
        if any(wanted == name.casefold() for name in (outlet.name_ru, *outlet.names_ru) if name):
            return outlet
    return None


def translate_rubric(outlet_key: str | None, russian_rubric: str | None) -> str | None:
    """English name of a rubric as the outlet's table (then the generic table) gives it; None if unknown.

    Rubrics are translated from the table, never by a model: «Мир» at Izvestia is "World", not "Peace".
    """
    if not russian_rubric:
        return None
    table = _table()
    key = _rubric_key(russian_rubric)
    outlet = table.outlets.get(outlet_key or "") or table.by_domain.get(outlet_key or "")
    if outlet is not None and key in outlet.rubrics:
        return outlet.rubrics[key]
    return table.generic_rubrics.get(key)


def english_rubric_of_machine_rendering(outlet_key: str | None, english: str | None) -> str | None:
    """The outlet's English rubric for a machine's word-for-word rendering of its Russian name ("Peace" for
    Izvestia's «Мир» is "World"); None when the rendering is not a known one for this outlet."""
    if not english:
        return None
    russian = _table().machine_rubrics.get(_rubric_key(english))
    return translate_rubric(outlet_key, russian) if russian else None


def is_generic_section(name: str) -> bool:
    """True for a section name that says nothing about the subject (RIA's «Новости», "Главное")."""
    return _rubric_key(name) in _table().not_rubrics


def section_from_url(outlet: Outlet | None, url: str) -> str | None:
    """The rubric the outlet's URL section stands for ("rbc.ru/politics/..." -> «Политика»); None if unlisted.

    A key with a host ("tass.com/politics/") applies to that host only; a bare path ("/politics/") to the
    outlet's Russian hosts, not to its English sites.
    """
    if outlet is None or not outlet.sections:
        return None
    host = hostname(url)
    try:
        path = urlsplit(url.strip()).path or "/"
    except ValueError:
        return None
    if not path.endswith("/"):
        path += "/"
    english_host = host in outlet.english_domains

    def applies(prefix: str) -> bool:
        if prefix.startswith("/"):  # a bare path: the outlet's Russian hosts
            return not english_host and path.startswith(prefix)
        return f"{host}{path}".startswith(prefix)

    matches = [prefix for prefix in outlet.sections if applies(prefix)]
    # The longest prefix is the most specific section (aif.ru/politics/world/ is «В мире», not «Политика»).
    return outlet.sections[max(matches, key=len)] if matches else None


def is_english_site(outlet: Outlet | None, url: str) -> bool:
    """True when ``url`` is on one of the outlet's English-language sites (tass.com for TASS)."""
    return outlet is not None and hostname(url) in outlet.english_domains


def table_rubric(article: Article) -> str | None:
    """The article's rubric in English as the outlet table gives it (never a model); None when unknown.

    The outlet is the record's outlet key, else the URL's registered domain (a record imported without an
    outlet key still finds its outlet's rubric names).
    """
    if not article.rubric:
        return None
    return translate_rubric(article.outlet or registered_domain(article.url), article.rubric)


def english_rubric(article: Article) -> str | None:
    """The rubric in English as readers show it: the translation's (set from the table when it was
    translated), else the outlet table's; None when unknown."""
    if article.translation is not None and article.translation.rubric:
        return article.translation.rubric
    return table_rubric(article)


def english_outlet_name(article: Article) -> str | None:
    """The outlet's English name: the table's, else the record's own name transliterated; None when unknown."""
    outlet = (outlet_by_key(article.outlet) if article.outlet else None) or lookup_outlet(article.url)
    if outlet is not None:
        return outlet.name
    if article.outlet_name:
        return transliterate(article.outlet_name)
    return None
