"""PostgreSQL forms of stage migrations that plain type translation cannot derive (FTS5, triggers).

Kept beside the SQLite form (``search.py`` here), which names them (``postgres=``).
"""

from __future__ import annotations

# Migration 300 (serve), after the read models' plain tables (``search.SEARCH_TABLES``): ``search_fts`` is an
# ordinary table that the serve stage's indexing code writes unchanged, with stored generated tsvector columns
# (and the facet tokens as an array) under GIN indexes, which is what PostgreSQL searches (see
# dragoman.search.postgres).
SEARCH_SCHEMA_POSTGRES = """
-- The serve stage writes (rowid, title_ru, body_ru, title_en, body_en, facets) as into FTS5: Russian columns
-- hold Snowball stems, English ones the text. A BEFORE trigger adds the article's raw Russian title and body
-- from its current record, and PostgreSQL's own russian/english configurations index the raw text.
CREATE TABLE search_fts (
    rowid BIGINT PRIMARY KEY,
    title_ru TEXT, body_ru TEXT, title_en TEXT, body_en TEXT, facets TEXT,
    text_title_ru TEXT NOT NULL DEFAULT '',
    text_body_ru TEXT NOT NULL DEFAULT '',
    tsv_ru tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('russian', text_title_ru), 'A') || setweight(to_tsvector('russian', text_body_ru), 'B')
    ) STORED,
    tsv_en tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(title_en, '')), 'A')
        || setweight(to_tsvector('english', coalesce(body_en, '')), 'B')
    ) STORED,
    facet_tokens TEXT[] GENERATED ALWAYS AS (string_to_array(coalesce(facets, ''), ' ')) STORED
);
CREATE INDEX search_fts_ru ON search_fts USING GIN (tsv_ru);
CREATE INDEX search_fts_en ON search_fts USING GIN (tsv_en);
CREATE INDEX search_fts_facets ON search_fts USING GIN (facet_tokens);

CREATE FUNCTION search_fts_russian_text() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    record_json jsonb;
BEGIN
    SELECT r.record::jsonb INTO record_json
    FROM search_docs d JOIN articles a ON a.id = d.article_id JOIN revisions r ON r.id = a.current_revision_id
    WHERE d.docid = NEW.rowid;
    IF record_json IS NULL OR coalesce(record_json->>'language', 'ru') = 'en' THEN
        NEW.text_title_ru := '';
        NEW.text_body_ru := '';
    ELSE
        NEW.text_title_ru := coalesce(record_json->>'title', '');
        NEW.text_body_ru := concat_ws(E'\n', nullif(record_json->>'lead', ''),
            (SELECT string_agg(b->>'text', E'\n') FROM jsonb_array_elements(
                coalesce(record_json->'blocks', '[]'::jsonb)) AS b));
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER search_fts_russian_text BEFORE INSERT OR UPDATE ON search_fts
    FOR EACH ROW EXECUTE FUNCTION search_fts_russian_text();

CREATE TABLE search_queue (
    article_id BIGINT PRIMARY KEY,
    queued_at TEXT NOT NULL DEFAULT (to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
);

CREATE FUNCTION search_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'articles' THEN
        INSERT INTO search_queue (article_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
    ELSE
        INSERT INTO search_queue (article_id)
        SELECT article_id FROM revisions WHERE id = NEW.revision_id ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION search_forget() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT docid FROM search_docs WHERE article_id = OLD.id);
    DELETE FROM search_queue WHERE article_id = OLD.id;
    RETURN OLD;
END $$;

CREATE TRIGGER search_enqueue_revision AFTER UPDATE OF current_revision_id ON articles
    FOR EACH ROW EXECUTE FUNCTION search_enqueue();
CREATE TRIGGER search_enqueue_translation AFTER INSERT OR UPDATE ON translations
    FOR EACH ROW EXECUTE FUNCTION search_enqueue();
CREATE TRIGGER search_enqueue_analysis AFTER INSERT OR UPDATE ON analyses
    FOR EACH ROW EXECUTE FUNCTION search_enqueue();
CREATE TRIGGER search_forget_article BEFORE DELETE ON articles
    FOR EACH ROW EXECUTE FUNCTION search_forget();

INSERT INTO search_queue (article_id) SELECT id FROM articles ON CONFLICT DO NOTHING;
"""

# Migration 310 (serve, PostgreSQL only): one ``tsv`` column per article that dragoman writes itself
# (dragoman.search.postgres.tsvector_text): the very tokens the SQLite FTS5 index holds (Snowball Russian stems,
# porter English stems tagged ``E``, facet tokens tagged ``F``) with their positions, so both backends find the
# same articles. Indexed with RUM when the extension can be created (positions in the index for phrases and
# ranking, and a second RUM index with the docid attached for newest-first), with GIN otherwise. The columns
# PostgreSQL's own russian/english configurations needed (raw Russian text, its trigger) go. Indexed articles
# are queued again: their ``tsv`` is computed in Python by the next sync or ``dragoman reindex``.
SEARCH_TSV_POSTGRES = """
DROP TRIGGER IF EXISTS search_fts_russian_text ON search_fts;
DROP FUNCTION IF EXISTS search_fts_russian_text();
ALTER TABLE search_fts DROP COLUMN IF EXISTS tsv_ru, DROP COLUMN IF EXISTS tsv_en,
    DROP COLUMN IF EXISTS facet_tokens, DROP COLUMN IF EXISTS text_title_ru, DROP COLUMN IF EXISTS text_body_ru,
    ADD COLUMN tsv tsvector NOT NULL DEFAULT ''::tsvector;
SELECT search_fts_layout();
INSERT INTO search_queue (article_id) SELECT article_id FROM search_docs ON CONFLICT DO NOTHING;
"""

# (Re)creates the search indexes for the best layout this server allows; returns 'rum' or 'gin'. Called by
# migration 310 and by ``dragoman reindex`` (after the RUM extension was installed, it switches layouts);
# ``search_fts_layout(false)`` builds the GIN layout where RUM exists too (tests, comparisons).
SEARCH_LAYOUT_FUNCTION_POSTGRES = """
CREATE OR REPLACE FUNCTION search_fts_layout(allow_rum boolean DEFAULT true) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    IF allow_rum AND NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'rum')
       AND EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'rum') THEN
        BEGIN
            CREATE EXTENSION rum;
        EXCEPTION WHEN OTHERS THEN
            RAISE NOTICE 'rum extension not created: %', SQLERRM;
        END;
    END IF;
    IF allow_rum AND EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'rum') THEN
        DROP INDEX IF EXISTS search_fts_gin;
        -- Positions in the index: phrases without re-reading rows, relevance order (<=>) inside the index.
        -- On "tsv || ''" (the same value), so that searches pick it by name: on plain tsv the planner also
        -- counts phrase matches with the index below, which keeps no positions and re-reads every match.
        CREATE INDEX IF NOT EXISTS search_fts_rum ON search_fts USING rum ((tsv || ''::tsvector) rum_tsvector_ops);
        -- The docid attached to every posting: newest-first (ORDER BY rowid <=| ...) read in index order.
        CREATE INDEX IF NOT EXISTS search_fts_rum_newest ON search_fts
            USING rum (tsv rum_tsvector_addon_ops, rowid) WITH (attach = 'rowid', to = 'tsv');
        RETURN 'rum';
    END IF;
    DROP INDEX IF EXISTS search_fts_rum;
    DROP INDEX IF EXISTS search_fts_rum_newest;
    CREATE INDEX IF NOT EXISTS search_fts_gin ON search_fts USING gin (tsv);
    RETURN 'gin';
END $$;
"""
