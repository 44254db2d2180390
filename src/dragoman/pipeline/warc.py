"""Storing WARC archives (Common Crawl's CC-NEWS and the like): the Russian-language articles among their
responses go through the same extract stage and intake (store + hooks) as fetched pages. Reading the WARC
records and picking the candidates is ``acquire.warc``'s."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dragoman.acquire.feeds import FeedItem
from dragoman.acquire.warc import default_hosts, is_candidate, iter_warc_responses
from dragoman.errors import DragomanError, FetchError, SkipArticle
from dragoman.pipeline.ingest import IngestReport, extract_page


def ingest_warc(
    paths: Iterable[str | Path],
    intake: Any,
    *,
    max_bytes: int,
    hosts: set[str] | None = None,
    state: Any = None,
    on_item: Callable[[str], None] | None = None,
) -> IngestReport:
    """Extract and store the Russian-language articles of WARC files through ``intake`` (store + hooks).

    ``state`` (a CrawlState) records each stored URL as done so that the monitor never fetches it again.
    """
    from dragoman.extract.sniff import detect_language

    hosts = default_hosts() if hosts is None else hosts
    report = IngestReport()
    started = datetime.now(UTC)
    try:
        for path in paths:
            try:
                responses = iter_warc_responses(Path(path), max_bytes)
                for item in responses:
                    if isinstance(item, DragomanError):
                        report.record_problem(item.source or str(path), item)
                        continue
                    page = item.page
                    if on_item:
                        on_item(page.url)
                    try:
                        if not is_candidate(page, hosts):
                            raise SkipArticle("not a Russian-language page", reason="not_russian", source=page.url)
                        article = extract_page(page)
                        if detect_language(f"{article.title}\n{article.text}") != "ru":
                            raise SkipArticle("article text is not Russian", reason="not_russian", source=page.url)
                        result = intake.take(article, report, page=page, kind="warc")
                    except DragomanError as exc:
                        report.record_problem(page.url, exc)
                        continue
                    report.outcomes[result.outcome] += 1
                    report.article_ids.append(result.article_id)
                    if state is not None:
                        state.enqueue([FeedItem(url=page.url, title=article.title)], source=f"warc:{path}")
                        state.finish_item(page.url, "done", article_id=result.article_id)
            except DragomanError as exc:
                report.record_problem(str(path), exc)
            except (OSError, ValueError) as exc:  # fastwarc raises these on a truncated or non-WARC file
                report.record_problem(
                    str(path), FetchError(f"cannot read WARC: {exc}", reason="bad_warc", source=str(path))
                )
    except KeyboardInterrupt:
        report.interrupted = True
    report.elapsed = (datetime.now(UTC) - started).total_seconds()
    return report
