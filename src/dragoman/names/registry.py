"""The bilingual entity registry: canonical English names, Russian forms, types and Wikidata ids.

One data file (``dragoman/data/entities.toml``) seeds it; users add their own TOML files with the same
``[[entity]]`` tables (``DRAGOMAN_ENTITIES=path1:path2`` or ``load_registry(extra=[...])``). Translation's
names glossary (``dragoman/data/glossary.tsv`` and the user's glossary files) is merged in, so a name the
translator protects is an entity here too, with the same English form.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import Stemmer

from dragoman.errors import ConfigError

ENTITY_TYPES = ("PER", "ORG", "LOC")
_WORD = re.compile(r"\w+|[^\w\s]", re.UNICODE)
_STEMMER = Stemmer.Stemmer("russian")


@dataclass(frozen=True, slots=True)
class RegistryEntry:
    en: str
    type: str
    ru: tuple[str, ...] = ()
    en_aliases: tuple[str, ...] = ()
    wikidata: str | None = None
    country: str | None = None
    role: str | None = None

    @property
    def key(self) -> str:
        """Stable id of the entity in the corpus: the Wikidata id, else type and English name."""
        return self.wikidata or f"{self.type}:{self.en}"


@dataclass(slots=True)
class Registry:
    entries: list[RegistryEntry] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    _by_ru: dict[str, RegistryEntry] = field(default_factory=dict)
    _by_en: dict[str, RegistryEntry] = field(default_factory=dict)
    _by_surname: dict[str, list[RegistryEntry]] = field(default_factory=dict)
    _stem_index: dict[str, list[tuple[tuple[str, ...], RegistryEntry, bool, tuple[str, ...]]]] | None = None
    _extra_forms: dict[str, list[str]] = field(default_factory=dict)

    def add(self, entry: RegistryEntry) -> None:
        self.entries.append(entry)
        for form in entry.ru:
            self._by_ru.setdefault(fold(form), entry)
            if entry.type == "PER" and " " in form:
                surname = fold(form.split()[-1])
                if entry not in self._by_surname.setdefault(surname, []):
                    self._by_surname[surname].append(entry)
        for form in (entry.en, *entry.en_aliases):
            self._by_en.setdefault(form.casefold(), entry)
        self._stem_index = None

    def add_form(self, entry: RegistryEntry, russian: str) -> None:
        """Another Russian form of a known entity (from translation's glossary)."""
        if fold(russian) in self._by_ru:
            return
        self._by_ru[fold(russian)] = entry
        self._extra_forms.setdefault(entry.key, []).append(russian)
        self._stem_index = None

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[RegistryEntry]:
        return iter(self.entries)

    def lookup_ru(self, normal_form: str, type_: str | None = None) -> RegistryEntry | None:
        """The entry whose Russian form equals ``normal_form`` (natasha's normalized span), if any."""
        entry = self._by_ru.get(fold(normal_form))
        if entry is None and type_ == "PER":
            parts = normal_form.split()
            if len(parts) >= 2:
                candidates = self._by_surname.get(fold(parts[-1]), [])
                first = fold(parts[0])
                for candidate in candidates:
                    if any(fold(f.split()[0]) == first for f in candidate.ru if " " in f):
                        return candidate
        # natasha may call the Kremlin a LOC: trust the registry's type, but never a PER for a place.
        if entry is not None and type_ is not None and entry.type != type_ and "PER" in (entry.type, type_):
            return None
        return entry

    def lookup_en(self, name: str) -> RegistryEntry | None:
        return self._by_en.get(name.casefold())

    def english_forms(self) -> list[tuple[str, RegistryEntry]]:
        """All English forms, longest first (for matching English text)."""
        forms = [(f, e) for e in self.entries for f in (e.en, *e.en_aliases)]
        return sorted(forms, key=lambda fe: -len(fe[0]))

    def stem_index(self) -> dict[str, list[tuple[tuple[str, ...], RegistryEntry, bool, tuple[str, ...]]]]:
        """Russian forms as stem sequences keyed by the first stem's first letters: any case matches.

        Each value is (stems, entry, lowercase_form, words): lowercase forms ("альянс", "российский МИД") are
        descriptors, matched only where the caller asks for them.
        """
        if self._stem_index is None:
            index: dict[str, list[tuple[tuple[str, ...], RegistryEntry, bool, tuple[str, ...]]]] = {}
            for entry in self.entries:
                for form in (*entry.ru, *self._extra_forms.get(entry.key, [])):
                    words = [w for w in _WORD.findall(form) if w.strip()]
                    stems = tuple(stem_word(w) for w in words)
                    if not stems or not stems[0]:
                        continue
                    index.setdefault(stems[0][:3], []).append((stems, entry, form[:1].islower(), tuple(words)))
            for candidates in index.values():
                candidates.sort(key=lambda c: -len(c[0]))  # longest form first
            self._stem_index = index
        return self._stem_index


@lru_cache(maxsize=200_000)
def stem_word(word: str) -> str:
    """Snowball stem for Russian words, the word itself for acronyms and punctuation."""
    if word.isupper() or not word.isalpha():
        return fold(word)
    return _STEMMER.stemWord(fold(word))


def stems_match(text_stem: str, form_stem: str) -> bool:
    """Snowball cuts names unevenly (Лавров -> лавр, Лаврова -> лавров): accept a short prefix difference."""
    if text_stem == form_stem:
        return True
    short, long_ = sorted((text_stem, form_stem), key=len)
    return len(short) >= 3 and long_.startswith(short) and len(long_) - len(short) <= 2 and short.isalpha()


def fold(text: str) -> str:
    """Case- and ё-insensitive form used as a lookup key; dashes and spaces normalized."""
    text = text.replace("ё", "е").replace("Ё", "Е")
    text = re.sub(r"\s*[—–-]\s*", "-", text)
    return " ".join(text.casefold().split())


def _entries_from_toml(data: dict[str, object], source: str) -> Iterable[RegistryEntry]:
    raw_entries = data.get("entity", [])
    if not isinstance(raw_entries, list):
        raise ConfigError(f"{source}: [[entity]] tables expected")
    for i, raw in enumerate(raw_entries):
        if not isinstance(raw, dict) or not raw.get("en") or raw.get("type") not in ENTITY_TYPES:
            raise ConfigError(f"{source}: entity #{i + 1} needs 'en' and a 'type' of {', '.join(ENTITY_TYPES)}")
        yield RegistryEntry(
            en=str(raw["en"]),
            type=str(raw["type"]),
            ru=tuple(str(x) for x in raw.get("ru", [])),
            en_aliases=tuple(str(x) for x in raw.get("en_aliases", [])),
            wikidata=str(raw["wikidata"]) if raw.get("wikidata") else None,
            country=str(raw["country"]) if raw.get("country") else None,
            role=str(raw["role"]) if raw.get("role") else None,
        )


def _read_toml(path: Path) -> dict[str, object]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read entity registry {path}: {exc}") from exc


def load_registry(extra: Iterable[str | Path] = ()) -> Registry:
    """The shipped registry plus user files (given here or in ``DRAGOMAN_ENTITIES``); user entries win."""
    env = os.environ.get("DRAGOMAN_ENTITIES", "")
    paths = [Path(p) for p in extra] + [Path(p) for p in env.split(os.pathsep) if p]
    return _load(tuple(str(p) for p in paths))


@lru_cache(maxsize=8)
def _load(paths: tuple[str, ...]) -> Registry:
    registry = Registry()
    # User files first so that their forms take precedence in the lookup tables (setdefault keeps first).
    for path in paths:
        for entry in _entries_from_toml(_read_toml(Path(path)), path):
            registry.add(entry)
        registry.sources.append(path)
    shipped = resources.files("dragoman") / "data" / "entities.toml"
    data = tomllib.loads(shipped.read_text(encoding="utf-8"))
    for entry in _entries_from_toml(data, "dragoman/data/entities.toml"):
        registry.add(entry)
    registry.sources.append("dragoman/data/entities.toml")
    _merge_glossary(registry)
    return registry


_GLOSSARY_TYPES = {"person": "PER", "org": "ORG", "place": "LOC"}


def name_rows() -> list[tuple[str, str, str]]:
    """(russian, english, type) of every name form in the entity files, for translation's glossary.

    Read from the TOML files alone, not through :func:`load_registry`, which merges the glossary in (a
    cycle). Descriptor forms without a capital (альянс, военное ведомство) are not names and are left out.
    """
    env = os.environ.get("DRAGOMAN_ENTITIES", "")
    paths = [Path(p) for p in env.split(os.pathsep) if p]
    shipped = resources.files("dragoman") / "data" / "entities.toml"
    entries = [e for path in paths for e in _entries_from_toml(_read_toml(path), str(path))]
    entries += list(_entries_from_toml(tomllib.loads(shipped.read_text(encoding="utf-8")), "entities.toml"))
    return [(form, e.en, e.type) for e in entries for form in e.ru if any(c.isupper() for c in form)]


def _merge_glossary(registry: Registry) -> None:
    """Translation's names glossary (``data/glossary.tsv`` plus the user's) joins the registry.

    One registry for both stages: a glossary row whose English or Russian the registry knows becomes another
    Russian form of that entity; a surname row ("Песков" -> "Peskov") joins the full name it ends; the rest
    become new entities. The registry wins where the two disagree.
    """
    try:
        from dragoman.names.glossary import load_glossary
    except ImportError:  # translation not installed: the registry alone
        return
    rows = [e for e in load_glossary().entries if e.kind in _GLOSSARY_TYPES]
    added: dict[str, RegistryEntry] = {}
    for row in sorted(rows, key=lambda e: -len(e.russian.split())):  # full names before lone surnames
        type_ = _GLOSSARY_TYPES[row.kind]
        known = registry.lookup_en(row.english) or registry.lookup_ru(row.russian)
        if known is None and type_ == "PER" and " " not in row.russian:
            known = next((e for e in added.values() if e.en.split()[-1] == row.english), None)
        if known is not None:
            registry.add_form(known, row.russian)
            continue
        entry = RegistryEntry(en=row.english, type=type_, ru=(row.russian,))
        registry.add(entry)
        added[row.english] = entry
    registry.sources.append("translate glossary")


_SURNAME_ENDINGS = ("", "а", "у", "ом", "ым", "е", "ы")
_FEMININE_ENDINGS = ("ой", "у", "ы", "е")
_ADJECTIVAL_ENDINGS = ("ого", "ому", "им", "ом")


def person_word_matches(text_word: str, form_word: str) -> bool:
    """A word of a person's name in some case form: Лавров -> Лаврова/Лавровым, Захарова -> Захаровой.

    Stems alone would also take a different surname (Горлач ~ Горлачёв); names inflect regularly.
    """
    t, f = fold(text_word), fold(form_word)
    if t == f:
        return True
    if f.endswith(("ий", "ый")) and t.startswith(f[:-2]) and t[len(f) - 2 :] in _ADJECTIVAL_ENDINGS:
        return True
    if f.endswith(("а", "я")) and t.startswith(f[:-1]) and t[len(f) - 1 :] in (*_FEMININE_ENDINGS, "ей", "ю", "и"):
        return True
    if f.endswith(("й", "ь")) and t.startswith(f[:-1]) and t[len(f) - 1 :] in ("я", "ю", "ем", "е", "и"):
        return True
    return t.startswith(f) and t[len(f) :] in _SURNAME_ENDINGS
