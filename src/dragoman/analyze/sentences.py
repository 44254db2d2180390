"""The article as a list of sentences, each with its place (title, lead, block) and its English side.

When a translation is present its source sentences are the units, so Russian sentence i and English
sentence i of the analysis are an aligned pair; otherwise Russian text is split with razdel.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from razdel import sentenize

from dragoman.article import Article

_EN_SENTENCE = re.compile(r"(?<=[.!?…»”\"])\s+(?=[\"“«\-–—A-Z0-9(])")


@dataclass(slots=True)
class Sentence:
    index: int  # position in the article's sentence list
    role: str  # title | lead | block
    block: int  # block index (0 for title and lead)
    text: str  # the analyzed text (Russian, or English for English-only articles)
    en: str | None = None  # aligned English sentence, when there is one
    start: int = 0  # offset in the joined article text the NLP models see
    flags: list[str] = field(default_factory=list)  # quality flags on the English side

    @property
    def stop(self) -> int:
        return self.start + len(self.text)

    def ref(self) -> dict[str, object]:
        return {"i": self.index, "role": self.role, "block": self.block}


def split_english(text: str) -> list[str]:
    """Sentences of English text: a punctuation rule that is good enough for news prose."""
    return [s.strip() for s in _EN_SENTENCE.split(text) if s.strip()]


def article_sentences(article: Article) -> list[Sentence]:
    """Title, lead and block sentences in reading order, aligned with the translation when present.

    The one sentence numbering: the analysis' sentence references (mentions, quotes, events), the reader page,
    the search index and the sentence-pair export all count sentences this way.
    """
    units: list[tuple[str, int, str, str | None, list[str]]] = []
    translation = article.translation
    if article.language == "en":
        units.append(("title", 0, article.title, article.title, []))
        if article.lead:
            units.extend(("lead", 0, s, s, []) for s in split_english(article.lead))
        for i, block in enumerate(article.blocks):
            units.extend(("block", i, s, s, []) for s in split_english(block.text))
    elif translation is not None:
        for seg in translation.segments():
            units.extend((seg.role, seg.index, p.source, p.target or None, list(p.flags)) for p in seg.sentences)
    else:
        units.append(("title", 0, article.title, None, []))
        if article.lead:
            units.extend(("lead", 0, s.text, None, []) for s in sentenize(article.lead))
        for i, block in enumerate(article.blocks):
            units.extend(("block", i, s.text, None, []) for s in sentenize(block.text))
    sentences: list[Sentence] = []
    offset = 0
    for role, block, text, en, flags in units:
        text = " ".join(text.split())
        if not text:
            continue
        sentences.append(Sentence(len(sentences), role, block, text, en, offset, flags))
        offset += len(text) + 1  # joined with "\n"
    return sentences


def joined_text(sentences: list[Sentence]) -> str:
    return "\n".join(s.text for s in sentences)
