"""The list of schema migrations, applied in version order and recorded in ``schema_migrations``; the tables
themselves are described in ``dragoman.store.schema`` (one module per concern, with its range of versions)."""

from __future__ import annotations

from dragoman.store.schema import Migration, acquire, analyze, core, front, scale, search, translate

__all__ = ["Migration", "all_migrations"]


def all_migrations() -> list[Migration]:
    """Every migration in version order; versions must be unique."""
    found = [*core.MIGRATIONS, *translate.MIGRATIONS, *analyze.MIGRATIONS, *search.MIGRATIONS]
    found += [*acquire.MIGRATIONS, *front.MIGRATIONS, *scale.MIGRATIONS]
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(versions) != len(set(versions)):
        raise ValueError(f"duplicate migration versions: {versions}")
    return found
