"""Acquire: turn what the user names (paths, directories, JSONL corpora, URLs) into pages or articles.

``iter_inputs`` never raises for one bad input: it yields a ``Failure`` for it and goes on, so a batch
counts and reports the bad ones at the end.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from dragoman.acquire.files import (
    check_regular_file,
    is_jsonl_path,
    iter_directory,
    iter_jsonl_articles,
    read_html_file,
)
from dragoman.acquire.http import Fetcher
from dragoman.article import Article, RawPage
from dragoman.errors import DragomanError, FetchError
from dragoman.settings import Settings

__all__ = ["Failure", "Fetcher", "RawPage", "is_url", "iter_inputs"]


@dataclass(slots=True)
class Failure:
    source: str
    error: DragomanError


def is_url(spec: str) -> bool:
    return spec.startswith(("http://", "https://"))


def iter_inputs(
    specs: Iterable[str], settings: Settings, *, fetcher: Fetcher | None = None
) -> Iterator[RawPage | Article | Failure]:
    own_fetcher = None
    try:
        for spec in specs:
            if is_url(spec):
                if fetcher is None:
                    fetcher = own_fetcher = Fetcher(settings)
                try:
                    yield fetcher.fetch(spec)
                except DragomanError as exc:
                    exc.source = exc.source or spec
                    yield Failure(spec, exc)
                continue
            path = Path(spec)
            if path.is_dir():
                for child in iter_directory(path):
                    yield from _iter_file(child, settings)
            elif path.exists():
                yield from _iter_file(path, settings)
            else:
                yield Failure(spec, FetchError("no such file or directory", reason="not_found", source=spec))
    finally:
        if own_fetcher is not None:
            own_fetcher.close()


def _iter_file(path: Path, settings: Settings) -> Iterator[RawPage | Article | Failure]:
    try:
        check_regular_file(path)
        if is_jsonl_path(path):
            for item in iter_jsonl_articles(path, settings.max_bytes):
                if isinstance(item, DragomanError):
                    yield Failure(item.source or str(path), item)
                else:
                    yield item
            return
        # Any other file the user named is tried as HTML; extract says so when it is not.
        yield read_html_file(path, settings.max_bytes)
    except DragomanError as exc:
        yield Failure(str(path), exc)
