"""The analyze stage over the store: pick the stored articles to analyze, run ``analyze.analyze_article`` (pure
work on records) on each and save the analysis (the search index derives the entity, quote and event read model
from each saved analysis: ``dragoman.store.analyses``).

One bad article is counted and listed, and the run goes on; an interrupted run resumes with the articles this
analyzer version has not analyzed yet (``only_missing``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from dragoman.analyze.pipeline import ANALYZER_VERSION, AnalyzeReport, analyze_article
from dragoman.article import Article
from dragoman.errors import DragomanError, SkipArticle, StoreError
from dragoman.names.registry import Registry, load_registry
from dragoman.store import ArticleFilter


def analyze_store(
    store: Any,
    *,
    only_missing: bool = True,
    since: datetime | None = None,
    outlets: list[str] | None = None,
    progress: Callable[[int, Article], None] | None = None,
    registry: Registry | None = None,
    limit: int | None = None,
    ids: list[int] | None = None,
) -> AnalyzeReport:
    """Analyze stored articles (by default those this analyzer version has not seen) and save the results."""
    from dragoman.store.stories import processed_story_member, story_id_of

    registry = registry or load_registry()
    report = AnalyzeReport()
    started = time.perf_counter()
    where = ArticleFilter(
        without_analysis_by=ANALYZER_VERSION if only_missing else None,
        since=since,
        outlets=outlets,
        limit=limit,
        ids=ids,
    )
    # Collect ids first: writing analyses while paging through the same query would skip or repeat rows.
    # An unreadable record (stored before records were checked) fails alone, named, and the batch goes on.
    todo = [
        (sa.id, sa.revision_id)
        for sa in store.iter_articles(where, on_unreadable=lambda i, exc: _failed(report, i, exc))
    ]
    texts_in_run: set[tuple[int, str]] = set()
    for article_id, _revision_id in todo:
        try:
            stored = store.get(article_id)
        except StoreError as exc:
            _failed(report, article_id, exc)
            continue
        if stored is None:
            continue
        # A copy of a story with the same text as a member analyzed already (or queued in this run) is not
        # analyzed again: that member's analysis is this text's. Rewrites are analyzed themselves.
        story_id = story_id_of(store, article_id)
        if story_id is not None:
            text_key = (story_id, stored.article.content_sha256)
            if text_key in texts_in_run or processed_story_member(store, article_id, analyzed_by=ANALYZER_VERSION):
                report.record_skip("story_copy")
                continue
            texts_in_run.add(text_key)
        article = stored.article
        try:
            analysis = analyze_article(article, registry=registry)
        except SkipArticle as exc:
            report.record_skip(exc.reason)
            continue
        except DragomanError as exc:
            _failed(report, article_id, exc)
            continue
        store.save_analysis(stored.revision_id, analysis, ANALYZER_VERSION)
        report.count(analysis)
        if progress is not None:
            progress(report.stored, article)
    report.elapsed = time.perf_counter() - started
    return report


def _failed(report: AnalyzeReport, article_id: int, exc: DragomanError) -> None:
    report.record_failure(exc.reason, source=f"article {article_id}", message=str(exc))


def analyze_articles(store: Any, article_ids: Iterable[int]) -> AnalyzeReport:
    """Analyze exactly these articles (their current revisions) and save the results: what ``import
    --analyze`` imported, or what changed since its last analysis (a translation saved after it)."""
    ids = list(dict.fromkeys(article_ids))  # once each
    if not ids:
        return AnalyzeReport()
    return analyze_store(store, only_missing=False, ids=ids)
