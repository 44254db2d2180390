"""Reading stories: the story an article belongs to, its members, and which member's translation stands for a copy.

StoryIndex (dedupe.py, the monitor extra) writes ``stories`` and ``story_members``; these queries only read
them, so translate, analyze, serve and export use them without datasketch installed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dragoman.errors import StoreSchemaError


def story_of(store: Any, article_id: int, *, limit: int | None = None) -> dict[str, Any] | None:
    """The story an article belongs to, with its members (id, url, outlet, title, kind, similarity).

    ``limit`` caps the members listed (oldest first); ``article_count`` always counts them all. None when the
    article has no story (or the database has no story tables).
    """
    conn = store.connection
    try:
        row = conn.execute(
            "SELECT s.id, s.first_article_id, s.title, s.article_count FROM story_members m"
            " JOIN stories s ON s.id = m.story_id WHERE m.article_id = ?",
            (article_id,),
        ).fetchone()
    except StoreSchemaError:  # the acquire tables are not there: no stories
        return None
    if row is None:
        return None
    members = conn.execute(
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


def has_copies(store: Any) -> bool:
    """Whether any story has more than one member: when none has, no article can borrow a translation."""
    try:
        row = store.connection.execute("SELECT 1 FROM stories WHERE article_count > 1 LIMIT 1").fetchone()
    except StoreSchemaError:  # the acquire tables are not there: no stories
        return False
    return row is not None


def story_id_of(store: Any, article_id: int) -> int | None:
    """The story id of an article, or None (no story yet, or a database without the stories tables)."""
    try:
        row = store.connection.execute(
            "SELECT story_id FROM story_members WHERE article_id = ?", (article_id,)
        ).fetchone()
    except StoreSchemaError:  # the acquire tables are not there: nothing is a copy
        return None
    return int(row[0]) if row is not None else None


def processed_story_member(
    store: Any, article_id: int, *, translated_by: str | None = None, analyzed_by: str | None = None
) -> int | None:
    """Another member of the article's story with the same text, already translated by this model (or
    analyzed by this version).

    The translate and analyze stages skip the article then: its story's member carries the translation and
    analysis of exactly this text, and the reader and exports show them for it. A rewrite or a light edit
    (different text) is translated itself; the translation memory serves the sentences it shares with the
    story, so only its own sentences reach the engine.
    """
    story_id = story_id_of(store, article_id)
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
    row = store.connection.execute(
        "SELECT m.article_id FROM story_members m JOIN articles a ON a.id = m.article_id"
        f" JOIN revisions r ON r.id = a.current_revision_id {done}"
        " AND m.story_id = ? AND m.article_id != ? AND r.content_sha256 = (SELECT r2.content_sha256 FROM articles a2"
        " JOIN revisions r2 ON r2.id = a2.current_revision_id WHERE a2.id = ?)"
        " ORDER BY m.article_id LIMIT 1",
        (value, story_id, article_id, article_id),
    ).fetchone()
    return int(row[0]) if row is not None else None


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


def link_story_copy(store: Any, stored: Any) -> StoryLink | None:
    """For an article without its own translation: its story's translated (or analyzed) member, if any.

    When that member has the same text, its translation and analysis are attached to ``stored.article`` in
    memory (never written back), so the reader, the API and exports show them as this article's, with the
    member's engine and model id as provenance. Returns None when the article is translated itself, has no
    story, or no other member of its story was processed.
    """
    article = stored.article
    if article.translation is not None:
        return None
    try:
        row = store.connection.execute(
            "SELECT m.story_id, s.article_count FROM story_members m JOIN stories s ON s.id = m.story_id"
            " WHERE m.article_id = ?",
            (stored.id,),
        ).fetchone()
    except StoreSchemaError:  # a database without the acquire tables: no stories
        return None
    if row is None:
        return None
    # Members with the same text first (their translation stands for this article), then the oldest.
    member_row = store.connection.execute(
        "SELECT m.article_id FROM story_members m JOIN articles a ON a.id = m.article_id"
        " WHERE m.story_id = ? AND m.article_id != ?"
        " AND (EXISTS (SELECT 1 FROM translations t WHERE t.revision_id = a.current_revision_id)"
        " OR EXISTS (SELECT 1 FROM analyses n WHERE n.revision_id = a.current_revision_id))"
        " ORDER BY CASE WHEN m.content_sha256 = ? THEN 0 ELSE 1 END, m.article_id LIMIT 1",
        (int(row[0]), stored.id, article.content_sha256),
    ).fetchone()
    member = store.get(int(member_row[0])) if member_row is not None else None
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


def story_translation(store: Any, article_id: int) -> tuple[int, Any] | None:
    """(member id, Translation) of the article itself or, for a copy, of its story's translated member."""
    stored = store.get(article_id)
    if stored is not None and stored.article.translation is not None:
        return article_id, stored.article.translation
    story_id = story_id_of(store, article_id)
    if story_id is None:
        return None
    rows = store.connection.execute(
        "SELECT article_id FROM story_members WHERE story_id = ? AND article_id != ? ORDER BY article_id",
        (story_id, article_id),
    ).fetchall()
    for row in rows:
        member = store.get(int(row[0]))
        if member is not None and member.article.translation is not None:
            return member.id, member.article.translation
    return None
