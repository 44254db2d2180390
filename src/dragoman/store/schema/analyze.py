"""The analyze stage's tables. The records themselves live in ``analyses`` (core schema).

Migration 200 made a second read model of the analysis (entities, entity_mentions, quotes, events) that only
the CLI read, and answered differently from the web pages; 201 drops it: the CLI, the pages and the API all
read the one the search index derives from every analysis record (``dragoman.store.analyses``).
"""

from __future__ import annotations

from dragoman.store.schema import portable

MIGRATIONS = [
    portable(
        200,
        "analysis: entities, mentions, quotes, events",
        """
        CREATE TABLE entities (
            key TEXT PRIMARY KEY,              -- Wikidata id, or TYPE:name
            name TEXT NOT NULL,                -- canonical English name
            type TEXT NOT NULL,                -- PER | ORG | LOC
            ru TEXT,
            wikidata TEXT,
            country TEXT,                      -- the state it acts for (Lavrov -> Russia)
            role TEXT,
            source TEXT                        -- registry | transliteration | english
        );
        CREATE INDEX entities_name ON entities(name);
        CREATE INDEX entities_type ON entities(type);

        CREATE TABLE entity_mentions (
            article_id BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            revision_id BIGINT NOT NULL,
            entity_key TEXT NOT NULL,
            mentions BIGINT NOT NULL,
            first_sentence BIGINT,
            published_at TEXT,
            outlet TEXT,
            PRIMARY KEY (article_id, entity_key)
        );
        CREATE INDEX entity_mentions_entity ON entity_mentions(entity_key, published_at);

        CREATE TABLE quotes (
            id {id},
            article_id BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            revision_id BIGINT NOT NULL,
            sentence BIGINT,
            kind TEXT,                         -- direct | dialogue | indirect | according_to
            speaker TEXT,                      -- the words naming the speaker
            speaker_entity TEXT,
            verb TEXT,
            addressee TEXT,
            unnamed_source TEXT,               -- type of an unnamed source, NULL when named
            institution_entity TEXT,
            text TEXT NOT NULL,
            text_en TEXT,
            published_at TEXT,
            outlet TEXT
        );
        CREATE INDEX quotes_speaker ON quotes(speaker_entity, published_at);
        CREATE INDEX quotes_article ON quotes(article_id);
        CREATE INDEX quotes_outlet_unnamed ON quotes(outlet, unnamed_source);

        CREATE TABLE events (
            id {id},
            article_id BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
            revision_id BIGINT NOT NULL,
            sentence BIGINT,
            type TEXT NOT NULL,
            mode TEXT,
            actor_entity TEXT,
            actor_name TEXT,
            actor_state TEXT,
            target_entity TEXT,
            target_name TEXT,
            target_state TEXT,
            location TEXT,
            date_value TEXT,
            date_begin TEXT,                   -- ISO date; falls back to publication day (date_basis)
            date_precision TEXT,
            date_basis TEXT,                   -- text | published
            status TEXT,
            negated BIGINT NOT NULL DEFAULT 0,
            quantity TEXT,
            evidence_ru TEXT,
            evidence_en TEXT,
            merge_key TEXT NOT NULL,           -- same key across articles = same event
            published_at TEXT,
            outlet TEXT
        );
        CREATE INDEX events_actor_target ON events(actor_state, target_state, date_begin);
        CREATE INDEX events_actor_entity ON events(actor_entity, date_begin);
        CREATE INDEX events_target_entity ON events(target_entity, date_begin);
        CREATE INDEX events_merge ON events(merge_key);
        CREATE INDEX events_article ON events(article_id);
        """,
    ),
    portable(
        201,
        "one read model of the analysis: drop the analyze stage's own tables",
        """
        DROP TABLE IF EXISTS entity_mentions;
        DROP TABLE IF EXISTS quotes;
        DROP TABLE IF EXISTS events;
        DROP TABLE IF EXISTS entities;
        """,
    ),
]
