"""A name in the other language: the Russian forms of an English name and the English forms of a Russian one.

Built from the entity registry (``registry.py``) and the translation glossary (``glossary.py``), so search
("Lavrov" finds «Сергей Лавров» in an untranslated article, «НАТО» finds "NATO" in an English document) and
the quotes filter («Путин» finds the speaker "Vladimir Putin") read names the way analysis and translation
write them. A person is also found by the surname alone, in either language (Stoltenberg, Столтенберг).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from dragoman.names.glossary import default_glossary
from dragoman.names.registry import fold, load_registry

_CYRILLIC = re.compile(r"[а-яёА-ЯЁ]")
_NAME_KINDS = {"person", "org", "place"}


@dataclass(slots=True)
class _Forms:
    to_ru: dict[str, set[str]] = field(default_factory=dict)  # folded English form -> Russian forms
    to_en: dict[str, set[str]] = field(default_factory=dict)  # folded Russian form -> English forms

    def link(self, english: str, russian: str) -> None:
        if not english.strip() or not russian.strip():
            return
        self.to_ru.setdefault(fold(english), set()).add(russian)
        self.to_en.setdefault(fold(russian), set()).add(english)


def _is_name(form: str) -> bool:
    """A proper name, not a descriptor («альянс», "the Alliance" stand for NATO but are common words)."""
    return any(c.isupper() for c in form) and not form.casefold().startswith("the ")


def _surname(russian: str) -> str | None:
    """The last word of a full Russian name, unless the form is a first name and patronymic."""
    words = russian.split()
    if len(words) < 2 or words[-1].endswith(("вич", "вна", "чна")):
        return None
    return words[-1]


@lru_cache(maxsize=1)
def _forms() -> _Forms:
    forms = _Forms()
    for entry in load_registry():
        english = [e for e in (entry.en, *entry.en_aliases) if _is_name(e)]
        # "Владимир Владимирович" (first name and patronymic) is how a text addresses Putin, not a search term
        russian = [r for r in entry.ru if _is_name(r) and not (entry.type == "PER" and " " in r and not _surname(r))]
        for en in english:
            for ru in russian:
                forms.link(en, ru)
        if entry.type == "PER":  # the surname alone, in both languages
            en_surname = entry.en.split()[-1]
            for ru in russian:
                surname = _surname(ru)
                if surname is not None:
                    forms.link(en_surname, surname)
                    forms.link(entry.en, surname)
    for term in default_glossary().entries:
        if term.kind in _NAME_KINDS and _is_name(term.russian) and _is_name(term.english):
            forms.link(term.english, term.russian)
            surname = _surname(term.russian) if term.kind == "person" and " " in term.english else None
            if surname is not None:
                forms.link(term.english.split()[-1], surname)
    return forms


def is_cyrillic(text: str) -> bool:
    return bool(_CYRILLIC.search(text))


def name_variants(name: str) -> list[str]:
    """The other language's forms of ``name`` (any case, ё as е), shortest first; [] for an unknown name.

    >>> "Лавров" in name_variants("Lavrov")
    True
    """
    key = fold(name)
    if not key:
        return []
    table = _forms().to_en if is_cyrillic(name) else _forms().to_ru
    found = table.get(key, set())
    return sorted({f for f in found if fold(f) != key}, key=lambda f: (len(f), f))


def all_variants(names: Iterable[str]) -> list[str]:
    """``names`` and their variants, each once (first spelling kept)."""
    out: dict[str, str] = {}
    for name in names:
        for form in (name, *name_variants(name)):
            out.setdefault(fold(form), form)
    return list(out.values())
