"""Bad input gets a clear reason and never a raw third-party exception."""

from __future__ import annotations

import gzip
import json
import random
import re
from pathlib import Path

import pytest

from dragoman.article import RawPage
from dragoman.errors import DragomanError, ExtractError, SkipArticle
from dragoman.extract import MAX_INPUT_BYTES, extract

from .helpers import KOMMERSANT_URL, read_page


def _reason(body: bytes, url: str = "https://example.ru/news/1", content_type: str | None = None) -> str:
    with pytest.raises(DragomanError) as caught:
        extract(RawPage(url=url, body=body, content_type=content_type))
    assert str(caught.value)  # a message a person can read
    return caught.value.reason


@pytest.mark.parametrize("body", [b"", b"   \n\t  ", b"<html><head></head><body></body></html>"])
def test_empty(body: bytes) -> None:
    with pytest.raises(SkipArticle) as caught:
        extract(RawPage(url="https://example.ru/empty", body=body))
    assert caught.value.reason in ("empty", "no_article")
    if not body.strip():
        assert caught.value.reason == "empty"


@pytest.mark.parametrize(
    "body",
    [
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + bytes(range(256)) * 10,
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200),
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(200),
        b"PK\x03\x04\x14\x00\x06\x00" + bytes(100),
        bytes(range(256)) * 4,
    ],
)
def test_binary(body: bytes) -> None:
    assert _reason(body) == "binary"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (json.dumps({"title": "Новости", "text": "Путин провел переговоры"}, ensure_ascii=False).encode(), None),
        ("Просто текст новости без разметки. Второе предложение.".encode(), "text/plain; charset=utf-8"),
        (b"body { color: red; }\n.article { margin: 0 }", "text/css"),
    ],
)
def test_not_html(body: bytes, content_type: str | None) -> None:
    assert _reason(body, content_type=content_type) == "not_html"


def test_truncated_page_extracts_what_is_there(kommersant_bytes: bytes) -> None:
    full = extract(RawPage(url=KOMMERSANT_URL, body=kommersant_bytes))
    text = kommersant_bytes.decode("utf-8")
    cut_at = text.index("Да и заявления для прессы обойдутся")
    # Cut in the middle of a two-byte Cyrillic letter, as an interrupted download would.
    cut = text[:cut_at].encode("utf-8") + "Да".encode()[:3]
    article = extract(RawPage(url=KOMMERSANT_URL, body=cut))
    assert article.title == full.title
    assert article.authors == full.authors
    assert article.published_at == full.published_at
    assert article.extra["extract"]["encoding"] == "utf-8"
    assert 5 <= len(article.blocks) < len(full.blocks)
    assert [b.text for b in article.blocks[:5]] == [b.text for b in full.blocks[:5]]


def test_english_page_is_not_russian(data_dir: Path) -> None:
    key = "04a6711caa7c687592777718866e781e976e0fe684faebe8b3cedcef8cd0ea34"  # nytimes opinion page
    body = read_page(data_dir / "article_extraction_benchmark" / "html" / f"{key}.html.gz")
    assert _reason(body, url="https://www.nytimes.com/2019/11/19/opinion/x.html") == "not_russian"


UKRAINIAN_PAGE = """<!DOCTYPE html><html lang="uk"><head><meta charset="utf-8">
<title>Уряд затвердив нову програму підтримки аграріїв</title>
<meta property="og:type" content="article">
<meta property="article:published_time" content="2024-03-12T10:15:00+02:00"></head>
<body><article><h1>Уряд затвердив нову програму підтримки аграріїв</h1>
<p>Кабінет міністрів України ухвалив рішення про виділення додаткових коштів для підтримки фермерських
господарств у прифронтових областях. Про це повідомила пресслужба уряду.</p>
<p>За словами міністра аграрної політики, програма передбачає компенсацію частини витрат на пальне,
добрива та насіння. Подати заявку можна буде через державний портал до кінця квітня.</p>
<p>Експерти зазначають, що така підтримка є особливо важливою перед початком посівної кампанії,
адже багато господарств постраждали від обстрілів та втратили техніку.</p>
</article></body></html>"""


def test_ukrainian_page_is_not_russian() -> None:
    assert _reason(UKRAINIAN_PAGE.encode("utf-8"), url="https://www.pravda.com.ua/news/2024/03/12/1/") == "not_russian"


def _section_front_page(kommersant_bytes: bytes) -> bytes:
    """A rubric front page built from the real headline links on a Kommersant page."""
    text = kommersant_bytes.decode("utf-8")
    links = re.findall(r'<a[^>]+href="(/doc/\d+[^"]*)"[^>]*>\s*([^<]{25,200}?)\s*</a>', text)
    assert len(links) >= 5, "the real page should carry headline links"
    items = "\n".join(
        f'<li><a href="{href}">{title}</a> <span class="time">14.05.2025</span></li>' for href, title in links
    )
    page = f"""<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><title>Политика — Коммерсантъ</title>
    <meta property="og:type" content="website"></head><body>
    <nav><a href="/">Главная</a> <a href="/rubric/2">Политика</a> <a href="/rubric/3">Экономика</a></nav>
    <h1>Политика</h1><ul class="rubric_lenta">{items}{items}</ul></body></html>"""
    return page.encode("utf-8")


def test_section_front_page_is_no_article(kommersant_bytes: bytes) -> None:
    assert _reason(_section_front_page(kommersant_bytes), url="https://www.kommersant.ru/rubric/2") == "no_article"


def test_too_large_page_is_refused_before_parsing() -> None:
    body = b"<html><body>" + b"<p>" + "Длинный текст. ".encode() * (MAX_INPUT_BYTES // 20) + b"</p></body></html>"
    assert len(body) > MAX_INPUT_BYTES
    with pytest.raises(ExtractError) as caught:
        extract(RawPage(url="https://example.ru/huge", body=body))
    assert caught.value.reason == "too_large"
    assert "MB" in str(caught.value)


def test_gzip_bomb_is_refused() -> None:
    bomb = gzip.compress(b"<html><body>" + b" " * (5 * MAX_INPUT_BYTES), compresslevel=9)
    assert len(bomb) < 200_000
    assert _reason(bomb) == "too_large"


def test_gzipped_page_is_read(kommersant_bytes: bytes) -> None:
    article = extract(RawPage(url=KOMMERSANT_URL, body=gzip.compress(kommersant_bytes)))
    assert article.title == "Легкий троннинг"


def test_deeply_nested_markup_does_not_crash() -> None:
    body = ("<html><body>" + "<div>" * 50_000 + "<p>Текст.</p>" + "</div>" * 50_000 + "</body></html>").encode()
    with pytest.raises(DragomanError):
        extract(RawPage(url="https://example.ru/nested", body=body))


def test_mangled_real_pages_never_raise_raw_exceptions(kommersant_bytes: bytes) -> None:
    rng = random.Random(20261126)
    for _ in range(12):
        body = bytearray(kommersant_bytes[: rng.randrange(200, len(kommersant_bytes))])
        for _ in range(rng.randrange(0, 40)):
            position = rng.randrange(len(body))
            body[position : position + rng.randrange(1, 50)] = rng.randbytes(rng.randrange(0, 50))
        try:
            article = extract(RawPage(url=KOMMERSANT_URL, body=bytes(body)))
        except DragomanError as error:
            assert error.reason
        else:
            assert article.title
