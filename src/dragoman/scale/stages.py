"""The backfill's stages as plain functions over rows: read -> extract -> translate -> analyze -> write.

Each stage calls the library code the single-process commands use (the monitor's WARC reader and language
checks, ``pipeline.extract_page``, the translate stage's ``ArticleTranslator``, ``analyze_article``); the
local engine calls them in a loop and the Ray engine schedules them, so both produce the same records.
Rows are flat dicts of strings and bytes (``ROW_FIELDS``) so that they travel as Arrow tables between Ray
workers; the article, its translation and its analysis ride along as JSON.

A row that cannot become an article carries ``reason``/``message`` and passes through the later stages
untouched: one bad page never stops a batch, and every input is accounted for at the end.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dragoman.article import Article, Translation, attributes
from dragoman.errors import DragomanError, SkipArticle
from dragoman.report import MAX_LISTED_PROBLEMS, IngestReport, Problem

if TYPE_CHECKING:  # imported where used: the stages run in Ray workers that load only what they call
    from dragoman.pipeline.ingest import ArchivePolicy
    from dragoman.store.archive import Original

ROW_FIELDS = (
    "key",  # what marks this input done: "file.warc.gz@offset" or the URL
    "url",
    "body",  # raw HTML bytes until extracted, then kept only for the archive of originals
    "fetched_at",
    "content_type",
    "original",  # JSON: how the body was obtained (kind, url, status, headers), for the archive of originals
    "article",  # Article JSON (Russian side)
    "translation",  # Translation JSON
    "analysis",  # analysis JSON
    "reason",  # set when the row is a skip or a failure
    "message",
    "skipped",  # "1" for a skip (not an article for us), "" for a failure
)


def arrow_schema() -> Any:
    import pyarrow as pa

    return pa.schema([(name, pa.binary() if name == "body" else pa.string()) for name in ROW_FIELDS])


def new_row(**values: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(ROW_FIELDS)
    row.update(values)
    return row


def original_meta(page: Any, kind: str) -> str:
    """What the archive keeps beside a page's bytes (see ``dragoman.store.archive``), as row JSON."""
    return json.dumps(
        {
            "kind": kind,
            "url": page.url,
            "status": page.status,
            "content_type": page.content_type,
            "headers": dict(page.headers),
            "fetched_at": page.fetched_at.isoformat(),
        },
        ensure_ascii=False,
    )


def original_from_row(row: dict[str, Any]) -> Original | None:
    """The row's original for the archive, or None (archive off at extraction, or shards of older versions)."""
    from datetime import datetime

    from dragoman.store.archive import Original

    if not row.get("original") or row.get("body") is None:
        return None
    meta = json.loads(row["original"])
    return Original(
        body=bytes(row["body"]),
        kind=meta["kind"],
        url=meta["url"],
        fetched_at=datetime.fromisoformat(meta["fetched_at"]) if meta.get("fetched_at") else None,
        status=meta.get("status"),
        content_type=meta.get("content_type"),
        headers=dict(meta.get("headers") or {}),
    )


def problem_row(row: dict[str, Any], error: DragomanError) -> dict[str, Any]:
    out = dict(row)
    out.update(
        body=None,
        reason=error.reason,
        message=error.message,
        skipped="1" if isinstance(error, SkipArticle) else "",
    )
    return out


# -- read ---------------------------------------------------------------------------------------------


def warc_key(path: str | Path, offset: int) -> str:
    """A record's identity across runs and machines: the file's name (CC-NEWS names are unique) and offset."""
    return f"{Path(path).name}@{offset}"


def read_warc(
    path: str | Path, *, max_bytes: int, done: Iterable[str] = (), hosts: set[str] | None = None
) -> Iterator[dict[str, Any]]:
    """Rows for a WARC file's HTML responses not yet done; non-Russian pages come out as skips."""
    from dragoman.acquire.warc import default_hosts, is_candidate, iter_warc_responses

    finished = set(done)
    hosts = default_hosts() if hosts is None else hosts
    try:
        for item in iter_warc_responses(Path(path), max_bytes):
            if isinstance(item, DragomanError):
                # Not an HTML 200 response: cheap to see again, so it is reported but not marked done.
                yield problem_row(new_row(url=item.source), item)
                continue
            key = warc_key(path, item.offset)
            if key in finished:
                continue
            page = item.page
            row = new_row(
                key=key,
                url=page.url,
                body=page.body,
                fetched_at=page.fetched_at.isoformat(),
                content_type=page.content_type,
                original=original_meta(page, "warc"),
            )
            if not is_candidate(page, hosts):
                yield problem_row(row, SkipArticle("not a Russian-language page", reason="not_russian"))
                continue
            yield row
    except (OSError, ValueError) as exc:  # fastwarc on a truncated or non-WARC file
        from dragoman.errors import FetchError

        yield problem_row(new_row(url=str(path)), FetchError(f"cannot read WARC: {exc}", reason="bad_warc"))
    except DragomanError as exc:
        yield problem_row(new_row(url=str(path)), exc)


def read_url_list(path: str | Path, *, done: Iterable[str] = ()) -> Iterator[dict[str, Any]]:
    """Rows for the URLs of a text file (one per line, ``#`` comments), fetched later by the extract stage."""
    finished = set(done)
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        url = line.strip()
        if url and not url.startswith("#") and url not in finished:
            finished.add(url)
            yield new_row(key=url, url=url)


# -- extract ------------------------------------------------------------------------------------------


def extract_rows(rows: Sequence[dict[str, Any]], settings: Any) -> list[dict[str, Any]]:
    """Fetch (URL rows) and extract each page with the pipeline's extract stage; keep Russian articles."""
    from datetime import datetime

    from dragoman.article import RawPage
    from dragoman.extract.sniff import detect_language
    from dragoman.pipeline.ingest import extract_page

    fetcher = None
    out: list[dict[str, Any]] = []
    try:
        for row in rows:
            if row["reason"]:
                out.append(row)
                continue
            try:
                if row["body"] is None:
                    if fetcher is None:
                        from dragoman.acquire.http import Fetcher

                        fetcher = Fetcher(settings)
                    page = fetcher.fetch(row["url"])
                    row = {**row, "original": original_meta(page, "http")}
                else:
                    page = RawPage(
                        url=row["url"],
                        body=bytes(row["body"]),
                        fetched_at=datetime.fromisoformat(row["fetched_at"]),
                        content_type=row["content_type"],
                        source=row["url"],
                        status=200,
                    )
                article = extract_page(page)
                if detect_language(f"{article.title}\n{article.text}") != "ru":
                    raise SkipArticle("article text is not Russian", reason="not_russian")
            except DragomanError as exc:
                out.append(problem_row(row, exc))
                continue
            keep = bool(getattr(settings, "archive_originals", True)) and bool(row.get("original"))
            out.append(
                {
                    **row,
                    "body": page.body if keep else None,  # the bytes the extractor read, for the archive
                    "original": row["original"] if keep else None,
                    "url": article.url,
                    "article": article.to_json(),
                }
            )
    finally:
        if fetcher is not None:
            fetcher.close()
    return out


# -- translate ----------------------------------------------------------------------------------------


class Translator:
    """One CTranslate2 model held for many batches (a Ray actor holds one of these)."""

    def __init__(self, settings: Any, model: str | None, device: str | None = None, threads: int | None = None) -> None:
        from dragoman.translate import ArticleTranslator, create_engine

        options = {"inter_threads": threads} if threads else {}
        engine = create_engine("ctranslate2", settings, model=model, device=device or settings.device, **options)
        self.translator = ArticleTranslator(engine)
        self.model_id = engine.model_id

    def __call__(self, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        todo = [i for i, row in enumerate(rows) if row["article"] and not row["reason"]]
        articles = [Article.from_json(rows[i]["article"]) for i in todo]
        out = [dict(row) for row in rows]
        if not articles:
            return out
        for i, result in zip(todo, self.translator.translate_group(articles), strict=True):
            if isinstance(result, Exception):
                out[i]["message"] = f"translation failed: {result}"  # the article is still stored
            else:
                out[i]["translation"] = json.dumps(result.to_dict(), ensure_ascii=False)
        return out


# -- analyze ------------------------------------------------------------------------------------------


def analyze_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The analyze stage's ``analyze_article`` on each article (with its translation, when there is one)."""
    from dragoman.analyze import analyze_article, load_registry

    registry = load_registry()
    out = []
    for row in rows:
        row = dict(row)
        if row["article"] and not row["reason"]:
            article = Article.from_json(row["article"])
            if row["translation"]:
                article.translation = Translation.from_dict(json.loads(row["translation"]))
            try:
                row["analysis"] = json.dumps(analyze_article(article, registry=registry), ensure_ascii=False)
            except DragomanError as exc:
                row["message"] = f"analysis failed: {exc}"
        out.append(row)
    return out


# -- write --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class BackfillReport(IngestReport):
    """A backfill: the ingest report's outcomes (stored / unchanged / revised), skips and failures by reason,
    plus how many stored articles were translated and analyzed on the way."""

    translated: int = 0
    analyzed: int = 0
    stage_problems: int = 0  # articles stored whose translation or analysis failed

    @property
    def articles(self) -> int:
        return self.done

    def count(self, row: dict[str, Any], outcome: str | None) -> None:
        if row["reason"]:
            source = row["url"] or row["key"]
            if row["skipped"]:
                self.record_skip(row["reason"])
            else:
                self.record_failure(row["reason"], source=source, message=row["message"])
            return
        if outcome is not None:
            self.outcomes[outcome] += 1
        self.translated += bool(row["translation"])
        self.analyzed += bool(row["analysis"])
        if row["message"]:
            # Stored, but a later stage failed on it: listed, not counted as a failed item.
            self.stage_problems += 1
            if len(self.problems) < MAX_LISTED_PROBLEMS:
                self.problems.append(Problem(row["url"], "stage", row["message"], skipped=False))

    def details(self) -> dict[str, Any]:
        return {
            "articles": self.articles,
            **IngestReport.details(self),
            **attributes(self, "translated analyzed stage_problems"),
            "articles_per_minute": round(60 * self.articles / self.elapsed, 1) if self.elapsed else None,
        }

    def summary_parts(self) -> list[str]:
        rate = self.details()["articles_per_minute"]
        return [
            *IngestReport.summary_parts(self),
            f"translated {self.translated}",
            f"analyzed {self.analyzed}",
            *([f"{rate} articles/min"] if rate else []),
        ]


def write_row(
    store: Any, row: dict[str, Any], hooks: Sequence[Any] = (), *, archive: ArchivePolicy | None = None
) -> str | None:
    """Store one finished row (article, translation, analysis), run the monitor's hooks (stories, alerts) as
    its intake does, and mark the input done; returns the outcome. A hook's failure is noted on the row."""
    outcome: str | None = None
    article_id: int | None = None
    article, translation = _row_article(row) if row["article"] and not row["reason"] else (None, None)
    if article is not None:
        from dragoman.pipeline.ingest import ArchivePolicy

        policy = archive or ArchivePolicy()
        original = original_from_row(row) if policy.enabled else None
        result = store.ingest(article, original, archive_max_bytes=policy.max_bytes)
        outcome, article_id = result.outcome.value, result.article_id
        if translation is not None:
            article.translation = translation
            store.save_translation(result.revision_id, article.translation)
        if row["analysis"]:
            analysis = json.loads(row["analysis"])
            store.save_analysis(result.revision_id, analysis, analysis.get("analyzer_version", "unknown"))
        for hook in hooks:
            try:
                hook(result.article_id, article, result)
            except DragomanError as exc:  # the article is stored; the hook runs again on a rerun of its input
                row["message"] = f"{type(hook).__name__}: {exc}"
    if row["key"]:
        mark_done(
            store, [(row["key"], outcome or ("skipped" if row["skipped"] else "failed"), row["reason"], article_id)]
        )
    return outcome


def _row_article(row: dict[str, Any]) -> tuple[Article | None, Translation | None]:
    """The row's article and translation; (None, None), with the row marked failed, when either is unreadable.

    A shard is a file from outside like any other record: a badly typed row fails alone, not the load.
    """
    try:
        article = Article.from_json(row["article"])
        translation = Translation.from_dict(json.loads(row["translation"])) if row["translation"] else None
    except (ValueError, RecursionError) as exc:
        row.update(reason="bad_record", message=f"not a usable article record: {exc}", skipped="")
        return None, None
    return article, translation


def key_source(key: str) -> str | None:
    """The WARC file a record key belongs to (``file@offset``); None for a URL."""
    if key.startswith(("http://", "https://")) or "@" not in key:
        return None
    return key.rpartition("@")[0]


def mark_done(store: Any, items: Sequence[tuple[str, str, str | None, int | None]]) -> None:
    """Record (key, outcome, reason, article id) of finished inputs, so that a restart skips them."""
    from datetime import UTC, datetime

    store.backfill.mark_done([(key, key_source(key), *rest) for key, *rest in items], datetime.now(UTC).isoformat())


def done_keys(store: Any, *, source: str | None = None, retry_failed: bool = False) -> set[str]:
    """Keys a previous run finished: of one WARC file (``source``), or all (failures too, unless retried)."""
    return set(store.backfill.done_keys(source=source, retry_failed=retry_failed))
