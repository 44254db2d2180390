"""Read the analyze stage's results (``Article.analysis``) into the few shapes the pages and the API show.

The analysis record is written by another stage and may be older or newer than this code, so every field
is read defensively: unknown keys are ignored, missing ones give empty lists, and nothing here raises on
odd data. Sentence numbers follow ``dragoman.analyze.sentences.article_sentences``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class EntityInfo:
    key: str
    name: str
    type: str | None = None
    ru: str | None = None
    mentions: int = 0
    wikidata: str | None = None


@dataclass(slots=True)
class MentionInfo:
    entity: str
    sentence: int | None
    start: int | None
    stop: int | None
    text: str = ""


@dataclass(slots=True)
class QuoteInfo:
    speaker: str | None  # entity key when known
    speaker_name: str
    text: str
    text_en: str | None = None
    sentence: int | None = None
    unnamed: bool = False
    source_type: str | None = None
    verb: str | None = None
    kind: str | None = None  # direct | indirect


@dataclass(slots=True)
class EventInfo:
    type: str
    actor: str | None
    actor_name: str | None
    target: str | None
    target_name: str | None
    date: str | None
    precision: str | None
    status: str | None
    sentence: int | None
    evidence_ru: str | None = None
    evidence_en: str | None = None
    actor_state: str | None = None  # the state an actor acts for (Lavrov -> Russia), for actor-pair timelines
    target_state: str | None = None
    mode: str | None = None


@dataclass(slots=True)
class AnalysisView:
    entities: dict[str, EntityInfo] = field(default_factory=dict)
    mentions: list[MentionInfo] = field(default_factory=list)
    quotes: list[QuoteInfo] = field(default_factory=list)
    events: list[EventInfo] = field(default_factory=list)
    unnamed_sources: int = 0
    version: str | None = None

    @property
    def empty(self) -> bool:
        return not (self.entities or self.quotes or self.events)


def _str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return str(value)
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if isinstance(value, dict):
        return _int(value.get("i", value.get("index")))
    return None


def _items(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        out = []
        for key, item in value.items():
            if isinstance(item, dict):
                out.append({"key": key, **item})
        return out
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    return []


def _entity_ref(value: Any, entities: dict[str, EntityInfo]) -> tuple[str | None, str | None]:
    """(key, display name) of an entity reference: a key string, a name, or a dict with either."""
    if isinstance(value, dict):
        key = _str(value.get("entity") or value.get("key"))
        name = _str(value.get("name") or value.get("en") or value.get("text") or value.get("normal"))
        if key and key in entities:
            return key, name or entities[key].name
        return key, name or key
    text = _str(value)
    if text is None:
        return None, None
    if text in entities:
        return text, entities[text].name
    return None, text


def read_analysis(analysis: dict[str, Any] | None) -> AnalysisView:
    """The parts of an analysis record the reader and the read models use; empty when there is none."""
    view = AnalysisView()
    if not isinstance(analysis, dict):
        return view
    view.version = _str(analysis.get("analyzer_version") or analysis.get("version"))
    for item in _items(analysis.get("entities")):
        key = _str(item.get("key") or item.get("id") or item.get("entity"))
        if not key:
            continue
        name = _str(item.get("name") or item.get("en") or item.get("canonical")) or key
        view.entities[key] = EntityInfo(
            key=key,
            name=name,
            type=_str(item.get("type")),
            ru=_str(item.get("ru") or item.get("normal")),
            mentions=_int(item.get("mentions")) or 0,
            wikidata=_str(item.get("wikidata")),
        )
    for item in _items(analysis.get("mentions")):
        key = _str(item.get("entity") or item.get("key"))
        if not key:
            continue
        if key not in view.entities:
            view.entities[key] = EntityInfo(
                key=key, name=_str(item.get("normal") or item.get("text")) or key, type=_str(item.get("type"))
            )
        view.mentions.append(
            MentionInfo(
                key,
                _int(item.get("sentence")),
                _int(item.get("start")),
                _int(item.get("stop")),
                _str(item.get("text")) or "",
            )
        )
    for entity in view.entities.values():
        if not entity.mentions:
            entity.mentions = sum(1 for m in view.mentions if m.entity == entity.key)
    for item in _items(analysis.get("quotes")):
        speaker_value = item.get("speaker")
        key, name = _entity_ref(speaker_value, view.entities)
        entity_key = _str(item.get("speaker_entity") or item.get("entity"))
        if entity_key:
            key = entity_key
            if entity_key in view.entities:
                name = view.entities[entity_key].name  # the canonical English name, not the Russian words
        source = item.get("source") if isinstance(item.get("source"), dict) else {}
        unnamed = bool(item.get("unnamed") or item.get("anonymous") or source.get("unnamed"))
        name = name or _str(item.get("speaker_text") or item.get("source_text") or source.get("text"))
        view.quotes.append(
            QuoteInfo(
                speaker=key,
                speaker_name=name or ("unnamed source" if unnamed else "unknown"),
                text=_str(item.get("text") or item.get("content") or item.get("quote")) or "",
                text_en=_str(item.get("text_en") or item.get("en") or item.get("content_en")),
                sentence=_int(item.get("sentence")),
                unnamed=unnamed,
                source_type=_str(item.get("source_type") or item.get("unnamed_type") or source.get("type")),
                verb=_str(item.get("verb") or item.get("cue")),
                kind=_str(item.get("kind") or item.get("mode")),
            )
        )
    unnamed = analysis.get("unnamed_sources")
    if isinstance(unnamed, list):
        view.unnamed_sources = len(unnamed)
    elif _int(unnamed) is not None:
        view.unnamed_sources = _int(unnamed) or 0
    else:
        view.unnamed_sources = sum(1 for q in view.quotes if q.unnamed)
    for item in _items(analysis.get("events")):
        actor, actor_name = _entity_ref(item.get("actor"), view.entities)
        target, target_name = _entity_ref(item.get("target"), view.entities)
        date_value = item.get("date")
        precision = _str(item.get("precision") or item.get("date_precision"))
        if isinstance(date_value, dict):
            precision = precision or _str(date_value.get("precision"))
            date_value = (
                date_value.get("begin") or date_value.get("iso") or date_value.get("date") or date_value.get("value")
            )
        evidence = item.get("evidence") if isinstance(item.get("evidence"), dict) else {}
        view.events.append(
            EventInfo(
                type=_str(item.get("type")) or "EVENT",
                actor=actor,
                actor_name=actor_name,
                target=target,
                target_name=target_name,
                date=_str(date_value),
                precision=precision,
                status=_str(item.get("status")),
                sentence=_int(item.get("sentence") if "sentence" in item else evidence.get("sentence")),
                evidence_ru=_str(item.get("evidence_ru") or evidence.get("ru")),
                evidence_en=_str(item.get("evidence_en") or evidence.get("en")),
                actor_state=_state(item.get("actor")),
                target_state=_state(item.get("target")),
                mode=_str(item.get("mode")),
            )
        )
    return view


def _state(value: Any) -> str | None:
    return _str(value.get("state")) if isinstance(value, dict) else None
