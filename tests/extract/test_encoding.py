"""Decoding real Russian pages re-encoded to windows-1251 and KOI8-R, with and without declarations."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

import pytest

from dragoman.article import RawPage
from dragoman.extract import extract
from dragoman.extract.encoding import charset_from_content_type, decode_html, normalize_charset, russian_score

from .helpers import KOMMERSANT_URL, read_page

_META_CHARSET = re.compile(r"<meta[^>]*charset[^>]*>", re.IGNORECASE)
_CYRILLIC = re.compile(r"[А-Яа-яЁё]+")


def _real_pages(data_dir: Path) -> list[str]:
    """Real Russian pages as text, their own charset declarations removed."""
    paths = [
        data_dir / "html_ru" / "fundus" / "ru" / "Kommersant_2025_05_14.html.gz",
        data_dir / "html_ru" / "htmldate_eval" / "pages" / "1647262025.html",  # tass.ru
        data_dir / "html_ru" / "htmldate_eval" / "pages" / "1742998174.html",  # aif.ru
        data_dir / "tgcontest_ru" / "test" / "data" / "example1.html",  # interfax.ru
    ]
    return [_META_CHARSET.sub("", read_page(p).decode("utf-8")) for p in paths]


def _cyrillic(text: str) -> str:
    return " ".join(_CYRILLIC.findall(text))


@pytest.fixture(scope="module")
def real_pages(data_dir: Path) -> list[str]:
    return _real_pages(data_dir)


@pytest.mark.parametrize("encoding", ["cp1251", "koi8_r"])
def test_undeclared_single_byte_pages_decode_to_the_original_cyrillic(real_pages: list[str], encoding: str) -> None:
    for original in real_pages:
        body = original.encode(encoding, errors="xmlcharrefreplace")
        decoded = decode_html(body, None)
        assert decoded.method == "detected"
        assert decoded.encoding == codecs.lookup(encoding).name
        assert _cyrillic(decoded.text) == _cyrillic(original)


@pytest.mark.parametrize(
    ("encoding", "label"), [("cp1251", "windows-1251"), ("koi8_r", "koi8-r"), ("cp1251", "cp1251")]
)
def test_http_charset_is_used(real_pages: list[str], encoding: str, label: str) -> None:
    original = real_pages[0]
    body = original.encode(encoding, errors="xmlcharrefreplace")
    decoded = decode_html(body, f"text/html; charset={label}")
    assert decoded.method == "http"
    assert _cyrillic(decoded.text) == _cyrillic(original)


@pytest.mark.parametrize("encoding", ["cp1251", "koi8_r"])
def test_meta_charset_is_used(real_pages: list[str], encoding: str) -> None:
    original = real_pages[1]
    label = {"cp1251": "windows-1251", "koi8_r": "KOI8-R"}[encoding]
    with_meta = original.replace(
        "<head>", f'<head><meta http-equiv="Content-Type" content="text/html; charset={label}">', 1
    )
    assert with_meta != original
    decoded = decode_html(with_meta.encode(encoding, errors="xmlcharrefreplace"), "text/html")
    assert decoded.method == "meta"
    assert _cyrillic(decoded.text) == _cyrillic(with_meta)


def test_page_declaring_utf8_but_sent_as_windows_1251_is_detected(real_pages: list[str]) -> None:
    original = '<meta charset="utf-8">' + real_pages[2]
    decoded = decode_html(original.encode("cp1251", errors="xmlcharrefreplace"), "text/html; charset=utf-8")
    assert decoded.encoding == "cp1251"
    assert _cyrillic(decoded.text) == _cyrillic(original)


def test_page_declaring_windows_1251_but_sent_as_utf8_reads_as_utf8(real_pages: list[str]) -> None:
    original = real_pages[3]
    decoded = decode_html(original.encode("utf-8"), "text/html; charset=windows-1251")
    assert decoded.encoding == "utf-8"
    assert decoded.text == original


def test_latin1_declaration_on_a_cyrillic_page_is_overridden(real_pages: list[str]) -> None:
    # Old Russian sites often declared iso-8859-1 while sending windows-1251 (mojibake like "Ïðèâåò").
    original = real_pages[3]
    decoded = decode_html(original.encode("cp1251", errors="xmlcharrefreplace"), "text/html; charset=iso-8859-1")
    assert decoded.encoding == "cp1251"
    assert _cyrillic(decoded.text) == _cyrillic(original)


def test_bom_wins(real_pages: list[str]) -> None:
    body = b"\xef\xbb\xbf" + real_pages[3].encode("utf-8")
    decoded = decode_html(body, "text/html; charset=koi8-r")
    assert decoded.method == "bom"
    assert decoded.text == real_pages[3]


def test_russian_score_prefers_the_right_decoding_over_maccyrillic(real_pages: list[str]) -> None:
    body = real_pages[0].encode("cp1251", errors="xmlcharrefreplace")
    right = russian_score(body.decode("cp1251"))
    assert right > russian_score(body.decode("mac_cyrillic"))
    assert right > russian_score(body.decode("koi8_r"))
    assert right > russian_score(body.decode("iso8859_5"))


def test_charset_labels() -> None:
    assert normalize_charset("Windows-1251") == "cp1251"
    assert normalize_charset("KOI8-R") == "koi8-r"
    assert normalize_charset("no-such-charset") is None
    assert charset_from_content_type('text/html; charset="UTF-8"') == "utf-8"
    assert charset_from_content_type("text/html") is None


def test_extract_on_a_windows_1251_page_gives_the_same_article(kommersant_bytes: bytes) -> None:
    original = kommersant_bytes.decode("utf-8")
    reference = extract(RawPage(url=KOMMERSANT_URL, body=kommersant_bytes))
    stripped = _META_CHARSET.sub("", original).encode("cp1251", errors="xmlcharrefreplace")
    article = extract(RawPage(url=KOMMERSANT_URL, body=stripped))
    assert article.title == reference.title == "Легкий троннинг"
    assert article.lead == reference.lead
    assert [b.text for b in article.blocks] == [b.text for b in reference.blocks]
    assert article.extra["extract"]["encoding"] == "cp1251"


def test_misdeclared_single_byte_charset_is_corrected(real_pages: list[str]) -> None:
    # Declared windows-1251, sent as KOI8-R: both decode to Cyrillic letters, only one reads as Russian.
    original = real_pages[1]
    decoded = decode_html(original.encode("koi8_r", errors="xmlcharrefreplace"), "text/html; charset=windows-1251")
    assert decoded.encoding == "koi8-r"
    assert decoded.method == "detected"
    assert _cyrillic(decoded.text) == _cyrillic(original)
