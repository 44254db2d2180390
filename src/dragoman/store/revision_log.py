"""Which stored articles changed after they were first stored (the revisions themselves are the store's)."""

from __future__ import annotations

from typing import Any

from dragoman.store.repository import Repository


class RevisionLog(Repository):
    """``store.revision_log``: articles by their revision history."""

    def changed_articles(self, limit: int = 50) -> list[dict[str, Any]]:
        """Articles stored in more than one revision, the most recently changed first.

        Re-extractions (our extractor reading the same page again) do not make an article "changed": only
        articles with more than one revision as acquired from the outlet are listed.
        """
        rows = self.execute(
            "SELECT id, url, outlet, title, revision_count, first_seen_at, updated_at FROM articles"
            " WHERE revision_count > 1 AND (SELECT count(*) FROM revisions r WHERE r.article_id = articles.id"
            " AND r.origin = 'acquired') > 1 ORDER BY updated_at DESC LIMIT ?",
            (limit,),
        ).fetchall()
        keys = ("id", "url", "outlet", "title", "revision_count", "first_seen_at", "updated_at")
        return [dict(zip(keys, tuple(row), strict=True)) for row in rows]
