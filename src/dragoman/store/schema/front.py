"""Indexes for the front page's queries (versions 420-429; see dragoman.store.front)."""

from __future__ import annotations

from dragoman.store.schema import portable

MIGRATIONS = [
    portable(
        420,
        "front page: surge and brief indexes",
        """
        -- Entity counts over a time range (surge: the window and the 30-day baseline) read this index alone,
        -- in docid (publication time) order, instead of every entity's rows.
        CREATE INDEX IF NOT EXISTS search_entities_docid ON search_entities(docid, entity);
        -- The brief's "edited after publication" section: articles changed in the window.
        CREATE INDEX IF NOT EXISTS articles_updated ON articles(updated_at);
        """,
    ),
]
