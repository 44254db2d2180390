from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from dragoman.article import (
    SCHEMA_VERSION,
    Article,
    Block,
    BlockKind,
    SentencePair,
    TranslatedSegment,
    Translation,
)


def make_article() -> Article:
    return Article(
        url="https://iz.ru/1281923/x",
        canonical_url="https://iz.ru/1281923/x",
        title="Непостпредственно",
        blocks=[Block(BlockKind.PARAGRAPH, "Москва не будет."), Block(BlockKind.SUBHEADING, "Риторический оборот")],
        published_at=datetime(2022, 1, 25, 21, 1, tzinfo=UTC),
        timezone="Europe/Moscow",
        authors=["Екатерина Постникова", "Татьяна Байкова"],
        rubric="Мир",
        outlet="iz.ru",
        fetched_at=datetime(2022, 1, 26, tzinfo=UTC),
    )


def test_json_round_trip_keeps_every_field() -> None:
    article = make_article()
    article.translation = Translation(
        engine="ctranslate2",
        model_id="opus-mt-ru-en@abc",
        translated_at=datetime(2022, 1, 27, tzinfo=UTC),
        title=TranslatedSegment("title", 0, [SentencePair("Непостпредственно", "Non-permanent", ["len_ratio"])]),
        blocks=[TranslatedSegment("block", 0, [SentencePair("Москва не будет.", "Moscow will not.")])],
        rubric="World",
    )
    article.analysis = {"analyzer_version": "x", "entities": []}
    data = json.loads(article.to_json())
    assert data["schema_version"] == SCHEMA_VERSION
    again = Article.from_json(article.to_json())
    assert again == article
    assert again.translation is not None
    assert again.translation.title.sentences[0].flags == ["len_ratio"]


def test_unknown_keys_from_a_newer_writer_survive_a_round_trip() -> None:
    data = make_article().to_dict()
    data["schema_version"] = SCHEMA_VERSION + 1
    data["sentiment"] = {"score": 0.3}
    article = Article.from_dict(data)
    assert article.extra["sentiment"] == {"score": 0.3}
    assert Article.from_json(article.to_json()).extra["sentiment"] == {"score": 0.3}


def test_published_local_uses_the_outlet_zone() -> None:
    local = make_article().published_local
    assert local is not None
    assert (local.hour, local.minute, local.day) == (0, 1, 26)


def test_content_hash_depends_on_text_not_on_provenance() -> None:
    a, b = make_article(), make_article()
    b.fetched_at = datetime(2030, 1, 1, tzinfo=UTC)
    assert a.compute_content_hash() == b.compute_content_hash()
    b.blocks[0].text += " Изменено."
    assert a.compute_content_hash() != b.compute_content_hash()


def test_analysis_records_read_what_the_stage_wrote_and_keep_what_they_do_not_know() -> None:
    from dragoman.article import Analysis

    record = {
        "analyzer_version": "dragoman-analyze/0.1",
        "entities": [{"key": "Q7184", "name": "NATO", "type": "ORG", "ru": "НАТО", "mentions": 2, "aliases": ["OTAN"]}],
        "mentions": [{"entity": "Q7184", "sentence": "1", "start": 0, "stop": 4, "text": "НАТО"}],
        "quotes": [{"speaker": "источник", "speaker_entity": None, "unnamed_source": "informed_source", "text": "…"}],
        "events": [
            {
                "type": "EXPEL",
                "actor": {"entity": "Q7184", "name": "NATO", "state": None, "text": "альянс"},
                "date": {"value": "2021-10", "begin": "2021-10-01", "precision": "month"},
                "evidence": {"ru": "Альянс выслал.", "en": None},
                "confidence": 0.7,
            }
        ],
        "stats": {"entities": 1},
    }
    analysis = Analysis.from_dict(record)
    assert analysis.entities[0].extra == {"aliases": ["OTAN"]}  # unknown keys kept
    assert analysis.mentions[0].sentence is None and analysis.mentions[0].extra == {"sentence": "1"}  # wrong type
    assert analysis.quotes[0].is_unnamed and analysis.speaker_name(analysis.quotes[0]) == "источник"
    event = analysis.events[0]
    assert event.actor is not None and event.actor.entity == "Q7184" and event.date is not None
    assert (event.date.day, event.evidence_ru, event.extra) == ("2021-10-01", "Альянс выслал.", {"confidence": 0.7})
    assert analysis.entity_names() == ["NATO", "НАТО"] and analysis.unnamed_count == 1

    def without_nulls(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: without_nulls(v) for k, v in value.items() if v is not None}
        return [without_nulls(v) for v in value] if isinstance(value, list) else value

    assert without_nulls(analysis.to_dict()) == without_nulls(record)  # what was read is written back
    assert Analysis.from_dict(analysis.to_dict()) == analysis
    # not an analysis at all: empty, never an exception, and odd lists are kept as written
    assert Analysis.from_dict(None).empty and Analysis.from_dict(["x"]).empty
    assert Analysis.from_dict({"entities": ["Q7747"]}).to_dict() == {"entities": ["Q7747"]}
