"""The analyze stage: entities, quotes, dates, events and timelines from Russian (or English) articles.

Library entry points: :func:`analyze_article` (one article -> JSON-serializable dict) and
:func:`analyze_store` (a batch over the store, results saved with the analyzer version and indexed).
"""

from __future__ import annotations

from dragoman.analyze.pipeline import ANALYZER_VERSION, AnalyzeReport, analyze_article, analyze_store
from dragoman.names.registry import load_registry

__all__ = ["ANALYZER_VERSION", "AnalyzeReport", "analyze_article", "analyze_store", "load_registry"]
