"""Issue 14 §3: a speaker named only by a pronoun or an office is the person the text ties it to, or it is
marked unresolved, never "named"."""

from __future__ import annotations

from collections.abc import Callable

from dragoman.analyze import analyze_article
from dragoman.analyze.quotes import english_verb
from dragoman.article import Article


def test_an_office_only_speaker_is_the_person_given_that_office(make_article: Callable[..., Article]) -> None:
    article = make_article(
        [
            "14 мая президент России Владимир Путин встретился с премьер-министром Малайзии Анваром Ибрагимом.",
            "«Он интересуется историей и культурой России», — сказал премьер-министр.",
        ],
        url="https://www.kommersant.ru/doc/1",
        outlet="kommersant.ru",
    )
    quotes = analyze_article(article)["quotes"]
    said = [q for q in quotes if q["speaker"] == "премьер-министр"]
    assert said, quotes
    names = {e["key"]: e for e in analyze_article(article)["entities"]}
    assert said[0]["speaker_entity"] in names and "Ибрагим" in names[said[0]["speaker_entity"]]["ru"]  # not Putin
    assert said[0]["speaker_status"] == "named"


def test_a_first_person_speaker_without_a_referent_is_unresolved(make_article: Callable[..., Article]) -> None:
    article = make_article(["«Это возможно!» — считаем мы.", "— Я так не думаю, — сказал я."])
    quotes = analyze_article(article)["quotes"]
    assert quotes and all(q["speaker_status"] == "unresolved" for q in quotes if not q.get("speaker_entity"))
    assert not any(q["speaker_status"] == "named" and not q.get("speaker_entity") for q in quotes)


def test_reporting_verbs_have_english_forms() -> None:
    assert english_verb("сказать") == "said"
    assert english_verb("по информации") == "according to"
    assert english_verb("say") == "say"  # an English document's verb stays
    assert english_verb("непонятный") is None  # no Russian word in an English view
