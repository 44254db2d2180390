"""Issue 16: the rubric from what the page states, in order of trust, generic sections never a rubric."""

from __future__ import annotations

import json

import pytest

from dragoman.article import RawPage
from dragoman.extract import extract, lookup_outlet, translate_rubric
from dragoman.names.outlets import is_generic_section, section_from_url

PARAGRAPH = (
    "Правительство утвердило новые правила выдачи кредитов малому бизнесу, сообщили в министерстве. "
    "Документ вступит в силу с первого числа следующего месяца и затронет несколько тысяч компаний. "
)


def _page(*, head: str = "", header: str = "", title: str = "Кабмин утвердил правила кредитования") -> bytes:
    body = "".join(f"<p>{PARAGRAPH}{i}</p>" for i in range(4))
    return (
        f"<html><head><title>{title}</title><meta property='og:type' content='article'>{head}</head><body>"
        f"<article><div class='article__header'>{header}<h1>Кабмин утвердил правила кредитования</h1></div>"
        f"{body}</article></body></html>"
    ).encode()


def _json_ld(data: dict) -> str:
    return f"<script type='application/ld+json'>{json.dumps(data, ensure_ascii=False)}</script>"


def test_generic_breadcrumb_is_skipped_for_the_next_source() -> None:
    """A RIA-style breadcrumb «Новости» is no rubric; the header's rubric link is taken instead."""
    crumbs = {
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": 1, "name": "РИА Новости"},
            {"@type": "ListItem", "position": 2, "name": "Новости"},
        ],
    }
    page = _page(head=_json_ld(crumbs), header="<a class='article__rubric' href='/economy/'>Экономика</a>")
    article = extract(RawPage(url="https://ria.ru/20220611/kredity-1794.html", body=page))
    assert article.rubric == "Экономика"
    assert article.extra["extract"]["rubric"] == "header"
    assert translate_rubric(article.outlet, article.rubric) == "Economy"


def test_json_ld_section_outranks_header_title_and_url() -> None:
    page = _page(
        head=_json_ld({"@type": "NewsArticle", "headline": "Кабмин утвердил правила", "articleSection": "Политика"}),
        header="<a class='rubric' href='/business/'>Бизнес</a>",
        title="Кабмин утвердил правила: Банки: Финансы: Lenta.ru",
    )
    article = extract(RawPage(url="https://www.rbc.ru/economics/03/07/2023/649ea4cc", body=page))
    assert (article.rubric, article.extra["extract"]["rubric"]) == ("Политика", "json-ld")


def test_title_chain_needs_the_site_name_at_its_end() -> None:
    """ "Headline: Rubric: Lenta.ru" gives the rubric; a headline with a colon in it does not."""
    chained = _page(title="Кабмин утвердил правила: Банки: Финансы: Lenta.ru")
    assert extract(RawPage(url="https://lenta.ru/news/2016/04/22/x/", body=chained)).rubric == "Финансы"
    quoted = _page(title="«Это полная глупость»: в чем секрет: что говорят повара")
    assert extract(RawPage(url="https://lenta.ru/news/2016/04/22/x/", body=quoted)).rubric is None


def test_menu_and_subrubric_bars_are_not_the_header_rubric() -> None:
    bar = "".join(
        f"<a class='rubric-header__link' href='/r/{i}/'>{n}</a>" for i, n in enumerate(["Все", "Стиль", "Явления"])
    )
    page = _page(header=f"<div class='rubric-header__container'>{bar}</div>")
    assert extract(RawPage(url="https://lenta.ru/news/2023/07/04/x/", body=page)).rubric is None


@pytest.mark.parametrize(
    ("url", "rubric"),
    [
        ("https://www.rbc.ru/politics/03/07/2023/649ea4cc9a7947b29e9db05a", "Политика"),
        ("https://www.gazeta.ru/style/2022/02/26/14575933.shtml", "Стиль"),
        ("https://tass.ru/politika/7999199", "Политика"),
        ("https://tass.com/politics/1234567", "Politics"),
        ("https://russian.rt.com/world/news/338712-x", "Мир"),
        ("https://www.rbc.ru/rbcfreenews/649ea4cc9a7947b29e9db05a", None),
        ("https://lenta.ru/news/2023/07/04/x/", None),
        ("https://aif.ru/politics/world/otrezat_golovu_vo_imya_proroka", "В мире"),
        ("https://aif.ru/politics/russia/x", "В России"),
        ("https://aif.ru/politics/x", "Политика"),
    ],
)
def test_url_section_through_the_outlet_table(url: str, rubric: str | None) -> None:
    assert section_from_url(lookup_outlet(url), url) == rubric


def test_url_section_is_the_last_resort_on_a_page() -> None:
    article = extract(RawPage(url="https://www.rbc.ru/politics/03/07/2023/649ea4cc9a7947b29e9db05a", body=_page()))
    assert (article.rubric, article.extra["extract"]["rubric"]) == ("Политика", "url")
    assert translate_rubric(article.outlet, article.rubric) == "Politics"


def test_generic_sections() -> None:
    assert is_generic_section("Новости") and is_generic_section(" главное ")
    assert not is_generic_section("Наука и техника")
