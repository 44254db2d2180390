"""The analyze stage: entities, quotes, dates, events and timelines from Russian (or English) articles.

Library entry point: :func:`analyze_article` (one article -> JSON-serializable dict). The batch over the
store (results saved with the analyzer version and indexed) is ``pipeline.analyze.analyze_store``.
"""

from __future__ import annotations

from dragoman.analyze.pipeline import ANALYZER_VERSION, AnalyzeReport, analyze_article
from dragoman.names.registry import load_registry

__all__ = ["ANALYZER_VERSION", "AnalyzeReport", "analyze_article", "load_registry"]
