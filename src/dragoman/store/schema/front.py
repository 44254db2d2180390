"""Indexes and counts for the front page's queries (versions 420-429; see dragoman.store.front)."""

from __future__ import annotations

from dragoman.store.schema import Migration, portable


def _sqlite_keyed_count_triggers(name: str, table: str, kind: str, key: str) -> str:
    """SQLite's two triggers (``name``_in, ``name``_out) that keep the day counts of one keyed ``kind`` (an
    entity, a title term) equal to the rows of ``table``, whose column ``key`` holds the key: written once, as
    PostgreSQL's one trigger function serves every table."""
    return f"""CREATE TRIGGER {name}_in AFTER INSERT ON {table} WHEN new.docid >= 4194304
BEGIN
    INSERT INTO search_day_counts (kind, key, day, articles) VALUES ('{kind}', new.{key}, (new.docid >> 22) / 86400, 1)
        ON CONFLICT (kind, key, day) DO UPDATE SET articles = articles + 1;
END;
CREATE TRIGGER {name}_out AFTER DELETE ON {table} WHEN old.docid >= 4194304
BEGIN
    UPDATE search_day_counts SET articles = articles - 1
        WHERE kind = '{kind}' AND key = old.{key} AND day = (old.docid >> 22) / 86400;
    DELETE FROM search_day_counts
        WHERE kind = '{kind}' AND key = old.{key} AND day = (old.docid >> 22) / 86400 AND articles <= 0;
END;
"""


# What is already indexed, counted by the migration in both databases: documents and entities; title terms by
# backfill_title_terms (which counts them in one GROUP BY).
_EXISTING_DAY_COUNTS = """INSERT INTO search_day_counts (kind, key, day, articles)
SELECT 'docs', 'indexed', (docid >> 22) / 86400, count(*) FROM search_docs WHERE docid >= 4194304
    GROUP BY (docid >> 22) / 86400;
INSERT INTO search_day_counts (kind, key, day, articles)
SELECT 'docs', 'translated', (docid >> 22) / 86400, count(*) FROM search_docs
    WHERE docid >= 4194304 AND translation_model IS NOT NULL GROUP BY (docid >> 22) / 86400;
INSERT INTO search_day_counts (kind, key, day, articles)
SELECT 'entity', entity, (docid >> 22) / 86400, count(*) FROM search_entities WHERE docid >= 4194304
    GROUP BY entity, (docid >> 22) / 86400;
"""


# Per-day counts for the surge's baseline (migration 421). ``search_title_terms`` holds the surge terms of each
# indexed article's English title (analyze.surge.title_terms, written by the search indexer beside
# search_entities); ``search_day_counts`` holds, per UTC publication day, how many indexed articles carry each
# entity and each title term, and how many were indexed and translated (kind 'docs', keys 'indexed' and
# 'translated'). Triggers keep the day counts equal to a count over the per-article rows however those rows
# change: the indexer replacing an article, `dragoman reindex`, or an article's deletion cascading to its rows.
# The day is the publication second of the docid (docid >> 22, dragoman.search.schema) divided by 86400;
# articles without a publication time (docid < 2^22) have no day and are not counted.
_DAY_COUNTS_SQLITE = (
    """
CREATE TABLE IF NOT EXISTS search_title_terms (
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    docid INTEGER NOT NULL,
    term TEXT NOT NULL,
    PRIMARY KEY (docid, term)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS search_title_terms_article ON search_title_terms(article_id);
CREATE INDEX IF NOT EXISTS search_title_terms_term ON search_title_terms(term, docid);

CREATE TABLE IF NOT EXISTS search_day_counts (
    kind TEXT NOT NULL,        -- docs | entity | term
    key TEXT NOT NULL,         -- docs: indexed | translated; entity: its key; term: the word
    day INTEGER NOT NULL,      -- UTC days since 1970-01-01 of publication
    articles INTEGER NOT NULL,
    PRIMARY KEY (kind, key, day)
) WITHOUT ROWID;

-- 1 until the title terms of the articles indexed before this migration are written (in Python: the words
-- come from analyze.surge.title_terms; see dragoman.store.front.backfill_title_terms).
CREATE TABLE IF NOT EXISTS search_title_terms_backfill (pending INTEGER NOT NULL);
INSERT INTO search_title_terms_backfill (pending) VALUES (1);

CREATE TRIGGER search_day_docs_in AFTER INSERT ON search_docs WHEN new.docid >= 4194304
BEGIN
    INSERT INTO search_day_counts (kind, key, day, articles)
    SELECT 'docs', k, (new.docid >> 22) / 86400, 1 FROM (
        SELECT 'indexed' AS k UNION ALL SELECT 'translated' WHERE new.translation_model IS NOT NULL)
    WHERE 1 ON CONFLICT (kind, key, day) DO UPDATE SET articles = articles + 1;
END;
CREATE TRIGGER search_day_docs_out AFTER DELETE ON search_docs WHEN old.docid >= 4194304
BEGIN
    UPDATE search_day_counts SET articles = articles - 1 WHERE kind = 'docs' AND day = (old.docid >> 22) / 86400
        AND (key = 'indexed' OR (key = 'translated' AND old.translation_model IS NOT NULL));
    DELETE FROM search_day_counts WHERE kind = 'docs' AND day = (old.docid >> 22) / 86400 AND articles <= 0;
END;
"""
    + _sqlite_keyed_count_triggers("search_day_entities", "search_entities", "entity", "entity")
    + _sqlite_keyed_count_triggers("search_day_terms", "search_title_terms", "term", "term")
    + """
-- What is already indexed: documents and entities here; title terms by backfill_title_terms (which counts them
-- in one GROUP BY).
"""
    + _EXISTING_DAY_COUNTS
)

_DAY_COUNTS_POSTGRES = (
    """
CREATE TABLE IF NOT EXISTS search_title_terms (
    article_id BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    docid BIGINT NOT NULL,
    term TEXT NOT NULL,
    PRIMARY KEY (docid, term)
);
CREATE INDEX IF NOT EXISTS search_title_terms_article ON search_title_terms(article_id);
CREATE INDEX IF NOT EXISTS search_title_terms_term ON search_title_terms(term, docid);

CREATE TABLE IF NOT EXISTS search_day_counts (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    day BIGINT NOT NULL,
    articles BIGINT NOT NULL,
    PRIMARY KEY (kind, key, day)
);

CREATE TABLE IF NOT EXISTS search_title_terms_backfill (pending BIGINT NOT NULL);
INSERT INTO search_title_terms_backfill (pending) VALUES (1);

CREATE FUNCTION search_day_count(count_kind TEXT, count_key TEXT, count_docid BIGINT, delta INTEGER)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF count_docid < 4194304 THEN
        RETURN;
    END IF;
    IF delta > 0 THEN
        INSERT INTO search_day_counts (kind, key, day, articles)
        VALUES (count_kind, count_key, (count_docid >> 22) / 86400, delta)
        ON CONFLICT (kind, key, day) DO UPDATE SET articles = search_day_counts.articles + delta;
    ELSE
        UPDATE search_day_counts SET articles = articles + delta
            WHERE kind = count_kind AND key = count_key AND day = (count_docid >> 22) / 86400;
        DELETE FROM search_day_counts
            WHERE kind = count_kind AND key = count_key AND day = (count_docid >> 22) / 86400 AND articles <= 0;
    END IF;
END $$;

CREATE FUNCTION search_day_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    delta INTEGER := CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END;
    r RECORD;
BEGIN
    IF TG_OP = 'INSERT' THEN r := NEW; ELSE r := OLD; END IF;
    IF TG_TABLE_NAME = 'search_docs' THEN
        PERFORM search_day_count('docs', 'indexed', r.docid, delta);
        IF r.translation_model IS NOT NULL THEN
            PERFORM search_day_count('docs', 'translated', r.docid, delta);
        END IF;
    ELSIF TG_TABLE_NAME = 'search_entities' THEN
        PERFORM search_day_count('entity', r.entity, r.docid, delta);
    ELSE
        PERFORM search_day_count('term', r.term, r.docid, delta);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER search_day_docs AFTER INSERT OR DELETE ON search_docs
    FOR EACH ROW EXECUTE FUNCTION search_day_counts_track();
CREATE TRIGGER search_day_entities AFTER INSERT OR DELETE ON search_entities
    FOR EACH ROW EXECUTE FUNCTION search_day_counts_track();
CREATE TRIGGER search_day_terms AFTER INSERT OR DELETE ON search_title_terms
    FOR EACH ROW EXECUTE FUNCTION search_day_counts_track();

"""
    + _EXISTING_DAY_COUNTS
)

MIGRATIONS = [
    portable(
        420,
        "front page: surge and brief indexes",
        """
        -- Entity counts over a time range (surge: the window and the 30-day baseline) read this index alone,
        -- in docid (publication time) order, instead of every entity's rows.
        CREATE INDEX IF NOT EXISTS search_entities_docid ON search_entities(docid, entity);
        -- The brief's "edited after publication" section: articles changed in the window.
        CREATE INDEX IF NOT EXISTS articles_updated ON articles(updated_at);
        """,
    ),
    Migration(421, "front page: per-day entity and title-term counts", _DAY_COUNTS_SQLITE, _DAY_COUNTS_POSTGRES),
    portable(
        422,
        "front page: window index covering outlet and rubric",
        """
        -- The top stories' presence query and the window's outlet and rubric filters read the window's
        -- articles from this index alone, not from the table (a week at 1M articles: 104 -> 69 ms, 31 -> 4 ms).
        CREATE INDEX IF NOT EXISTS articles_published_facets ON articles(published_at, outlet, rubric);
        """,
    ),
]
