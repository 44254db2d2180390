"""Binary sniffing and telling Russian from Ukrainian, Kazakh and Latin-script text."""

from __future__ import annotations

import pytest

from dragoman.extract.sniff import binary_kind, detect_language, looks_like_html

RUSSIAN = "Президент России Владимир Путин встретился с премьер-министром Малайзии. Объявлено о переговорах в Стамбуле."
UKRAINIAN = "Кабінет міністрів України ухвалив рішення про виділення коштів. Про це повідомила пресслужба уряду."
KAZAKH = "Қазақстан Республикасының Үкіметі жаңа бағдарламаны бекітті. Бұл туралы министрлік хабарлады."


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (RUSSIAN, "ru"),
        (UKRAINIAN, "uk"),
        (KAZAKH, "kk"),
        ("The Doobie Brothers will unite with former frontman Michael McDonald for a tour.", "latn"),
        ("12345 !!!", "und"),
        # Russian text quoting a Ukrainian place name stays Russian.
        (RUSSIAN + " Митинг прошел у здания «Київська міська рада» в центре.", "ru"),
        # A Russian article with English names and brands is still Russian.
        ("Компания Apple представила MacBook Pro и iPhone на презентации в Купертино. " * 3, "ru"),
    ],
)
def test_detect_language(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_binary_kind() -> None:
    assert binary_kind(b"%PDF-1.4 ...") == "PDF"
    assert binary_kind(b"\x89PNG\r\n\x1a\n....") == "PNG image"
    assert binary_kind("<html><body>Привет</body></html>".encode()) is None
    assert binary_kind("<html>Привет</html>".encode("utf-16")) is None  # NULs, but a BOM says it is text
    assert binary_kind(b"\x00\x01\x02\x03" * 10) == "binary data"


def test_looks_like_html() -> None:
    assert looks_like_html("<!DOCTYPE html><html><body></body></html>")
    assert looks_like_html("  <div class='x'><p>Текст</p></div>")
    assert not looks_like_html('{"title": "<b>не html</b>"}')
    assert not looks_like_html("Просто текст")
