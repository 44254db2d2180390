"""Revisions of a monitored article: which articles changed after publication, and how (title and body diff).

The store keeps every distinct content of an article as a revision; this module compares two of them.
"""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass, field
from typing import Any

from dragoman.article import Article
from dragoman.errors import DragomanError


@dataclass(slots=True)
class RevisionDiff:
    article_id: int
    url: str
    old_revision: int
    new_revision: int
    old_stored_at: str
    new_stored_at: str
    title_diff: list[str] = field(default_factory=list)  # empty when the title did not change
    body_diff: list[str] = field(default_factory=list)  # unified diff, one paragraph per line
    new_origin: str = "acquired"  # reextract: the newer revision is our extractor reading the same page again

    @property
    def reextracted(self) -> bool:
        return self.new_origin == "reextract"

    @property
    def changed(self) -> bool:
        return bool(self.title_diff or self.body_diff)

    def to_text(self) -> str:
        head = (
            f"article {self.article_id} {self.url}\nrevision {self.old_revision} ({self.old_stored_at})"
            f" -> revision {self.new_revision} ({self.new_stored_at})"
        )
        parts = [head]
        if self.reextracted:
            parts.append("re-extraction: the stored page read again by a newer extractor, not an edit by the outlet")
        if self.title_diff:
            parts.append("title:\n" + "\n".join(self.title_diff))
        if self.body_diff:
            parts.append("body:\n" + "\n".join(self.body_diff))
        if not self.changed:
            parts.append("no visible change")
        return "\n\n".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _body_lines(article: Article) -> list[str]:
    lines = [article.lead] if article.lead else []
    lines.extend(block.text for block in article.blocks)
    return lines


def diff_articles(old: Article, new: Article) -> tuple[list[str], list[str]]:
    """(title diff, body diff) of two versions of one article; each empty when that part is unchanged."""
    title_diff = [f"- {old.title}", f"+ {new.title}"] if old.title != new.title else []
    body_diff = list(difflib.unified_diff(_body_lines(old), _body_lines(new), "before", "after", lineterm="", n=1))
    return title_diff, body_diff


def diff_revisions(store: Any, ref: int | str, old: int | None = None, new: int | None = None) -> RevisionDiff:
    """Compare two revisions of a stored article (default: the last two)."""
    stored = store.get(ref)
    if stored is None:
        raise DragomanError("no such article in the database", reason="not_found", source=str(ref))
    revisions = {r.revision: r for r in store.revisions(stored.id)}
    if len(revisions) < 2 and (old is None or new is None):
        raise DragomanError(
            "the article has only one revision: it has not changed since it was first stored",
            reason="no_revisions",
            source=str(ref),
        )
    numbers = sorted(revisions)
    new = numbers[-1] if new is None else new
    old = (max(n for n in numbers if n < new) if any(n < new for n in numbers) else new) if old is None else old
    for number in (old, new):
        if number not in revisions:
            raise DragomanError(
                f"the article has no revision {number} (it has {numbers})", reason="not_found", source=str(ref)
            )
    before, after = revisions[old], revisions[new]
    title_diff, body_diff = diff_articles(before.article, after.article)
    return RevisionDiff(
        stored.id,
        stored.article.url,
        old,
        new,
        before.stored_at,
        after.stored_at,
        title_diff,
        body_diff,
        new_origin=after.origin,
    )


def changed_articles(store: Any, limit: int = 50) -> list[dict[str, Any]]:
    """Articles stored in more than one revision, the most recently changed first.

    Re-extractions (our extractor reading the same page again) do not make an article "changed": only
    articles with more than one revision as acquired from the outlet are listed.
    """
    return list(store.revision_log.changed_articles(limit))
