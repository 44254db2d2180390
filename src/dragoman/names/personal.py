"""Russian personal names in Latin letters: the glossary's known form, else BGN/PCGN without diacritics.

The romanization itself is ``dragoman.names.translit`` so that translation and analysis spell an unknown
name the same way.

Names are transliterated, never translated by a model (which turns «Байкова» into anything). The same
Russian name always gives the same English one: Екатерина Постникова -> Ekaterina Postnikova,
Татьяна Байкова -> Tatyana Baykova.
"""

from __future__ import annotations

import re

from dragoman.names.glossary import Glossary, default_glossary
from dragoman.names.translit import transliterate  # one romanization for the whole corpus

__all__ = ["transliterate", "transliterate_name"]


def transliterate_name(name: str, glossary: Glossary | None = None) -> str:
    """A person's name in Latin letters: the glossary's form when the person or given name is known."""
    name = " ".join(name.split())
    if not re.search(r"[А-Яа-яЁё]", name):
        return name
    glossary = glossary or default_glossary()
    people = glossary.people()
    if name in people:
        return people[name]
    given = glossary.given_names()
    words = []
    for word in name.split(" "):
        parts = []
        for part in word.split("-"):
            parts.append(given.get(part) or people.get(part) or transliterate(part))
        words.append("-".join(parts))
    return " ".join(words)
