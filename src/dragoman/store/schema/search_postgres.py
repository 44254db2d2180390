"""PostgreSQL forms of stage migrations that plain type translation cannot derive (FTS5, triggers).

Kept beside the SQLite form (``search.py`` here), which names them (``postgres=``).
"""

from __future__ import annotations

from dragoman.store.analyses import ID_BITS

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
# ranking), with GIN otherwise. The columns PostgreSQL's own russian/english configurations needed (raw Russian
# text, its trigger) go. Indexed articles are queued again: their ``tsv`` is computed in Python by the next sync
# or ``dragoman reindex``.
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
# migrations 310 and 311 and by ``dragoman reindex`` (after the RUM extension was installed, it switches layouts);
# ``search_fts_layout(false)`` builds the GIN layout where RUM exists too (tests, comparisons). On the partitioned
# table (migration 311) each index is a partitioned index: every month's partition gets its own.
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
    -- Before migration 311 a second RUM index kept the docid beside each posting for newest-first order; the
    -- month partitions answer newest-first now (dragoman.search.postgres), and it cost as much as this one.
    DROP INDEX IF EXISTS search_fts_rum_newest;
    IF allow_rum AND EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'rum') THEN
        DROP INDEX IF EXISTS search_fts_gin;
        -- Positions in the index: phrases without re-reading rows, relevance order (<=>) inside the index.
        -- On "tsv || ''" (the same value), so that searches name it: GIN's index is on plain tsv.
        CREATE INDEX IF NOT EXISTS search_fts_rum ON search_fts USING rum ((tsv || ''::tsvector) rum_tsvector_ops);
        RETURN 'rum';
    END IF;
    DROP INDEX IF EXISTS search_fts_rum;
    CREATE INDEX IF NOT EXISTS search_fts_gin ON search_fts USING gin (tsv);
    RETURN 'gin';
END $$;
"""

# The month partition that holds a docid (its high bits are the article's wall-clock second, its low ID_BITS
# the article id: dragoman.search.index.make_docid), created when missing; returns its name. Called by the
# indexer before it writes rows (dragoman.search.postgres.ensure_partitions) and by migration 311. Concurrent
# writers serialise on an advisory lock, so two never create the same month.
SEARCH_PARTITION_FUNCTION_POSTGRES = f"""
CREATE OR REPLACE FUNCTION search_fts_partition(docid bigint) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    month_start timestamp := date_trunc('month', to_timestamp(docid >> {ID_BITS}) AT TIME ZONE 'UTC');
    name text := 'search_fts_m' || to_char(month_start, 'YYYYMM');
BEGIN
    IF to_regclass(name) IS NULL THEN
        PERFORM pg_advisory_xact_lock(hashtext('dragoman search_fts partitions'));
        IF to_regclass(name) IS NULL THEN
            -- toast_tuple_target = 128: the texts and the tsvector go to TOAST, so a row in the heap is a docid
            -- and pointers (about 50 to a page instead of 2): finding the matches of a month visits a few
            -- hundred heap pages for their visibility, not one page per match (bench/RESULTS.md).
            EXECUTE format('CREATE TABLE %I PARTITION OF search_fts FOR VALUES FROM (%s) TO (%s)'
                ' WITH (toast_tuple_target = 128)', name,
                extract(epoch FROM month_start)::bigint << {ID_BITS},
                extract(epoch FROM month_start + interval '1 month')::bigint << {ID_BITS});
        END IF;
    END IF;
    RETURN name;
END $$;
"""

# Migration 311 (serve, PostgreSQL only): search_fts partitioned by month of the docid (the date printed on the
# article). A search reads the newest months first and stops when it holds a page and the count (up to
# COUNT_CAP): at a million articles a frequent word or a phrase of common words no longer gathers every match
# of two years from one index before the first hit (bench/pg_search.py, bench/RESULTS.md); a date window reads
# only its months. The rows move with their tsv (facets given a position): nothing is queued again.
SEARCH_PARTITIONS_POSTGRES = f"""
DROP INDEX IF EXISTS search_fts_rum;
DROP INDEX IF EXISTS search_fts_rum_newest;
DROP INDEX IF EXISTS search_fts_gin;
ALTER TABLE search_fts RENAME TO search_fts_unpartitioned;
ALTER TABLE search_fts_unpartitioned RENAME CONSTRAINT search_fts_pkey TO search_fts_unpartitioned_pkey;
CREATE TABLE search_fts (
    rowid BIGINT PRIMARY KEY,
    title_ru TEXT, body_ru TEXT, title_en TEXT, body_en TEXT, facets TEXT,
    tsv tsvector NOT NULL DEFAULT ''::tsvector
) PARTITION BY RANGE (rowid);
SELECT search_fts_partition(min(rowid)) FROM search_fts_unpartitioned
    GROUP BY date_trunc('month', to_timestamp(rowid >> {ID_BITS}) AT TIME ZONE 'UTC');
-- The facet lexemes (tagged F) get position 1, as dragoman.search.postgres.tsvector_from_tokens writes them
-- now: RUM re-reads the row of every match of a lexeme that has no position.
INSERT INTO search_fts (rowid, title_ru, body_ru, title_en, body_en, facets, tsv)
    SELECT rowid, title_ru, body_ru, title_en, body_en, facets,
        regexp_replace(tsv::text, '''(F[a-z0-9]+)''(?!:)', '''\\1'':1', 'g')::tsvector
    FROM search_fts_unpartitioned;
DROP TABLE search_fts_unpartitioned;
SELECT search_fts_layout();
"""
