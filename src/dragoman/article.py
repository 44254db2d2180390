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
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

SCHEMA_VERSION = 1


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
    def from_dict(cls, data: dict[str, Any]) -> Block:
        return cls(kind=BlockKind(data["kind"]), text=data["text"])


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
    def from_dict(cls, data: dict[str, Any]) -> TranslatedSegment:
        return cls(
            role=data["role"],
            index=int(data.get("index", 0)),
            sentences=[SentencePair(**s) for s in data.get("sentences", [])],
        )


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
    def from_dict(cls, data: dict[str, Any]) -> Translation:
        return cls(
            engine=data["engine"],
            model_id=data["model_id"],
            translated_at=_dt_from_str(data["translated_at"]) or datetime.now(UTC),
            title=TranslatedSegment.from_dict(data["title"]),
            lead=TranslatedSegment.from_dict(data["lead"]) if data.get("lead") else None,
            blocks=[TranslatedSegment.from_dict(b) for b in data.get("blocks", [])],
            rubric=data.get("rubric"),
            authors=list(data.get("authors") or []),
            outlet_name=data.get("outlet_name"),
            source_sha256=data.get("source_sha256"),
        )


@dataclass(slots=True)
class Article:
    url: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    canonical_url: str | None = None
    outlet: str | None = None  # outlet key (registered domain), see extract/outlets
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
            except (KeyError, ValueError):
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
        version = int(data.get("schema_version", 1))
        if version > SCHEMA_VERSION:
            # Newer writer: read what we know, keep the rest so nothing is lost on rewrite.
            pass
        known = {f.name for f in fields(cls)}
        extra = dict(data.get("extra") or {})
        for key, value in data.items():
            if key not in known and key != "schema_version":
                extra[key] = value
        return cls(
            url=data["url"],
            title=data.get("title") or "",
            blocks=[Block.from_dict(b) for b in data.get("blocks") or []],
            canonical_url=data.get("canonical_url"),
            outlet=data.get("outlet"),
            outlet_name=data.get("outlet_name"),
            fetched_at=_dt_from_str(data.get("fetched_at")),
            content_sha256=data.get("content_sha256") or "",
            raw_sha256=data.get("raw_sha256"),
            language=data.get("language") or "ru",
            rubric=data.get("rubric"),
            published_at=_dt_from_str(data.get("published_at")),
            timezone=data.get("timezone"),
            authors=list(data.get("authors") or []),
            agency=data.get("agency"),
            lead=data.get("lead"),
            extractor=data.get("extractor") or "dragoman",
            extractor_version=data.get("extractor_version") or "",
            source=data.get("source") or "html",
            translation=Translation.from_dict(data["translation"]) if data.get("translation") else None,
            analysis=data.get("analysis"),
            extra=extra,
        )

    @classmethod
    def from_json(cls, text: str) -> Article:
        return cls.from_dict(json.loads(text))


def _dt_to_str(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _dt_from_str(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed
