"""The analyze stage's work on records: one article in, one JSON-serializable analysis out (no store here:
``pipeline.analyze`` runs it over the stored articles and saves the results)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from dragoman.analyze.dates import extract_dates, extract_quantities
from dragoman.analyze.entities import extract_entities, names_from_translation
from dragoman.analyze.events import TRIGGERS, extract_events
from dragoman.analyze.quotes import REPORTING_VERBS, extract_quotes
from dragoman.analyze.sentences import Sentence, article_sentences, joined_text
from dragoman.article import Article
from dragoman.errors import AnalyzeError, DragomanError, SkipArticle
from dragoman.names.registry import Registry, load_registry
from dragoman.names.translit import STANDARD as TRANSLITERATION
from dragoman.report import StageReport

ANALYZER_VERSION = "dragoman-analyze/0.2"  # 0.2: English names (issue 14), events read from syntax (issue 17)


@dataclass(slots=True)
class AnalyzeReport(StageReport):
    """An analyze run: outcomes ``stored`` (analyses saved); skips (empty, story_copy) and failures by reason;
    what was found."""

    entities: int = 0
    quotes: int = 0
    events: int = 0

    def details(self) -> dict[str, Any]:
        return {
            "entities": self.entities,
            "quotes": self.quotes,
            "events": self.events,
            "analyzer_version": ANALYZER_VERSION,
        }

    def summary_parts(self) -> list[str]:
        return [
            f"analyzed {self.stored} articles: {self.entities} entities, {self.quotes} quotes, {self.events} events"
        ]

    def count(self, analysis: dict[str, Any]) -> None:
        """One article analyzed and saved."""
        self.outcomes["stored"] += 1
        self.entities += len(analysis["entities"])
        self.quotes += len(analysis["quotes"])
        self.events += len(analysis["events"])


def _published_date(article: Article) -> date | None:
    local = article.published_local
    return local.date() if isinstance(local, datetime) else None


def analyze_article(article: Article, *, registry: Registry | None = None) -> dict[str, Any]:
    """Entities, quotes, dates, quantities and events of one article (Russian, or English when language=en)."""
    registry = registry or load_registry()
    try:
        sentences = article_sentences(article)
    except (TypeError, ValueError, AttributeError) as exc:  # a malformed record must name itself, not end a batch
        raise AnalyzeError(f"cannot split into sentences: {type(exc).__name__}: {exc}", source=article.key_url) from exc
    if not sentences:
        raise SkipArticle(f"{article.key_url}: nothing to analyze (no title or text)", reason="empty")
    try:
        if article.language == "en":
            from dragoman.analyze.english import analyze_english

            body = analyze_english(sentences, _published_date(article), registry)
        else:
            body = _analyze_russian(sentences, _published_date(article), registry)
    except DragomanError:
        raise
    except Exception as exc:  # a model or rule bug must name the article, not kill the batch
        raise AnalyzeError(f"analysis failed: {type(exc).__name__}: {exc}", source=article.key_url) from exc
    quotes = body["quotes"]
    return {
        "analyzer_version": ANALYZER_VERSION,
        "language": article.language,
        "published": _published_date(article).isoformat() if _published_date(article) else None,
        "transliteration": TRANSLITERATION,
        "sentences": [{"i": s.index, "role": s.role, "block": s.block, "text": s.text, "en": s.en} for s in sentences],
        **body,
        "unnamed_sources": sum(1 for q in quotes if q.get("unnamed")),
        "stats": {
            "entities": len(body["entities"]),
            "mentions": len(body["mentions"]),
            "quotes": len(quotes),
            "unnamed_quotes": sum(1 for q in quotes if q.get("unnamed")),
            "events": len(body["events"]),
            "dates": len(body["dates"]),
        },
    }


def _analyze_russian(sentences: list[Sentence], published: date | None, registry: Registry) -> dict[str, Any]:
    from dragoman.analyze.nlp import load_models, parse

    text = joined_text(sentences)
    doc = parse(text, [(s.start, s.stop) for s in sentences], needs_syntax=_needs_syntax)
    mentions, entities = extract_entities(doc, sentences, registry, morph_vocab=load_models().morph_vocab)
    names_from_translation(mentions, entities, sentences)
    quotes = extract_quotes(doc, sentences, mentions)
    dates = []
    quantities: list[dict[str, Any]] = []
    tokens_by_start = {t.start: (t.lemma or t.text.lower(), t.pos) for t in doc.tokens}
    for s in sentences:
        dates.extend(extract_dates(s.text, published, s.index))
        lemma_of = {k - s.start: v for k, v in tokens_by_start.items() if s.start <= k < s.stop}
        quantities.extend(extract_quantities(s.text, s.index, lemma_of))
    quoted = {i for q in quotes for i in (q.sentences or [q.sentence])}
    events = extract_events(doc, sentences, mentions, entities, dates, quantities, quoted, published)
    starts = {s.index: s.start for s in sentences}
    quote_dicts = []
    for q in quotes:
        d = q.to_dict()
        d["unnamed"] = q.unnamed is not None
        d["source_type"] = q.unnamed
        d["text_en"] = _aligned_english(sentences, d["sentences"])
        quote_dicts.append(d)
    return {
        "entities": sorted(entities.values(), key=lambda e: (-e["mentions"], e["name"])),
        "mentions": [m.to_dict(starts[m.sentence]) for m in mentions],
        "quotes": quote_dicts,
        "dates": [d.to_dict() for d in dates],
        "quantities": quantities,
        "events": [e.to_dict() for e in events],
    }


_SYNTAX_LEMMAS = REPORTING_VERBS | frozenset(TRIGGERS)
_QUOTE_MARKS = set('«»„“”"—–')


def _needs_syntax(tokens: list[Any]) -> bool:
    """Only quotes and events read the parse: sentences with a reporting verb, a trigger or a quote mark."""
    return any(t.lemma in _SYNTAX_LEMMAS or t.text in _QUOTE_MARKS for t in tokens)


def _aligned_english(sentences: list[Sentence], indices: list[int]) -> str | None:
    parts = [sentences[i].en for i in indices if 0 <= i < len(sentences) and sentences[i].en]
    return " ".join(p for p in parts if p) or None
