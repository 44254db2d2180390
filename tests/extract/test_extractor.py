"""The parts of ``extract`` that glue the modules: wire datelines, the prose check, outlet hints."""

from __future__ import annotations

import pytest

from dragoman.article import Block, BlockKind, RawPage
from dragoman.extract import extract
from dragoman.extract.body import is_prose
from dragoman.extract.extractor import _dateline_agency


@pytest.mark.parametrize(
    ("first_paragraph", "agency"),
    [
        ("МОСКВА, 26 января. /ТАСС/. Президент России Владимир Путин провел совещание.", "ТАСС"),
        ("МОСКВА, 26 янв — РИА Новости. Президент России Владимир Путин провел совещание.", "РИА Новости"),
        ("Москва. 1 ноября. INTERFAX.RU - Верховный суд США вынес временный запрет.", "Интерфакс"),
        ("КИЕВ. 3 декабря. УНН. Парламент Молдовы на заседании в четверг одобрил закон.", "УНН"),
        ("Президент России Владимир Путин провел совещание, сообщает ТАСС.", None),
        ("26 января в Москве прошло совещание, о котором рассказали РИА Новости.", None),
    ],
)
def test_dateline_agency(first_paragraph: str, agency: str | None) -> None:
    assert _dateline_agency([Block(BlockKind.PARAGRAPH, first_paragraph)], None) == agency


def test_prose_check() -> None:
    prose = "Президент России встретился с премьер-министром Малайзии. Они обсудили торговлю и авиасообщение. " * 5
    menu = "Москва Санкт-Петербург Архангельск Астрахань Барнаул Белгород Брянск Владимир Волгоград. " * 5
    headlines = "\n".join(["Путин встретился с премьером Малайзии", "Ушаков рассказал о переговорах"] * 10)
    assert is_prose(prose)
    assert not is_prose(menu)
    assert not is_prose(headlines)


PAGE = """<html><head><title>Совещание в Кремле</title></head><body><article><h1>Совещание в Кремле</h1>
<p>Президент России Владимир Путин провел совещание с членами правительства. Обсуждали бюджет на
следующий год и расходы на здравоохранение, образование и строительство дорог в регионах страны.</p>
<p>По словам пресс-секретаря, участники совещания договорились вернуться к теме через месяц и подготовить
новые предложения по финансированию национальных проектов.</p>
<p class="date">26 января 2022, 00:01</p></article></body></html>"""


def test_local_file_with_outlet_hint_gets_the_outlet_zone() -> None:
    article = extract(RawPage(url="file:///tmp/page.html", body=PAGE.encode()), outlet_hint="iz.ru")
    assert article.outlet == "iz.ru" and article.outlet_name == "Izvestia"
    assert article.timezone == "Europe/Moscow"
    assert article.published_local is not None
    assert article.published_local.strftime("%Y-%m-%d %H:%M") == "2022-01-26 00:01"
    assert article.published_at is not None and article.published_at.isoformat() == "2022-01-25T21:01:00+00:00"
    assert article.canonical_url is None
    assert article.title == "Совещание в Кремле"
    assert [b.kind for b in article.blocks] == [BlockKind.PARAGRAPH, BlockKind.PARAGRAPH]


def test_canonical_pointing_at_the_home_page_is_ignored() -> None:
    page = PAGE.replace("<head>", '<head><link rel="canonical" href="https://iz.ru/">')
    article = extract(RawPage(url="https://iz.ru/1282340/2022-01-26/sovesh", body=page.encode()))
    assert article.canonical_url is None
    assert article.key_url == "https://iz.ru/1282340/2022-01-26/sovesh"
    relative = PAGE.replace("<head>", '<head><link rel="canonical" href="/1282340/2022-01-26/sovesh">')
    article = extract(RawPage(url="https://iz.ru/1282340/2022-01-26/sovesh?utm=x", body=relative.encode()))
    assert article.canonical_url == "https://iz.ru/1282340/2022-01-26/sovesh"
