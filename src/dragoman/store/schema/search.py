"""Tables of search (versions 300-399): the bilingual full-text index and read models.

Everything here is derived from ``articles``, ``revisions``, ``translations`` and ``analyses`` and can be
rebuilt with ``dragoman reindex``. Triggers on those tables only put the article's id on ``search_queue``
(plain SQL, so any writer, including the sqlite3 shell, keeps working); the search module stems and
indexes queued articles before it answers a query, so a reader never sees a stale index.

``search_fts`` rowids are ``search_docs.docid``: publication time in seconds shifted left by 22 bits plus
the article id's low bits, so FTS5's own rowid order is newest-first and a date range is a rowid range.
"""

from __future__ import annotations

from dragoman.store.schema import Migration, portable, postgres_form, sqlite_form
from dragoman.store.schema.search_postgres import (
    SEARCH_LAYOUT_FUNCTION_POSTGRES,
    SEARCH_PARTITION_FUNCTION_POSTGRES,
    SEARCH_PARTITIONS_POSTGRES,
    SEARCH_SCHEMA_POSTGRES,
    SEARCH_TSV_POSTGRES,
)

# The read models' plain tables, written once for both databases (``{key}``, ``{id}``, ``{without_rowid}``: see
# dragoman.store.schema); search_fts, the queue and the triggers differ and are written per database.
SEARCH_TABLES = """
CREATE TABLE search_docs (
    article_id {key} REFERENCES articles(id) ON DELETE CASCADE,
    docid BIGINT NOT NULL UNIQUE,
    revision_id BIGINT,
    translation_model TEXT,
    published_at TEXT,
    outlet TEXT,
    rubric TEXT,
    language TEXT,
    unnamed_sources BIGINT NOT NULL DEFAULT 0,
    qa_flags BIGINT NOT NULL DEFAULT 0,
    indexed_at TEXT NOT NULL
);
CREATE INDEX search_docs_outlet ON search_docs(outlet, docid);

CREATE TABLE search_entities (
    article_id BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    entity TEXT NOT NULL,
    name TEXT NOT NULL,
    type TEXT,
    mentions BIGINT NOT NULL DEFAULT 1,
    docid BIGINT NOT NULL,
    PRIMARY KEY (entity, docid, article_id)
){without_rowid};
CREATE INDEX search_entities_article ON search_entities(article_id);

CREATE TABLE search_quotes (
    id {id},
    article_id BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    docid BIGINT NOT NULL,
    sentence BIGINT,
    speaker TEXT,
    speaker_name TEXT,
    unnamed BIGINT NOT NULL DEFAULT 0,
    source_type TEXT,
    verb TEXT,
    text_ru TEXT,
    text_en TEXT,
    outlet TEXT
);
CREATE INDEX search_quotes_article ON search_quotes(article_id);
CREATE INDEX search_quotes_speaker ON search_quotes(speaker, docid);
CREATE INDEX search_quotes_docid ON search_quotes(docid);

CREATE TABLE search_events (
    id {id},
    article_id BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    docid BIGINT NOT NULL,
    sentence BIGINT,
    type TEXT,
    actor TEXT,
    actor_name TEXT,
    target TEXT,
    target_name TEXT,
    actor_state TEXT,
    target_state TEXT,
    mode TEXT,
    event_date TEXT,
    precision TEXT,
    status TEXT,
    evidence_ru TEXT,
    evidence_en TEXT
);
CREATE INDEX search_events_article ON search_events(article_id);
CREATE INDEX search_events_actor ON search_events(actor, event_date);
CREATE INDEX search_events_target ON search_events(target, event_date);
CREATE INDEX search_events_states ON search_events(actor_state, target_state, event_date);
"""


MIGRATIONS = [
    Migration(
        300,
        "search index, read models and index queue",
        sqlite_form(SEARCH_TABLES)
        + """
        -- Russian columns hold Snowball stems (stemmed in Python); English columns the text itself,
        -- stemmed by FTS5's porter tokenizer. ``facets`` holds filter tokens (outlet, rubric, entities, flags).
        CREATE VIRTUAL TABLE search_fts USING fts5(
            title_ru, body_ru, title_en, body_en, facets,
            tokenize = 'porter unicode61 remove_diacritics 2'
        );

        CREATE TABLE search_queue (
            article_id INTEGER PRIMARY KEY,
            queued_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        );

        -- ON CONFLICT DO NOTHING, not INSERT OR IGNORE: an outer upsert (save_translation) overrides a
        -- trigger's OR IGNORE and the second save of a queued article would fail.
        CREATE TRIGGER search_enqueue_revision AFTER UPDATE OF current_revision_id ON articles
        BEGIN
            INSERT INTO search_queue (article_id) VALUES (new.id) ON CONFLICT DO NOTHING;
        END;

        CREATE TRIGGER search_enqueue_translation AFTER INSERT ON translations
        BEGIN
            INSERT INTO search_queue (article_id)
            SELECT article_id FROM revisions WHERE id = new.revision_id ON CONFLICT DO NOTHING;
        END;

        CREATE TRIGGER search_enqueue_translation_update AFTER UPDATE ON translations
        BEGIN
            INSERT INTO search_queue (article_id)
            SELECT article_id FROM revisions WHERE id = new.revision_id ON CONFLICT DO NOTHING;
        END;

        CREATE TRIGGER search_enqueue_analysis AFTER INSERT ON analyses
        BEGIN
            INSERT INTO search_queue (article_id)
            SELECT article_id FROM revisions WHERE id = new.revision_id ON CONFLICT DO NOTHING;
        END;

        CREATE TRIGGER search_enqueue_analysis_update AFTER UPDATE ON analyses
        BEGIN
            INSERT INTO search_queue (article_id)
            SELECT article_id FROM revisions WHERE id = new.revision_id ON CONFLICT DO NOTHING;
        END;

        CREATE TRIGGER search_forget_article BEFORE DELETE ON articles
        BEGIN
            DELETE FROM search_fts WHERE rowid = (SELECT docid FROM search_docs WHERE article_id = old.id);
            DELETE FROM search_queue WHERE article_id = old.id;
        END;

        -- A database that already holds articles gets them all queued once.
        INSERT OR IGNORE INTO search_queue (article_id) SELECT id FROM articles;
        """,
        postgres=postgres_form(SEARCH_TABLES)
        + SEARCH_SCHEMA_POSTGRES,  # FTS5 and triggers differ there: see store/schema/search_postgres.py
    ),
    portable(
        305,
        "how each indexed event is dated",
        """
        -- text | context (the text dates it) | publication (told as the day's news: the article's day) |
        -- none (undated: planned, demanded, told as earlier news). NULL: indexed before this column, when an
        -- event without a date took its article's day.
        ALTER TABLE search_events ADD COLUMN dated_by TEXT;
        """,
    ),
    Migration(
        301,
        "search index by the date printed on the article: index every article again",
        # Docids and search_docs.published_at now hold the outlet's local time (search/index.py make_docid);
        # queueing every article rebuilds them on the next sync (or `dragoman reindex`).
        "INSERT INTO search_queue (article_id) SELECT id FROM articles WHERE true ON CONFLICT DO NOTHING;",
        postgres="INSERT INTO search_queue (article_id) SELECT id FROM articles WHERE true ON CONFLICT DO NOTHING;",
    ),
    Migration(
        310,
        "search: one tsvector of the FTS5 tokens under RUM or GIN (PostgreSQL only)",
        "SELECT 1;  -- nothing on SQLite: FTS5 keeps positions and tokenizes the columns itself",
        postgres=SEARCH_LAYOUT_FUNCTION_POSTGRES + SEARCH_TSV_POSTGRES,  # see store/schema/search_postgres.py
    ),
    Migration(
        311,
        "search: search_fts partitioned by month, newest months read first (PostgreSQL only)",
        "SELECT 1;  -- nothing on SQLite: FTS5 reads its doclists newest first by rowid",
        postgres=SEARCH_LAYOUT_FUNCTION_POSTGRES + SEARCH_PARTITION_FUNCTION_POSTGRES + SEARCH_PARTITIONS_POSTGRES,
    ),
]
