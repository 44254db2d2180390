"""The core tables (versions 1-99): articles and their revisions, translations and analyses, the archive of
originals."""

from __future__ import annotations

from dragoman.store.schema import portable

MIGRATIONS = [
    portable(
        1,
        "articles and revisions",
        """
        CREATE TABLE articles (
            id {id},
            key_url TEXT NOT NULL UNIQUE,      -- canonical URL (or URL when the page names none)
            url TEXT NOT NULL,
            outlet TEXT,
            language TEXT,
            title TEXT NOT NULL,
            rubric TEXT,
            published_at TEXT,                 -- ISO 8601, UTC
            first_seen_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            current_revision_id BIGINT,
            revision_count BIGINT NOT NULL DEFAULT 1
        );
        CREATE INDEX articles_published ON articles(published_at);
        CREATE INDEX articles_outlet_published ON articles(outlet, published_at);

        -- Every distinct content of an article; the record JSON is the full Article (Russian side).
        CREATE TABLE revisions (
            id {id},
            article_id BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            revision BIGINT NOT NULL,
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
    portable(
        2,
        "translations and analyses",
        """
        CREATE TABLE translations (
            id {id},
            revision_id BIGINT NOT NULL REFERENCES revisions(id) ON DELETE CASCADE,
            engine TEXT NOT NULL,
            model_id TEXT NOT NULL,
            translated_at TEXT NOT NULL,
            flag_count BIGINT NOT NULL DEFAULT 0,
            record TEXT NOT NULL,
            UNIQUE (revision_id, model_id)
        );
        CREATE TABLE analyses (
            id {id},
            revision_id BIGINT NOT NULL REFERENCES revisions(id) ON DELETE CASCADE,
            analyzer_version TEXT NOT NULL,
            analyzed_at TEXT NOT NULL,
            record TEXT NOT NULL,
            UNIQUE (revision_id, analyzer_version)
        );
        """,
    ),
    portable(
        3,
        "archive of originals and revision origin",
        """
        -- The bytes each revision was extracted from, zlib-compressed, stored once per SHA-256 of the raw
        -- bytes (see dragoman.store.archive).
        CREATE TABLE originals (
            sha256 TEXT PRIMARY KEY,           -- of the raw bytes
            size BIGINT NOT NULL,             -- raw bytes
            stored_size BIGINT NOT NULL,      -- compressed bytes (what archive_max_bytes caps)
            compression TEXT NOT NULL,         -- zlib
            data {bytes} NOT NULL,
            stored_at TEXT NOT NULL
        );
        -- Which original a revision came from, with what came with the bytes.
        CREATE TABLE revision_originals (
            revision_id BIGINT NOT NULL REFERENCES revisions(id) ON DELETE CASCADE,
            sha256 TEXT NOT NULL REFERENCES originals(sha256),
            kind TEXT NOT NULL,                -- http | file | warc
            url TEXT NOT NULL,                 -- as fetched (after redirects), file:// or the WARC target URI
            status BIGINT,
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
