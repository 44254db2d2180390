"""The bilingual registry: shipped data, user files, lookups in any case form, transliteration."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from dragoman.errors import ConfigError
from dragoman.names.registry import fold, load_registry
from dragoman.names.translit import transliterate


def test_shipped_registry_has_the_frequent_names_with_checked_ids() -> None:
    registry = load_registry()
    assert len(registry) >= 150
    putin = registry.lookup_ru("Владимир Путин", "PER")
    assert putin is not None and putin.en == "Vladimir Putin" and putin.wikidata == "Q7747"
    assert registry.lookup_ru("МИД РФ").en == "Russian Foreign Ministry"  # type: ignore[union-attr]
    assert registry.lookup_ru("Совет Россия — НАТО").en == "NATO-Russia Council"  # type: ignore[union-attr]
    assert registry.lookup_en("Stoltenberg").en == "Jens Stoltenberg"  # type: ignore[union-attr]
    # every entry has a type we know and a canonical English name
    assert all(e.type in ("PER", "ORG", "LOC") and e.en for e in registry)


def test_user_file_extends_and_overrides(tmp_path: Path) -> None:
    user = tmp_path / "mine.toml"
    user.write_text(
        '[[entity]]\nen = "Yevgeny Prigozhin"\ntype = "PER"\nru = ["Евгений Пригожин", "Пригожин"]\n'
        '[[entity]]\nen = "Sergey Lavrov"\ntype = "PER"\nru = ["Сергей Лавров"]\n',
        encoding="utf-8",
    )
    registry = load_registry(extra=[user])
    assert registry.lookup_ru("Евгений Пригожин", "PER").en == "Yevgeny Prigozhin"  # type: ignore[union-attr]
    assert registry.lookup_ru("Сергей Лавров", "PER").en == "Sergey Lavrov"  # type: ignore[union-attr]


def test_bad_user_file_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[entity]]\nen = "X"\ntype = "PERSON"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="entity #1"):
        load_registry(extra=[bad])


def test_fold_ignores_case_yo_and_dash_style() -> None:
    assert fold("Совет Россия — НАТО") == fold("совет россия-нато")
    assert fold("Косачёв") == fold("Косачев")


@pytest.mark.parametrize(
    ("ru", "en"),
    [
        ("Юрий Горлач", "Yury Gorlach"),
        ("Екатерина Постникова", "Yekaterina Postnikova"),
        ("Татьяна Байкова", "Tatyana Baykova"),
        ("Соловьёв", "Solovyov"),
        ("Щукин", "Shchukin"),
    ],
)
def test_transliteration_is_bgn_pcgn_simplified(ru: str, en: str) -> None:
    assert transliterate(ru) == en


def test_translation_glossary_is_merged_into_one_registry() -> None:
    from dragoman.names.glossary import load_glossary

    registry = load_registry()
    assert "translate glossary" in registry.sources
    people = [e for e in load_glossary().entries if e.kind == "person"]
    # every person the translator protects is known here, with the glossary's English surname
    for row in people:
        entry = registry.lookup_ru(row.russian, "PER") or registry.lookup_ru(row.russian)
        assert entry is not None, row.russian
        surname = unicodedata.normalize("NFKD", row.english.split()[-1]).encode("ascii", "ignore").decode()
        assert entry.en.split()[-1] == surname, (row.russian, entry.en, row.english)


def test_translation_and_analysis_romanize_unknown_names_alike() -> None:
    """One spelling corpus-wide: the translate stage's author names use the analyze stage's romanization."""
    from dragoman.names.personal import transliterate as translate_transliterate

    for name in ("Ёлкин", "Юрий Горлач", "Жёлудев", "Майя Соловьёва"):
        assert translate_transliterate(name) == transliterate(name)
    assert transliterate("Ёлкин") == "Yolkin"  # word-initial ё is "yo", not "e"
