"""The bilingual glossary: names of people, organizations and places, and their fixed English forms.

The data lives in ``dragoman/data/glossary.tsv`` (russian, english, kind); users add rows with a
``glossary.tsv`` in the data directory or ``$DRAGOMAN_GLOSSARY``. Russian inflects names (Лавров,
Лаврова, Лавровым), so each word of a term matches its stem plus a short ending. The analyze stage
reuses this file as its entity registry through :func:`load_glossary`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from dragoman.errors import ConfigError

KINDS = ("person", "org", "place", "given_name", "term")
PROTECTED_KINDS = frozenset({"person", "org", "place", "term"})

# Inflection classes: (ending of the dictionary form, endings of the other case forms). The first class
# whose ending fits decides; names ending in -ов/-ин take surname endings (so «Лавровый» is no «Лавров»).
_INFLECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ский", ("ский", "ского", "скому", "ским", "ском", "ская", "ской", "скую", "ские", "ских", "скими")),
    ("цкий", ("цкий", "цкого", "цкому", "цким", "цком", "цкая", "цкой", "цкую")),
    ("ый", ("ый", "ого", "ому", "ым", "ом", "ая", "ой", "ую", "ые", "ых", "ыми")),
    ("ий", ("ий", "ия", "ию", "ием", "ии", "его", "ему", "им", "ем")),
    ("ия", ("ия", "ии", "ию", "ией", "ий", "иям", "иях")),
    ("ие", ("ие", "ия", "ию", "ием", "ии")),
    ("ей", ("ей", "ея", "ею", "еем", "ее", "еи")),
    ("ай", ("ай", "ая", "аю", "аем", "ае")),
    ("ов", ("ов", "ова", "ову", "овым", "ове", "овой", "овы", "овых", "овыми", "овом")),
    ("ев", ("ев", "ева", "еву", "евым", "еве", "евой", "евы", "евых", "евом")),
    ("ин", ("ин", "ина", "ину", "иным", "ине", "иной", "ины", "иных", "ином")),
    ("а", ("а", "ы", "и", "е", "у", "ой", "ей", "ою", "ам", "ами", "ах")),
    ("я", ("я", "и", "е", "ю", "ей", "ёй", "ею", "ям", "ями", "ях")),
    ("ь", ("ь", "я", "ю", "ем", "ём", "е", "и", "ей", "ью")),
    ("о", ("о",)),  # Грушко, Матвиенко: not declined
    ("е", ("е",)),
    ("и", ("и",)),
    ("у", ("у",)),
    ("", ("", "а", "у", "ом", "е", "ы", "и", "ов", "ам", "ами", "ах", "ем", "ей", "я", "ю")),
)


@dataclass(frozen=True, slots=True)
class GlossaryEntry:
    russian: str
    english: str
    kind: str
    source: str = "builtin"


@dataclass(frozen=True, slots=True)
class GlossaryMatch:
    start: int
    end: int
    text: str  # the Russian text as it appears (inflected)
    entry: GlossaryEntry


@dataclass(slots=True)
class Glossary:
    entries: list[GlossaryEntry] = field(default_factory=list)
    _pattern: re.Pattern[str] | None = None
    _by_group: dict[str, GlossaryEntry] = field(default_factory=dict)

    def __post_init__(self) -> None:
        protected = [e for e in self.entries if e.kind in PROTECTED_KINDS]
        # Later rows override earlier ones (user files come after the builtin file).
        unique: dict[str, GlossaryEntry] = {}
        for entry in protected:
            unique[entry.russian.casefold()] = entry
        ordered = sorted(unique.values(), key=lambda e: len(e.russian), reverse=True)  # longest first
        parts: list[str] = []
        for i, entry in enumerate(ordered):
            name = f"g{i}"
            self._by_group[name] = entry
            parts.append(f"(?P<{name}>{term_pattern(entry.russian)})")
        self._pattern = re.compile(r"(?<![\w-])(?:" + "|".join(parts) + r")(?![\w])") if parts else None

    def find(self, text: str) -> list[GlossaryMatch]:
        """Glossary terms in ``text``, left to right, longest match first, not overlapping."""
        if self._pattern is None:
            return []
        out: list[GlossaryMatch] = []
        for match in self._pattern.finditer(text):
            group = match.lastgroup
            if group is None:
                continue
            out.append(GlossaryMatch(match.start(), match.end(), match.group(0), self._by_group[group]))
        return out

    def given_names(self) -> dict[str, str]:
        return {e.russian: e.english for e in self.entries if e.kind == "given_name"}

    def people(self) -> dict[str, str]:
        return {e.russian: e.english for e in self.entries if e.kind == "person"}

    def __len__(self) -> int:
        return len(self.entries)


def term_pattern(russian: str) -> str:
    """A regex for ``russian`` in any inflected form: each word's stem plus up to three letters."""
    words = russian.split()
    return r"\s+".join(_word_pattern(w) for w in words)


def _word_pattern(word: str) -> str:
    if word.isupper() or not re.search(r"[а-яё]", word.lower()):
        # Abbreviations take a short lower-case ending: МИД, МИДа, МИДе; НАТО stays НАТО.
        return re.escape(word) + r"(?:[а-яё]{1,2})?"
    lower = word.lower()
    for ending, forms in _INFLECTIONS:
        if lower.endswith(ending) and len(word) > len(ending) + 1:
            stem = word[: len(word) - len(ending)]
            alternatives = "|".join(sorted({re.escape(f) for f in forms}, key=len, reverse=True))
            return f"{re.escape(stem)}(?:{alternatives})"
    return re.escape(word)


def parse_glossary(text: str, source: str = "builtin") -> list[GlossaryEntry]:
    """Rows of a glossary TSV; ``#`` comments and the header are skipped; bad rows raise ConfigError."""
    entries: list[GlossaryEntry] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = [c.strip() for c in line.split("\t")]
        if cells[:2] == ["russian", "english"]:
            continue
        if len(cells) < 2 or not cells[0] or not cells[1]:
            raise ConfigError(f"glossary {source} line {number}: expected 'russian<TAB>english<TAB>kind'")
        kind = cells[2] if len(cells) > 2 and cells[2] else "term"
        if kind not in KINDS:
            raise ConfigError(f"glossary {source} line {number}: unknown kind {kind!r} (use {', '.join(KINDS)})")
        entries.append(GlossaryEntry(cells[0], cells[1], kind, source))
    return entries


def user_glossary_paths(data_dir: Path | None = None) -> list[Path]:
    """User glossary files that exist: ``<data dir>/glossary.tsv`` and ``$DRAGOMAN_GLOSSARY``."""
    paths: list[Path] = []
    if data_dir is None:
        base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        data_dir = Path(base) / "dragoman"
    candidate = data_dir / "glossary.tsv"
    if candidate.is_file():
        paths.append(candidate)
    env = os.environ.get("DRAGOMAN_GLOSSARY")
    if env:
        paths.append(Path(env))
    return paths


def load_glossary(extra_paths: Sequence[Path] | None = None, *, include_user: bool = True) -> Glossary:
    """The builtin glossary plus user files (later files override earlier rows with the same Russian)."""
    entries = list(_registry_entries()) + list(_builtin_entries())  # glossary.tsv rows override the registry
    paths: list[Path] = list(user_glossary_paths()) if include_user else []
    paths.extend(extra_paths or [])
    for path in paths:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read glossary {path}: {exc.strerror}") from exc
        entries.extend(parse_glossary(text, source=str(path)))
    return Glossary(entries)


_REGISTRY_KINDS = {"PER": "person", "ORG": "org", "LOC": "place"}


@lru_cache(maxsize=1)
def _registry_entries() -> tuple[GlossaryEntry, ...]:
    """The analyze stage's entity registry as glossary rows, so registry-only names are protected too."""
    try:
        from dragoman.names.registry import name_rows
    except ImportError:  # analysis not installed: the glossary alone
        return ()
    rows = []
    curated = Glossary(list(_builtin_entries()))
    for russian, english, type_ in name_rows():
        # People only: protecting the registry's places and bodies would force "Russia" where the engine
        # writes "Russian"; and glossary.tsv's own rows win where they cover (part of) a name.
        if type_ != "PER" or curated.find(russian):
            continue
        if type_ == "PER" and " " not in russian:
            english = english.split()[-1]  # a lone surname stays a surname: Джабаров -> Dzhabarov
        rows.append(GlossaryEntry(russian, english, _REGISTRY_KINDS[type_], "registry"))
    return tuple(rows)


@lru_cache(maxsize=1)
def _builtin_entries() -> tuple[GlossaryEntry, ...]:
    text = resources.files("dragoman").joinpath("data/glossary.tsv").read_text("utf-8")
    return tuple(parse_glossary(text))


@lru_cache(maxsize=4)
def default_glossary() -> Glossary:
    return load_glossary()


# -- protection through translation -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Slot:
    token: str  # what stands in the source sent to the engine
    english: str  # what must appear in the output


@dataclass(frozen=True, slots=True)
class MaskedText:
    text: str
    slots: tuple[Slot, ...]


def protect(text: str, glossary: Glossary, *, style: str = "inline") -> MaskedText:
    """Replace glossary terms in ``text`` by placeholders the engine carries through.

    ``inline`` puts the English form itself in the Russian sentence (NMT models copy Latin names
    faithfully, and the sentence stays grammatical enough to translate); ``token`` uses opaque tokens
    ``ZX1Q``-style that are swapped back after decoding.
    """
    matches = glossary.find(text)
    if not matches:
        return MaskedText(text, ())
    pieces: list[str] = []
    slots: list[Slot] = []
    last = 0
    for i, match in enumerate(matches, start=1):
        token = match.entry.english if style == "inline" else f"ZX{i}Q"
        pieces.append(text[last : match.start])
        pieces.append(token)
        slots.append(Slot(token, match.entry.english))
        last = match.end
    pieces.append(text[last:])
    return MaskedText("".join(pieces), tuple(slots))


def restore(target: str, slots: Iterable[Slot]) -> tuple[str, list[str]]:
    """Put the English forms back in place of the placeholders; returns the text and the lost terms."""
    lost: list[str] = []
    for slot in slots:
        if slot.token == slot.english:
            if slot.english.casefold() not in target.casefold():
                lost.append(slot.english)
            continue
        if slot.token in target:
            target = target.replace(slot.token, slot.english, 1)
        else:
            lost.append(slot.english)
    return target, lost


def expected_terms(source: str, glossary: Glossary) -> list[str]:
    """English forms the translation of ``source`` must contain (for re-checking stored sentences)."""
    return [m.entry.english for m in glossary.find(source)]
