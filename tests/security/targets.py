"""The entry points that take untrusted input, each with its contract, for the property tests and bench/fuzz.py.

A target feeds one generated input to the real entry point and returns normally when the contract holds: the
entry point returned, or raised a documented error (the DragomanError tree in errors.py, which batches count
and skip). Any other exception escaping is a crash; an ``AssertionError`` from a target is a broken contract
(for example a record that loaded with a number where the title should be).
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dragoman.acquire.feeds import parse_feed
from dragoman.acquire.files import iter_jsonl_articles
from dragoman.acquire.sitemaps import gunzip_capped, parse_sitemap
from dragoman.article import Article, RawPage
from dragoman.errors import DragomanError, ExtractError
from dragoman.extract.extractor import MAX_INPUT_BYTES, extract
from dragoman.search import open_index
from dragoman.search.query import SearchQuery
from dragoman.store import open_store

DOCUMENTED = (DragomanError,)


def check_extract(page: RawPage) -> None:
    """``extract``: an Article, or SkipArticle / ExtractError."""
    try:
        article = extract(page)
    except DOCUMENTED as error:
        # reason "extract" is _guarded's catch-all: an exception nobody expected, wrapped so the batch goes on.
        # It is not a crash for the batch, but it is a bug in extract (the page is lost for no stated reason).
        assert error.reason != "extract", f"unexpected {error.__cause__!r} wrapped by the catch-all"
        return
    assert isinstance(article.title, str) and all(isinstance(b.text, str) for b in article.blocks)


def check_feed(body: bytes) -> None:
    """``parse_feed``: the items, or ExtractError(reason="bad_feed")."""
    try:
        items = parse_feed(body, source="fuzz")
    except DOCUMENTED:
        return
    for item in items:
        assert isinstance(item.url, str) and item.url == item.url.strip()
        _check_feed_time(item.published_at)


def _check_feed_time(when: datetime | None) -> None:
    """The monitor stores every feed time as UTC: it must have a zone and survive the move to UTC."""
    if when is not None:
        assert when.tzinfo is not None, f"{when!r} has no zone"
        when.astimezone(UTC)


def check_sitemap(body: bytes) -> None:
    """``gunzip_capped`` then ``parse_sitemap``, as ``iter_sitemap`` calls them: entries, or a DragomanError."""
    try:
        parsed = parse_sitemap(gunzip_capped(body, MAX_INPUT_BYTES, source="fuzz"), source="fuzz")
    except DOCUMENTED:
        return
    for entry in parsed.entries:
        assert isinstance(entry.url, str)
        for when in (entry.lastmod, entry.published_at):
            _check_feed_time(when)


class JsonlLoader:
    """``iter_jsonl_articles`` over a real file: every line gives an Article or an ExtractError, nothing escapes,
    and what loads is well typed (a str where the record model says str), so the index and web app can use it."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="dragoman-fuzz-")
        self.path = Path(self._dir.name) / "records.jsonl"

    def check_lines(self, lines: list[str]) -> None:
        good = '{"url": "https://iz.ru/case/good", "title": "Хорошая запись", "text": "Санкции."}'
        self.path.write_text("\n".join([*lines, good]) + "\n", encoding="utf-8", errors="surrogatepass")
        results = list(iter_jsonl_articles(self.path, MAX_INPUT_BYTES))
        for result in results:
            assert isinstance(result, Article | ExtractError), f"yielded {type(result).__name__}"
            if isinstance(result, Article):
                check_article_types(result)
        # One bad line never stops the file: the good last line is still loaded.
        assert isinstance(results[-1], Article) and results[-1].url == "https://iz.ru/case/good"

    def close(self) -> None:
        self._dir.cleanup()


def check_article_types(article: Article) -> None:
    """The field types the store, the index and the web app rely on (what item 2 of issue 13 found broken)."""
    for name in ("url", "title", "language"):
        value = getattr(article, name)
        assert isinstance(value, str), f"{name} is {type(value).__name__}"
    for name in ("lead", "rubric", "canonical_url", "timezone", "outlet", "outlet_name", "agency"):
        value = getattr(article, name)
        assert value is None or isinstance(value, str), f"{name} is {type(value).__name__}"
    assert all(isinstance(block.text, str) for block in article.blocks), "a block's text is not a str"
    assert all(isinstance(author, str) for author in article.authors), "an author is not a str"
    for name in ("published_at", "fetched_at"):
        value = getattr(article, name)
        assert value is None or (isinstance(value, datetime) and value.tzinfo is not None), f"{name} is {value!r}"
    # The record survives the round trip the store makes (to_json on write, from_json on read).
    assert Article.from_json(article.to_json()).title == article.title


class Searcher:
    """``SearchIndex.search`` on a real SQLite store holding one indexed article, as the web app calls it:
    results, or QueryError (a 400 for the web app, one line for the CLI)."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="dragoman-fuzz-")
        self.store = open_store(Path(self._dir.name) / "search.db")
        self.store.ingest(
            Article(
                url="https://iz.ru/case/1",
                title="Санкции против нефти",
                blocks=[],
                lead="Путин сказал, что санкции не работают: «Газ и нефть идут на восток».",
                published_at=datetime(2024, 1, 15, tzinfo=UTC),
            )
        )
        self.index = open_index(self.store)

    def check_query(self, text: str, **filters: Any) -> None:
        try:
            self.index.search(SearchQuery(text=text, **filters))
        except DOCUMENTED:
            return

    def close(self) -> None:
        self.store.close()
        self._dir.cleanup()
