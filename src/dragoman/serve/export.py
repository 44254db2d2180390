"""Exports that stream: one article at a time from the store to the output, never the whole corpus in memory."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from typing import Any, TextIO

from dragoman.serve.render import render_markdown, render_text
from dragoman.store.base import ArticleFilter, StoredArticle

CSV_COLUMNS = [
    "id", "revision", "url", "canonical_url", "outlet", "outlet_name", "published_at", "timezone", "rubric",
    "rubric_en", "title", "title_en", "authors", "agency", "lead", "text", "text_en", "content_sha256",
    "raw_sha256", "fetched_at", "extractor_version", "translation_engine", "translation_model",
]  # fmt: skip
DOCUMENT_SEPARATOR = "\n"  # text documents are separated by one blank line


def stored_to_record(stored: StoredArticle) -> dict[str, Any]:
    """The full record with the store's identity: what JSONL exports and the API return."""
    record = stored.article.to_dict()
    record["id"] = stored.id
    record["revision"] = stored.revision
    record["revision_count"] = stored.revision_count
    return record


def stored_to_row(stored: StoredArticle) -> dict[str, Any]:
    from dragoman.serve.render import english_rubric

    a = stored.article
    tr = a.translation
    return {
        "id": stored.id,
        "revision": stored.revision,
        "url": a.url,
        "canonical_url": a.canonical_url or "",
        "outlet": a.outlet or "",
        "outlet_name": a.outlet_name or "",
        "published_at": a.published_at.isoformat() if a.published_at else "",
        "timezone": a.timezone or "",
        "rubric": a.rubric or "",
        "rubric_en": english_rubric(a) or "",
        "title": a.title,
        "title_en": tr.title.text if tr else "",
        "authors": "; ".join(a.authors),
        "agency": a.agency or "",
        "lead": a.lead or "",
        "text": "\n".join(b.text for b in a.blocks),
        "text_en": "\n".join(seg.text for seg in tr.blocks) if tr else "",
        "content_sha256": a.content_sha256,
        "raw_sha256": a.raw_sha256 or "",
        "fetched_at": a.fetched_at.isoformat() if a.fetched_at else "",
        "extractor_version": a.extractor_version,
        "translation_engine": tr.engine if tr else "",
        "translation_model": tr.model_id if tr else "",
    }


def export_articles(store: Any, out: TextIO, fmt: str, where: ArticleFilter | None = None) -> int:
    """Write every matching article to ``out`` in ``fmt`` (jsonl, csv, text, md); returns the count."""
    count = 0
    writer: Callable[[StoredArticle], None]
    if fmt == "jsonl":

        def writer(stored: StoredArticle) -> None:
            out.write(json.dumps(stored_to_record(stored), ensure_ascii=False) + "\n")
    elif fmt == "csv":
        table = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
        table.writeheader()

        def writer(stored: StoredArticle) -> None:
            table.writerow(stored_to_row(stored))
    elif fmt in ("text", "md"):
        render = render_text if fmt == "text" else render_markdown

        def writer(stored: StoredArticle) -> None:
            if count:
                out.write(DOCUMENT_SEPARATOR)
            out.write(render(stored.article))
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    for stored in store.iter_articles(where):
        writer(stored)
        count += 1
    return count
