"""Tables of the monitor (versions 400-499): crawl state, stories and duplicates, watchlists and alerts.

Crawl state lives in the database, not in memory, so a monitor killed at any moment resumes where it was:
a feed's validators and its new items are written in one transaction, an item is marked done only after
its article is stored, and alerts are an outbox delivered (off the ingest path) until acknowledged or given up.
"""

from __future__ import annotations

from dragoman.store.schema import Migration, portable

MIGRATIONS = [
    portable(
        400,
        "monitor crawl state",
        """
        CREATE TABLE monitor_feeds (
            url TEXT PRIMARY KEY,             -- as configured; fetched at its permanent redirect target
            outlet TEXT,
            kind TEXT NOT NULL DEFAULT 'rss', -- rss | news_sitemap | sitemap
            etag TEXT,
            last_modified TEXT,
            interval_seconds DOUBLE PRECISION NOT NULL,   -- current polling interval (grows while unchanged)
            next_poll_at DOUBLE PRECISION NOT NULL,       -- unix time
            last_polled_at DOUBLE PRECISION,
            last_status TEXT,                 -- ok | not_modified | unchanged | a failure reason
            failures BIGINT NOT NULL DEFAULT 0,
            items_seen BIGINT NOT NULL DEFAULT 0
        );
        CREATE INDEX monitor_feeds_due ON monitor_feeds(next_poll_at);

        -- Every article URL a feed, sitemap or archive announced: pending until stored, then done.
        CREATE TABLE monitor_items (
            url TEXT PRIMARY KEY,
            feed_url TEXT,
            outlet TEXT,
            title TEXT,
            published_at TEXT,
            full_text TEXT,                   -- the feed's own full text, when it carries one
            state TEXT NOT NULL DEFAULT 'pending',  -- pending | done | failed | unavailable | skipped
            attempts BIGINT NOT NULL DEFAULT 0,
            not_before DOUBLE PRECISION NOT NULL DEFAULT 0, -- unix time: retry no earlier (backoff, Retry-After)
            reason TEXT,
            article_id BIGINT,
            first_seen_at DOUBLE PRECISION NOT NULL,
            done_at DOUBLE PRECISION
        );
        CREATE INDEX monitor_items_pending ON monitor_items(state, not_before);

        -- 301/308 answers, so the old address is not asked again.
        CREATE TABLE monitor_redirects (
            from_url TEXT PRIMARY KEY,
            to_url TEXT NOT NULL,
            seen_at DOUBLE PRECISION NOT NULL
        );

        -- Hosts that refused us (403, bot challenge): recorded, never evaded.
        CREATE TABLE monitor_unavailable (
            url TEXT PRIMARY KEY,
            host TEXT NOT NULL,
            reason TEXT NOT NULL,
            seen_at DOUBLE PRECISION NOT NULL
        );

        -- "Already stored from this URL?" is asked for every pending article.
        CREATE INDEX IF NOT EXISTS revisions_source_url ON revisions(source_url);
        """,
    ),
    portable(
        401,
        "stories and duplicates",
        """
        CREATE TABLE stories (
            id {id},
            first_article_id BIGINT NOT NULL,  -- the copy that is translated and analyzed
            title TEXT NOT NULL,
            created_at TEXT NOT NULL,
            article_count BIGINT NOT NULL DEFAULT 1
        );
        -- Every article points to its story; kind says why it joined it.
        CREATE TABLE story_members (
            article_id {id} REFERENCES articles(id) ON DELETE CASCADE,
            story_id BIGINT NOT NULL REFERENCES stories(id),
            kind TEXT NOT NULL,               -- first | exact_hash | near
            similarity DOUBLE PRECISION NOT NULL,
            content_sha256 TEXT NOT NULL,
            minhash {bytes} NOT NULL,            -- MinHash signature (uint64 array) for rebuilding the LSH index
            added_at TEXT NOT NULL
        );
        CREATE INDEX story_members_story ON story_members(story_id);
        CREATE INDEX story_members_hash ON story_members(content_sha256);
        """,
    ),
    portable(
        402,
        "watchlists and alerts",
        """
        CREATE TABLE watchlist (
            id {id},
            kind TEXT NOT NULL,               -- term | entity | outlet
            value TEXT NOT NULL,
            label TEXT,
            created_at TEXT NOT NULL,
            UNIQUE (kind, value)
        );
        -- An outbox: one row per (watch, article); delivered_at stays NULL until every sink took it.
        CREATE TABLE alerts (
            id {id},
            watch_id BIGINT NOT NULL REFERENCES watchlist(id) ON DELETE CASCADE,
            article_id BIGINT NOT NULL,
            created_at TEXT NOT NULL,
            payload TEXT NOT NULL,            -- JSON sent to the sinks
            delivered_to TEXT NOT NULL DEFAULT '[]',  -- JSON list of sinks that took it
            delivered_at TEXT,
            attempts BIGINT NOT NULL DEFAULT 0,
            last_error TEXT,
            UNIQUE (watch_id, article_id)
        );
        CREATE INDEX alerts_created ON alerts(created_at);
        """,
    ),
    portable(
        403,
        "story LSH bands on disk",
        """
        -- MinHash LSH band keys (one row per band) of the stories' members inside the window: candidates
        -- are found by an indexed lookup, so the monitor's memory does not grow with the articles it keeps.
        CREATE TABLE story_bands (
            key BIGINT NOT NULL,
            article_id BIGINT NOT NULL REFERENCES story_members(article_id) ON DELETE CASCADE
        );
        CREATE INDEX story_bands_key ON story_bands(key, article_id);
        CREATE INDEX story_bands_article ON story_bands(article_id);
        CREATE INDEX story_members_added ON story_members(added_at);
        """,
    ),
    portable(
        404,
        "story LSH band layout",
        """
        -- The layout (bands x rows per band) that story_bands' keys were computed with. Keys from another
        -- layout never match, so StoryIndex recomputes them from the stored signatures when it changes.
        CREATE TABLE story_band_layout (layout TEXT NOT NULL);
        """,
    ),
    Migration(
        405,
        "alert outbox delivery state",
        """
        -- pending until every sink took the alert (delivered) or its attempts ran out (failed); a pending alert
        -- is not tried again before next_attempt_at (unix time), which grows exponentially with its attempts.
        ALTER TABLE alerts ADD COLUMN state TEXT NOT NULL DEFAULT 'pending';
        ALTER TABLE alerts ADD COLUMN next_attempt_at DOUBLE PRECISION NOT NULL DEFAULT 0;
        UPDATE alerts SET state = 'delivered' WHERE delivered_at IS NOT NULL;
        -- Errors and sink names written before this version held webhook URLs verbatim, secrets (?token=)
        -- included: the errors go (the next attempt records a redacted one), delivered alerts forget their
        -- sinks, and pending ones forget the webhooks that took them (at worst a webhook gets one alert twice).
        UPDATE alerts SET last_error = NULL WHERE last_error IS NOT NULL;
        UPDATE alerts SET delivered_to = '[]' WHERE state = 'delivered';
        UPDATE alerts SET delivered_to = (
            SELECT json_group_array(value) FROM json_each(alerts.delivered_to) WHERE value NOT LIKE 'webhook:%'
        ) WHERE state = 'pending' AND delivered_to LIKE '%webhook:%';
        CREATE INDEX alerts_due ON alerts(state, next_attempt_at);
        """,
        postgres="""
        ALTER TABLE alerts ADD COLUMN state TEXT NOT NULL DEFAULT 'pending';
        ALTER TABLE alerts ADD COLUMN next_attempt_at DOUBLE PRECISION NOT NULL DEFAULT 0;
        UPDATE alerts SET state = 'delivered' WHERE delivered_at IS NOT NULL;
        UPDATE alerts SET last_error = NULL WHERE last_error IS NOT NULL;
        UPDATE alerts SET delivered_to = '[]' WHERE state = 'delivered';
        UPDATE alerts SET delivered_to = (
            SELECT coalesce(json_agg(value), '[]'::json)::text
            FROM json_array_elements_text(alerts.delivered_to::json) AS sinks(value) WHERE value NOT LIKE 'webhook:%'
        ) WHERE state = 'pending' AND delivered_to LIKE '%webhook:%';
        CREATE INDEX alerts_due ON alerts(state, next_attempt_at);
        """,
    ),
]
