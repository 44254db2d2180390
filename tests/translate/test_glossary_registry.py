"""The analyze stage's entity registry feeds translation's glossary: registry-only names are protected."""

from __future__ import annotations

from dragoman.names.glossary import load_glossary, protect


def test_registry_only_names_are_protected_in_any_case_form() -> None:
    glossary = load_glossary(include_user=False)
    found = {
        m.text: m.entry for m in glossary.find("Директор ФСБ Александр Бортников встретился с Бортниковым-младшим.")
    }
    assert found["Александр Бортников"].english == "Alexander Bortnikov"
    assert found["Александр Бортников"].source == "registry"
    masked = protect("Об этом сообщил Бортников.", glossary)
    assert [slot.english for slot in masked.slots] == ["Bortnikov"]  # a lone surname stays a surname


def test_only_people_are_added_and_glossary_rows_win() -> None:
    glossary = load_glossary(include_user=False)
    # "альянс" is the registry's descriptor of NATO, not a name: translated as a word, not as "NATO"
    assert not any(m.entry.source == "registry" for m in glossary.find("Об этом заявил альянс."))
    # the translator's own file wins where it covers a registry name; places and bodies stay its business
    assert [m.entry.english for m in glossary.find("В МИДе России и в НАТО")] == ["Foreign Ministry", "NATO"]
    assert [m.entry.source for m in glossary.find("Юрий Горлач")] == ["builtin"]
