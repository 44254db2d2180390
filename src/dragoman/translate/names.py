"""Russian personal names in Latin letters: the glossary's known form, else BGN/PCGN without diacritics.

Names are transliterated, never translated by a model (which turns «Байкова» into anything). The same
Russian name always gives the same English one: Екатерина Постникова -> Ekaterina Postnikova,
Татьяна Байкова -> Tatyana Baykova.
"""

from __future__ import annotations

import re

from dragoman.translate.glossary import Glossary, default_glossary

# BGN/PCGN 1947, simplified: no apostrophes for the hard and soft signs, no diaeresis on ё.
_LETTERS = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}  # fmt: skip
_VOWELS = set("аеёиоуыэюя")
_SOFTENERS = _VOWELS | {"й", "ъ", "ь"}


def transliterate(text: str) -> str:
    """BGN/PCGN-style romanization: е and ё after a vowel, й, ъ, ь or at a word start give ye, yo."""
    out: list[str] = []
    previous = ""
    for char in text:
        lower = char.lower()
        if lower in _LETTERS:
            latin = _LETTERS[lower]
            if lower in ("е", "ё") and (not previous or previous in _SOFTENERS):
                latin = "ye" if lower == "е" else "yo"
            elif lower == "ё" and previous in ("ж", "ч", "ш", "щ"):
                latin = "o"
            if lower == "й" and previous in ("и", "ы"):
                latin = "y"
            if char.isupper() and latin:
                latin = latin[0].upper() + latin[1:]
            out.append(latin)
            previous = lower
        else:
            out.append(char)
            previous = "" if not char.isalpha() else lower
    return "".join(out)


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
