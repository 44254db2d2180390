"""The article as the reader page shows it: blocks of aligned Russian/English sentences with marks.

Sentences are ``dragoman.analyze.sentences.article_sentences`` (title, lead, blocks in reading order;
translation pairs when translated, razdel otherwise), the numbering the analysis' sentence references
(entity mentions, quotes, events) use, so they land on the right sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dragoman.analyze.sentences import Sentence, article_sentences
from dragoman.article import Analysis, Article, Entity, Mention


@dataclass(slots=True)
class Mark:
    """A piece of sentence text; ``entity`` set when it is an entity mention (linked on the page)."""

    text: str
    entity: str | None = None
    entity_type: str | None = None


@dataclass(slots=True)
class SentenceView:
    index: int
    ru: list[Mark]
    en: list[Mark] | None
    flags: list[str]
    quote_speaker: str | None = None
    quote_speaker_key: str | None = None
    quote_unnamed: bool = False


@dataclass(slots=True)
class BlockView:
    role: str
    block: int
    kind: str
    sentences: list[SentenceView]


@dataclass(slots=True)
class ReaderView:
    title: BlockView | None
    blocks: list[BlockView]
    analysis: Analysis
    entities: dict[str, Entity]  # the analysis' entities by key
    sentence_count: int
    flagged: int


def reader_view(article: Article) -> ReaderView:
    analysis = article.typed_analysis
    entities = analysis.entity_index()
    sentences = article_sentences(article)
    mentions: dict[int, list[Mention]] = {}
    for m in analysis.mentions:
        if m.sentence is not None and m.entity:
            mentions.setdefault(m.sentence, []).append(m)
    quotes = {q.sentence: q for q in analysis.quotes if q.sentence is not None}
    views: list[tuple[Sentence, SentenceView]] = []
    for s in sentences:
        ms = mentions.get(s.index, [])
        quote = quotes.get(s.index)
        views.append(
            (
                s,
                SentenceView(
                    index=s.index,
                    ru=_mark_offsets(s.text, ms, entities),
                    en=_mark_names(s.en, ms, entities) if s.en is not None else None,
                    flags=s.flags,
                    quote_speaker=analysis.speaker_name(quote, entities) if quote else None,
                    quote_speaker_key=quote.speaker_entity if quote else None,
                    quote_unnamed=quote.is_unnamed if quote else False,
                ),
            )
        )
    title: BlockView | None = None
    blocks: list[BlockView] = []
    for s, view in views:
        if s.role == "title":
            if title is None:
                title = BlockView("title", 0, "title", [])
            title.sentences.append(view)
            continue
        kind = "lead" if s.role == "lead" else _block_kind(article, s.block)
        if blocks and blocks[-1].role == s.role and blocks[-1].block == s.block:
            blocks[-1].sentences.append(view)
        else:
            blocks.append(BlockView(s.role, s.block, kind, [view]))
    return ReaderView(title, blocks, analysis, entities, len(sentences), sum(1 for s in sentences if s.flags))


def _block_kind(article: Article, index: int) -> str:
    if 0 <= index < len(article.blocks):
        return str(article.blocks[index].kind)
    return "paragraph"


def _mark_offsets(text: str, mentions: list[Mention], entities: dict[str, Entity]) -> list[Mark]:
    """Russian sentence split at the analysis' mention offsets; bad offsets are ignored, never fatal."""
    spans = sorted(
        (m for m in mentions if m.start is not None and m.stop is not None and 0 <= m.start < m.stop <= len(text)),
        key=lambda m: m.start or 0,
    )
    out: list[Mark] = []
    cursor = 0
    for m in spans:
        start, stop = m.start or 0, m.stop or 0
        if start < cursor:
            continue  # overlapping mention
        if start > cursor:
            out.append(Mark(text[cursor:start]))
        info = entities.get(m.entity or "")
        out.append(Mark(text[start:stop], m.entity, info.type if info else None))
        cursor = stop
    if cursor < len(text):
        out.append(Mark(text[cursor:]))
    return out


def _mark_names(text: str, mentions: list[Mention], entities: dict[str, Entity]) -> list[Mark]:
    """English sentence with the canonical English names of the sentence's entities marked."""
    names: list[tuple[str, str]] = []
    for m in mentions:
        info = entities.get(m.entity or "")
        if info is None or not info.name or not m.entity:
            continue
        names.append((info.name, m.entity))
        parts = info.name.split()
        if info.type == "PER" and len(parts) > 1:
            names.append((parts[-1], m.entity))  # "Lavrov" for Sergei Lavrov
    if not names:
        return [Mark(text)]
    names.sort(key=lambda n: -len(n[0]))
    pattern = re.compile("|".join(r"\b" + re.escape(n) + r"\b" for n, _ in names))
    keys = {n: k for n, k in reversed(names)}
    out: list[Mark] = []
    cursor = 0
    for match in pattern.finditer(text):
        if match.start() > cursor:
            out.append(Mark(text[cursor : match.start()]))
        key = keys.get(match.group())
        info = entities.get(key) if key else None
        out.append(Mark(match.group(), key, info.type if info else None))
        cursor = match.end()
    if cursor < len(text):
        out.append(Mark(text[cursor:]))
    return out
