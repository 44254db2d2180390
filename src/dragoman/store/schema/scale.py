"""Tables of the scale stage (versions 500-599): what a backfill has finished, so a restart skips it."""

from __future__ import annotations

from dragoman.store.schema import Migration, portable

MIGRATIONS = [
    portable(
        500,
        "backfill progress",
        """
        -- One row per input unit (a WARC record ``file@offset`` or a URL) that a backfill finished:
        -- stored, unchanged, skipped (with its reason) or failed. A restarted backfill skips these keys.
        CREATE TABLE backfill_done (
            key TEXT PRIMARY KEY,
            outcome TEXT NOT NULL,            -- stored | unchanged | revised | skipped | failed
            reason TEXT,
            article_id BIGINT,
            done_at TEXT NOT NULL
        );
        """,
    ),
    Migration(
        501,
        "PostgreSQL: SQLite's aggregate over conditions",
        "SELECT 1;  -- nothing to do on SQLite",
        postgres="""
        -- The stages count with sum(condition), which SQLite reads as sum(0/1). PostgreSQL has no
        -- sum(boolean); this one gives the same counts (0 rather than NULL over no rows).
        CREATE FUNCTION dragoman_add_bool(bigint, boolean) RETURNS bigint
            LANGUAGE sql IMMUTABLE AS 'SELECT $1 + coalesce($2::int, 0)';
        CREATE AGGREGATE sum(boolean) (SFUNC = dragoman_add_bool, STYPE = bigint, INITCOND = '0');
        """,
    ),
    Migration(
        502,
        "backfill progress by WARC file",
        """
        -- A restart asks "what of this WARC file is done?" once per file: an indexed column, not a key scan.
        -- source: the WARC file's name (NULL for URLs).
        ALTER TABLE backfill_done ADD COLUMN source TEXT;
        UPDATE backfill_done SET source = substr(key, 1, instr(key, '@') - 1)
            WHERE key NOT LIKE 'http%' AND instr(key, '@') > 0;
        CREATE INDEX backfill_done_source ON backfill_done(source);
        """,
        postgres="""
        ALTER TABLE backfill_done ADD COLUMN source TEXT;
        UPDATE backfill_done SET source = split_part(key, '@', 1) WHERE key NOT LIKE 'http%' AND key LIKE '%@%';
        CREATE INDEX backfill_done_source ON backfill_done(source);
        """,
    ),
]
