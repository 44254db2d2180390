"""Schema migrations, applied in version order and recorded in ``schema_migrations``.

Each stage owns a range of version numbers so that stages can add tables independently:
core 1-99, translate 100-199, analyze 200-299, search/serve 300-399, monitor 400-499, scale 500-599.
A migration is plain SQL for SQLite; ``postgres`` carries the PostgreSQL form when it differs. Without one,
PostgreSQL runs the SQLite SQL with its types translated (INTEGER PRIMARY KEY -> identity column, INTEGER ->
BIGINT, REAL -> DOUBLE PRECISION, BLOB -> BYTEA; see ``dragoman.store.postgres.sqlite_ddl_to_postgres``), so
plain tables and indexes are described once; FTS5 tables and triggers need their own ``postgres`` form.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sqlite: str
    postgres: str | None = None


CORE_MIGRATIONS: list[Migration] = [
    Migration(
        1,
        "articles and revisions",
        """
        CREATE TABLE articles (
            id INTEGER PRIMARY KEY,
            key_url TEXT NOT NULL UNIQUE,      -- canonical URL (or URL when the page names none)
            url TEXT NOT NULL,
            outlet TEXT,
            language TEXT,
            title TEXT NOT NULL,
            rubric TEXT,
            published_at TEXT,                 -- ISO 8601, UTC
            first_seen_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            current_revision_id INTEGER,
            revision_count INTEGER NOT NULL DEFAULT 1
        );
        CREATE INDEX articles_published ON articles(published_at);
        CREATE INDEX articles_outlet_published ON articles(outlet, published_at);

        -- Every distinct content of an article; the record JSON is the full Article (Russian side).
        CREATE TABLE revisions (
            id INTEGER PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            revision INTEGER NOT NULL,
            content_sha256 TEXT NOT NULL,
            raw_sha256 TEXT,
            fetched_at TEXT,
            stored_at TEXT NOT NULL,
            extractor_version TEXT NOT NULL,
            source_url TEXT NOT NULL,
            record TEXT NOT NULL,
            UNIQUE (article_id, content_sha256),
            UNIQUE (article_id, revision)
        );
        """,
    ),
    Migration(
        2,
        "translations and analyses",
        """
        CREATE TABLE translations (
            id INTEGER PRIMARY KEY,
            revision_id INTEGER NOT NULL REFERENCES revisions(id) ON DELETE CASCADE,
            engine TEXT NOT NULL,
            model_id TEXT NOT NULL,
            translated_at TEXT NOT NULL,
            flag_count INTEGER NOT NULL DEFAULT 0,
            record TEXT NOT NULL,
            UNIQUE (revision_id, model_id)
        );
        CREATE TABLE analyses (
            id INTEGER PRIMARY KEY,
            revision_id INTEGER NOT NULL REFERENCES revisions(id) ON DELETE CASCADE,
            analyzer_version TEXT NOT NULL,
            analyzed_at TEXT NOT NULL,
            record TEXT NOT NULL,
            UNIQUE (revision_id, analyzer_version)
        );
        """,
    ),
    Migration(
        3,
        "archive of originals and revision origin",
        """
        -- The bytes each revision was extracted from, zlib-compressed, stored once per SHA-256 of the raw
        -- bytes (see dragoman.store.archive).
        CREATE TABLE originals (
            sha256 TEXT PRIMARY KEY,           -- of the raw bytes
            size INTEGER NOT NULL,             -- raw bytes
            stored_size INTEGER NOT NULL,      -- compressed bytes (what archive_max_bytes caps)
            compression TEXT NOT NULL,         -- zlib
            data BLOB NOT NULL,
            stored_at TEXT NOT NULL
        );
        -- Which original a revision came from, with what came with the bytes.
        CREATE TABLE revision_originals (
            revision_id INTEGER NOT NULL REFERENCES revisions(id) ON DELETE CASCADE,
            sha256 TEXT NOT NULL REFERENCES originals(sha256),
            kind TEXT NOT NULL,                -- http | file | warc
            url TEXT NOT NULL,                 -- as fetched (after redirects), file:// or the WARC target URI
            status INTEGER,
            content_type TEXT,
            headers TEXT NOT NULL DEFAULT '{}', -- JSON object of the response headers
            fetched_at TEXT,                   -- ISO 8601, UTC
            PRIMARY KEY (revision_id)
        );
        CREATE INDEX revision_originals_sha256 ON revision_originals(sha256);
        -- archive_max_bytes sums stored_size before each new original: from this small index, not the blobs.
        CREATE INDEX originals_stored_size ON originals(stored_size);
        -- How a revision arose: 'acquired' (fetched, read or imported) or 'reextract' (the current extractor run
        -- again over the stored original; not an edit by the outlet).
        ALTER TABLE revisions ADD COLUMN origin TEXT NOT NULL DEFAULT 'acquired';
        """,
    ),
]

# Each stage keeps its own tables in a ``schema`` module that defines ``MIGRATIONS``; the store imports
# them when it opens a database, so a table exists whichever stage touches the database first.
STAGE_SCHEMA_MODULES = (
    "dragoman.translate.schema",
    "dragoman.analyze.schema",
    "dragoman.search.schema",
    "dragoman.acquire.schema",
    "dragoman.scale.schema",
    "dragoman.store.front_schema",
)


def all_migrations() -> list[Migration]:
    """Core and stage migrations in version order; versions must be unique."""
    found = list(CORE_MIGRATIONS)
    for module_name in STAGE_SCHEMA_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        found.extend(getattr(module, "MIGRATIONS", []))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(versions) != len(set(versions)):
        raise ValueError(f"duplicate migration versions: {versions}")
    return found
