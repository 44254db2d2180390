"""The article as the reader page shows it: blocks of aligned Russian/English sentences with marks.

Sentences are numbered exactly as ``dragoman.analyze.sentences.article_sentences`` numbers them (title,
lead, blocks in reading order; translation pairs when translated, razdel otherwise), so the analysis'
sentence references (entity mentions, quotes, events) land on the right sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from razdel import sentenize

from dragoman.article import Article, TranslatedSegment
from dragoman.serve.analysis import AnalysisView, read_analysis

_EN_SENTENCE = re.compile(r"(?<=[.!?…»”\"])\s+(?=[\"“«\-–—A-Z0-9(])")


def _split_english(text: str) -> list[str]:
    try:
        from dragoman.analyze.sentences import split_english
    except ImportError:
        return [s.strip() for s in _EN_SENTENCE.split(text) if s.strip()]
    return split_english(text)


@dataclass(slots=True)
class AlignedSentence:
    index: int
    role: str  # title | lead | block
    block: int
    ru: str
    en: str | None
    flags: list[str] = field(default_factory=list)


def aligned_sentences(article: Article) -> list[AlignedSentence]:
    """Title, lead and block sentences in reading order, each with its English side and QA flags."""
    units: list[tuple[str, int, str, str | None, list[str]]] = []
    translation = article.translation
    if article.language == "en":
        units.append(("title", 0, article.title, article.title, []))
        if article.lead:
            units.extend(("lead", 0, s, s, []) for s in _split_english(article.lead))
        for i, block in enumerate(article.blocks):
            units.extend(("block", i, s, s, []) for s in _split_english(block.text))
    elif translation is not None:
        segments: list[TranslatedSegment] = [translation.title]
        if translation.lead is not None:
            segments.append(translation.lead)
        segments.extend(translation.blocks)
        for seg in segments:
            units.extend((seg.role, seg.index, p.source, p.target or None, list(p.flags)) for p in seg.sentences)
    else:
        units.append(("title", 0, article.title, None, []))
        if article.lead:
            units.extend(("lead", 0, s.text, None, []) for s in sentenize(article.lead))
        for i, block in enumerate(article.blocks):
            units.extend(("block", i, s.text, None, []) for s in sentenize(block.text))
    out: list[AlignedSentence] = []
    for role, block, text, en, flags in units:
        text = " ".join(text.split())
        if not text:
            continue
        out.append(AlignedSentence(len(out), role, block, text, en, flags))
    return out


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
    analysis: AnalysisView
    sentence_count: int
    flagged: int


def reader_view(article: Article) -> ReaderView:
    analysis = read_analysis(article.analysis)
    sentences = aligned_sentences(article)
    mentions: dict[int, list[Any]] = {}
    for m in analysis.mentions:
        if m.sentence is not None:
            mentions.setdefault(m.sentence, []).append(m)
    quotes = {q.sentence: q for q in analysis.quotes if q.sentence is not None}
    views: list[tuple[AlignedSentence, SentenceView]] = []
    for s in sentences:
        ms = mentions.get(s.index, [])
        quote = quotes.get(s.index)
        views.append(
            (
                s,
                SentenceView(
                    index=s.index,
                    ru=_mark_offsets(s.ru, ms, analysis),
                    en=_mark_names(s.en, ms, analysis) if s.en is not None else None,
                    flags=s.flags,
                    quote_speaker=quote.speaker_name if quote else None,
                    quote_speaker_key=quote.speaker if quote else None,
                    quote_unnamed=quote.unnamed if quote else False,
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
    return ReaderView(title, blocks, analysis, len(sentences), sum(1 for s in sentences if s.flags))


def _block_kind(article: Article, index: int) -> str:
    if 0 <= index < len(article.blocks):
        return str(article.blocks[index].kind)
    return "paragraph"


def _mark_offsets(text: str, mentions: list[Any], analysis: AnalysisView) -> list[Mark]:
    """Russian sentence split at the analysis' mention offsets; bad offsets are ignored, never fatal."""
    spans = sorted(
        (m for m in mentions if m.start is not None and m.stop is not None and 0 <= m.start < m.stop <= len(text)),
        key=lambda m: m.start,
    )
    out: list[Mark] = []
    cursor = 0
    for m in spans:
        if m.start < cursor:
            continue  # overlapping mention
        if m.start > cursor:
            out.append(Mark(text[cursor : m.start]))
        info = analysis.entities.get(m.entity)
        out.append(Mark(text[m.start : m.stop], m.entity, info.type if info else None))
        cursor = m.stop
    if cursor < len(text):
        out.append(Mark(text[cursor:]))
    return out


def _mark_names(text: str, mentions: list[Any], analysis: AnalysisView) -> list[Mark]:
    """English sentence with the canonical English names of the sentence's entities marked."""
    names: list[tuple[str, str]] = []
    for m in mentions:
        info = analysis.entities.get(m.entity)
        if info is None or not info.name:
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
        info = analysis.entities.get(key) if key else None
        out.append(Mark(match.group(), key, info.type if info else None))
        cursor = match.end()
    if cursor < len(text):
        out.append(Mark(text[cursor:]))
    return out
