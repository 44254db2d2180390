"""Re-extraction: run today's extractor again over the stored originals, without fetching anything.

When the extractor improves, the corpus improves with it, also for pages that are gone from the web. For
each selected article the original of its current revision is extracted again; changed text becomes a new
revision marked ``reextract`` (not an edit by the outlet), which translate and analyze then see as pending
because they work per revision; changed metadata alone (rubric, date, authors) is written into the current
revision's record; nothing changed writes nothing, so a second run changes nothing.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dragoman.article import RawPage
from dragoman.errors import DragomanError, SkipArticle
from dragoman.pipeline.ingest import extract_page
from dragoman.report import StageReport
from dragoman.store.base import ArticleFilter, ReextractOutcome, StoredArticle

_VERSION_NUMBER = re.compile(r"(\d+(?:\.\d+)*)")


@dataclass(slots=True)
class ReextractReport(StageReport):  # outcomes: ReextractOutcome values
    revised_ids: list[int] = field(default_factory=list)  # articles that got a re-extraction revision
    updated_ids: list[int] = field(default_factory=list)  # articles whose metadata was corrected in place

    def details(self) -> dict[str, Any]:
        return {
            "revised": self.outcomes[ReextractOutcome.REVISED],
            "updated": self.outcomes[ReextractOutcome.UPDATED],
            "unchanged": self.outcomes[ReextractOutcome.UNCHANGED],
            "same_as_older": self.outcomes[ReextractOutcome.SAME_AS_OLDER],
            "revised_ids": self.revised_ids,
            "updated_ids": self.updated_ids,
        }

    def summary_parts(self) -> list[str]:
        counts = self.details()
        return [
            f"new revisions {counts['revised']}",
            f"metadata corrected {counts['updated']}",
            f"unchanged {counts['unchanged']}",
            f"same as an older revision {counts['same_as_older']}",
        ]


def version_key(version: str) -> tuple[int, ...] | None:
    """The numeric version of the HTML extractor (``dragoman-extract/1.2 trafilatura/2.0`` -> (1, 2)); a bare
    number is taken as one; other extractors (JSONL records, feed text) have none."""
    head = version.strip().split()[0] if version.strip() else ""
    head = head.removeprefix("dragoman-extract/")
    if "/" in head:
        return None
    match = _VERSION_NUMBER.fullmatch(head)
    return tuple(int(part) for part in match.group(1).split(".")) if match else None


def is_older(version: str, than: str) -> bool:
    """Whether an article's extractor version is older than ``than``; an unknown version counts as older."""
    limit = version_key(than)
    if limit is None:
        raise ValueError(f"{than!r} names no version number (e.g. 1.1 or dragoman-extract/1.1)")
    mine = version_key(version)
    if mine is None:
        return True
    width = max(len(mine), len(limit))  # 1 and 1.0 are the same version
    return mine + (0,) * (width - len(mine)) < limit + (0,) * (width - len(limit))


def reextract_store(
    store: Any,
    *,
    since: datetime | None = None,
    outlets: list[str] | None = None,
    older_than: str | None = None,
    on_item: Callable[[StoredArticle], None] | None = None,
) -> ReextractReport:
    """Re-extract the current revision of each selected article from its stored original."""
    if older_than is not None:
        is_older("", older_than)  # a bad version stops the run before it starts, not once per article
    report = ReextractReport()
    started = time.perf_counter()
    try:
        for stored in store.iter_articles(ArticleFilter(outlets=outlets, since=since)):
            if on_item:
                on_item(stored)
            if older_than is not None and not is_older(stored.article.extractor_version, older_than):
                report.skipped["current_extractor"] += 1
                continue
            try:
                outcome = reextract_one(store, stored)
            except DragomanError as exc:
                report.record_problem(f"article {stored.id}", exc)
                continue
            report.outcomes[outcome] += 1
            if outcome is ReextractOutcome.REVISED:
                report.revised_ids.append(stored.id)
            elif outcome is ReextractOutcome.UPDATED:
                report.updated_ids.append(stored.id)
    except KeyboardInterrupt:
        report.interrupted = True
    finally:
        report.elapsed = time.perf_counter() - started
    return report


def reextract_one(store: Any, stored: StoredArticle) -> ReextractOutcome:
    """Extract ``stored``'s original again and record the result; SkipArticle when no original was kept."""
    kept = store.original(stored.id, stored.revision)
    if kept is None:
        raise SkipArticle(
            "no original page is stored for it (imported as a record, or archived before the archive existed)",
            reason="no_original",
            source=f"article {stored.id}",
        )
    original = kept.original
    page = RawPage(
        url=original.url,
        body=original.body,
        fetched_at=original.fetched_at or stored.article.fetched_at or datetime.now().astimezone(),
        content_type=original.content_type,
        source=original.url,
        status=original.status,
        headers=dict(original.headers),
    )
    article = extract_page(page)
    if not article.title and stored.article.title:
        article.title = stored.article.title  # the monitor takes a feed's title when the page has none
    outcome: ReextractOutcome = store.record_reextraction(stored, article)
    return outcome
