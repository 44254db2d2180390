"""Authors are people; agencies go to ``agency``; credits, sections, emails and URLs are dropped."""

from __future__ import annotations

import pytest

from dragoman.extract.authors import agency_name, clean_authors, is_person_name, split_authors


def test_split_on_commas_and_i() -> None:
    assert split_authors("Екатерина Постникова, Татьяна Байкова") == ["Екатерина Постникова", "Татьяна Байкова"]
    assert split_authors("Иван Петров и Анна Сидорова") == ["Иван Петров", "Анна Сидорова"]
    assert split_authors("Автор: Андрей Колесников") == ["Андрей Колесников"]


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
