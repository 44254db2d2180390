"""What the bytes are before we parse them (binary, HTML or not) and what language the text is in."""

from __future__ import annotations

import re

# Magic numbers of formats that reach a news pipeline by mistake.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "PDF"),
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"RIFF", "RIFF (WebP/WAV/AVI)"),
    (b"PK\x03\x04", "ZIP archive (DOCX/XLSX/EPUB)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "MS Office document"),
    (b"7z\xbc\xaf\x27\x1c", "7z archive"),
    (b"Rar!\x1a\x07", "RAR archive"),
    (b"BZh", "bzip2 data"),
    (b"\xfd7zXZ\x00", "xz data"),
    (b"\x00\x00\x00\x18ftyp", "MP4 video"),
    (b"\x00\x00\x00\x20ftyp", "MP4 video"),
    (b"\x00\x00\x00\x1cftyp", "MP4 video"),
    (b"ID3", "MP3 audio"),
    (b"OggS", "Ogg media"),
    (b"wOFF", "web font"),
    (b"wOF2", "web font"),
    (b"\x7fELF", "executable"),
    (b"MZ", "executable"),
)
_HTML_TAG = re.compile(r"<(?:!doctype\s+html|html|head|body|meta|title|div|p|article|main|h1|section)\b", re.I)


def binary_kind(body: bytes) -> str | None:
    """Name of the binary format ``body`` is in, or None when it may be text."""
    head = body[:16]
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    sample = body[:4096]
    # UTF-16/32 text has NULs too, but always starts with a BOM that decoding honours.
    if b"\x00" in sample and not sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "binary data"
    return None


def looks_like_html(text: str) -> bool:
    return _HTML_TAG.search(text[:65_536]) is not None


_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[A-Za-z]")
_UKRAINIAN = re.compile(r"[іїєґІЇЄҐ]")
_RUSSIAN_ONLY = re.compile(r"[ыэъёЫЭЪЁ]")
_BELARUSIAN = re.compile(r"[ўЎ]")
_KAZAKH = re.compile(r"[әғқңөұүһӘҒҚҢӨҰҮҺ]")


def detect_language(text: str) -> str:
    """ISO-ish code from the letters ``text`` uses: "ru", "uk", "be", "kk", "latn" (Latin script) or "und".

    Russian and Ukrainian share most letters; і/ї/є/ґ occur only in Ukrainian, ы/э/ъ/ё only in Russian.
    """
    sample = text[:20_000]
    cyrillic = len(_CYRILLIC.findall(sample))
    latin = len(_LATIN.findall(sample))
    if cyrillic + latin < 20:
        return "und"
    if cyrillic < 0.3 * (cyrillic + latin):
        return "latn" if latin else "und"
    ukrainian = len(_UKRAINIAN.findall(sample))
    russian = len(_RUSSIAN_ONLY.findall(sample))
    if len(_KAZAKH.findall(sample)) > 0.01 * cyrillic:
        return "kk"
    if len(_BELARUSIAN.findall(sample)) > 0.002 * cyrillic and ukrainian > russian:
        return "be"
    # і/ї/є make up about 6% of Ukrainian letters; a Russian text quoting a Ukrainian name has a trace.
    if ukrainian > 0.03 * cyrillic or (ukrainian > 0.01 * cyrillic and ukrainian > 3 * russian):
        return "uk"
    return "ru"
