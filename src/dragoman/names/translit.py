"""Russian Cyrillic to Latin by BGN/PCGN (1947), simplified: no diacritics, no apostrophes for ь/ъ.

The simplified form is what English-language newsrooms print (Grushko, Zakharova, Dzhabarov, Yury);
we use it for every name the registry does not know, so one person gets one spelling corpus-wide.
"""

from __future__ import annotations

STANDARD = "BGN/PCGN 1947 (simplified: no diacritics, soft and hard signs dropped)"

_TABLE = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "yo",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "yu",
    "я": "ya",
}
_VOWELS = set("аеёиоуыэюяйъь")


def transliterate(text: str) -> str:
    """Transliterate Russian text; Latin and other characters pass through unchanged."""
    out: list[str] = []
    prev = ""
    for ch in text:
        low = ch.lower()
        if low in _TABLE:
            # BGN/PCGN: е and ё are ye/yo at the start of a word and after a vowel or a sign.
            if low == "е" and (not prev.isalpha() or prev.lower() in _VOWELS):
                latin = "ye"
            elif low == "ё" and prev.isalpha() and prev.lower() not in _VOWELS and prev.lower() not in "жчшщ":
                latin = "yo"
            elif low == "ё" and prev != "" and prev.lower() in "жчшщ":
                latin = "e"
            else:
                latin = _TABLE[low]
            # -ий / -ый endings read "-y" in the simplified form (Yury, Dmitry, Vasily).
            if low == "й" and prev.lower() in "иы" and out and out[-1] in ("i", "y", "I", "Y"):
                out[-1] = "y" if out[-1].islower() else "Y"
                latin = ""
            if ch.isupper() and latin:
                latin = latin.upper() if (len(text) > 1 and text.isupper()) else latin[0].upper() + latin[1:]
            out.append(latin)
        else:
            out.append(ch)
        prev = ch
    return "".join(out)
