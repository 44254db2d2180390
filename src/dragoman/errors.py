"""One exception tree for dragoman.

    DragomanError
    ├── ConfigError       bad settings or usage (exit code 2)
    ├── FetchError        network or file access failed (HTTP status, timeout, too large, refused)
    │   └── RobotsDisallowed
    ├── ExtractError      bytes could not be made into an article (broken markup, undecodable)
    ├── SkipArticle       the input is fine but is not an article for us (not Russian, a front page ...)
    ├── TranslateError    engine or model failure
    │   └── ModelNotInstalled
    ├── AnalyzeError
    └── StoreError        database failure (the store maps its driver's errors into these, once)
        ├── StoreMissingError      no database there, or one this version has not migrated (read-only opens)
        ├── StoreLockedError       busy or locked, a serialization failure or a deadlock: try again later
        ├── StoreIntegrityError    a constraint refused the write (unique key, foreign key, not null)
        ├── StoreSchemaError       a table or column is missing: a database from before that stage's tables
        ├── StoreQueryError        the database refused a statement or a value (syntax, type, range)
        └── StoreReadOnlyError     a write to a database opened read-only

Third-party exceptions are wrapped where they enter our code; a user sees one line that names the input,
what happened and, when there is one, what to do next. Every error carries a short ``reason`` code that
batch reports count by (scrapy's per-reason stats).
"""

from __future__ import annotations


class DragomanError(Exception):
    """Base of all dragoman errors."""

    reason: str = "error"

    def __init__(self, message: str, *, reason: str | None = None, source: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if reason is not None:
            self.reason = reason
        self.source = source

    def __str__(self) -> str:
        if self.source:
            return f"{self.source}: {self.message}"
        return self.message


class ConfigError(DragomanError):
    reason = "config"


class FetchError(DragomanError):
    reason = "fetch"


class RobotsDisallowed(FetchError):
    reason = "robots_disallowed"


class ExtractError(DragomanError):
    reason = "extract"


class SkipArticle(DragomanError):
    """The input is readable but is not an article we keep; counted by reason, never fatal."""

    reason = "skipped"


class TranslateError(DragomanError):
    reason = "translate"


class ModelNotInstalled(TranslateError):
    reason = "no_model"


class AnalyzeError(DragomanError):
    reason = "analyze"


class StoreError(DragomanError):
    reason = "store"


class StoreMissingError(StoreError):
    """No database at the given place, or one without this version's tables; a read-only open neither
    creates nor migrates it."""

    reason = "no_database"


class StoreLockedError(StoreError):
    reason = "locked"


class StoreIntegrityError(StoreError):
    reason = "integrity"


class StoreSchemaError(StoreError):
    reason = "schema"


class StoreQueryError(StoreError):
    reason = "query"


class StoreReadOnlyError(StoreError):
    reason = "read_only"


def first_line(exc: BaseException) -> str:
    """The first line of a third-party error's message (its class name when it has none): what a one-line
    message quotes of a driver's, model loader's or HTTP client's multi-line text."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
