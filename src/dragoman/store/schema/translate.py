"""Tables of the translate stage (migration versions 100-199), applied by the store when it opens."""

from __future__ import annotations

from dragoman.store.schema import portable

MIGRATIONS = [
    portable(
        100,
        "translation memory",
        """
        -- One row per (model, normalized Russian sentence): a repeated sentence is translated once.
        CREATE TABLE translation_memory (
            model_id TEXT NOT NULL,
            source TEXT NOT NULL,
            target TEXT NOT NULL,
            created_at TEXT NOT NULL,
            hits BIGINT NOT NULL DEFAULT 0,
            PRIMARY KEY (model_id, source)
        );
        """,
    ),
]
