"""The schema migrations a database has recorded, read without opening it as a store (which would migrate it)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any


def applied_versions(url: Any) -> set[int]:
    """Migrations already recorded (empty for a new or unreadable database: opening it says why, next)."""
    text = str(url)
    try:
        if text.startswith(("postgresql://", "postgres://")):
            import psycopg

            with psycopg.connect(text) as conn:
                row = conn.execute("SELECT to_regclass('schema_migrations')").fetchone()
                if row is None or row[0] is None:
                    return set()
                return {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}
        path = Path(text.removeprefix("sqlite:///"))
        if not path.exists():
            return set()
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}
        finally:
            conn.close()
    except Exception:  # an unreadable database is reported by open_store next, with its own message
        return set()
