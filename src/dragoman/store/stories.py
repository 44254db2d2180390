"""Stories (tables of migrations 401, 403, 404): every stored article points to a story; copies share one.

Reading: the story an article belongs to and its members, and which member's translation stands for a copy
(translate, analyze, serve and the exports use these through ``store.stories`` or the functions below, which
take the store). Writing: what ``acquire.dedupe.StoryIndex`` decides (the MinHash signatures, LSH band keys and
similarity live there; this module only keeps their results): a member with its signature, its band keys in
``story_bands`` (an indexed table, so candidates are found without holding the index in memory), and the band
layout the keys were computed with.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dragoman.errors import StoreError
from dragoman.store.repository import POSTGRES, Repository, placeholders, table_exists

INSERT_BAND = "INSERT INTO story_bands (key, article_id) VALUES (?, ?)"


@dataclass(frozen=True, slots=True)
class StoryAssignment:
    article_id: int
    story_id: int
    kind: str  # first | exact_hash | near
    similarity: float


@dataclass(frozen=True, slots=True)
class StoryLink:
    """An untranslated copy's way to its story's English.

    ``shares_text``: the member's current Russian text is this article's (same content hash), so its
    translation and analysis stand for this article sentence by sentence. Otherwise (a rewrite) the copy
    only points to the member: another text's sentences are never shown as this article's.
    """

    story_id: int
    article_count: int
    member_id: int
    member_url: str
    member_title_en: str | None
    shares_text: bool


@dataclass(frozen=True, slots=True)
class MemberSignature:
    """A member inside the near-copy window, with its stored MinHash signature (uint64 values as bytes)."""

    article_id: int
    story_id: int
    minhash: bytes


class StoryRepository(Repository):
    """``store.stories``: the stories tables' SQL (see the module docstring)."""

    def __init__(self, store: Any) -> None:
        super().__init__(store)
        self._tables_seen = False

    def available(self) -> bool:
        """Whether the stories tables exist (a read-only database from before the monitor has none: no stories).

        A positive answer is kept; a negative one is asked again next time (another process may migrate).
        """
        if not self._tables_seen:
            self._tables_seen = table_exists(self.store, "story_members")
        return self._tables_seen

    # -- reading -----------------------------------------------------------------------------------------

    def story_of(self, article_id: int, *, limit: int | None = None) -> dict[str, Any] | None:
        """The story an article belongs to, with its members (id, url, outlet, title, kind, similarity).

        ``limit`` caps the members listed (oldest first); ``article_count`` always counts them all. None when
        the article has no story (or the database has no story tables).
        """
        if not self.available():
            return None
        row = self.execute(
            "SELECT s.id, s.first_article_id, s.title, s.article_count FROM story_members m"
            " JOIN stories s ON s.id = m.story_id WHERE m.article_id = ?",
            (article_id,),
        ).fetchone()
        if row is None:
            return None
        members = self.execute(
            "SELECT m.article_id, a.url, a.outlet, a.title, m.kind, m.similarity FROM story_members m"
            " JOIN articles a ON a.id = m.article_id WHERE m.story_id = ? ORDER BY m.article_id LIMIT ?",
            (row[0], 2**62 if limit is None else limit),
        ).fetchall()
        keys = ("article_id", "url", "outlet", "title", "kind", "similarity")
        return {
            "story_id": row[0],
            "first_article_id": row[1],
            "title": row[2],
            "article_count": row[3],
            "members": [dict(zip(keys, tuple(m), strict=True)) for m in members],
        }

    def has_copies(self) -> bool:
        """Whether any story has more than one member: when none has, no article can borrow a translation."""
        if not self.available():
            return False
        return self.execute("SELECT 1 FROM stories WHERE article_count > 1 LIMIT 1").fetchone() is not None

    def story_id_of(self, article_id: int) -> int | None:
        """The story id of an article, or None (no story yet, or a database without the stories tables)."""
        if not self.available():
            return None
        row = self.execute("SELECT story_id FROM story_members WHERE article_id = ?", (article_id,)).fetchone()
        return int(row[0]) if row is not None else None

    def other_members(self, story_id: int, article_id: int) -> list[int]:
        """The story's members other than ``article_id``, oldest first."""
        rows = self.execute(
            "SELECT article_id FROM story_members WHERE story_id = ? AND article_id != ? ORDER BY article_id",
            (story_id, article_id),
        ).fetchall()
        return [int(r[0]) for r in rows]

    def processed_story_member(
        self, article_id: int, *, translated_by: str | None = None, analyzed_by: str | None = None
    ) -> int | None:
        """Another member of the article's story with the same text, already translated by this model (or
        analyzed by this version).

        The translate and analyze stages skip the article then: its story's member carries the translation and
        analysis of exactly this text, and the reader and exports show them for it. A rewrite or a light edit
        (different text) is translated itself; the translation memory serves the sentences it shares with the
        story, so only its own sentences reach the engine.
        """
        story_id = self.story_id_of(article_id)
        if story_id is None:
            return None
        if translated_by is not None:
            done = "JOIN translations t ON t.revision_id = r.id WHERE t.model_id = ?"
            value = translated_by
        elif analyzed_by is not None:
            done = "JOIN analyses n ON n.revision_id = r.id WHERE n.analyzer_version = ?"
            value = analyzed_by
        else:
            raise ValueError("processed_story_member needs translated_by or analyzed_by")
        row = self.execute(
            "SELECT m.article_id FROM story_members m JOIN articles a ON a.id = m.article_id"
            f" JOIN revisions r ON r.id = a.current_revision_id {done}"
            " AND m.story_id = ? AND m.article_id != ? AND r.content_sha256 = (SELECT r2.content_sha256"
            " FROM articles a2 JOIN revisions r2 ON r2.id = a2.current_revision_id WHERE a2.id = ?)"
            " ORDER BY m.article_id LIMIT 1",
            (value, story_id, article_id, article_id),
        ).fetchone()
        return int(row[0]) if row is not None else None

    def link_story_copy(self, stored: Any) -> StoryLink | None:
        """For an article without its own translation: its story's translated (or analyzed) member, if any.

        When that member has the same text, its translation and analysis are attached to ``stored.article`` in
        memory (never written back), so the reader, the API and exports show them as this article's, with the
        member's engine and model id as provenance. Returns None when the article is translated itself, has no
        story, or no other member of its story was processed.
        """
        article = stored.article
        if article.translation is not None or not self.available():
            return None
        row = self.execute(
            "SELECT m.story_id, s.article_count FROM story_members m JOIN stories s ON s.id = m.story_id"
            " WHERE m.article_id = ?",
            (stored.id,),
        ).fetchone()
        if row is None:
            return None
        # Members with the same text first (their translation stands for this article), then the oldest.
        member_row = self.execute(
            "SELECT m.article_id FROM story_members m JOIN articles a ON a.id = m.article_id"
            " WHERE m.story_id = ? AND m.article_id != ?"
            " AND (EXISTS (SELECT 1 FROM translations t WHERE t.revision_id = a.current_revision_id)"
            " OR EXISTS (SELECT 1 FROM analyses n WHERE n.revision_id = a.current_revision_id))"
            " ORDER BY CASE WHEN m.content_sha256 = ? THEN 0 ELSE 1 END, m.article_id LIMIT 1",
            (int(row[0]), stored.id, article.content_sha256),
        ).fetchone()
        member = self.store.get(int(member_row[0])) if member_row is not None else None
        if member is None:
            return None
        shares_text = member.article.content_sha256 == article.content_sha256
        if shares_text:
            article.translation = member.article.translation
            if article.analysis is None:
                article.analysis = member.article.analysis
        translation = member.article.translation
        return StoryLink(
            story_id=int(row[0]),
            article_count=int(row[1]),
            member_id=member.id,
            member_url=member.article.url,
            member_title_en=translation.title.text if translation is not None else None,
            shares_text=shares_text,
        )

    def story_translation(self, article_id: int) -> tuple[int, Any] | None:
        """(member id, Translation) of the article itself or, for a copy, of its story's translated member."""
        stored = self.store.get(article_id)
        if stored is not None and stored.article.translation is not None:
            return article_id, stored.article.translation
        story_id = self.story_id_of(article_id)
        if story_id is None:
            return None
        for member_id in self.other_members(story_id, article_id):
            member = self.store.get(member_id)
            if member is not None and member.article.translation is not None:
                return member.id, member.article.translation
        return None

    # -- what StoryIndex records -------------------------------------------------------------------------

    def recorded(self, article_id: int) -> StoryAssignment | None:
        """The story assignment of an article, if it has one."""
        row = self.execute(
            "SELECT story_id, kind, similarity FROM story_members WHERE article_id = ?", (article_id,)
        ).fetchone()
        return None if row is None else StoryAssignment(article_id, int(row[0]), row[1], float(row[2]))

    def story_with_content(self, content_sha256: str) -> int | None:
        """The story of a member with exactly this content hash (an exact copy), if any."""
        row = self.execute(
            "SELECT story_id FROM story_members WHERE content_sha256 = ? LIMIT 1", (content_sha256,)
        ).fetchone()
        return int(row[0]) if row is not None else None

    def band_layout(self) -> str | None:
        """The band layout (``BxR``) the stored band keys were computed with, or None before any."""
        row = self.execute("SELECT layout FROM story_band_layout").fetchone()
        return None if row is None else str(row[0])

    def reset_bands(self, layout: str) -> None:
        """Drop every band key (they belong to another layout) and record the new layout."""
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM story_bands")
            conn.execute("DELETE FROM story_band_layout")
            conn.execute("INSERT INTO story_band_layout (layout) VALUES (?)", (layout,))

    def members_without_bands(self, added_since: str) -> list[tuple[int, bytes]]:
        """(article id, signature) of members added since ``added_since`` (ISO time) that have no band keys."""
        rows = self.execute(
            "SELECT m.article_id, m.minhash FROM story_members m WHERE m.added_at >= ?"
            " AND NOT EXISTS (SELECT 1 FROM story_bands b WHERE b.article_id = m.article_id)",
            (added_since,),
        ).fetchall()
        return [(int(r[0]), bytes(r[1])) for r in rows]

    def add_bands(self, bands: Sequence[tuple[int, int]]) -> None:
        """Band keys as (key, article id) pairs, in one transaction."""
        if not bands:
            return
        with self.store.transaction() as conn:
            conn.executemany(INSERT_BAND, list(bands))

    def prune_bands(self, added_before: str) -> None:
        """Drop the band keys of members added before ``added_before`` (ISO time): they left the window."""
        with self.store.transaction() as conn:
            conn.execute(
                "DELETE FROM story_bands WHERE article_id IN (SELECT article_id FROM story_members WHERE added_at < ?)",
                (added_before,),
            )

    def matchable_count(self, added_since: str) -> int:
        """Members added since ``added_since`` that have band keys (near copies can be matched to them)."""
        row = self.execute(
            "SELECT count(DISTINCT b.article_id) FROM story_bands b JOIN story_members m ON m.article_id = b.article_id"
            " WHERE m.added_at >= ?",
            (added_since,),
        ).fetchone()
        return int(row[0])

    def newest_in_band(self, key: int, limit: int) -> list[int]:
        """The newest ``limit`` article ids with this band key."""
        rows = self.execute(
            "SELECT article_id FROM story_bands WHERE key = ? ORDER BY article_id DESC LIMIT ?", (key, limit)
        ).fetchall()
        return [int(r[0]) for r in rows]

    def signatures(self, article_ids: Sequence[int], added_since: str) -> list[MemberSignature]:
        """The signatures of these members, those added since ``added_since`` only."""
        if not article_ids:
            return []
        rows = self.execute(
            "SELECT article_id, story_id, minhash FROM story_members"
            f" WHERE article_id IN ({placeholders(len(article_ids))}) AND added_at >= ?",
            (*article_ids, added_since),
        ).fetchall()
        return [MemberSignature(int(r[0]), int(r[1]), bytes(r[2])) for r in rows]

    def record(
        self,
        article_id: int,
        story_id: int | None,
        *,
        kind: str,
        similarity: float,
        title: str,
        content_sha256: str,
        minhash: bytes,
        band_keys: Sequence[int],
        now: str,
    ) -> StoryAssignment:
        """Record an article as a member of ``story_id`` (None: the first of a new story), with its signature and
        band keys, in one transaction. An article recorded meanwhile (another watcher fetched the same item)
        keeps that record: it is returned and nothing is written."""
        try:
            with self.store.transaction() as conn:
                if self.dialect == POSTGRES:
                    # Two watchers recording the same article queue here, so the second sees the first's record
                    # below (SQLite's write transaction already holds the whole database).
                    conn.execute("SELECT id FROM articles WHERE id = ? FOR UPDATE", (article_id,))
                existing = conn.execute(
                    "SELECT story_id, kind, similarity FROM story_members WHERE article_id = ?", (article_id,)
                ).fetchone()
                if existing is not None:
                    return StoryAssignment(article_id, int(existing[0]), existing[1], float(existing[2]))
                if story_id is None:
                    story_id = int(
                        conn.execute(
                            "INSERT INTO stories (first_article_id, title, created_at) VALUES (?,?,?) RETURNING id",
                            (article_id, title, now),
                        ).fetchall()[0][0]
                    )
                else:
                    conn.execute("UPDATE stories SET article_count = article_count + 1 WHERE id = ?", (story_id,))
                conn.execute(
                    "INSERT INTO story_members (article_id, story_id, kind, similarity, content_sha256, minhash,"
                    " added_at) VALUES (?,?,?,?,?,?,?)",
                    (article_id, story_id, kind, similarity, content_sha256, minhash, now),
                )
                if band_keys:
                    conn.executemany(INSERT_BAND, [(key, article_id) for key in band_keys])
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot record the story of article {article_id}: {exc}") from exc
        return StoryAssignment(article_id, story_id, kind, similarity)

    def revise(self, article_id: int, *, content_sha256: str, minhash: bytes, band_keys: Sequence[int]) -> None:
        """A member's text changed: its content hash, signature and band keys become the new text's."""
        with self.store.transaction() as conn:
            conn.execute(
                "UPDATE story_members SET content_sha256 = ?, minhash = ? WHERE article_id = ?",
                (content_sha256, minhash, article_id),
            )
            conn.execute("DELETE FROM story_bands WHERE article_id = ?", (article_id,))
            if band_keys:
                conn.executemany(INSERT_BAND, [(key, article_id) for key in band_keys])


# -- the readers' entry points: the store first, as translate, analyze, serve and the exports call them ----------


def story_of(store: Any, article_id: int, *, limit: int | None = None) -> dict[str, Any] | None:
    """See :meth:`StoryRepository.story_of`."""
    return store.stories.story_of(article_id, limit=limit)


def has_copies(store: Any) -> bool:
    """See :meth:`StoryRepository.has_copies`."""
    return bool(store.stories.has_copies())


def story_id_of(store: Any, article_id: int) -> int | None:
    """See :meth:`StoryRepository.story_id_of`."""
    return store.stories.story_id_of(article_id)


def processed_story_member(
    store: Any, article_id: int, *, translated_by: str | None = None, analyzed_by: str | None = None
) -> int | None:
    """See :meth:`StoryRepository.processed_story_member`."""
    return store.stories.processed_story_member(article_id, translated_by=translated_by, analyzed_by=analyzed_by)


def link_story_copy(store: Any, stored: Any) -> StoryLink | None:
    """See :meth:`StoryRepository.link_story_copy`."""
    return store.stories.link_story_copy(stored)


def story_translation(store: Any, article_id: int) -> tuple[int, Any] | None:
    """See :meth:`StoryRepository.story_translation`."""
    return store.stories.story_translation(article_id)
