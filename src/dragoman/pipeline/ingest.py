"""The main job: acquire -> extract -> store (and, when asked, translate), with a per-reason report.

One bad input never stops the batch: it is counted by reason and listed in the report. Each article is
stored in its own transaction, so an interrupted run leaves a consistent database and a rerun finishes the
job without duplicates (already-stored content is reported as unchanged).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dragoman.acquire import Failure, Fetcher, RawPage, iter_inputs
from dragoman.article import Article
from dragoman.errors import DragomanError, ExtractError
from dragoman.names.outlets import english_rubric_of_machine_rendering
from dragoman.report import IngestReport, StageReport
from dragoman.settings import Settings
from dragoman.store.archive import Original
from dragoman.store.base import IngestResult

DEFAULT_MAX_BYTES = Settings().max_bytes

# What runs after an article is stored, whichever way it arrived (ingest, import, watch, WARC, backfill):
# story grouping and alert matching (issue 14, item 6). pipeline/watch.py's Intake runs the same hooks.
StoredHook = Callable[[int, Article, IngestResult], None]


def run_stored_hooks(
    hooks: Sequence[StoredHook], article_id: int, article: Article, result: IngestResult, report: StageReport
) -> None:
    """Each hook in turn; the article is stored already, so a hook's failure is reported, not fatal (the
    hook runs again on a rerun: story assignment and alert recording are idempotent)."""
    for hook in hooks:
        try:
            hook(article_id, article, result)
        except DragomanError as exc:
            report.record_problem(article.url, exc)


def extract_page(page: RawPage) -> Article:
    """Extract one page; wraps unexpected errors of third-party code so that the batch goes on."""
    from dragoman.extract import extract

    try:
        return extract(page)
    except DragomanError:
        raise
    except (ValueError, TypeError, AttributeError, IndexError, KeyError, UnicodeError, RecursionError) as exc:
        # The extractor's libraries raise these on broken markup; one such page must not stop the batch.
        from dragoman.errors import ExtractError

        raise ExtractError(
            f"extraction failed: {type(exc).__name__}: {exc}", reason="extract_crash", source=page.source or page.url
        ) from exc
    except MemoryError as exc:
        # A page built to exhaust memory fails alone; the batch goes on once its objects are freed.
        from dragoman.errors import ExtractError

        raise ExtractError(
            "extraction ran out of memory", reason="out_of_memory", source=page.source or page.url
        ) from exc


@dataclass(frozen=True, slots=True)
class ArchivePolicy:
    """Whether originals are kept (``archive_originals``) and the cap on the archive (``archive_max_bytes``)."""

    enabled: bool = True
    max_bytes: int = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> ArchivePolicy:
        return cls(enabled=settings.archive_originals, max_bytes=max(0, settings.archive_max_bytes))

    def original(self, page: RawPage | None, kind: str | None = None) -> Original | None:
        """The original to keep for an article extracted from ``page`` (None when off or there is no page).

        The bytes are the ones the extractor read: a fetched body as decoded from its Content-Encoding, a
        local file's bytes, a ``.html.gz`` file's decompressed page, a WARC record's HTTP payload.
        """
        if not self.enabled or page is None:
            return None
        return Original(
            body=page.body,
            kind=kind or ("http" if page.status is not None else "file"),
            url=page.url,
            fetched_at=page.fetched_at,
            status=page.status,
            content_type=page.content_type,
            headers=dict(page.headers),
        )

    def store(self, store: Any, article: Article, page: RawPage | None, kind: str | None = None) -> IngestResult:
        """``store.ingest`` with the original of ``page`` kept (or not) as this policy says."""
        result: IngestResult = store.ingest(article, self.original(page, kind), archive_max_bytes=self.max_bytes)
        return result


def iter_extracted(
    specs: Iterable[str], settings: Settings, *, fetcher: Fetcher | None = None
) -> Iterator[tuple[Article, RawPage | None] | Failure]:
    """Articles from the inputs with the page each was extracted from (None for JSONL records), or a Failure
    for each input that could not become one."""
    for item in iter_inputs(specs, settings, fetcher=fetcher):
        if isinstance(item, RawPage):
            try:
                yield extract_page(item), item
            except DragomanError as exc:
                yield Failure(item.source or item.url, exc)
        elif isinstance(item, Article):
            yield item, None
        else:
            yield item


def iter_articles(
    specs: Iterable[str], settings: Settings, *, fetcher: Fetcher | None = None
) -> Iterator[Article | Failure]:
    """Articles from the inputs, or a Failure for each input that could not become one."""
    for item in iter_extracted(specs, settings, fetcher=fetcher):
        yield item if isinstance(item, Failure) else item[0]


def ingest(
    specs: Iterable[str],
    store: Any,
    settings: Settings,
    *,
    fetcher: Fetcher | None = None,
    on_item: Callable[[str, IngestResult | None], None] | None = None,
    hooks: Sequence[StoredHook] = (),
) -> IngestReport:
    """Store every article from ``specs``; returns what happened to each, counted by outcome and reason.
    ``hooks`` run for each stored (or unchanged) article: stories and alerts follow ingest as they follow watch."""
    report = IngestReport()
    policy = ArchivePolicy.from_settings(settings)
    started = time.perf_counter()
    try:
        for item in iter_extracted(specs, settings, fetcher=fetcher):
            if isinstance(item, Failure):
                report.record_problem(item.source, item.error)
                if on_item:
                    on_item(item.source, None)
                continue
            article, page = item
            try:
                result = policy.store(store, article, page)
            except DragomanError as exc:
                report.record_problem(article.url, exc)
                if on_item:
                    on_item(article.url, None)
                continue
            report.outcomes[result.outcome] += 1
            report.record_archive(result)
            report.article_ids.append(result.article_id)
            run_stored_hooks(hooks, result.article_id, article, result, report)
            if on_item:
                on_item(article.url, result)
    except KeyboardInterrupt:
        report.interrupted = True
    finally:
        report.elapsed = time.perf_counter() - started
    return report


def iter_text_documents(path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Article | Failure]:
    """Documents in the plain-text format from a file; several documents are separated by blank lines.

    Only a regular file of at most ``max_bytes`` is read (a FIFO would block for ever); a document whose
    source URL or date is impossible is refused like any other record from outside (``check_incoming``).
    """
    from pathlib import Path

    from dragoman.acquire.files import check_regular_file, read_capped
    from dragoman.article import check_incoming
    from dragoman.formats.document import parse_text_document

    try:
        check_regular_file(Path(path))
        text = read_capped(Path(path), max_bytes).decode("utf-8-sig", errors="replace")
    except DragomanError as exc:
        yield Failure(path, exc)
        return
    if looks_like_html(text):
        # One clear line for the file, not a "bad_document" for each of its blank-line chunks.
        message = "this is HTML, not a text document: use `dragoman ingest` for web pages"
        yield Failure(path, ExtractError(message, reason="html_not_document", source=path))
        return
    chunks = [c for c in text.replace("\r\n", "\n").split("\n\n") if c.strip()]
    for number, chunk in enumerate(chunks, start=1):
        source = f"{path}#{number}" if len(chunks) > 1 else path
        try:
            yield check_incoming(parse_text_document(chunk))
        except (ValueError, OverflowError) as exc:  # OverflowError: a date at the edge of what datetime holds
            yield Failure(source, ExtractError(f"not a text document: {exc}", reason="bad_document", source=source))


def looks_like_html(text: str) -> bool:
    """True for a web page (``<!doctype html>``, ``<html``, or markup from the first character)."""
    head = text.lstrip()[:1000].casefold()
    return head.startswith(("<!doctype html", "<html", "<?xml")) or ("<html" in head and "<body" in text.casefold())


def with_import_provenance(article: Article, path: str, imported_at: datetime) -> Article:
    """What the reader shows for an imported document: the file it came from and when, instead of
    "Fetched: unknown"; and its rubric as the outlet's table names it (a machine's "Peace" for Izvestia's
    «Мир» is the rubric "World")."""
    article.fetched_at = imported_at
    article.extra["imported_from"] = path
    if article.language == "en" and article.rubric:
        mapped = english_rubric_of_machine_rendering(article.outlet, article.rubric)
        if mapped and mapped != article.rubric:
            article.extra["rubric_as_imported"] = article.rubric
            article.rubric = mapped
    return article


def import_documents(
    paths: Iterable[str],
    store: Any,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    hooks: Sequence[StoredHook] = (),
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> IngestReport:
    """Store documents that arrive already translated (the plain-text format), one transaction each;
    ``hooks`` (stories, alerts) run for each, as for every other way an article arrives."""
    report = IngestReport()
    started = time.perf_counter()
    try:
        for path in paths:
            for item in iter_text_documents(path, max_bytes):
                if isinstance(item, Failure):
                    report.record_problem(item.source, item.error)
                    continue
                article = with_import_provenance(item, path, now())
                try:
                    result = store.ingest(article)
                except DragomanError as exc:
                    report.record_problem(item.url, exc)
                    continue
                report.outcomes[result.outcome] += 1
                report.article_ids.append(result.article_id)
                run_stored_hooks(hooks, result.article_id, article, result, report)
    except KeyboardInterrupt:
        report.interrupted = True
    finally:
        report.elapsed = time.perf_counter() - started
    return report
