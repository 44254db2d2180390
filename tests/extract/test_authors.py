"""Authors are people; agencies go to ``agency``; credits, sections, emails and URLs are dropped."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dragoman.article import Article, Block, BlockKind
from dragoman.extract.authors import agency_name, clean_authors, is_person_name, split_authors


def test_split_on_commas_and_i() -> None:
    assert split_authors("Екатерина Постникова, Татьяна Байкова") == ["Екатерина Постникова", "Татьяна Байкова"]
    assert split_authors("Иван Петров и Анна Сидорова") == ["Иван Петров", "Анна Сидорова"]
    assert split_authors("Автор: Андрей Колесников") == ["Андрей Колесников"]


def test_one_split_for_bylines_and_text_documents() -> None:
    """The extractor's bylines and the text documents' byline lines are split by the same function."""
    from dragoman.formats.document import parse_text_document, render_text

    # The users' old tools: two words a name, no separator; a particle keeps a name whole.
    assert split_authors("Иван Петров Анна Сидорова") == ["Иван Петров", "Анна Сидорова"]
    assert split_authors("John Smith Jane Doe") == ["John Smith", "Jane Doe"]
    assert split_authors("Урсула фон дер Ляйен") == ["Урсула фон дер Ляйен"]
    assert split_authors("Анна Мария Сидорова") == ["Анна Мария Сидорова"]
    assert split_authors("By Jane Doe and John Smith") == ["Jane Doe", "John Smith"]
    assert split_authors("   ") == []
    article = Article(
        url="https://iz.ru/1",
        title="Заголовок",
        blocks=[Block(BlockKind.PARAGRAPH, "Текст.")],
        published_at=datetime(2022, 1, 25, 18, 1, tzinfo=UTC),
        authors=["Иван Петров", "Анна Сидорова"],
    )
    rendered = render_text(article)
    assert parse_text_document(rendered).authors == ["Иван Петров", "Анна Сидорова"]
    old_tools = rendered.replace("Иван Петров, Анна Сидорова", "Иван Петров Анна Сидорова")
    assert old_tools != rendered and parse_text_document(old_tools).authors == ["Иван Петров", "Анна Сидорова"]


def test_people_kept_in_order_without_duplicates() -> None:
    people, agency = clean_authors(["Ярослав Кузишин, Антон Зелинский", "Карина Гасимова", "Антон Зелинский"])
    assert people == ["Ярослав Кузишин", "Антон Зелинский", "Карина Гасимова"]
    assert agency is None


@pytest.mark.parametrize(
    ("credit", "agency"),
    [("ТАСС", "ТАСС"), ("РИА Новости", "РИА Новости"), ("Интерфакс", "Интерфакс"), ("/ТАСС/", "ТАСС")],
)
def test_agencies_are_not_authors(credit: str, agency: str) -> None:
    people, found = clean_authors([credit, "Мария Иванова"])
    assert people == ["Мария Иванова"]
    assert found == agency


@pytest.mark.parametrize(
    "not_a_person",
    [
        "Фото: Дмитрий Азаров, Коммерсантъ",
        "Редакция",
        "Редакция сайта",
        "Коммерсантъ",
        "Политика",
        "news@iz.ru",
        "https://www.kommersant.ru/authors/3",
        "Пресс-служба МВД",
        "Иван",  # a single word is not a full name
        "Служба новостей Известий",
        "Московский Комсомолец",  # oren.mk.ru puts the outlet in <meta name="author">
        "Фото: Алексей Меринов",  # mk.ru marks its photo credit itemprop="author"
    ],
)
def test_not_people(not_a_person: str) -> None:
    people, _ = clean_authors([not_a_person])
    assert people == []


def test_person_name_shapes() -> None:
    assert is_person_name("Андрей Колесников")
    assert is_person_name("А. Колесников")
    assert is_person_name("Анна-Мария Петрова")
    assert is_person_name("Ludwig van Beethoven")
    assert not is_person_name("андрей колесников")
    assert not is_person_name("Андрей Колесников 2025")
    assert agency_name(" риа  новости ") == "РИА Новости"
    assert agency_name("Андрей") is None


def test_outlet_name_given_by_the_page_is_excluded() -> None:
    people, _ = clean_authors(["Вечерняя Москва", "Анна Петрова"], exclude=["Вечерняя Москва"])
    assert people == ["Анна Петрова"]


_RBC_PROSE = "".join(
    f"<p>Правительство обсуждает новые меры поддержки экспортеров, сообщили источники РБК, пункт {i}.</p>"
    for i in range(6)
)


def _rbc_2016_page(byline: str) -> bytes:
    return (
        "<html><head><title>Кабмин обсудит поддержку экспорта</title>"
        "<meta property='og:type' content='article'></head><body><div class='article'>"
        f"<div class='article__header'><span class='article__header__date'>15 авг, 13:43</span>{byline}</div>"
        "<figure><img src='/x.jpg'><figcaption><span class='article__main-image__author'>"
        "Фото: Андрей Любимов / РБК</span><span class='photo__author-name'>Андрей Любимов</span></figcaption></figure>"
        f"<div class='article__text'>{_RBC_PROSE}</div></div></body></html>"
    ).encode()


@pytest.mark.parametrize(
    "byline",
    [
        # old rbc.ru header: the label without a colon (.article__authors__row)
        "<div class='article__authors'><div class='article__authors__row'>Автор <a href='/a/1'>Иван Петров</a>"
        "</div></div>",
        # rbc.ru 2023 header: name spans beside the author's photo
        "<div class='article__authors'><a class='article__authors__author' href='/a/1'>"
        "<span class='article__authors__author__photo'><img alt='Иван Петров'></span>"
        "<span class='article__authors__author__name'>Иван Петров</span></a></div>",
    ],
)
def test_byline_in_rbc_header_markup_and_never_the_photo_credit(byline: str) -> None:
    """Issue 16: a byline in an old RBC header is found; the photo credit's name never becomes an author."""
    from dragoman.article import RawPage
    from dragoman.extract import extract

    article = extract(
        RawPage(url="https://www.rbc.ru/politics/15/08/2016/57b1a2b39a79471c1ae4f0f5", body=_rbc_2016_page(byline))
    )
    assert article.authors == ["Иван Петров"]
