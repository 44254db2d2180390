"""What acquire hands to extract: ``RawPage``, which lives in ``dragoman.article`` (below the stages, so that
extract reads it without importing acquire); named here too for acquire's callers."""

from __future__ import annotations

from dragoman.article import RawPage

__all__ = ["RawPage"]
