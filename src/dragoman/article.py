"""The article record that flows through every stage.

acquire creates it (url, fetched_at, raw bytes hash), extract fills the Russian fields, translate adds
``translation``, analyze adds ``analysis``. Each stage writes only its own fields, so each can be re-run alone.
The JSON form carries ``schema_version``; readers accept older versions and keep unknown keys in ``extra``
so that a newer dragoman's records survive a round trip through an older one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from dragoman.urls import RECORD_SCHEMES, WEB_SCHEMES, check_url

SCHEMA_VERSION = 1


class RecordError(ValueError):
    """A record field has the wrong type or an impossible value; the message names the field.

    A ValueError, so every reader that already refuses malformed JSON refuses these records the same way.
    """


def optional_str(data: dict[str, Any], key: str, where: str = "") -> str | None:
    """``data[key]`` when it is a string, None when absent or null; anything else names the field."""
    value = data.get(key)
    if value is None or isinstance(value, str):
        return value
    raise RecordError(f"{where}{key} must be a string, not {type(value).__name__}")


def required_str(data: dict[str, Any], key: str, where: str = "") -> str:
    value = optional_str(data, key, where)
    if value is None:
        raise RecordError(f"{where}{key} is missing")
    return value


def optional_dict(data: dict[str, Any], key: str, where: str = "") -> dict[str, Any] | None:
    value = data.get(key)
    if value is None or isinstance(value, dict):
        return value
    raise RecordError(f"{where}{key} must be an object, not {type(value).__name__}")


def list_of(data: dict[str, Any], key: str, item_type: type, where: str = "") -> list[Any]:
    """``data[key]`` as a list whose items are all ``item_type`` (absent or null: empty)."""
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordError(f"{where}{key} must be a list, not {type(value).__name__}")
    for i, item in enumerate(value):
        if not isinstance(item, item_type):
            expected = "a string" if item_type is str else "an object"
            raise RecordError(f"{where}{key}[{i}] must be {expected}, not {type(item).__name__}")
    return value


def attributes(record: object, names: str) -> dict[str, Any]:
    """``{name: record.name}`` for each of the space-separated ``names``, in that order: the part of a record's
    JSON form that is its attributes as they are, so each ``to_dict`` writes out only what it changes."""
    return {name: getattr(record, name) for name in names.split()}


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RecordError(f"{where} must be an object, not {type(value).__name__}")
    return value


@dataclass(slots=True)
class RawPage:
    """What acquire hands to extract: the bytes of one page and how they were obtained."""

    url: str  # the page's URL after redirects; for a local file its recorded URL or a file:// URL
    body: bytes
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    content_type: str | None = None  # the HTTP Content-Type header, charset included when sent
    source: str = ""  # what the user gave: a path or a URL
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


class BlockKind(StrEnum):
    PARAGRAPH = "paragraph"
    SUBHEADING = "subheading"
    BLOCKQUOTE = "blockquote"
    LIST_ITEM = "list_item"


@dataclass(slots=True)
class Block:
    kind: BlockKind
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": str(self.kind), "text": self.text}

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "block.") -> Block:
        data = _object(data, where.rstrip("."))
        kind = required_str(data, "kind", where)
        try:
            block_kind = BlockKind(kind)
        except ValueError as exc:
            raise RecordError(f"{where}kind is not one of {', '.join(BlockKind)}: {kind[:40]!r}") from exc
        return cls(kind=block_kind, text=required_str(data, "text", where))


@dataclass(slots=True)
class SentencePair:
    """One Russian sentence and its English translation, with quality flags on the English."""

    source: str
    target: str
    flags: list[str] = field(default_factory=list)


@dataclass(slots=True)
class TranslatedSegment:
    """The translation of one unit of the article (title, lead or one block), sentence by sentence.

    ``role`` is "title", "lead" or "block"; ``index`` is the block's position in ``Article.blocks``
    (0 for title and lead). Sentence i of ``sentences`` translates Russian sentence i of that unit.
    """

    role: str
    index: int
    sentences: list[SentencePair] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(s.target for s in self.sentences if s.target)

    def to_dict(self) -> dict[str, Any]:
        return {"role": self.role, "index": self.index, "sentences": [asdict(s) for s in self.sentences]}

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "segment.") -> TranslatedSegment:
        data = _object(data, where.rstrip("."))
        index = data.get("index", 0)
        if isinstance(index, bool) or not isinstance(index, int):
            raise RecordError(f"{where}index must be an integer, not {type(index).__name__}")
        sentences = []
        for i, pair in enumerate(list_of(data, "sentences", dict, where)):
            at = f"{where}sentences[{i}]."
            flags = list_of(pair, "flags", str, at)
            sentences.append(
                SentencePair(
                    source=optional_str(pair, "source", at) or "",
                    target=optional_str(pair, "target", at) or "",
                    flags=list(flags),
                )
            )
        return cls(role=required_str(data, "role", where), index=index, sentences=sentences)


@dataclass(slots=True)
class Translation:
    """English version of an article; produced by one engine and model, recorded for provenance."""

    engine: str
    model_id: str
    translated_at: datetime
    title: TranslatedSegment
    lead: TranslatedSegment | None = None
    blocks: list[TranslatedSegment] = field(default_factory=list)
    rubric: str | None = None  # from the outlet table, never from the model
    authors: list[str] = field(default_factory=list)  # transliterated
    outlet_name: str | None = None
    source_sha256: str | None = None  # the Russian revision this translates

    def to_dict(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "model_id": self.model_id,
            "translated_at": _dt_to_str(self.translated_at),
            "title": self.title.to_dict(),
            "lead": self.lead.to_dict() if self.lead else None,
            "blocks": [b.to_dict() for b in self.blocks],
            "rubric": self.rubric,
            "authors": list(self.authors),
            "outlet_name": self.outlet_name,
            "source_sha256": self.source_sha256,
        }

    def segments(self) -> list[TranslatedSegment]:
        """Title, lead (when there is one) and blocks: the translation's units in reading order."""
        return [self.title, *([self.lead] if self.lead is not None else []), *self.blocks]

    @property
    def flagged_sentences(self) -> int:
        """Sentences with at least one quality flag."""
        return sum(1 for seg in self.segments() for pair in seg.sentences if pair.flags)

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "translation.") -> Translation:
        data = _object(data, where.rstrip("."))
        if "title" not in data:
            raise RecordError(f"{where}title is missing")
        return cls(
            engine=required_str(data, "engine", where),
            model_id=required_str(data, "model_id", where),
            translated_at=_dt_from_str(optional_str(data, "translated_at", where), f"{where}translated_at")
            or datetime.now(UTC),
            title=TranslatedSegment.from_dict(data["title"], f"{where}title."),
            lead=TranslatedSegment.from_dict(data["lead"], f"{where}lead.") if data.get("lead") else None,
            blocks=[
                TranslatedSegment.from_dict(b, f"{where}blocks[{i}].")
                for i, b in enumerate(list_of(data, "blocks", dict, where))
            ],
            rubric=optional_str(data, "rubric", where),
            authors=list(list_of(data, "authors", str, where)),
            outlet_name=optional_str(data, "outlet_name", where),
            source_sha256=optional_str(data, "source_sha256", where),
        )


@dataclass(slots=True)
class Article:
    url: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    canonical_url: str | None = None
    outlet: str | None = None  # outlet key (registered domain), see names/outlets
    outlet_name: str | None = None
    fetched_at: datetime | None = None
    content_sha256: str = ""  # of the extracted content, see ``compute_content_hash``
    raw_sha256: str | None = None  # of the bytes as fetched
    language: str = "ru"
    rubric: str | None = None
    published_at: datetime | None = None  # aware, UTC
    timezone: str | None = None  # IANA zone of the outlet (or as stated by the page)
    authors: list[str] = field(default_factory=list)
    agency: str | None = None  # wire agency credited (TASS, RIA Novosti, Interfax ...)
    lead: str | None = None
    extractor: str = "dragoman"
    extractor_version: str = ""
    source: str = "html"  # html | jsonl | text (how the record arrived)
    translation: Translation | None = None
    analysis: dict[str, Any] | None = None  # the analyze stage's record as stored; read it as ``typed_analysis``
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def typed_analysis(self) -> Analysis:
        """The analysis as typed records (empty when there is none): the one way every reader reads it."""
        return Analysis.from_dict(self.analysis)

    @property
    def key_url(self) -> str:
        """The URL that identifies the article in the store."""
        return self.canonical_url or self.url

    @property
    def source_url(self) -> str:
        """The public URL to cite: the page's canonical URL, else where it was fetched from.

        A page read from a local file has a file:// URL; its canonical URL says where it was published.
        """
        if self.canonical_url and self.canonical_url.startswith(("http://", "https://")):
            return self.canonical_url
        return self.url

    @property
    def published_local(self) -> datetime | None:
        """Publication time in the outlet's (or page's) zone, for display."""
        if self.published_at is None:
            return None
        if self.timezone:
            try:
                return self.published_at.astimezone(ZoneInfo(self.timezone))
            except (KeyError, ValueError, OverflowError):  # unknown zone, or a date at the edge of datetime
                pass
        return self.published_at

    @property
    def text(self) -> str:
        """The Russian body as plain text: lead then blocks, one per line."""
        parts = [self.lead] if self.lead else []
        parts.extend(b.text for b in self.blocks)
        return "\n".join(parts)

    def compute_content_hash(self) -> str:
        """Hash of what a reader sees: title, lead and blocks. Markup or ad changes do not alter it."""
        payload = json.dumps(
            [self.title, self.lead or "", [[str(b.kind), b.text] for b in self.blocks]],
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"schema_version": SCHEMA_VERSION}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "blocks":
                value = [b.to_dict() for b in value]
            elif f.name == "translation":
                value = value.to_dict() if value else None
            elif isinstance(value, datetime):
                value = _dt_to_str(value)
            elif isinstance(value, list):
                value = list(value)
            out[f.name] = value
        return out

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Article:
        """The article a JSON record describes; RecordError (a ValueError) names the first badly typed field.

        Every field is checked here because later stages (search, analysis, exports) trust the types.
        """
        data = _object(data, "record")
        version = data.get("schema_version", 1)
        if isinstance(version, bool) or not isinstance(version, int | str):
            raise RecordError(f"schema_version must be an integer, not {type(version).__name__}")
        try:
            int(version)
        except ValueError as exc:
            raise RecordError(f"schema_version is not an integer: {str(version)[:40]!r}") from exc
        # A newer writer's version is read as far as we know it; unknown keys are kept in ``extra``.
        known = {f.name for f in fields(cls)}
        extra = dict(optional_dict(data, "extra") or {})
        for key, value in data.items():
            if key not in known and key != "schema_version":
                extra[key] = value
        authors = data.get("authors")
        if isinstance(authors, str):  # tolerated, as in simple records: "A, B"
            authors = [a.strip() for a in authors.split(",") if a.strip()]
        else:
            authors = list(list_of(data, "authors", str))
        translation = optional_dict(data, "translation")
        return cls(
            url=required_str(data, "url"),
            title=optional_str(data, "title") or "",
            blocks=[Block.from_dict(b, f"blocks[{i}].") for i, b in enumerate(list_of(data, "blocks", dict))],
            canonical_url=optional_str(data, "canonical_url"),
            outlet=optional_str(data, "outlet"),
            outlet_name=optional_str(data, "outlet_name"),
            fetched_at=_dt_from_str(optional_str(data, "fetched_at"), "fetched_at"),
            content_sha256=optional_str(data, "content_sha256") or "",
            raw_sha256=optional_str(data, "raw_sha256"),
            language=optional_str(data, "language") or "ru",
            rubric=optional_str(data, "rubric"),
            published_at=_dt_from_str(optional_str(data, "published_at"), "published_at"),
            timezone=optional_str(data, "timezone"),
            authors=authors,
            agency=optional_str(data, "agency"),
            lead=optional_str(data, "lead"),
            extractor=optional_str(data, "extractor") or "dragoman",
            extractor_version=optional_str(data, "extractor_version") or "",
            source=optional_str(data, "source") or "html",
            translation=Translation.from_dict(translation) if translation else None,
            analysis=optional_dict(data, "analysis"),
            extra=extra,
        )

    @classmethod
    def from_json(cls, text: str) -> Article:
        return cls.from_dict(json.loads(text))


# -- the analysis: what the analyze stage found in an article --------------------------------------------
#
# The analyze stage writes a JSON record (``Article.analysis``); these typed records are the one way to read
# it. The record may come from an older or newer analyzer, so reading is tolerant: unknown keys are kept in
# ``extra``, a known key with a value of the wrong type is kept there as written (the typed field stays
# None), and ``to_dict`` gives back what was read (keys that were null or empty lists are left out).


def _read_fields(data: Any, kinds: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(field values, extra) of ``data`` read by ``kinds`` (key -> str | int | bool | dict | list | a record)."""
    if not isinstance(data, dict):
        return {}, {}
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in data.items():
        kind = kinds.get(key)
        if kind is None:
            extra[key] = value
            continue
        if value is None:
            continue
        if kind is list:
            if isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
                values[key] = list(value)
            else:
                extra[key] = value
        elif isinstance(kind, type) and issubclass(kind, _AnalysisRecord):
            if isinstance(value, dict):
                values[key] = kind.from_dict(value)
            else:
                extra[key] = value
        elif isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
            values[key] = value
        else:
            extra[key] = value  # a bool is not a number here
    return values, extra


class _AnalysisRecord:
    """Shared reading and writing of the analysis records; ``KINDS`` maps each known key to its type."""

    __slots__ = ()
    KINDS: ClassVar[dict[str, Any]] = {}

    @classmethod
    def from_dict(cls, data: Any) -> Any:
        values, extra = _read_fields(data, cls.KINDS)
        return cls(**values, extra=extra)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in self.KINDS:
            value = getattr(self, key)
            if value is None:
                continue
            out[key] = value.to_dict() if isinstance(value, _AnalysisRecord) else value
        out.update(self.extra)  # type: ignore[attr-defined]
        return out


@dataclass(slots=True)
class Entity(_AnalysisRecord):
    """A person, organization or place the article names: ``key`` is a Wikidata id or ``TYPE:normal form``."""

    KINDS: ClassVar[dict[str, Any]] = {
        "key": str, "name": str, "type": str, "ru": str, "wikidata": str, "country": str, "role": str,
        "source": str, "mentions": int,
    }  # fmt: skip
    key: str | None = None
    name: str | None = None  # canonical English name
    type: str | None = None  # PER | ORG | LOC
    ru: str | None = None
    wikidata: str | None = None
    country: str | None = None  # the state it acts for (Lavrov -> Russia)
    role: str | None = None
    source: str | None = None  # registry | transliteration | english
    mentions: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Mention(_AnalysisRecord):
    """One place an entity is named: ``start``/``stop`` are offsets in sentence ``sentence``'s text."""

    KINDS: ClassVar[dict[str, Any]] = {
        "entity": str, "type": str, "text": str, "normal": str, "sentence": int, "start": int, "stop": int,
        "source": str, "kind": str,
    }  # fmt: skip
    entity: str | None = None  # the entity's key
    type: str | None = None
    text: str | None = None
    normal: str | None = None
    sentence: int | None = None
    start: int | None = None
    stop: int | None = None
    source: str | None = None
    kind: str | None = None  # name | descriptor
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Quote(_AnalysisRecord):
    """Direct or reported speech, with who said it (the words, and the entity when known)."""

    KINDS: ClassVar[dict[str, Any]] = {
        "sentence": int, "sentences": list, "kind": str, "text": str, "text_en": str, "speaker": str,
        "speaker_entity": str, "verb": str, "addressee": str, "addressee_entity": str, "unnamed": bool,
        "unnamed_source": str, "source_type": str, "institution_entity": str,
    }  # fmt: skip
    sentence: int | None = None
    sentences: list[int] | None = None
    kind: str | None = None  # direct | dialogue | indirect | according_to
    text: str | None = None
    text_en: str | None = None
    speaker: str | None = None  # the words naming the speaker
    speaker_entity: str | None = None
    verb: str | None = None
    addressee: str | None = None
    addressee_entity: str | None = None
    unnamed: bool | None = None
    unnamed_source: str | None = None  # type of an unnamed source (informed_source ...)
    source_type: str | None = None
    institution_entity: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_unnamed(self) -> bool:
        return bool(self.unnamed) or self.unnamed_source is not None

    @property
    def source_kind(self) -> str | None:
        """What kind of unnamed source it rests on; None for a named speaker."""
        return self.source_type or self.unnamed_source


@dataclass(slots=True)
class Party(_AnalysisRecord):
    """An event's actor, target or place: the entity when known, its name and the state it acts for."""

    KINDS: ClassVar[dict[str, Any]] = {"entity": str, "name": str, "state": str, "text": str}
    entity: str | None = None
    name: str | None = None
    state: str | None = None
    text: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class DateRef(_AnalysisRecord):
    """A date the text gives: ``value`` at its precision (2021-10, 2022-W04), ``begin``/``end`` as ISO days."""

    KINDS: ClassVar[dict[str, Any]] = {
        "sentence": int, "start": int, "stop": int, "text": str, "value": str, "precision": str, "kind": str,
        "begin": str, "end": str, "modifier": str,
    }  # fmt: skip
    sentence: int | None = None
    start: int | None = None
    stop: int | None = None
    text: str | None = None
    value: str | None = None
    precision: str | None = None  # day | week | month | season | year | decade | century
    kind: str | None = None  # absolute | partial | relative
    begin: str | None = None
    end: str | None = None
    modifier: str | None = None  # since | until | by | after | early | mid | late
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def day(self) -> str | None:
        """The ISO day the date starts on (for ordering), else its value as given."""
        return self.begin or self.value


@dataclass(slots=True)
class Event(_AnalysisRecord):
    """Something one party did to another, with its date, status and the sentence that says so."""

    KINDS: ClassVar[dict[str, Any]] = {
        "sentence": int, "type": str, "mode": str, "trigger": str, "actor": Party, "target": Party,
        "location": Party, "date": DateRef, "status": str, "negated": bool, "quantity": dict,
    }  # fmt: skip
    sentence: int | None = None
    type: str | None = None
    mode: str | None = None
    trigger: str | None = None
    actor: Party | None = None
    target: Party | None = None
    location: Party | None = None
    date: DateRef | None = None
    status: str | None = None  # happened | planned | expected | demanded ...
    negated: bool | None = None
    quantity: dict[str, Any] | None = None
    evidence_ru: str | None = None
    evidence_en: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def date_basis(self) -> str:
        """How the event is dated: "text" or "context" (the text gives its date), "publication" (told as the
        day's news: its article's day), "none" (undated: planned, demanded, told as earlier news). An analysis
        from before the analyzer said so (no ``dated_by``) dated an event without a date by its article."""
        if "dated_by" not in self.extra:
            return "text" if self.date is not None and self.date.day else "publication"
        basis = self.extra["dated_by"]
        return basis if isinstance(basis, str) and basis else "none"

    @classmethod
    def from_dict(cls, data: Any) -> Event:
        event: Event = super(Event, cls).from_dict(data)
        evidence = event.extra.get("evidence")
        if isinstance(evidence, dict) and set(evidence) <= {"ru", "en"}:
            ru, en = evidence.get("ru"), evidence.get("en")
            if isinstance(ru, str | None) and isinstance(en, str | None):
                del event.extra["evidence"]
                event.evidence_ru, event.evidence_en = ru, en
        return event

    def to_dict(self) -> dict[str, Any]:
        out = super(Event, self).to_dict()
        if self.evidence_ru is not None or self.evidence_en is not None:
            out["evidence"] = {"ru": self.evidence_ru, "en": self.evidence_en}
        return out


@dataclass(slots=True)
class Analysis(_AnalysisRecord):
    """What the analyze stage found in one article; see the typed records above."""

    KINDS: ClassVar[dict[str, Any]] = {
        "analyzer_version": str,
        "language": str,
        "published": str,
        "unnamed_sources": int,
    }
    LISTS: ClassVar[dict[str, type[_AnalysisRecord]]] = {
        "entities": Entity,
        "mentions": Mention,
        "quotes": Quote,
        "events": Event,
        "dates": DateRef,
    }
    analyzer_version: str | None = None
    language: str | None = None
    published: str | None = None  # the publication day in the outlet's zone, which relative dates count from
    unnamed_sources: int | None = None
    entities: list[Entity] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    dates: list[DateRef] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Any) -> Analysis:
        """The analysis a record describes; never raises (no record, or not an object: an empty analysis)."""
        values, extra = _read_fields(data, cls.KINDS)
        for key, record_class in cls.LISTS.items():
            items = extra.pop(key, None)
            if items is None:
                continue
            if not isinstance(items, list):
                extra[key] = items
                continue
            values[key] = [record_class.from_dict(item) for item in items if isinstance(item, dict)]
            if len(values[key]) != len(items):
                extra[key] = items  # items that are not objects: the list is kept as written
        return cls(**values, extra=extra)

    def to_dict(self) -> dict[str, Any]:
        out = super(Analysis, self).to_dict()
        for key in self.LISTS:
            if key not in self.extra and getattr(self, key):
                out[key] = [item.to_dict() for item in getattr(self, key)]
        return out

    @property
    def empty(self) -> bool:
        return not (self.entities or self.quotes or self.events)

    def entity_index(self) -> dict[str, Entity]:
        """Entities by key (those without a key are left out); mention counts filled in from the mentions."""
        index = {e.key: e for e in self.entities if e.key}
        for mention in self.mentions:
            if mention.entity and mention.entity not in index:  # a mention of an entity the list leaves out
                index[mention.entity] = Entity(key=mention.entity, name=mention.normal or mention.text,
                                               type=mention.type)  # fmt: skip
        counts: dict[str, int] = {}
        for mention in self.mentions:
            if mention.entity:
                counts[mention.entity] = counts.get(mention.entity, 0) + 1
        for key, entity in index.items():
            if not entity.mentions:
                index[key] = replace(entity, mentions=counts.get(key, 0))
        return index

    def entity_name(self, key: str | None, index: dict[str, Entity] | None = None) -> str | None:
        """The canonical English name of the entity ``key`` (the key itself when it has no name)."""
        if not key:
            return None
        entity = (index if index is not None else self.entity_index()).get(key)
        return (entity.name if entity is not None else None) or key

    def speaker_name(self, quote: Quote, index: dict[str, Entity] | None = None) -> str:
        """Who said it, for display: the entity's English name, else the words naming the speaker."""
        if quote.speaker_entity:
            return self.entity_name(quote.speaker_entity, index) or quote.speaker_entity
        return quote.speaker or ("unnamed source" if quote.is_unnamed else "unknown")

    def party_name(self, party: Party | None, index: dict[str, Entity] | None = None) -> str | None:
        if party is None:
            return None
        return party.name or self.entity_name(party.entity, index) or party.state

    @property
    def unnamed_count(self) -> int:
        """Quotes resting on unnamed sources (as the stage counted them, else counted here)."""
        if self.unnamed_sources is not None:
            return self.unnamed_sources
        return sum(1 for q in self.quotes if q.is_unnamed)

    def entity_names(self) -> list[str]:
        """Every name the entities go by: English names and Russian normal forms."""
        names: list[str] = []
        for entity in self.entities:
            names.extend(n for n in (entity.name, entity.ru) if n)
        return names


def _dt_to_str(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _dt_from_str(value: str | None, field_name: str = "date") -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise RecordError(f"{field_name} is not an ISO 8601 date and time: {value[:40]!r}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


# Publication dates outside this range are bad data, not news: a record "published" in year 1 or in 2300
# would also overflow when shown in a zone west or east of UTC. The upper bound allows for a clock or zone
# a day ahead.
EARLIEST_PUBLISHED = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_PUBLISHED_AHEAD = timedelta(days=1)


def check_published(value: datetime, field_name: str = "published") -> datetime:
    """``value`` (aware) when it lies between 1900 and tomorrow, else RecordError."""
    latest = datetime.now(UTC) + LATEST_PUBLISHED_AHEAD
    if not EARLIEST_PUBLISHED <= value <= latest:
        raise RecordError(f"{field_name} is outside 1900-01-01 .. tomorrow: {value.isoformat()}")
    return value


def check_incoming(article: Article) -> Article:
    """The checks for a record that arrives from outside (JSONL, a full record, an imported document).

    Types are checked by ``from_dict``; this checks values later stages cannot live with: URLs that would
    smuggle markup (see ``urls``), an unknown time zone, an impossible publication date.
    """
    article.url = check_url(article.url, schemes=RECORD_SCHEMES, field="url")
    if article.canonical_url is not None:
        article.canonical_url = check_url(article.canonical_url, schemes=WEB_SCHEMES, field="canonical_url")
    if article.timezone is not None:
        try:
            ZoneInfo(article.timezone)
        except (ValueError, LookupError) as exc:  # ZoneInfoNotFoundError is a KeyError
            raise RecordError(f"timezone is not a known IANA zone: {article.timezone[:60]!r}") from exc
    if article.published_at is not None:
        check_published(article.published_at, "published_at")
    return article
