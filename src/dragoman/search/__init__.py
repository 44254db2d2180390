"""Full-text search: the query language (``search.query``), the index both backends share (``search.index``)
and one backend per database, chosen by the store's backend name: SQLite FTS5 (``search.sqlite``) and
PostgreSQL text search (``search.postgres``).

A new backend registers its class here under the store backend's name; nothing else changes.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dragoman.search.index import SearchIndex

# store backend name -> "module:class" of its search index (imported when first used: psycopg stays optional)
BACKENDS: dict[str, str] = {
    "sqlite": "dragoman.search.sqlite:SQLiteSearchIndex",
    "postgres": "dragoman.search.postgres:PostgresSearchIndex",
}


def open_index(store: Any) -> SearchIndex:
    """The search index over ``store``, the backend named by ``store.backend``."""
    name = getattr(store, "backend", "sqlite")
    try:
        module_name, class_name = BACKENDS[name].split(":")
    except KeyError:
        from dragoman.errors import ConfigError

        raise ConfigError(f"no search backend for a {name!r} store (known: {', '.join(BACKENDS)})") from None
    index_class = getattr(import_module(module_name), class_name)
    return index_class(store)  # type: ignore[no-any-return]
