"""The repositories a store offers (``store.crawl``, ``store.stories`` ...), mixed into both store classes."""

from __future__ import annotations

from functools import cached_property

from dragoman.store.alerts import AlertRepository
from dragoman.store.backfill import BackfillRepository
from dragoman.store.crawl import CrawlState
from dragoman.store.front import FrontRepository
from dragoman.store.revision_log import RevisionLog
from dragoman.store.stories import StoryRepository
from dragoman.store.tables import TableRepository


class Repositories:
    """Each repository is made on first use and lives as long as the store (it holds no state of its own
    beyond what it caches about the schema)."""

    @cached_property
    def crawl(self) -> CrawlState:
        """The monitor's crawl state: feeds, announced items, redirects, refusals."""
        return CrawlState(self)

    @cached_property
    def stories(self) -> StoryRepository:
        """Stories and their members, and the LSH band keys that find near copies."""
        return StoryRepository(self)

    @cached_property
    def alerts(self) -> AlertRepository:
        """Watchlists and the alerts outbox."""
        return AlertRepository(self)

    @cached_property
    def front(self) -> FrontRepository:
        """The front page's reads: top stories, surges, attention over time, the brief's edits and hits."""
        return FrontRepository(self)

    @cached_property
    def backfill(self) -> BackfillRepository:
        """What a backfill has finished."""
        return BackfillRepository(self)

    @cached_property
    def tables(self) -> TableRepository:
        """Whole tables, for copying a corpus between databases."""
        return TableRepository(self)

    @cached_property
    def revision_log(self) -> RevisionLog:
        """Which articles changed after they were first stored."""
        return RevisionLog(self)
