"""The article record that flows through every stage.

acquire creates it (url, fetched_at, raw bytes hash), extract fills the Russian fields, translate adds
``translation``, analyze adds ``analysis``. Each stage writes only its own fields, so each can be re-run alone.
The JSON form carries ``schema_version``; readers accept older versions and keep unknown keys in ``extra``
so that a newer dragoman's records survive a round trip through an older one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
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


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RecordError(f"{where} must be an object, not {type(value).__name__}")
    return value


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
    analysis: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

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
