"""Per-sentence checks that say where a translation is doubtful; each failed check adds a flag.

The flags are cheap surface tests, computed from the Russian sentence and its English translation only,
so they can be recomputed for sentences served from the translation memory.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import re
from collections.abc import Sequence

# Flag names, stored in SentencePair.flags and counted in reports.
EMPTY = "empty"
CYRILLIC = "cyrillic"
NUMBERS = "numbers"
LENGTH_RATIO = "length_ratio"
REPETITION = "repetition"
LOST_TERM = "lost_term"
FAILED = "failed"
ALL_FLAGS = (EMPTY, CYRILLIC, NUMBERS, LENGTH_RATIO, REPETITION, LOST_TERM, FAILED)

# English/Russian length in characters is about 0.9-1.1 for news; far outside means a dropped or invented part.
MIN_RATIO = 0.45
MAX_RATIO = 2.2
MIN_CHARS_FOR_RATIO = 25

_CYRILLIC_WORD = re.compile(r"[А-Яа-яЁё]{2,}")
_NUMBER = re.compile(r"\d[\d\s\u00a0\u202f.,]*\d|\d")
_MULTIPLIERS = (
    (re.compile(r"^\s*(?:тыс|тысяч)", re.I), 1_000),
    (re.compile(r"^\s*(?:млн|миллион)", re.I), 1_000_000),
    (re.compile(r"^\s*(?:млрд|миллиард)", re.I), 1_000_000_000),
    (re.compile(r"^\s*(?:трлн|триллион)", re.I), 1_000_000_000_000),
)
_WORD = re.compile(r"\w+", re.UNICODE)


def check(source: str, target: str, *, lost_terms: Sequence[str] = ()) -> list[str]:
    """Flags for one sentence pair, in ALL_FLAGS order."""
    flags: list[str] = []
    stripped = target.strip()
    if not stripped:
        return [EMPTY] if source.strip() else []
    if _CYRILLIC_WORD.search(stripped):
        flags.append(CYRILLIC)
    if not numbers_agree(source, stripped):
        flags.append(NUMBERS)
    if len(source) >= MIN_CHARS_FOR_RATIO:
        ratio = len(stripped) / len(source)
        if ratio < MIN_RATIO or ratio > MAX_RATIO:
            flags.append(LENGTH_RATIO)
    if has_repetition(stripped):
        flags.append(REPETITION)
    if lost_terms:
        flags.append(LOST_TERM)
    return flags


def numbers_agree(source: str, target: str) -> bool:
    """Every number in the Russian appears in the English (3 тыс. may be 3,000 or 3 thousand), and no new one."""
    source_numbers = [{value, *alts} for value, alts in _numbers_with_alternatives(source)]
    target_numbers = [{value, *alts} for value, alts in _numbers_with_alternatives(target)]
    source_all = set().union(*source_numbers) if source_numbers else set()
    target_all = set().union(*target_numbers) if target_numbers else set()
    return all(readings & target_all for readings in source_numbers) and all(
        readings & source_all for readings in target_numbers
    )


def _numbers_with_alternatives(text: str) -> list[tuple[str, set[str]]]:
    out: list[tuple[str, set[str]]] = []
    for match in _NUMBER.finditer(text):
        raw = match.group(0)
        value = _normalize_number(raw)
        alternatives: set[str] = set()
        compact = re.sub(r"[\s\u00a0\u202f]", "", raw)
        if re.fullmatch(r"\d+,\d+", compact):
            # "1,5" is a Russian decimal, "10,000" English thousands: accept both readings.
            alternatives.add(_normalize_number(compact, decimal=True))
            if re.fullmatch(r"\d{1,3}(?:,\d{3})+", compact):
                alternatives.add(_normalize_number(compact.replace(",", "")))
        if re.search(r",\s|\s", raw):
            # "9, 10" or "January 12, 2022": the parts are numbers of their own.
            for part in re.split(r",?[\s\u00a0\u202f]+", raw):
                if part.strip(".,"):
                    alternatives.add(_normalize_number(part))
        rest = text[match.end() : match.end() + 12]
        for pattern, factor in _MULTIPLIERS:
            if pattern.match(rest):
                with contextlib.suppress(ValueError):  # "3 млрд" where 3 was not a number after all
                    alternatives.add(_format(float(value) * factor))
        out.append((value, alternatives))
    return out


def _normalize_number(raw: str, *, decimal: bool = False) -> str:
    text = re.sub(r"[\s\u00a0\u202f]", "", raw).strip(".,")
    if decimal or re.fullmatch(r"\d+,\d{1,2}", text):
        text = text.replace(",", ".")
    elif re.fullmatch(r"\d{1,3}(?:,\d{3})+", text):
        text = text.replace(",", "")
    try:
        return _format(float(text))
    except ValueError:
        return text


def _format(value: float) -> str:
    # A run of 400 digits (a model's loop) is infinite as a float: kept as written by the callers instead of
    # crashing the article's translation.
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {value}")
    return str(int(value)) if value == int(value) else repr(value)


def has_repetition(text: str, *, n: int = 3, max_repeats: int = 3, max_run: int = 4) -> bool:
    """A hallucination loop: an n-gram repeated ``max_repeats`` times or one word ``max_run`` times running."""
    words = [w.lower() for w in _WORD.findall(text)]
    run = 1
    for previous, current in itertools.pairwise(words):
        run = run + 1 if current == previous else 1
        if run >= max_run:
            return True
    counts: dict[tuple[str, ...], int] = {}
    for i in range(len(words) - n + 1):
        gram = tuple(words[i : i + n])
        counts[gram] = counts.get(gram, 0) + 1
        if counts[gram] >= max_repeats:
            return True
    return False
