"""The sources file: which outlets to watch and through which feeds (TOML, see data/sources.toml)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from dragoman.errors import ConfigError

FEED_KINDS = ("rss", "news_sitemap", "sitemap")


@dataclass(frozen=True, slots=True)
class FeedSource:
    url: str
    kind: str  # rss | news_sitemap | sitemap
    outlet: str | None = None  # outlet key, e.g. "iz.ru"


@dataclass(frozen=True, slots=True)
class OutletSource:
    key: str
    name: str
    feeds: tuple[FeedSource, ...] = field(default_factory=tuple)


def default_sources_text() -> str:
    return resources.files("dragoman").joinpath("data/sources.toml").read_text("utf-8")


def load_sources(path: str | Path | None = None) -> list[OutletSource]:
    """Outlets from ``path`` (or the shipped default); ConfigError names the file and the bad entry."""
    name = str(path) if path else "the default sources file"
    try:
        text = Path(path).read_text(encoding="utf-8") if path else default_sources_text()
    except OSError as exc:
        raise ConfigError(f"cannot read sources file {name}: {exc.strerror or exc}") from exc
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"sources file {name} is not valid TOML: {exc}") from exc
    entries = raw.get("outlet", [])
    if not isinstance(entries, list):
        raise ConfigError(f"sources file {name}: [[outlet]] entries expected")
    outlets: list[OutletSource] = []
    for number, entry in enumerate(entries, start=1):
        key = str(entry.get("key") or "").strip()
        if not key:
            raise ConfigError(f"sources file {name}: outlet #{number} has no key (its domain, e.g. iz.ru)")
        feeds: list[FeedSource] = []
        for kind in FEED_KINDS:
            urls = entry.get(kind, [])
            if isinstance(urls, str):
                urls = [urls]
            for url in urls:
                if urlsplit(str(url)).scheme not in ("http", "https"):
                    raise ConfigError(f"sources file {name}: outlet {key}: {url!r} is not an http(s) URL")
                feeds.append(FeedSource(url=str(url), kind=kind, outlet=key))
        unknown = set(entry) - {"key", "name", *FEED_KINDS}
        if unknown:
            raise ConfigError(f"sources file {name}: outlet {key}: unknown keys {sorted(unknown)}")
        outlets.append(OutletSource(key=key, name=str(entry.get("name") or key), feeds=tuple(feeds)))
    return outlets


def polled_feeds(outlets: list[OutletSource]) -> list[FeedSource]:
    """Feeds the monitor polls (RSS/Atom and news sitemaps; ordinary sitemaps are for backfill)."""
    return [f for o in outlets for f in o.feeds if f.kind in ("rss", "news_sitemap")]
