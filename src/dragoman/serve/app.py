"""The web reader and its JSON API: server-rendered pages (Jinja), a little external JavaScript, no build.

Every page has a JSON twin under /api (documented at /openapi.json and listed at /api-docs). Scraped text
is untrusted: templates autoescape, links are kept only for http(s) URLs, and every response carries a
strict Content-Security-Policy (no inline scripts or styles anywhere, so the policy can forbid them).
Endpoints that change data need the token (``--token`` / ``DRAGOMAN_TOKEN``); without one they are off.
``serve`` checks the Host header against an allow-list (a DNS-rebinding page cannot read a loopback server)
and, with a read token, asks every request for it (see README, "Web reader").
"""

from __future__ import annotations

import copy
import hmac
import ipaddress
import math
import threading
import time as time_module
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time
from pathlib import Path as FilePath
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import Depends, FastAPI, Header, HTTPException, Path, Query, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, BeforeValidator, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware

from dragoman import __version__
from dragoman.acquire.revisions import diff_revisions
from dragoman.errors import DragomanError
from dragoman.formats.document import counted, date_range_problem, format_local_time
from dragoman.formats.export import EXPORT_FORMATS, NOTHING_TO_PAIR, PAIRED_FORMATS, iter_export
from dragoman.names.outlets import english_rubric
from dragoman.search import open_index
from dragoman.search.index import COUNT_CAP
from dragoman.search.query import QueryError, SearchQuery, SearchResults
from dragoman.serve import queries
from dragoman.serve.front import register_front
from dragoman.serve.reader import reader_view
from dragoman.store.analyses import AnalysisReadModel
from dragoman.store.base import ArticleFilter, StoredArticle
from dragoman.store.stories import StoryLink, link_story_copy, story_of

HERE = FilePath(__file__).parent
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self';"
    " form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
PAGE_SIZE = 20
API_SEARCH_MAX_LIMIT = 200  # the search returns at most this many hits at a time
EXPORT_SEARCH_BATCH = 200  # hits per search when an export collects a search's results (the search's page cap)
LIST_TITLE_CHARS = 300


class StorePool:
    """One store (SQLite connection) per worker thread: sqlite3 connections are not shared across threads."""

    def __init__(self, db: str | FilePath) -> None:
        self.db = str(db)
        self._local = threading.local()
        self._all: list[Any] = []
        self._lock = threading.Lock()

    def get(self) -> Any:
        store = getattr(self._local, "store", None)
        if store is None:
            from dragoman.store import open_store

            store = open_store(self.db)
            self._local.store = store
            with self._lock:
                self._all.append(store)
        return store

    def open_new(self) -> Any:
        from dragoman.store import open_store

        return open_store(self.db)

    def close(self) -> None:
        with self._lock:
            for store in self._all:
                try:
                    store.close()
                except Exception:  # closing at shutdown: nothing left to do on failure
                    continue
            self._all.clear()


def _request_store(request: Request) -> Any:
    """The calling thread's store (FastAPI runs sync endpoints in a thread pool)."""
    return request.app.state.pool.get()


StoreDep = Annotated[Any, Depends(_request_store)]
# The reader lists this many other copies of an article's story; the API pages through the rest.
STORY_MEMBERS_SHOWN = 20
ArticleId = Annotated[int, Path(ge=1, le=2**62, description="article id")]  # SQLite integers are 64-bit
RevisionNo = Annotated[int, Query(ge=1, le=1_000_000)]
# Page numbers are bounded so that (page - 1) * size stays a small SQLite integer (issue 13, item 6).
MAX_PAGE = 500
PageNo = Annotated[int, Query(alias="page", ge=1, le=MAX_PAGE, description="page number")]
# A request that breaks one of these declared bounds (a number out of range, a string too long) gets 400 with
# the bound in the message; other malformed values keep FastAPI's 422.
OUT_OF_RANGE_ERRORS = frozenset(
    {"less_than", "less_than_equal", "greater_than", "greater_than_equal", "string_too_long", "too_long"}
)


# Corpus counts, the outlets page and the entity list aggregate the whole corpus (a second at 1M articles);
# they change slowly, so each process recomputes them at most this often.
OVERVIEW_TTL_SECONDS = 30.0
# The entity list is cached per search text, which a client chooses: the cache keeps the most recently used
# keys only, so distinct queries cannot grow the process without bound (issue 13, item 11).
OVERVIEW_CACHE_ENTRIES = 128


class TTLCache:
    """Values recomputed at most every ``ttl`` seconds, the ``max_entries`` most recently used kept
    (shared by the worker threads)."""

    def __init__(self, ttl: float, max_entries: int = OVERVIEW_CACHE_ENTRIES) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._values: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._values)

    def get(self, key: str, compute: Callable[[], Any]) -> Any:
        now = time_module.monotonic()
        with self._lock:
            hit = self._values.get(key)
            if hit is not None:
                self._values.move_to_end(key)
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        value = compute()
        with self._lock:
            self._values[key] = (now, value)
            self._values.move_to_end(key)
            while len(self._values) > self.max_entries:
                self._values.popitem(last=False)
        return value


# -- API response models (what OpenAPI documents) -----------------------------------------------------


class FragmentModel(BaseModel):
    text: str
    hit: bool


class SnippetModel(BaseModel):
    lang: str
    fragments: list[FragmentModel]


class HitModel(BaseModel):
    article_id: int
    title: str
    title_en: str | None
    outlet: str | None
    rubric: str | None
    rubric_en: str | None = Field(None, description="the rubric's English name from the outlet table")
    published_at: str | None = Field(description="publication time in the outlet's zone, with its offset")
    published_utc: str | None = Field(None, description="the same instant in UTC")
    unnamed_sources: int
    qa_flags: int
    snippets: list[SnippetModel]
    score: float | None


class ExpansionModel(BaseModel):
    term: str
    forms: list[str]


class SearchModel(BaseModel):
    query: str
    total: int
    total_is_capped: bool
    page: int
    page_size: int
    outlet_counts: dict[str, int]
    outlet_counts_sampled: bool
    hits: list[HitModel]
    elapsed_ms: float
    expanded: list[ExpansionModel] = Field(
        default_factory=list, description="names in the query also searched in the other language"
    )
    entity_keys: list[str] = Field(default_factory=list, description="the entity filter's names as entity keys")


class StatsModel(BaseModel):
    articles: int
    indexed: int
    translated: int
    analyses: int
    queued: int
    version: str


class LeftOutModel(BaseModel):
    article_id: int
    reason: str
    message: str


class ReindexModel(BaseModel):
    indexed: int
    left_out: list[LeftOutModel] | None = None  # only when some article could not be indexed


# -- helpers ------------------------------------------------------------------------------------------


def safe_url(value: Any) -> str | None:
    """The URL if it is http(s), else None: scraped links must not become javascript: or data: links."""
    if not isinstance(value, str):
        return None
    try:
        scheme = urlsplit(value.strip()).scheme.lower()
    except ValueError:
        return None
    return value.strip() if scheme in ("http", "https") else None


def local_stamp(value: Any) -> str:
    """A stored local publication time (ISO with offset) as the reader shows it: "2022-01-26 00:01 UTC+03:00"."""
    if not isinstance(value, str) or len(value) < 16:
        return "" if value is None else str(value)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value[:16].replace("T", " ")
    offset = moment.strftime("%z")
    zone = "UTC" if offset in ("", "+0000") else f"UTC{offset[:3]}:{offset[3:]}"
    return f"{moment:%Y-%m-%d %H:%M} {zone}"


QUOTE_MARKS = frozenset("\"'«»„“”‘’‚‹›")


def has_quote_marks(value: Any) -> bool:
    """True when a text carries quotation marks of its own (it is shown as written, not inside <q>)."""
    return any(ch in QUOTE_MARKS for ch in str(value or ""))


def clip(value: Any, limit: int = LIST_TITLE_CHARS) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


_BIDI_CONTROLS = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def without_bidi_controls(value: Any) -> str:
    """Text for a place that cannot isolate it (the browser tab's <title>): direction overrides removed."""
    return ("" if value is None else str(value)).translate(_BIDI_CONTROLS)


# The search form sends empty fields (since=&until=): an empty value means no limit.
EmptyIsNone = BeforeValidator(lambda value: None if value == "" else value)


def _day_start(value: date | None) -> datetime | None:
    return datetime.combine(value, time.min, tzinfo=UTC) if value else None


def _day_after(value: date | None) -> datetime | None:
    """The end (exclusive) of the day ``value``; the last representable day ends at datetime.max."""
    if value is None:
        return None
    if value == date.max:  # 9999-12-31 has no next day (issue 13, item 6): it means "no upper limit"
        return datetime.max.replace(tzinfo=UTC)
    return datetime.combine(date.fromordinal(value.toordinal() + 1), time.min, tzinfo=UTC)


def _parameter_problem(error: dict[str, Any]) -> str:
    """One rejected parameter in words: a date that is no date says which format to use."""
    name = error["loc"][-1] if error.get("loc") else "parameter"
    if "date" in str(error.get("type", "")):
        return f"bad parameter {name}: {str(error.get('input'))[:40]!r} is not a date (use YYYY-MM-DD)"
    return f"bad parameter {name}: {error.get('msg', 'not accepted')}"


# Values the API docs page uses to write an example call for each path (issue 14, item 6).
API_EXAMPLE_VALUES = {
    "q": "NATO",
    "article_id": "1",
    "revision": "1",
    "key": "PER:Sergei Lavrov",
    "speaker": "Stoltenberg",
    "actor": "Russia",
    "target": "NATO",
    "format": "jsonl",
    "limit": "5",
}


def _parameter_doc(param: dict[str, Any]) -> dict[str, Any]:
    """One parameter of an operation as the API docs page lists it: name, where, type, default, meaning."""
    schema = param.get("schema", {})
    variants = [s for s in schema.get("anyOf", [schema]) if s.get("type") not in (None, "null")]
    first = variants[0] if variants else {"type": "string"}
    kind = str(first.get("type", "string"))
    if kind == "array":
        kind = f"list of {first.get('items', {}).get('type', 'string')}"
    schema = {**first, **{k: v for k, v in schema.items() if k != "anyOf"}}
    bounds = [
        f"{word} {schema[key]}"
        for key, word in (("minimum", "min"), ("maximum", "max"), ("maxLength", "max length"))
        if key in schema
    ]
    return {
        "name": param["name"],
        "in": param.get("in", "query"),
        "required": bool(param.get("required")),
        "type": kind,
        "default": schema.get("default"),
        "bounds": ", ".join(bounds),
        "description": param.get("description") or schema.get("description") or "",
    }


def _example_call(method: str, path: str, params: list[dict[str, Any]]) -> str:
    """A call that works on a corpus with the README's example: path parameters filled, the first query
    parameters that have an example value added."""
    url = path
    query: list[tuple[str, str]] = []
    for param in params:
        value = API_EXAMPLE_VALUES.get(param["name"])
        if param.get("in") == "path":
            url = url.replace("{" + param["name"] + "}", value or "1").replace(
                "{" + param["name"] + ":path}", value or "1"
            )
        elif value is not None:
            query.append((param["name"], value))
    order = list(API_EXAMPLE_VALUES)
    query = sorted(query, key=lambda pair: order.index(pair[0]))[:2]
    prefix = "curl -X POST -H 'Authorization: Bearer TOKEN' " if method.lower() == "post" else "curl "
    return prefix + "'http://127.0.0.1:8080" + url + ("?" + urlencode(query) if query else "") + "'"


def _hit_dict(hit: Any) -> dict[str, Any]:
    return {
        "article_id": hit.article_id,
        "title": hit.title,
        "title_en": hit.title_en,
        "outlet": hit.outlet,
        "rubric": hit.rubric,
        "rubric_en": hit.rubric_en,
        "published_at": hit.published_at,
        "published_utc": hit.published_utc,
        "unnamed_sources": hit.unnamed_sources,
        "qa_flags": hit.qa_flags,
        "score": hit.score,
        "snippets": [
            {"lang": s.lang, "fragments": [{"text": f.text, "hit": f.hit} for f in s.fragments]} for s in hit.snippets
        ],
    }


def original_filename(kept: Any) -> str:
    """A download name that says what it is: article, revision, the start of its SHA-256."""
    content_type = (kept.original.content_type or "text/html").lower()
    suffix = "html" if "html" in content_type else "bin"
    return f"dragoman-{kept.article_id}-r{kept.revision}-{kept.sha256[:12]}.{suffix}"


def article_payload(
    stored: StoredArticle, revisions: list[StoredArticle], story: StoryLink | None = None
) -> dict[str, Any]:
    from dragoman.analyze.sentences import article_sentences
    from dragoman.formats.export import stored_to_record

    record = stored_to_record(stored, story)
    record["sentences"] = [
        {"index": s.index, "role": s.role, "block": s.block, "ru": s.text, "en": s.en, "flags": s.flags}
        for s in article_sentences(stored.article)
    ]
    record["revisions"] = [
        {
            "revision": r.revision,
            "stored_at": r.stored_at,
            "content_sha256": r.article.content_sha256,
            "origin": r.origin,  # reextract: the stored page read again by a newer extractor, not an edit
        }
        for r in revisions
    ]
    return record


class SearchParams:
    """The search form's fields, shared by the page and /api/search."""

    def __init__(
        self,
        q: Annotated[str, Query(max_length=2000, description='query: words, "phrases", AND/OR/NOT, -word, pre*')] = "",
        outlet: Annotated[list[str] | None, Query(description="outlet key, e.g. iz.ru (repeatable)")] = None,
        rubric: Annotated[str | None, Query(max_length=200)] = None,
        since: Annotated[date | None, EmptyIsNone, Query(description="published on or after (YYYY-MM-DD)")] = None,
        until: Annotated[date | None, EmptyIsNone, Query(description="published on or before (YYYY-MM-DD)")] = None,
        entity: Annotated[
            list[str] | None, Query(description="entity name or key: Lavrov, Sergei Lavrov, Q7747 (repeatable)")
        ] = None,
        unnamed: Annotated[bool, Query(description="only articles citing unnamed sources")] = False,
        qa: Annotated[bool, Query(description="only articles with QA-flagged sentences")] = False,
        sort: Annotated[str, Query(pattern="^(newest|relevance)$")] = "newest",
        page: PageNo = 1,
    ) -> None:
        self.q, self.outlet, self.rubric = q, outlet or [], rubric
        self.since, self.until = since, until
        self.entity, self.unnamed, self.qa, self.sort, self.page = entity or [], unnamed, qa, sort, page

    def to_query(self) -> SearchQuery:
        return SearchQuery(
            text=self.q,
            outlets=[o for o in self.outlet if o],
            rubric=self.rubric or None,
            since=_day_start(self.since),
            until=_day_after(self.until),
            entities=[e for e in self.entity if e],
            unnamed_sources=self.unnamed,
            qa_flagged=self.qa,
            sort=self.sort,
            limit=PAGE_SIZE,
            offset=(self.page - 1) * PAGE_SIZE,
        )

    def narrows_beyond_dates(self) -> bool:
        """True when the search selects more finely than outlet and dates (a query, rubric, entity, flag)."""
        return bool(self.q.strip() or self.rubric or [e for e in self.entity if e] or self.unnamed or self.qa)

    def export_url(self, fmt: str) -> str:
        """The export of exactly these results: every filter of the page kept, the page number left out."""
        query = self.url(page=1).partition("?")[2]
        return "/export?" + urlencode([("format", fmt), *parse_qsl(query)])

    def url(self, **changes: Any) -> str:
        values: dict[str, Any] = {
            "q": self.q,
            "outlet": self.outlet,
            "rubric": self.rubric,
            "since": self.since,
            "until": self.until,
            "entity": self.entity,
            "unnamed": self.unnamed or None,
            "qa": self.qa or None,
            "sort": self.sort,
            "page": self.page,
        }
        values.update(changes)
        pairs: list[tuple[str, Any]] = []
        for key, value in values.items():
            if (
                value in (None, "", [], False)
                or (key == "sort" and value == "newest")
                or (key == "page" and value == 1)
            ):
                continue
            if isinstance(value, list):
                pairs.extend((key, v) for v in value)
            else:
                pairs.append((key, "1" if value is True else str(value)))
        return "/search?" + urlencode(pairs) if pairs else "/search"


# -- the application ----------------------------------------------------------------------------------


def create_app(
    db: str | FilePath,
    *,
    token: str | None = None,
    read_token: str | None = None,
    allowed_hosts: Iterable[str] | None = None,
) -> FastAPI:
    """The web app over the database at ``db``; ``token`` enables the endpoints that change data.

    ``read_token``: every request but /static needs it (or ``token``), see ``read_token_gate``.
    ``allowed_hosts``: the Host header values answered (others get 400); None checks none, for in-process
    use: ``serve`` always passes the list from ``allowed_hosts_for``.
    """
    pool = StorePool(db)
    pool.open_new().close()  # migrations run and a bad path fails at start, not on the first request

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        pool.close()

    app = FastAPI(
        lifespan=lifespan,
        title="dragoman",
        version=__version__,
        description="Search and read Russian news with its English translation, entities, quotes and events.",
        docs_url=None,
        redoc_url=None,
    )
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters["safe_url"] = safe_url
    templates.env.filters["clip"] = clip
    templates.env.filters["local_stamp"] = local_stamp
    templates.env.filters["counted"] = counted
    templates.env.filters["has_quote_marks"] = has_quote_marks
    templates.env.filters["without_bidi_controls"] = without_bidi_controls
    templates.env.globals["version"] = __version__
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.state.pool = pool
    cache = TTLCache(OVERVIEW_TTL_SECONDS)
    app.state.cache = cache

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[..., Any]) -> Response:
        response: Response = await call_next(request)
        # A route may set a stricter policy of its own (the original-page download sets a sandbox).
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        return response

    def require_token(authorization: Annotated[str | None, Header()] = None) -> None:
        if not token:
            raise HTTPException(403, "changing data over the web is off: start the server with DRAGOMAN_TOKEN set")
        given = (authorization or "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise HTTPException(401, "a valid token is required (Authorization: Bearer <token>)")

    def page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
        return templates.TemplateResponse(request, name, context, status_code=status_code)

    def is_api(request: Request) -> bool:
        return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"

    # Credentials a read needs when a read token is set; the write token reads too (POST /api/reindex).
    read_secrets = [secret.encode() for secret in (read_token, token) if secret] if read_token else []

    def is_read_secret(given: str | None) -> bool:
        if not given:
            return False
        # every secret is compared, each in constant time: the answer time says nothing about the token
        matches = [hmac.compare_digest(given.encode("utf-8", "replace"), secret) for secret in read_secrets]
        return any(matches)

    @app.middleware("http")
    async def read_token_gate(request: Request, call_next: Callable[..., Any]) -> Response:
        """With a read token, a request needs it: scripts send ``Authorization: Bearer <token>``; a browser
        opens ``/?token=<token>`` once, which sets an HttpOnly cookie and redirects to the address without it."""
        if not read_secrets or request.url.path.startswith("/static/"):
            return await call_next(request)
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if is_read_secret(bearer) or is_read_secret(request.cookies.get(READ_COOKIE)):
            return await call_next(request)
        offered = request.query_params.get("token")
        if request.method == "GET" and is_read_secret(offered):
            kept = [(k, v) for k, v in parse_qsl(request.url.query, keep_blank_values=True) if k != "token"]
            # "/" + the path without its leading slashes: "//host/..." would be a redirect to another site
            target = "/" + request.url.path.lstrip("/") + ("?" + urlencode(kept) if kept else "")
            response = RedirectResponse(target, status_code=303)
            response.set_cookie(READ_COOKIE, str(offered), httponly=True, samesite="strict", path="/")
            return response
        message = "this server needs its read token: Authorization: Bearer <token>, or open /?token=<token> once"
        if is_api(request):
            return JSONResponse({"detail": message}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
        return page(request, "error.html", {"heading": "Token needed", "message": message}, 401)

    @app.exception_handler(RequestValidationError)
    async def parameter_out_of_range(request: Request, exc: RequestValidationError) -> Response:
        """A bound broken (page too high, query too long) is a bad request, 400, with the bound in the message."""
        errors = exc.errors()
        out_of_range = bool(errors) and all(e.get("type") in OUT_OF_RANGE_ERRORS for e in errors)
        if is_api(request) and not out_of_range:
            return await request_validation_exception_handler(request, exc)
        # A browser gets the site's page with what to correct, never a JSON body (issue 14, item 5).
        message = "; ".join(_parameter_problem(e) for e in errors) or "bad parameters"
        if is_api(request):
            return JSONResponse({"detail": message}, status_code=400)
        return page(request, "error.html", {"heading": "Bad request", "message": message}, 400)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        """JSON for the API; for a browser route (an unknown path, an unknown export format) an error page
        in the site's layout, with a way back."""
        if is_api(request) or exc.status_code < 400:
            return await http_exception_handler(request, exc)
        heading = {404: "Not found", 400: "Bad request", 401: "Token needed", 403: "Not allowed"}.get(
            exc.status_code, "This page cannot be shown"
        )
        message = (
            exc.detail
            if exc.status_code != 404 or exc.detail != "Not Found"
            else (f"there is no page at {request.url.path}")
        )
        return page(request, "error.html", {"heading": heading, "message": message}, exc.status_code)

    def run_search(st: Any, params: SearchParams, *, limit: int = PAGE_SIZE) -> SearchResults:
        query = params.to_query()
        query.limit, query.offset = limit, (params.page - 1) * limit
        try:
            return open_index(st).search(query)
        except QueryError as exc:
            raise HTTPException(400, exc.message) from exc

    # pages

    @app.get("/search", response_class=HTMLResponse, include_in_schema=False)
    def search_page(request: Request, st: StoreDep, params: Annotated[SearchParams, Depends()]) -> HTMLResponse:
        error = None
        results = None
        try:
            results = open_index(st).search(params.to_query())
        except QueryError as exc:
            error = exc.message
        pages = math.ceil(results.total / PAGE_SIZE) if results else 0
        return page(
            request,
            "search.html",
            {
                "params": params,
                "results": results,
                "error": error,
                "pages": pages,
                # From after To: say why nothing is found (issue 14, item 6)
                "date_problem": date_range_problem(params.since, params.until, ("From", "To")),
                "outlets": cache.get("outlets", lambda: open_index(st).outlets()),
                "stats": cache.get("overview", lambda: AnalysisReadModel(st).overview()),
            },
            400 if error else 200,  # the form, with the message, so the query can be corrected
        )

    # -- issue 15: top stories (the home page), stories, surging, attention, brief, feeds: serve/front.py --
    register_front(
        app,
        page=page,
        cache=cache,
        store_dep=_request_store,
        search_params=SearchParams,
        search_page=search_page,
        safe_url=safe_url,
    )

    @app.get("/articles/{article_id}", response_class=HTMLResponse, include_in_schema=False)
    def article_page(
        request: Request, st: StoreDep, article_id: ArticleId, revision: RevisionNo | None = None
    ) -> HTMLResponse:
        stored = st.get(article_id)
        if stored is None:
            return page(request, "error.html", {"message": f"no article {article_id}"}, 404)
        revisions = st.revisions(stored.id)
        shown = stored
        if revision is not None and revision != stored.revision:
            match = [r for r in revisions if r.revision == revision]
            if not match:
                return page(request, "error.html", {"message": f"article {article_id} has no revision {revision}"}, 404)
            shown = match[0]
            st.with_results(shown)
        # A copy of a story translated through another member: the same text borrows that translation,
        # a rewrite links to it (the current revision only; older ones are shown as stored).
        story = link_story_copy(st, shown) if shown is stored else None
        members = story_of(st, stored.id, limit=STORY_MEMBERS_SHOWN + 1)
        article = shown.article
        return page(
            request,
            "article.html",
            {
                "stored": stored,
                "shown": shown,
                "story": story,
                "members": members,
                "article": article,
                "view": reader_view(article),
                "revisions": revisions,
                "has_original": st.has_original(stored.id, shown.revision),
                "local_time": format_local_time(article),
                "rubric_en": english_rubric(article),
            },
        )

    @app.get("/articles/{article_id}/original", include_in_schema=False)
    def original_download(
        request: Request, st: StoreDep, article_id: ArticleId, revision: RevisionNo | None = None
    ) -> Response:
        """The page as fetched, byte for byte, as a download: never rendered in the app's origin, where its
        scripts would run with the reader's rights."""
        stored = st.get(article_id)
        if stored is None:
            return page(request, "error.html", {"message": f"no article {article_id}"}, 404)
        if revision is not None and revision not in {r.revision for r in st.revisions(stored.id)}:
            return page(request, "error.html", {"message": f"article {article_id} has no revision {revision}"}, 404)
        try:
            kept = st.original(stored.id, revision)
        except DragomanError as exc:
            return page(request, "error.html", {"message": exc.message}, 500)
        number = revision if revision is not None else stored.revision
        if kept is None:
            message = f"no original page is stored for article {article_id} revision {number}"
            return page(request, "error.html", {"message": message}, 404)
        return Response(
            content=kept.original.body,
            media_type="application/octet-stream",
            headers={
                "Content-Disposition": f'attachment; filename="{original_filename(kept)}"',
                "X-Content-Type-Options": "nosniff",
                # Should a browser render it anyway: no scripts, no plugins, no same-origin rights.
                "Content-Security-Policy": "sandbox; default-src 'none'",
                "X-Original-SHA256": kept.sha256,
                "Cache-Control": "private, no-transform",
            },
        )

    @app.get("/articles/{article_id}/diff", response_class=HTMLResponse, include_in_schema=False)
    def diff_page(
        request: Request,
        st: StoreDep,
        article_id: ArticleId,
        old: RevisionNo | None = None,
        new: RevisionNo | None = None,
    ) -> HTMLResponse:
        try:
            diff = diff_revisions(st, article_id, old, new)
        except DragomanError as exc:
            return page(request, "error.html", {"message": exc.message}, 404)
        stored = st.get(article_id)
        return page(request, "diff.html", {"diff": diff, "stored": stored, "revisions": st.revisions(article_id)})

    @app.get("/entities", response_class=HTMLResponse, include_in_schema=False)
    def entities_page(
        request: Request,
        st: StoreDep,
        q: Annotated[str | None, Query(max_length=200)] = None,
        type: Annotated[str | None, Query(max_length=40)] = None,
    ) -> HTMLResponse:
        open_index(st).sync_quietly()
        return page(
            request,
            "entities.html",
            {
                "entities": cache.get(
                    f"entities:{q}:{type}", lambda: AnalysisReadModel(st).entities(name=q, type_=type)
                ),
                "q": q or "",
                "type": type or "",
            },
        )

    @app.get("/entities/{key:path}", response_class=HTMLResponse, include_in_schema=False)
    def entity_page(request: Request, st: StoreDep, key: str) -> HTMLResponse:
        open_index(st).sync_quietly()
        detail = queries.entity_detail(AnalysisReadModel(st), key)
        if detail is None:
            return page(request, "error.html", {"message": f"no entity {key!r} in the analyzed articles"}, 404)
        chart = queries.bar_chart(detail["mentions_over_time"]["points"])
        return page(
            request, "entity.html", {"e": detail, "chart": chart, "tchart": queries.timeline_chart(detail["events"])}
        )

    @app.get("/quotes", response_class=HTMLResponse, include_in_schema=False)
    def quotes_page(
        request: Request,
        st: StoreDep,
        speaker: str | None = None,
        outlet: str | None = None,
        unnamed: Annotated[bool | None, EmptyIsNone] = None,  # the form's "named and unnamed" sends unnamed=
        page_no: PageNo = 1,
    ) -> HTMLResponse:
        open_index(st).sync_quietly()
        model = AnalysisReadModel(st)
        rows = model.quotes(speaker=speaker, outlet=outlet, unnamed=unnamed, limit=50, offset=(page_no - 1) * 50)
        return page(
            request,
            "quotes.html",
            {
                "quotes": rows,
                "quote_count": model.quote_count() if not rows else 0,
                "speaker": speaker or "",
                "outlet": outlet or "",
                "unnamed": unnamed,
                "page": page_no,
                "outlets": cache.get("outlets", lambda: open_index(st).outlets()),
            },
        )

    @app.get("/timeline", response_class=HTMLResponse, include_in_schema=False)
    def timeline_page(
        request: Request,
        st: StoreDep,
        actor: str | None = None,
        target: str | None = None,
        entity: str | None = None,
        one_way: bool = False,
        since: Annotated[str | None, Query(max_length=40)] = None,
    ) -> HTMLResponse:
        open_index(st).sync_quietly()
        events = AnalysisReadModel(st).timeline(actor=actor, target=target, entity=entity, one_way=one_way, since=since)
        return page(
            request,
            "timeline.html",
            {
                "events": events,
                "chart": queries.timeline_chart(events),
                "actor": actor or "",
                "target": target or "",
                "entity": entity or "",
            },
        )

    @app.get("/outlets", response_class=HTMLResponse, include_in_schema=False)
    def outlets_page(request: Request, st: StoreDep) -> HTMLResponse:
        open_index(st).sync_quietly()
        rows = copy.deepcopy(cache.get("outlets-page", lambda: AnalysisReadModel(st).outlets()))
        for row in rows:
            row["chart"] = queries.bar_chart(
                [{"label": d["day"], "value": d["articles"]} for d in row["per_day"]], width=420, height=80
            )
        return page(request, "outlets.html", {"outlets": rows})

    @app.get("/api-docs", response_class=HTMLResponse, include_in_schema=False)
    def api_docs(request: Request) -> HTMLResponse:
        spec = app.openapi()
        ops = [
            {
                "method": m.upper(),
                "path": p,
                "summary": op.get("summary", ""),
                "description": op.get("description", ""),
                "parameters": [_parameter_doc(param) for param in op.get("parameters", [])],
                "example": _example_call(m, p, op.get("parameters", [])),
                "anchor": f"{m}-{p}".replace("/", "-").replace("{", "").replace("}", "").replace(":", "-"),
            }
            for p, item in spec["paths"].items()
            for m, op in item.items()
        ]
        return page(request, "api.html", {"ops": ops})

    @app.get("/export", include_in_schema=False)
    def export_page(
        st: StoreDep,
        params: Annotated[SearchParams, Depends()],
        fmt: Annotated[str, Query(alias="format")] = "jsonl",
    ) -> StreamingResponse:
        """The search page's "Export these results": the same query and filters as the page, every hit."""
        if fmt not in EXPORT_FORMATS:
            raise HTTPException(400, f"unknown format {fmt!r}; one of {', '.join(EXPORT_FORMATS)}")
        if fmt in PAIRED_FORMATS and not AnalysisReadModel(st).overview()["translated"]:
            raise HTTPException(400, NOTHING_TO_PAIR.replace("the exported articles", "the stored articles"))
        if not params.narrows_beyond_dates():
            return export_response(fmt, params.outlet, params.since, params.until)
        return export_response(fmt, ids=search_result_ids(st, params))

    def search_result_ids(st: Any, params: SearchParams) -> list[int]:
        """Every hit of the search (up to the count cap), page by page as the search pages them."""
        query = params.to_query()
        query.limit, query.offset = EXPORT_SEARCH_BATCH, 0
        ids: list[int] = []
        while len(ids) < COUNT_CAP:
            try:
                results = open_index(st).search(query)
            except QueryError as exc:
                raise HTTPException(400, exc.message) from exc
            ids.extend(hit.article_id for hit in results.hits)
            if len(results.hits) < EXPORT_SEARCH_BATCH:
                break
            query.offset += EXPORT_SEARCH_BATCH
        return ids

    # API

    @app.get("/api/stats", response_model=StatsModel, summary="Corpus counts")
    def api_stats(st: StoreDep) -> dict[str, Any]:
        open_index(st).sync_quietly()
        return {**AnalysisReadModel(st).overview(), "version": __version__}

    @app.get(
        "/api/search",
        response_model=SearchModel,
        summary="Search both languages",
        responses={400: {"description": "the query cannot be run"}},
    )
    def api_search(
        st: StoreDep,
        params: Annotated[SearchParams, Depends()],
        limit: Annotated[int, Query(ge=1, le=API_SEARCH_MAX_LIMIT, description="hits per page")] = PAGE_SIZE,
    ) -> dict[str, Any]:
        results = run_search(st, params, limit=limit)
        return {
            "query": params.q,
            "total": results.total,
            "total_is_capped": results.total_is_capped,
            "page": params.page,
            "page_size": limit,
            "outlet_counts": results.outlet_counts,
            "outlet_counts_sampled": results.outlet_counts_sampled,
            "hits": [_hit_dict(h) for h in results.hits],
            "elapsed_ms": results.elapsed_ms,
            "expanded": [{"term": e.term, "forms": list(e.forms)} for e in results.expanded],
            "entity_keys": results.entity_keys,
        }

    @app.get(
        "/api/articles/{article_id}",
        summary="One article: both languages, alignment, analysis, revisions",
        responses={404: {"description": "no such article"}},
    )
    def api_article(st: StoreDep, article_id: ArticleId) -> dict[str, Any]:
        stored = st.get(article_id)
        if stored is None:
            raise HTTPException(404, f"no article {article_id}")
        return article_payload(stored, st.revisions(stored.id), link_story_copy(st, stored))

    @app.get(
        "/api/articles/{article_id}/diff",
        summary="What changed between two revisions: title and body (default: the last two)",
        responses={404: {"description": "no such article or revision, or only one revision"}},
    )
    def api_diff(
        st: StoreDep, article_id: ArticleId, old: RevisionNo | None = None, new: RevisionNo | None = None
    ) -> dict[str, Any]:
        try:
            return diff_revisions(st, article_id, old, new).to_dict()
        except DragomanError as exc:
            raise HTTPException(404, exc.message) from exc

    @app.get(
        "/api/articles/{article_id}/story",
        summary="The story an article belongs to: its copies in other outlets",
        responses={404: {"description": "no such article, or it has no story"}},
    )
    def api_story(
        st: StoreDep, article_id: ArticleId, limit: Annotated[int, Query(ge=1, le=1000)] = 100
    ) -> dict[str, Any]:
        found = story_of(st, article_id, limit=limit)
        if found is None:
            raise HTTPException(404, f"article {article_id} has no story")
        return found

    @app.get(
        "/api/articles/{article_id}/revisions/{revision}",
        summary="One stored revision of an article",
        responses={404: {"description": "no such article or revision"}},
    )
    def api_revision(
        st: StoreDep, article_id: ArticleId, revision: Annotated[int, Path(ge=1, le=1_000_000)]
    ) -> dict[str, Any]:
        from dragoman.formats.export import stored_to_record

        match = [r for r in st.revisions(article_id) if r.revision == revision]
        if not match:
            raise HTTPException(404, f"no revision {revision} of article {article_id}")
        return stored_to_record(match[0])

    @app.get("/api/entities", summary="Entities by number of articles")
    def api_entities(
        st: StoreDep, q: str | None = None, type: str | None = None, limit: Annotated[int, Query(ge=1, le=1000)] = 100
    ) -> list[dict[str, Any]]:
        open_index(st).sync_quietly()
        return AnalysisReadModel(st).entities(name=q, type_=type, limit=limit)

    @app.get(
        "/api/entities/{key:path}",
        summary="One entity: mentions over time, quotes, events, co-occurring",
        responses={404: {"description": "no such entity"}},
    )
    def api_entity(st: StoreDep, key: str) -> dict[str, Any]:
        open_index(st).sync_quietly()
        detail = queries.entity_detail(AnalysisReadModel(st), key)
        if detail is None:
            raise HTTPException(404, f"no entity {key!r}")
        return detail

    @app.get("/api/quotes", summary="Who said what")
    def api_quotes(
        st: StoreDep,
        speaker: str | None = None,
        outlet: str | None = None,
        unnamed: bool | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    ) -> list[dict[str, Any]]:
        open_index(st).sync_quietly()
        return AnalysisReadModel(st).quotes(speaker=speaker, outlet=outlet, unnamed=unnamed, limit=limit, offset=offset)

    @app.get("/api/timeline", summary="Events in date order for an actor, a target or an entity")
    def api_timeline(
        st: StoreDep,
        actor: str | None = None,
        target: str | None = None,
        entity: str | None = None,
        one_way: bool = False,
        since: Annotated[str | None, Query(max_length=40)] = None,
    ) -> list[dict[str, Any]]:
        """With actor and target, the events between the two in both directions (only actor -> target with
        one_way); a party is an entity key, an English name or a state."""
        open_index(st).sync_quietly()
        return AnalysisReadModel(st).timeline(actor=actor, target=target, entity=entity, one_way=one_way, since=since)

    @app.get("/api/outlets", summary="Per outlet: volume per day, unnamed-source share, top entities")
    def api_outlets(st: StoreDep) -> list[dict[str, Any]]:
        open_index(st).sync_quietly()
        return cache.get("outlets-page", lambda: AnalysisReadModel(st).outlets())

    @app.get(
        "/api/export",
        summary="Stream articles as JSONL, CSV, text, Markdown, Parquet, TMX or sentence pairs",
        response_class=StreamingResponse,
    )
    def api_export(
        fmt: Annotated[str, Query(alias="format", pattern="^(" + "|".join(EXPORT_FORMATS) + ")$")] = "jsonl",
        outlet: Annotated[list[str] | None, Query()] = None,
        since: date | None = None,
        until: date | None = None,
    ) -> StreamingResponse:
        return export_response(fmt, outlet, since, until)

    @app.post(
        "/api/reindex",
        response_model=ReindexModel,
        response_model_exclude_none=True,
        summary="Rebuild the search index (needs the token)",
        dependencies=[Depends(require_token)],
        responses={401: {"description": "bad token"}, 403: {"description": "no token configured"}},
    )
    def api_reindex(st: StoreDep) -> dict[str, Any]:
        index = open_index(st)
        processed = index.reindex()
        left_out = [{"article_id": x.article_id, "reason": x.reason, "message": x.message} for x in index.left_out]
        return {"indexed": processed - len(left_out), "left_out": left_out or None}

    def export_response(
        fmt: str,
        outlet: list[str] | None = None,
        since: date | None = None,
        until: date | None = None,
        *,
        ids: list[int] | None = None,
    ) -> StreamingResponse:
        if fmt not in EXPORT_FORMATS:
            raise HTTPException(400, f"unknown format {fmt!r}; one of {', '.join(EXPORT_FORMATS)}")
        if ids is not None:
            where = ArticleFilter(ids=ids)
        else:
            where = ArticleFilter(
                outlets=[o for o in outlet or [] if o] or None, since=_day_start(since), until=_day_after(until)
            )
        media, suffix = EXPORT_FORMATS[fmt]

        def chunks() -> Iterator[bytes]:
            export_store = pool.open_new()  # its own connection: the stream is read from worker threads
            try:
                for chunk in iter_export(export_store, fmt, where):
                    yield chunk if isinstance(chunk, bytes) else chunk.encode("utf-8")
            finally:
                export_store.close()

        headers = {"Content-Disposition": f'attachment; filename="dragoman-export.{suffix}"'}
        return StreamingResponse(chunks(), media_type=media, headers=headers)

    @app.exception_handler(DragomanError)
    async def dragoman_error(request: Request, exc: DragomanError) -> Response:
        """A failure we can name (an unreadable stored record, say): its one line, as JSON or a page."""
        if is_api(request):
            return JSONResponse({"detail": str(exc)}, status_code=500)
        return page(request, "error.html", {"heading": "This page cannot be shown", "message": str(exc)}, 500)

    if allowed_hosts is not None:
        # Added last, so outermost: a request for another name is refused before anything else runs.
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts), www_redirect=False)
    return app


# -- exposure: which Host names are answered, and what to warn about at start ---------------------------

READ_COOKIE = "dragoman_read"
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
WILDCARD_BINDS = ("0.0.0.0", "::", "")


def is_loopback(host: str) -> bool:
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_pattern(host: str) -> str:
    """A host name as a Host header carries it: lower case, IPv6 literals in brackets."""
    name = host.strip().lower()
    return f"[{name}]" if ":" in name and not name.startswith("[") else name


def allowed_hosts_for(bind_host: str, extra: Iterable[str] = ()) -> list[str]:
    """The Host header values the server answers, so that a DNS-rebinding page (evil.example resolving to
    127.0.0.1) cannot read it: the bound host, the loopback names when it is a loopback address, and
    ``extra``. A wildcard bind (0.0.0.0, ::) without ``extra`` answers any name: it cannot know its names."""
    added = [host_pattern(h) for h in extra if h.strip()]
    loopback = [host_pattern(h) for h in LOOPBACK_NAMES]
    if bind_host.strip().strip("[]") in WILDCARD_BINDS:
        return list(dict.fromkeys([*loopback, *added])) if added else ["*"]
    hosts = [host_pattern(bind_host), *(loopback if is_loopback(bind_host) else []), *added]
    return list(dict.fromkeys(hosts))


def exposure_warnings(bind_host: str, port: int, *, read_token: str | None, allowed_hosts: list[str]) -> list[str]:
    """What ``serve`` says before it starts when the corpus may be readable by others."""
    warnings: list[str] = []
    if not is_loopback(bind_host):
        warning = (
            f"warning: listening on {bind_host or '*'}:{port}, not a loopback address: anyone who can reach this "
            "port can read the whole corpus and export it"
        )
        if not read_token:
            warning += "; set a read token (DRAGOMAN_READ_TOKEN or --read-token-file) so that every request needs it"
        warnings.append(warning)
    if "*" in allowed_hosts:
        warnings.append("warning: any Host header is answered; name this server's host names with --allowed-host")
    return warnings


def serve(
    db: str | FilePath,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    token: str | None = None,
    read_token: str | None = None,
    extra_hosts: Iterable[str] = (),
) -> None:
    """Run the web app with uvicorn (blocking), answering only the Host names of ``allowed_hosts_for``."""
    import uvicorn

    app = create_app(db, token=token, read_token=read_token, allowed_hosts=allowed_hosts_for(host, extra_hosts))
    uvicorn.run(app, host=host, port=port, log_level="info")
