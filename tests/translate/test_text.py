"""Glossary matching and protection, name transliteration, sentence splitting and the quality flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from dragoman.errors import ConfigError
from dragoman.names.glossary import load_glossary, parse_glossary, protect, restore
from dragoman.names.personal import transliterate, transliterate_name
from dragoman.translate import quality
from dragoman.translate.segment import normalize_sentence, split_long, split_sentences


@pytest.fixture(scope="module")
def glossary():  # type: ignore[no-untyped-def]
    return load_glossary(include_user=False)


@pytest.mark.parametrize(
    ("text", "english"),
    [
        ("Об этом заявил Сергей Лавров.", ["Sergei Lavrov"]),
        ("Позиция Лаврова известна.", ["Lavrov"]),
        ("Встреча с Лавровым состоялась.", ["Lavrov"]),
        ("Замминистра Сергей Рябков и Венди Шерман", ["Sergei Ryabkov", "Wendy Sherman"]),
        ("Сенаторы Совета Федерации и депутаты Госдумы", ["Federation Council", "State Duma"]),
        ("В МИДе России и в НАТО", ["Foreign Ministry", "NATO"]),
        ("генсек НАТО Йенс Столтенберг заявил", ["NATO", "Jens Stoltenberg"]),
        ("Столтенбергу ответили", ["Stoltenberg"]),
    ],
)
def test_glossary_finds_inflected_forms(glossary, text: str, english: list[str]) -> None:  # type: ignore[no-untyped-def]
    assert [m.entry.english for m in glossary.find(text)] == english


def test_glossary_does_not_match_inside_other_words(glossary) -> None:  # type: ignore[no-untyped-def]
    assert glossary.find("Лавровый лист и советский путинизм") == []
    assert glossary.find("фактический МИДовский") == []


def test_protect_and_restore_tokens(glossary) -> None:  # type: ignore[no-untyped-def]
    masked = protect("Лавров встретился с Блинкеном в Женеве.", glossary, style="token")
    assert "Лавров" not in masked.text and "ZX1Q" in masked.text
    english, lost = restore("ZX1Q met ZX2Q in ZX3Q.", masked.slots)
    assert english == "Lavrov met Blinken in Geneva."
    assert lost == []
    english, lost = restore("ZX1Q met somebody in ZX3Q.", masked.slots)
    assert lost == ["Blinken"]


def test_inline_protection_puts_english_in_the_source(glossary) -> None:  # type: ignore[no-untyped-def]
    masked = protect("Заявление Госдумы и Совфеда", glossary)
    assert masked.text == "Заявление State Duma и Federation Council"
    assert restore("Statement of the State Duma", masked.slots)[1] == ["Federation Council"]


def test_user_glossary_extends_and_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    extra = tmp_path / "glossary.tsv"
    extra.write_text("russian\tenglish\tkind\nШойгу\tShoygu\tperson\nРоскосмос\tRoscosmos State Corp\torg\n")
    monkeypatch.setenv("DRAGOMAN_GLOSSARY", str(extra))
    glossary = load_glossary()
    assert [m.entry.english for m in glossary.find("Шойгу и Роскосмос")] == ["Shoygu", "Roscosmos State Corp"]


def test_bad_glossary_row_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="line 2"):
        parse_glossary("russian\tenglish\tkind\nтолько одна колонка\n", source="mine.tsv")
    with pytest.raises(ConfigError, match="unknown kind"):
        parse_glossary("Лавров\tLavrov\tministers\n")


def test_builtin_glossary_rows_are_well_formed(glossary) -> None:  # type: ignore[no-untyped-def]
    assert len(glossary) > 150
    russian = [e.russian for e in glossary.entries]
    assert len(russian) == len(set(russian))


@pytest.mark.parametrize(
    ("russian", "english"),
    [
        ("Екатерина Постникова", "Ekaterina Postnikova"),
        ("Татьяна Байкова", "Tatyana Baykova"),
        ("Сергей Рябков", "Sergei Ryabkov"),
        ("Юрий Горлач", "Yury Gorlach"),
        ("Андрей Ефимов", "Andrei Yefimov"),
        ("Анна Щербакова-Кузьмина", "Anna Shcherbakova-Kuzmina"),
        ("John Smith", "John Smith"),
    ],
)
def test_author_names(russian: str, english: str) -> None:
    assert transliterate_name(russian) == english


def test_transliteration_rules() -> None:
    # ё after ж, ч, ш, щ reads "e", as in the forms English print knows (Khrushchev, Gorbachev).
    assert transliterate("Ёлкин Объезд Хрущёв Цой") == "Yolkin Obyezd Khrushchev Tsoy"
    assert transliterate("Юрий Дмитрий") == "Yury Dmitry"
    assert transliterate("Подъячев, Мытищи") == "Podyachev, Mytishchi"


def test_sentences_and_normalization() -> None:
    text = "Москва не восстановит миссию. Об этом сообщил источник «Известий»!\nНовая строка без точки"
    assert split_sentences(text) == [
        "Москва не восстановит миссию.",
        "Об этом сообщил источник «Известий»!",
        "Новая строка без точки",
    ]
    assert normalize_sentence("  Москва\u00a0не   восстановит ") == "Москва не восстановит"


def test_split_long_prefers_clause_boundaries() -> None:
    sentence = (
        "Стороны договорились о встрече; США и НАТО предоставят ответ письменно, "
        "а дальнейший диалог будет зависеть от его содержания — так заявили в МИД"
    )
    pieces = split_long(sentence, lambda t: len(t) > 70)
    assert all(len(p) <= 70 for p in pieces)
    assert pieces[0] == "Стороны договорились о встрече;"
    assert " ".join(pieces) == sentence
    assert split_long("короткое", lambda t: len(t) > 70) == ["короткое"]
    glued = "а" * 500
    assert "".join(split_long(glued, lambda t: len(t) > 70)) == glued


@pytest.mark.parametrize(
    ("source", "target", "flags"),
    [
        ("Об этом сообщил источник.", "This was reported by a source.", []),
        ("Об этом сообщил источник.", "", ["empty"]),
        ("Об этом сообщил источник в Москве.", "This was reported by a source in Москве.", ["cyrillic"]),
        ("С 1 ноября закрыто 8 постов.", "Since November 1, 8 posts were closed.", []),
        ("С 1 ноября закрыто 8 постов.", "Since November 1, 9 posts were closed.", ["numbers"]),
        ("Экспорт составил 3 млрд долларов.", "Exports amounted to $3 billion.", []),
        ("Экспорт составил 2,5 млрд долларов.", "Exports were 2.5 billion dollars.", []),
        ("10 000 человек вышли 12 января 2022 года.", "10,000 people came out on January 12, 2022.", []),
        ("Москва не будет восстанавливать дипмиссию при НАТО.", "No.", ["length_ratio"]),
        ("Он сказал.", "He said that that that that.", ["repetition"]),
        ("Он сказал.", "the the the the", ["repetition"]),
        # A model's runaway digits overflow a float: compared as written, flagged, never a crash.
        ("Он сказал 5 млрд.", "He said " + "9" * 400 + ".", ["numbers"]),
        ("Цифра " + "7" * 400 + ".", "The figure " + "7" * 400 + ".", []),
    ],
)
def test_quality_flags(source: str, target: str, flags: list[str]) -> None:
    assert quality.check(source, target) == flags


def test_lost_term_flag() -> None:
    assert quality.check("Лавров сказал.", "He said.", lost_terms=["Lavrov"]) == ["lost_term"]
