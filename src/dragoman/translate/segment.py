"""What gets translated: an article's title, lead and blocks, each split into sentences with razdel.

Over-long sentences are cut at clause boundaries (semicolons, colons, dashes, commas, then plain spaces)
into pieces the engine handles well; the pieces' translations are joined back into one sentence so the
Russian and English sentences stay one to one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from razdel import sentenize

from dragoman.article import Article


@dataclass(frozen=True, slots=True)
class Unit:
    """One translated unit of an article: role "title", "lead" or "block" and the block index."""

    role: str
    index: int
    sentences: tuple[str, ...]


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` (razdel), whitespace-normalized; newlines inside a block also break."""
    out: list[str] = []
    for line in text.splitlines():
        line = " ".join(line.split())
        if not line:
            continue
        out.extend(s.text.strip() for s in sentenize(line) if s.text.strip())
    return out


def article_units(article: Article) -> list[Unit]:
    units = [Unit("title", 0, tuple(split_sentences(article.title)))]
    if article.lead:
        units.append(Unit("lead", 0, tuple(split_sentences(article.lead))))
    for i, block in enumerate(article.blocks):
        units.append(Unit("block", i, tuple(split_sentences(block.text))))
    return units


def normalize_sentence(sentence: str) -> str:
    """The translation-memory key: NFC, one space between words, typographic variants unified."""
    text = unicodedata.normalize("NFC", sentence)
    text = text.replace("\u00a0", " ").replace("\u202f", " ").replace("\u00ad", "")
    return " ".join(text.split())


# Where a long Russian sentence may be cut, strongest boundary first.
_BOUNDARIES = (
    re.compile(r"(?<=[;:])\s+"),
    re.compile(r"\s+(?=[—–]\s)"),
    re.compile(
        r"(?<=,)\s+(?=(?:а|но|и|или|что|чтобы|который|которая|которое|которые|когда|где|если|поскольку|так как)\b)"
    ),
    re.compile(r"(?<=,)\s+"),
    re.compile(r"\s+"),
)


def split_long(sentence: str, too_long: Callable[[str], bool]) -> list[str]:
    """Cut ``sentence`` into pieces for which ``too_long`` is false, at the strongest boundaries first."""
    if not too_long(sentence):
        return [sentence]
    return list(_split(sentence, too_long, 0))


def _split(text: str, too_long: Callable[[str], bool], level: int) -> Iterator[str]:
    if not too_long(text):
        yield text
        return
    if level >= len(_BOUNDARIES):
        # No boundary left (one enormous "word"): cut by characters.
        half = max(1, len(text) // 2)
        yield from _split(text[:half], too_long, level)
        yield from _split(text[half:], too_long, level)
        return
    parts = [p for p in _BOUNDARIES[level].split(text) if p]
    if len(parts) == 1:
        yield from _split(text, too_long, level + 1)
        return
    # Greedy packing: keep as much together as fits, so clauses are only cut where needed.
    current = ""
    for part in parts:
        candidate = f"{current} {part}" if current else part
        if current and too_long(candidate):
            yield from _split(current, too_long, level + 1)
            current = part
        else:
            current = candidate
    if current:
        yield from _split(current, too_long, level + 1)


def join_pieces(pieces: list[str]) -> str:
    return " ".join(p.strip() for p in pieces if p.strip())
