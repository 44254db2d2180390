"""The analyst's morning on the web: the top stories home page, story pages, what is surging, attention over
time (SVG and CSV), the daily brief, the alerts page and their Atom feeds. Registered by ``create_app``.

``/`` is the top stories page; a request to ``/`` that carries search fields (``q``, ``since``, ``entity`` ...,
as the search form sent before the search page moved to ``/search``) gets the search page, so old links keep
working. ``at`` (ISO 8601) shows any page as of that moment instead of now.

No ``from __future__ import annotations`` here: the routes' parameter types are built inside ``register_front``
(the store dependency and SearchParams come from app.py), and FastAPI must see them, and the fields of the shared
parameters (``AsOf`` and its subclasses), as objects, not strings.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Header, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from dragoman import __version__
from dragoman.errors import ConfigError, DragomanError
from dragoman.formats.atom import ATOM_TYPE, AtomEntry, AtomFeed, build_feed, entry_id, etag_matches, etag_of
from dragoman.formats.attention import stacked_chart
from dragoman.formats.brief import brief_markdown
from dragoman.search import open_index
from dragoman.search.query import QueryError
from dragoman.serve import morning

# Fields only the search form sends: their presence on "/" means the search page.
SEARCH_ONLY_FIELDS = frozenset({"q", "since", "until", "entity", "unnamed", "qa", "sort", "page"})
FEED_ENTRIES = 50
SURGE_TTL_SECONDS = 60.0
ATTENTION_DEFAULT_DAYS = 90
ATTENTION_MAX_DAYS = 3 * 366
StoryId = Annotated[int, Path(ge=1, le=2**62, description="story id")]
WindowParam = Annotated[str, Query(pattern="^(6h|24h|3d|week)$", description="6h, 24h, 3d or week")]
BAD_REQUEST = {400: {"description": "a parameter cannot be used (dates out of order, unknown watchlist ...)"}}
AtParam = Annotated[datetime | None, Query(description="as of this moment (ISO 8601) instead of now")]
OutletParam = Annotated[list[str] | None, Query(description="outlet key (repeatable)")]
RubricParam = Annotated[str | None, Query(max_length=200)]
WatchlistParam = Annotated[str | None, Query(max_length=200, description="watch label or value")]


# The moments the views count from, which the search index's docids can express: a window (at most a year) or
# an attention range before 1971 would reach before their epoch, one near year 9999 would overflow datetime.
# Outside, a moment is read as the nearest end (nothing is published there: the views are empty, not errors).
FIRST_DAY, LAST_DAY = date(1971, 1, 1), date(9000, 12, 31)


def _clamp_day(day: date) -> date:
    return min(max(day, FIRST_DAY), LAST_DAY)


def _now(at: datetime | None) -> datetime:
    """The moment a page shows: now, or ``at``; a moment before or after any corpus (datetime overflows near
    years 1 and 9999 once windows and baselines are taken from it) shows the corpus as of 1900 or 2200."""
    if at is None:
        return datetime.now(UTC)
    moment = at if at.tzinfo else at.replace(tzinfo=UTC)
    if _clamp_day(moment.date()) != moment.date():
        return datetime.combine(_clamp_day(moment.date()), datetime.min.time(), tzinfo=UTC)
    return moment


def _window(text: str) -> timedelta:
    try:
        return morning.parse_window(text)
    except ConfigError as exc:
        raise HTTPException(400, exc.message) from exc


@dataclass
class AsOf:
    """``window`` and ``at``, which every front page route that shows a window takes: declared once here and
    read through ``Depends()``, with the same names, defaults and validation on each route."""

    window: WindowParam = morning.DEFAULT_WINDOW
    # Keyword-only, so it comes after the subclasses' own fields, where the routes always had it: a bad request
    # is told of its problems in the same order as before.
    at: AtParam = field(default=None, kw_only=True)

    def span(self) -> timedelta:
        """The window as a duration (400 when it cannot be read)."""
        return _window(self.window)

    def now(self) -> datetime:
        return _now(self.at)

    def at_text(self) -> str | None:
        return self.at.isoformat() if self.at else None


@dataclass
class StoryFilters(AsOf):
    """The top stories' filters (/api/stories, /feeds/top.atom): a window, outlets and a rubric, as of ``at``."""

    outlet: OutletParam = None
    rubric: RubricParam = None


@dataclass
class BriefParams(AsOf):
    """The brief's (/brief, /brief.md): a window and a watchlist, as of ``at``."""

    watchlist: WatchlistParam = None


def _query(**values: Any) -> str:
    pairs: list[tuple[str, str]] = []
    for key, value in values.items():
        if value in (None, "", [], False):
            continue
        pairs.extend((key, str(v)) for v in (value if isinstance(value, list) else [value]))
    return "?" + urlencode(pairs) if pairs else ""


def _article_updated(row: dict[str, Any]) -> datetime:
    """An article entry's ``updated``: its last change by the outlet when it was revised, else its publication."""
    revised = int(row.get("revision_count") or 1) > 1
    text = (row.get("updated_at") if revised else row.get("published_at")) or row.get("updated_at")
    return _parse_or_epoch(text)


def _parse_or_epoch(text: str | None) -> datetime:
    moment = morning._parse(text)
    return moment if moment is not None else datetime(2000, 1, 1, tzinfo=UTC)


def register_front(
    app: FastAPI,
    *,
    page: Callable[..., HTMLResponse],
    cache: Any,
    store_dep: Any,
    search_params: type,
    search_page: Callable[..., HTMLResponse],
    safe_url: Callable[[Any], str | None],
) -> None:
    StoreDep = Annotated[Any, Depends(store_dep)]
    SearchParams = search_params
    AsOfDep = Annotated[AsOf, Depends()]
    StoryFiltersDep = Annotated[StoryFilters, Depends()]
    BriefDep = Annotated[BriefParams, Depends()]

    def feed_response(request: Request, feed: AtomFeed, if_none_match: str | None) -> Response:
        body = build_feed(feed)
        etag = etag_of(body)
        headers = {"ETag": etag, "Cache-Control": "private, max-age=60"}
        if etag_matches(if_none_match, etag):
            return Response(status_code=304, headers=headers)
        return Response(body, media_type=ATOM_TYPE + "; charset=utf-8", headers=headers)

    def base(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    def article_entry(request: Request, row: dict[str, Any], *, scope: str = "article") -> AtomEntry:
        title_en = row.get("title_en")
        summary = morning._lead(row.get("lead_en")) if row.get("lead_en") else None
        return AtomEntry(
            id=entry_id(scope, row.get("key_url") or row["url"]),
            title=title_en or row.get("title") or "",
            title_lang="en" if title_en else "ru",
            updated=_article_updated(row),
            published=morning._parse(row.get("published_at")),
            link=safe_url(row.get("url")) or f"{base(request)}/articles/{row['article_id']}",
            reader_link=f"{base(request)}/articles/{row['article_id']}",
            summary=summary,
            author=row.get("outlet"),
            categories=[c for c in (row.get("rubric"),) if c],
        )

    # -- the top stories home page ----------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def front_page(
        request: Request,
        st: StoreDep,
        params: Annotated[SearchParams, Depends()],  # type: ignore[valid-type]
        as_of: AsOfDep,
    ) -> HTMLResponse:
        if SEARCH_ONLY_FIELDS & set(request.query_params.keys()):
            return search_page(request, st, params)
        window, at = as_of.window, as_of.at
        now = as_of.now()
        span = as_of.span()
        open_index(st).sync_quietly()
        outlets = [o for o in params.outlet if o]
        stories = morning.top_stories(st, window=span, now=now, outlets=outlets, rubric=params.rubric)
        surge = cache.get(
            f"surging:{window}:{at}",
            lambda: morning.surging(st, window=span, now=now, limit=8),
        )
        filters = {"window": window, "outlet": outlets, "rubric": params.rubric, "at": as_of.at_text()}
        return page(
            request,
            "front.html",
            {
                "front": stories,
                "surging": surge,
                "window": morning.window_label(span),
                "windows": list(morning.WINDOWS),
                "filters": filters,
                "query": _query,
                "feed_url": "/feeds/top.atom" + _query(**filters),
            },
        )

    @app.get(
        responses=BAD_REQUEST,
        path="/api/stories",
        summary="Top stories in a window, ranked by distinct outlets weighted by recency",
    )
    def api_stories(
        st: StoreDep,
        filters: StoryFiltersDep,
        limit: Annotated[int, Query(ge=1, le=200)] = morning.TOP_STORIES,
    ) -> dict[str, Any]:
        open_index(st).sync_quietly()
        stories = morning.top_stories(
            st, window=filters.span(), now=filters.now(), outlets=filters.outlet, rubric=filters.rubric, limit=limit
        )
        return stories.to_dict()

    @app.get("/stories/{story_id}", response_class=HTMLResponse, include_in_schema=False)
    def story_page(request: Request, st: StoreDep, story_id: StoryId) -> HTMLResponse:
        open_index(st).sync_quietly()
        view = morning.story_view(st, story_id)
        if view is None:
            return page(request, "error.html", {"message": f"no story {story_id}"}, 404)
        return page(request, "story.html", {"story": view})

    @app.get(
        "/api/stories/{story_id}",
        summary="One story: every member by time, and what each rewrite added or removed",
        responses={404: {"description": "no such story"}, **BAD_REQUEST},
    )
    def api_story_view(st: StoreDep, story_id: StoryId) -> dict[str, Any]:
        open_index(st).sync_quietly()
        view = morning.story_view(st, story_id)
        if view is None:
            raise HTTPException(404, f"no story {story_id}")
        return view.to_dict()

    @app.get(
        responses=BAD_REQUEST,
        path="/api/surging",
        summary="Entities and title terms surging against their own 30-day baseline",
    )
    def api_surging(
        st: StoreDep,
        as_of: AsOfDep,
        limit: Annotated[int, Query(ge=1, le=100)] = 10,
    ) -> dict[str, Any]:
        open_index(st).sync_quietly()
        return morning.surging(st, window=as_of.span(), now=as_of.now(), limit=limit).to_dict()

    # -- attention over time ------------------------------------------------------------------------------

    def attention_of(
        st: Any, q: str, entity: str | None, outlet: list[str] | None, since: date | None, until: date | None
    ) -> tuple[Any, date, date]:
        since, until = (_clamp_day(d) if d is not None else None for d in (since, until))
        last = until or datetime.now(UTC).date()
        first = since or _clamp_day(last - timedelta(days=ATTENTION_DEFAULT_DAYS))
        if first > last or (last - first).days > ATTENTION_MAX_DAYS:
            raise HTTPException(400, f"the dates must be in order and at most {ATTENTION_MAX_DAYS} days apart")
        open_index(st).sync_quietly()
        start = datetime.combine(first, datetime.min.time(), tzinfo=UTC)
        end = datetime.combine(last, datetime.min.time(), tzinfo=UTC) + timedelta(days=1)
        try:
            table = morning.attention(st, since=start, until=end, entity=entity or None, text=q, outlets=outlet)
        except QueryError as exc:
            raise HTTPException(400, exc.message) from exc
        except DragomanError as exc:
            if exc.reason == "unsupported":
                raise HTTPException(400, exc.message) from exc
            raise
        return table, first, last

    AttentionText = Annotated[str, Query(max_length=2000, description="search text (optional)")]
    AttentionEntity = Annotated[str | None, Query(max_length=300, description="entity key")]

    @app.get("/attention", response_class=HTMLResponse, include_in_schema=False)
    def attention_page(
        request: Request,
        st: StoreDep,
        q: AttentionText = "",
        entity: AttentionEntity = None,
        outlet: OutletParam = None,
        since: date | None = None,
        until: date | None = None,
    ) -> HTMLResponse:
        try:
            table, first, last = attention_of(st, q, entity, outlet, since, until)
        except HTTPException as exc:
            return page(request, "error.html", {"heading": "Bad request", "message": exc.detail}, exc.status_code)
        args = {"q": q, "entity": entity, "outlet": outlet or [], "since": first.isoformat(), "until": last.isoformat()}
        return page(
            request,
            "attention.html",
            {
                "table": table,
                "chart": stacked_chart(table),
                "args": args,
                "csv_url": "/attention.csv" + _query(**args),
                "search_url": "/search"
                + _query(q=q, entity=entity, outlet=outlet or [], since=first.isoformat(), until=last.isoformat()),
            },
        )

    @app.get(
        responses=BAD_REQUEST,
        path="/attention.csv",
        include_in_schema=False,  # not JSON: listed on /api-docs pages that link them
        summary="Matching articles per day by outlet, as CSV (day,outlet,articles)",
    )
    def attention_csv(
        st: StoreDep,
        q: AttentionText = "",
        entity: AttentionEntity = None,
        outlet: OutletParam = None,
        since: date | None = None,
        until: date | None = None,
    ) -> Response:
        table, _, _ = attention_of(st, q, entity, outlet, since, until)
        return Response(
            table.to_csv(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="dragoman-attention.csv"'},
        )

    # -- the brief and the alerts -------------------------------------------------------------------------

    def make_brief(st: Any, params: BriefParams) -> Any:
        open_index(st).sync_quietly()
        try:
            return morning.brief(st, window=params.span(), now=params.now(), watchlist=params.watchlist or None)
        except ConfigError as exc:
            raise HTTPException(400, exc.message) from exc

    @app.get("/brief", response_class=HTMLResponse, include_in_schema=False)
    def brief_page(request: Request, st: StoreDep, params: BriefDep) -> HTMLResponse:
        try:
            made = make_brief(st, params)
        except HTTPException as exc:
            return page(request, "error.html", {"heading": "Bad request", "message": exc.detail}, exc.status_code)
        watchlist = params.watchlist
        args = {"window": params.window, "watchlist": watchlist, "at": params.at_text()}
        return page(
            request,
            "brief.html",
            {
                "brief": made,
                "times": morning.times,
                "base": "",
                "md_url": "/brief.md" + _query(**args),
                "feed_url": "/feeds/alerts.atom" + _query(watchlist=watchlist),
            },
        )

    @app.get(
        responses=BAD_REQUEST,
        path="/brief.md",
        include_in_schema=False,  # not JSON: listed on /api-docs pages that link them
        summary="The daily brief as Markdown",
    )
    def brief_md(request: Request, st: StoreDep, params: BriefDep) -> Response:
        made = make_brief(st, params)
        return Response(
            brief_markdown(made.to_dict(), base_url=base(request)), media_type="text/markdown; charset=utf-8"
        )

    @app.get("/alerts", response_class=HTMLResponse, include_in_schema=False)
    def alerts_page(request: Request, st: StoreDep, watchlist: WatchlistParam = None) -> HTMLResponse:
        try:
            watches = morning.select_watches(st, watchlist or None)
        except ConfigError as exc:
            return page(request, "error.html", {"heading": "Bad request", "message": exc.message}, 400)
        open_index(st).sync_quietly()
        ids = [w.id for w in watches] if watchlist else None
        hits = st.front.watch_hits(watch_ids=ids, since=None, until=None, limit=FEED_ENTRIES)
        return page(
            request,
            "alerts.html",
            {
                "hits": hits,
                "watches": watches,
                "watchlist": watchlist,
                "feed_url": "/feeds/alerts.atom" + _query(watchlist=watchlist),
            },
        )

    # -- Atom feeds ---------------------------------------------------------------------------------------

    @app.get(
        responses=BAD_REQUEST,
        path="/feeds/top.atom",
        include_in_schema=False,  # not JSON: listed on /api-docs pages that link them
        summary="Atom feed of the top stories (RFC 4287), with ETag",
    )
    def feed_top(
        request: Request,
        st: StoreDep,
        filters: StoryFiltersDep,
        if_none_match: Annotated[str | None, Header()] = None,
    ) -> Response:
        open_index(st).sync_quietly()
        stories = morning.top_stories(
            st, window=filters.span(), now=filters.now(), outlets=filters.outlet, rubric=filters.rubric
        )
        entries = []
        for s in stories.stories:
            first = s.first_article
            outlets = ", ".join(f"{o} ({n})" for o, n in s.outlets)
            summary = (s.lead_en + "\n\n" if s.lead_en else "") + f"Carried by {len(s.outlets)} outlets: {outlets}."
            entries.append(
                AtomEntry(
                    id=entry_id("story", first.get("key_url") or first.get("url") or str(s.key)),
                    title=s.headline,
                    title_lang=s.headline_lang,
                    updated=s.last_seen,
                    published=s.first_seen,
                    link=safe_url(first.get("url")) or f"{base(request)}{s.path}",
                    reader_link=f"{base(request)}{s.path}",
                    summary=summary,
                    author=s.outlets[0][0] if s.outlets else None,
                )
            )
        query = _query(window=filters.window, outlet=filters.outlet or [], rubric=filters.rubric)
        feed = AtomFeed(
            id=entry_id("feed", "top", query),
            title=f"dragoman: top stories ({morning.window_label(stories.window)})",
            self_url=str(request.url),
            alternate_url=f"{base(request)}/{query}",
            entries=entries,
            generator_version=__version__,
        )
        return feed_response(request, feed, if_none_match)

    @app.get(
        responses=BAD_REQUEST,
        path="/feeds/search.atom",
        include_in_schema=False,  # not JSON: listed on /api-docs pages that link them
        summary="Atom feed of a search with its filters (newest first), with ETag",
    )
    def feed_search(
        request: Request,
        st: StoreDep,
        params: Annotated[SearchParams, Depends()],  # type: ignore[valid-type]
        if_none_match: Annotated[str | None, Header()] = None,
    ) -> Response:
        query = params.to_query()
        query.sort, query.limit, query.offset = "newest", FEED_ENTRIES, 0
        try:
            results = open_index(st).search(query)
        except QueryError as exc:
            raise HTTPException(400, exc.message) from exc
        rows = st.front.articles_by_id([h.article_id for h in results.hits])
        entries = [article_entry(request, rows[h.article_id]) for h in results.hits if h.article_id in rows]
        search_url = params.url(page=1, sort="newest")
        feed = AtomFeed(
            id=entry_id("feed", "search", search_url),
            title=f"dragoman: {params.q or 'all articles'}",
            self_url=str(request.url),
            alternate_url=base(request) + search_url,
            entries=entries,
            generator_version=__version__,
        )
        return feed_response(request, feed, if_none_match)

    @app.get(
        responses={404: {"description": "no such watchlist"}},
        path="/feeds/alerts.atom",
        include_in_schema=False,  # not JSON: listed on /api-docs pages that link them
        summary="Atom feed of a watchlist's alerts (every watch by default), with ETag",
    )
    def feed_alerts(
        request: Request,
        st: StoreDep,
        watchlist: WatchlistParam = None,
        if_none_match: Annotated[str | None, Header()] = None,
    ) -> Response:
        try:
            watches = morning.select_watches(st, watchlist or None)
        except ConfigError as exc:
            raise HTTPException(404, exc.message) from exc
        open_index(st).sync_quietly()
        ids = [w.id for w in watches] if watchlist else None
        hits = st.front.watch_hits(watch_ids=ids, since=None, until=None, limit=FEED_ENTRIES)
        entries = []
        for hit in hits:
            entry = article_entry(request, hit)
            entry.id = entry_id("alert", hit["watch_kind"], hit["watch_value"], hit.get("key_url") or hit["url"])
            entry.categories = [hit.get("watch_label") or hit["watch_value"]]
            entries.append(entry)
        feed = AtomFeed(
            id=entry_id("feed", "alerts", (watchlist or "").casefold()),
            title=f"dragoman alerts: {watchlist or 'every watch'}",
            self_url=str(request.url),
            alternate_url=f"{base(request)}/alerts" + _query(watchlist=watchlist),
            entries=entries,
            generator_version=__version__,
        )
        return feed_response(request, feed, if_none_match)


def render_brief_html(made: Any, *, base_url: str) -> str:
    """The brief as one self-contained HTML file (its print stylesheet for A4 inside), for ``dragoman brief
    --format html``: the same body as the /brief page, links made absolute with ``base_url``."""
    from pathlib import Path as FilePath

    from jinja2 import Environment, FileSystemLoader, select_autoescape

    from dragoman.serve.app import clip, safe_url, without_bidi_controls

    here = FilePath(__file__).parent
    env = Environment(loader=FileSystemLoader(str(here / "templates")), autoescape=select_autoescape(["html"]))
    env.filters.update(safe_url=safe_url, clip=clip, without_bidi_controls=without_bidi_controls)
    print_css = (here / "static" / "print.css").read_text(encoding="utf-8").replace("</", "<\\/")
    # print.css is for paper only: wrapped so the file looks like the page on screen and like the A4 sheet in print
    return env.get_template("brief_document.html").render(
        brief=made, times=morning.times, base=base_url, md_url="", print_css=f"@media print {{\n{print_css}\n}}"
    )
