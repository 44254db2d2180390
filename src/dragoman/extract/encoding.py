"""Bytes to text: BOM, HTTP charset, <meta charset>, then a Cyrillic-aware guess.

Byte-level detectors mix up windows-1251, KOI8-R and MacCyrillic (the same letters sit at different
byte values), so every candidate decoding is scored by how Russian it reads: frequent lower-case
bigrams count for it, characters that never occur in Russian prose count against it.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import charset_normalizer

# Encodings that have carried Russian web pages, most common first.
CYRILLIC_CANDIDATES = ("cp1251", "koi8_r", "utf_8", "mac_cyrillic", "iso8859_5", "cp866", "koi8_u")

_BOMS = (
    (codecs.BOM_UTF8, "utf_8"),
    (codecs.BOM_UTF32_LE, "utf_32_le"),
    (codecs.BOM_UTF32_BE, "utf_32_be"),
    (codecs.BOM_UTF16_LE, "utf_16_le"),
    (codecs.BOM_UTF16_BE, "utf_16_be"),
)
_HTTP_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([\w.:\-]+)", re.IGNORECASE)
_META_CHARSET = re.compile(rb"<meta[^>]{0,400}?charset\s*=\s*[\"']?\s*([\w.:\-]+)", re.IGNORECASE)

# The most frequent Russian letter pairs (lower case); a right decoding is full of them.
_COMMON_BIGRAMS_TEXT = (
    "ст но то на ен ов ни ра во ко ро ет пр по ре ал ан ли ос ол ка ер от ть ор ла не ом ва ел ие ит го ат "
    "ль ле де ми та ри ел ин ло ти ск ве ал ам ас ны да ой ме ак ый ог ва ая ны ых ой ии ем"
)
_COMMON_BIGRAMS = frozenset(_COMMON_BIGRAMS_TEXT.split())
_CYRILLIC_WORD = re.compile(r"[а-яё]{2,}")
_CYRILLIC = re.compile(r"[А-Яа-яЁё]")
# Characters a Russian page does not use in running text but that wrong decodings produce.
_IMPLAUSIBLE = re.compile(
    r"[^\x00-\x7f\u0410-\u044f\u0401\u0451\u00a0\u00ab\u00bb\u00b0\u00a9\u00ae\u00b7"
    r"\u2013\u2014\u2018\u2019\u201a\u201c\u201d\u201e\u2026\u2116\u20bd\u2022\u00d7\u2212]"
)
_SAMPLE_CHARS = 60_000
_SINGLE_BYTE_CYRILLIC = frozenset({"cp1251", "koi8-r", "koi8-u", "mac-cyrillic", "iso8859-5", "cp866"})


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    encoding: str  # canonical Python codec name that was used ("utf-8", "cp1251", "koi8-r")
    method: str  # bom | http | meta | utf8 | detected | fallback


def normalize_charset(label: str | None) -> str | None:
    """Python codec name for a charset label from a header or <meta>, or None if unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    aliases = {"win-1251": "cp1251", "x-cp1251": "cp1251", "windows-1251": "cp1251", "x-mac-cyrillic": "mac_cyrillic"}
    label = aliases.get(label, label)
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    # Browsers read latin-1 and ascii labels as windows-1252 (WHATWG encoding standard).
    if name in ("latin-1", "iso8859-1", "ascii"):
        return "cp1252"
    return name


def charset_from_content_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    match = _HTTP_CHARSET.search(content_type)
    return normalize_charset(match.group(1)) if match else None


def charset_from_meta(body: bytes) -> str | None:
    match = _META_CHARSET.search(body[:16_384])
    if not match:
        return None
    return normalize_charset(match.group(1).decode("ascii", "ignore"))


def russian_score(text: str) -> float:
    """How much ``text`` reads like Russian: share of common bigrams minus a penalty for odd characters."""
    sample = text[:_SAMPLE_CHARS]
    words = _CYRILLIC_WORD.findall(sample)
    pairs = 0
    common = 0
    for word in words:
        for i in range(len(word) - 1):
            pairs += 1
            if word[i : i + 2] in _COMMON_BIGRAMS:
                common += 1
    letters = len(_CYRILLIC.findall(sample))
    if letters == 0:
        return 0.0
    odd = len(_IMPLAUSIBLE.findall(sample))
    bigram_share = common / pairs if pairs else 0.0
    lower_share = sum(len(w) for w in words) / letters
    return bigram_share + 0.2 * lower_share - 3.0 * odd / letters


def _decode_strict(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _decode_utf8_allowing_cut_end(body: bytes) -> str | None:
    """Strict UTF-8, except that a sequence cut off at the very end (a truncated download) is dropped."""
    try:
        return codecs.getincrementaldecoder("utf-8")().decode(body, final=False)
    except UnicodeDecodeError:
        return None


def _looks_wrong(text: str) -> bool:
    """True when a declared decoding gives mojibake: many Latin-1 letters (Ïðèâåò) or odd characters."""
    sample = text[:_SAMPLE_CHARS]
    non_ascii = sum(1 for ch in sample if ord(ch) > 127)
    if non_ascii < 20:
        return False
    latin1_letters = sum(1 for ch in sample if "\u00c0" <= ch <= "\u00ff")
    if latin1_letters > 0.3 * non_ascii:
        return True
    letters = len(_CYRILLIC.findall(sample))
    return letters > 0 and len(_IMPLAUSIBLE.findall(sample)) > 0.1 * letters


def _best_cyrillic(body: bytes, extra: tuple[str, ...] = ()) -> tuple[str, str] | None:
    best: tuple[float, str, str] | None = None
    for encoding in dict.fromkeys((*CYRILLIC_CANDIDATES, *extra)):
        text = _decode_strict(body, encoding)
        if text is None:
            continue
        score = russian_score(text)
        if best is None or score > best[0]:
            best = (score, text, encoding)
    if best is None or best[0] < 0.15:
        return None
    return best[1], codecs.lookup(best[2]).name


def decode_html(body: bytes, content_type: str | None = None) -> Decoded:
    """Decode page bytes to text, trusting BOM, then HTTP charset, then <meta>, then detection."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return Decoded(body[len(bom) :].decode(encoding, "replace"), codecs.lookup(encoding).name, "bom")

    # Valid UTF-8 with non-ASCII bytes is almost never another encoding (Cyrillic in windows-1251 or
    # KOI8-R is not valid UTF-8), and pages that declare windows-1251 but send UTF-8 are common.
    utf8_text = _decode_utf8_allowing_cut_end(body)
    if utf8_text is not None and not body.isascii():
        return Decoded(utf8_text, "utf-8", "utf8")

    for method, declared in (("http", charset_from_content_type(content_type)), ("meta", charset_from_meta(body))):
        if not declared or declared.startswith("utf"):
            continue  # UTF-8 was declared but the bytes are not UTF-8: detect instead
        text = body.decode(declared, "replace")
        if _looks_wrong(text):
            continue
        if declared in _SINGLE_BYTE_CYRILLIC:
            # A page declaring windows-1251 while sending KOI8-R reads as Cyrillic gibberish, not mojibake.
            better = _best_cyrillic(body)
            if better is not None and better[1] != declared and russian_score(better[0]) > russian_score(text) + 0.2:
                return Decoded(better[0], better[1], "detected")
        return Decoded(text, declared, method)

    if utf8_text is not None:
        return Decoded(utf8_text, "utf-8", "utf8")  # plain ASCII

    guess = charset_normalizer.from_bytes(body[:200_000]).best()
    guessed = normalize_charset(guess.encoding) if guess is not None else None
    cyrillic = _best_cyrillic(body, (guessed,) if guessed else ())
    if cyrillic is not None:
        return Decoded(cyrillic[0], cyrillic[1], "detected")
    if guessed:
        return Decoded(body.decode(guessed, "replace"), guessed, "detected")
    return Decoded(body.decode("cp1252", "replace"), "cp1252", "fallback")
