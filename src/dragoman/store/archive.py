"""The archive of originals: the bytes each revision was extracted from, kept so that an analyst can show the
page as it was fetched and so that a better extractor can run again without fetching (``dragoman reextract``).

Bytes are stored zlib-compressed in ``originals``, addressed by the SHA-256 of the raw bytes, so a page
fetched again unchanged (or the same page reached from two URLs) is stored once. ``revision_originals``
links a revision to its bytes with what came with them: where they came from (``http`` fetch, local
``file``, ``warc`` record), the URL, HTTP status, Content-Type, response headers and fetch time.

The SQL here is written once for both databases with ``?`` placeholders (see ``dragoman.store.base``).
"""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from dragoman.errors import StoreError
from dragoman.store.connection import rewrap

COMPRESSION = "zlib"
ZLIB_LEVEL = 6  # zlib's default: most of the gain of level 9 at a third of its time on HTML


class ArchiveOutcome(StrEnum):
    STORED = "stored"  # new bytes written
    DEDUPLICATED = "deduplicated"  # the same bytes were already stored (by this or another revision)
    OVER_CAP = "over_cap"  # storing them would pass archive_max_bytes: the revision has no original
    ALREADY_LINKED = "already_linked"  # an unchanged revision that keeps the original it was first extracted from


@dataclass(slots=True)
class Original:
    """The bytes one revision was extracted from, and how they were obtained."""

    body: bytes
    kind: str  # http | file | warc
    url: str
    fetched_at: datetime | None = None
    status: int | None = None
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


@dataclass(slots=True)
class StoredOriginal:
    """An original as read back from the store, with the revision it belongs to."""

    article_id: int
    revision_id: int
    revision: int
    sha256: str
    original: Original


def compress(body: bytes) -> bytes:
    return zlib.compress(body, ZLIB_LEVEL)


def decompress(data: bytes, compression: str, sha256: str) -> bytes:
    if compression != COMPRESSION:
        raise StoreError(f"original {sha256[:12]} uses an unknown compression {compression!r}")
    try:
        body = zlib.decompress(bytes(data))
    except zlib.error as exc:
        raise StoreError(f"original {sha256[:12]} is corrupt: {exc}") from exc
    if hashlib.sha256(body).hexdigest() != sha256:
        # The archive exists to prove what a page said: never hand out bytes that are not the ones stored.
        raise StoreError(f"original {sha256[:12]} does not match its SHA-256: the archive is damaged")
    return body


def archived_bytes(conn: Any) -> int:
    """Compressed bytes the archive holds (what ``archive_max_bytes`` caps)."""
    return int(conn.execute("SELECT COALESCE(SUM(stored_size), 0) FROM originals").fetchone()[0])


def save_original(conn: Any, revision_id: int, original: Original, now: str, max_bytes: int = 0) -> ArchiveOutcome:
    """Link ``revision_id`` to its original inside the caller's transaction; store the bytes unless held.

    ``max_bytes`` > 0 caps the archive's compressed size: new bytes that would pass it are not stored and
    the revision keeps no original (the article itself is stored all the same).
    """
    digest = original.sha256
    held = conn.execute("SELECT 1 FROM originals WHERE sha256 = ?", (digest,)).fetchone()
    if held is not None:
        outcome = ArchiveOutcome.DEDUPLICATED
    else:
        data = compress(original.body)
        if max_bytes > 0 and archived_bytes(conn) + len(data) > max_bytes:
            return ArchiveOutcome.OVER_CAP
        conn.execute(
            "INSERT INTO originals (sha256, size, stored_size, compression, data, stored_at) VALUES (?,?,?,?,?,?)"
            " ON CONFLICT (sha256) DO NOTHING",
            (digest, len(original.body), len(data), COMPRESSION, data, now),
        )
        outcome = ArchiveOutcome.STORED
    link_original(conn, revision_id, digest, original)
    return outcome


def keep_original(conn: Any, revision_id: int, original: Original | None, now: str, max_bytes: int) -> str | None:
    """Keep ``original`` for a revision that has none yet; the outcome's name, or None when none was given."""
    if original is None:
        return None
    if conn.execute("SELECT 1 FROM revision_originals WHERE revision_id = ?", (revision_id,)).fetchone():
        return ArchiveOutcome.ALREADY_LINKED.value
    return save_original(conn, revision_id, original, now, max_bytes).value


def link_original(conn: Any, revision_id: int, sha256: str, original: Original) -> None:
    conn.execute(
        "INSERT INTO revision_originals (revision_id, sha256, kind, url, status, content_type, headers, fetched_at)"
        " VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (revision_id) DO NOTHING",
        (
            revision_id,
            sha256,
            original.kind,
            original.url,
            original.status,
            original.content_type,
            json.dumps(original.headers, ensure_ascii=False, sort_keys=True),
            original.fetched_at.astimezone(UTC).isoformat() if original.fetched_at else None,
        ),
    )


_SELECT_ORIGINALS = (
    "SELECT r.article_id, r.id AS revision_id, r.revision, o.sha256, o.compression, o.data, l.kind, l.url,"
    " l.status, l.content_type, l.headers, l.fetched_at"
    " FROM revisions r JOIN revision_originals l ON l.revision_id = r.id JOIN originals o ON o.sha256 = l.sha256"
)


def load_original(conn: Any, article_id: int, revision: int | None = None) -> StoredOriginal | None:
    """The original of an article's revision (default: the current one), or None when none was kept."""
    if revision is None:
        row = conn.execute(
            _SELECT_ORIGINALS + " WHERE r.id = (SELECT current_revision_id FROM articles WHERE id = ?)", (article_id,)
        ).fetchone()
    else:
        row = conn.execute(
            _SELECT_ORIGINALS + " WHERE r.article_id = ? AND r.revision = ?", (article_id, revision)
        ).fetchone()
    return _stored_original(row) if row is not None else None


def has_original(conn: Any, article_id: int, revision: int) -> bool:
    row = conn.execute(
        "SELECT 1 FROM revisions r JOIN revision_originals l ON l.revision_id = r.id"
        " WHERE r.article_id = ? AND r.revision = ?",
        (article_id, revision),
    ).fetchone()
    return row is not None


def load_originals(conn: Any, article_id: int) -> list[StoredOriginal]:
    """Every kept original of an article, by revision."""
    rows = conn.execute(_SELECT_ORIGINALS + " WHERE r.article_id = ? ORDER BY r.revision", (article_id,)).fetchall()
    return [_stored_original(row) for row in rows]


def _stored_original(row: Any) -> StoredOriginal:
    body = decompress(row["data"], row["compression"], row["sha256"])
    fetched = row["fetched_at"]
    return StoredOriginal(
        article_id=int(row["article_id"]),
        revision_id=int(row["revision_id"]),
        revision=int(row["revision"]),
        sha256=row["sha256"],
        original=Original(
            body=body,
            kind=row["kind"],
            url=row["url"],
            fetched_at=datetime.fromisoformat(fetched) if fetched else None,
            status=int(row["status"]) if row["status"] is not None else None,
            content_type=row["content_type"],
            headers=json.loads(row["headers"] or "{}"),
        ),
    )


def archive_stats(conn: Any) -> dict[str, int]:
    """Originals held, their raw and compressed bytes, and revisions linked to one."""
    row = conn.execute(
        "SELECT count(*), COALESCE(SUM(size), 0), COALESCE(SUM(stored_size), 0) FROM originals"
    ).fetchone()
    linked = conn.execute("SELECT count(*) FROM revision_originals").fetchone()[0]
    return {
        "originals": int(row[0]),
        "raw_bytes": int(row[1]),
        "stored_bytes": int(row[2]),
        "linked_revisions": int(linked),
    }


class ArchiveReads:
    """The archive's read methods, shared by both stores (each has an ``sql`` connection taking portable SQL)."""

    sql: Any

    def original(self, article_id: int, revision: int | None = None) -> StoredOriginal | None:
        """The bytes an article's revision (default: the current one) was extracted from, if kept."""
        try:
            return load_original(self.sql, article_id, revision)
        except StoreError as exc:
            raise rewrap(exc, f"cannot read the original of article {article_id}") from exc

    def has_original(self, article_id: int, revision: int) -> bool:
        return has_original(self.sql, article_id, revision)

    def originals(self, article_id: int) -> list[StoredOriginal]:
        """Every kept original of an article, by revision (a re-extraction shares its revision's)."""
        try:
            return load_originals(self.sql, article_id)
        except StoreError as exc:
            raise rewrap(exc, f"cannot read the originals of article {article_id}") from exc

    def archive_stats(self) -> dict[str, int]:
        return archive_stats(self.sql)
