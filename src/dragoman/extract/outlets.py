"""Outlets as data: display names, time zones and rubric names from ``data/outlets.toml``."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from ipaddress import ip_address
from urllib.parse import urlsplit

from publicsuffixlist import PublicSuffixList


@dataclass(frozen=True, slots=True)
class Outlet:
    key: str  # registered domain, e.g. "iz.ru"
    name: str  # display name in English
    language: str
    timezone: str  # IANA zone
    federal: bool = False
    aliases: tuple[str, ...] = ()
    rubrics: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Table:
    outlets: dict[str, Outlet]
    by_domain: dict[str, Outlet]
    generic_rubrics: dict[str, str]


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
        )
        outlets[key] = outlet
        for domain in (key, *outlet.aliases):
            by_domain[domain] = outlet
    return _Table(outlets=outlets, by_domain=by_domain, generic_rubrics=generic)


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
