"""The analyst's morning, as read models shared by the web pages, their JSON and the CLI: top stories, a story's
members and what each rewrite changed, what is surging, attention over time, and the daily brief.

The SQL is in dragoman.store.front, reached as ``store.front``; the ranking and the surge statistic are pure
(dragoman.analyze.story_rank, dragoman.analyze.surge). Quotes and watches are read through the analysis and alert
modules in ONE place each (``_watched_quotes``, ``_watches``), to be repointed when those move into store
repositories.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dragoman.analyze.sentences import Sentence, article_sentences
from dragoman.analyze.story_rank import OutletPresence, RankedStory, rank_stories
from dragoman.analyze.surge import BASELINE_DAYS, DEFAULT_MIN_COUNT, Surge, surges
from dragoman.errors import ConfigError
from dragoman.formats.attention import AttentionTable, attention_table
from dragoman.names.outlets import translate_rubric
from dragoman.store.analyses import ID_BITS
from dragoman.store.front import SECONDS_PER_DAY, WindowFilter, docid_at

MOSCOW = ZoneInfo("Europe/Moscow")
# The front page's window control; the CLI takes these and any "<n>h" / "<n>d" / "<n>w".
WINDOWS = {"6h": timedelta(hours=6), "24h": timedelta(hours=24), "3d": timedelta(days=3), "week": timedelta(days=7)}
DEFAULT_WINDOW = "24h"
MAX_WINDOW = timedelta(days=366)
TOP_STORIES = 30
ENTITIES_PER_TYPE = 4
LEAD_SHOWN = 320
# A near copy at or above this similarity is the same text lightly edited; below it, a rewrite.
NEAR_COPY_SIMILARITY = 0.9
SURGE_ARTICLES = 3
MEMBERS_DIFFED = 60
_DURATION = re.compile(r"^\s*(\d{1,4})\s*(h|d|w)\s*$", re.IGNORECASE)


def parse_window(text: str | None) -> timedelta:
    """``6h``, ``24h``, ``3d``, ``week`` (or any ``<n>h``, ``<n>d``, ``<n>w``) as a duration."""
    value = (text or DEFAULT_WINDOW).strip().lower()
    if value in WINDOWS:
        return WINDOWS[value]
    match = _DURATION.match(value)
    if match is None:
        raise ConfigError(f"cannot read the window {text!r}: use 6h, 24h, 3d, week, or a number with h, d or w")
    n, unit = int(match.group(1)), match.group(2)
    window = {"h": timedelta(hours=n), "d": timedelta(days=n), "w": timedelta(weeks=n)}[unit]
    if not timedelta(0) < window <= MAX_WINDOW:
        raise ConfigError(f"the window {text!r} must be more than 0 and at most {MAX_WINDOW.days} days")
    return window


def window_label(window: timedelta) -> str:
    for label, value in WINDOWS.items():
        if value == window:
            return label
    hours = int(window.total_seconds() // 3600)
    return f"{hours // 24}d" if hours % 24 == 0 else f"{hours}h"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _parse(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def times(moment: datetime | None) -> dict[str, str]:
    """A moment in Moscow time and UTC, as the pages and the brief show it."""
    if moment is None:
        return {"msk": "", "utc": "", "iso": ""}
    return {
        "msk": moment.astimezone(MOSCOW).strftime("%d %b %H:%M MSK"),
        "utc": moment.astimezone(UTC).strftime("%d %b %H:%M UTC"),
        "iso": _iso(moment),
    }


def _lead(text: str | None) -> str:
    """The first sentences of the English body, up to LEAD_SHOWN characters."""
    text = " ".join((text or "").split())
    if len(text) <= LEAD_SHOWN:
        return text
    cut = text.rfind(". ", 0, LEAD_SHOWN)
    return text[: cut + 1] if cut > LEAD_SHOWN // 3 else text[: LEAD_SHOWN - 1] + "…"


# -- top stories ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class TopStory:
    key: int
    rank: int
    score: float
    headline: str
    headline_lang: str  # en, or ru when no member is translated
    lead_en: str
    outlets: list[tuple[str, int]]
    article_count: int
    first_seen: datetime
    last_seen: datetime
    first_article: dict[str, Any]  # the earliest member: its id, url, key_url ...
    headline_article_id: int
    people: list[dict[str, Any]] = field(default_factory=list)
    organizations: list[dict[str, Any]] = field(default_factory=list)
    places: list[dict[str, Any]] = field(default_factory=list)

    @property
    def story_id(self) -> int | None:
        return self.key if self.key > 0 else None

    @property
    def path(self) -> str:
        return f"/stories/{self.key}" if self.key > 0 else f"/articles/{-self.key}"

    @property
    def first_times(self) -> dict[str, str]:
        return times(self.first_seen)

    @property
    def last_times(self) -> dict[str, str]:
        return times(self.last_seen)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "story_id": self.story_id,
            "article_id": None if self.key > 0 else -self.key,
            "path": self.path,
            "score": round(self.score, 4),
            "headline": self.headline,
            "headline_lang": self.headline_lang,
            "lead_en": self.lead_en,
            "outlets": [{"outlet": o, "articles": n} for o, n in self.outlets],
            "outlet_count": len(self.outlets),
            "article_count": self.article_count,
            "first_seen": _iso(self.first_seen),
            "last_seen": _iso(self.last_seen),
            "first_url": self.first_article.get("url"),
            "people": [e["name"] for e in self.people],
            "organizations": [e["name"] for e in self.organizations],
            "places": [e["name"] for e in self.places],
        }


@dataclass(slots=True)
class FrontStories:
    window: timedelta
    since: datetime
    until: datetime
    outlets: list[str]
    rubric: str | None
    stories: list[TopStory]
    outlets_available: list[str]
    rubrics_available: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "window": window_label(self.window),
            "since": _iso(self.since),
            "until": _iso(self.until),
            "outlets": self.outlets,
            "rubric": self.rubric,
            "stories": [s.to_dict() for s in self.stories],
        }


def top_stories(
    store: Any,
    *,
    window: timedelta,
    now: datetime | None = None,
    outlets: list[str] | None = None,
    rubric: str | None = None,
    limit: int = TOP_STORIES,
) -> FrontStories:
    """The stories with articles published in [now - window, now), best first (see analyze.story_rank)."""
    until = now or datetime.now(UTC)
    since = until - window
    front = store.front
    pairs = rubric_pairs(store, rubric, since, until) if rubric else None
    where = WindowFilter(_iso(since), _iso(until), tuple(o for o in outlets or [] if o), rubric or None, pairs)
    presences: dict[int, list[OutletPresence]] = {}
    for key, outlet, n, first, last in front.story_presence(where):
        presences.setdefault(key, []).append(OutletPresence(outlet, n, _parse(first) or since, _parse(last) or since))
    ranked = rank_stories(presences, now=until, window=window)[:limit]
    members = front.story_members([r.key for r in ranked])
    entity_rows = front.article_entities([m["article_id"] for ms in members.values() for m in ms])
    by_article: dict[int, list[dict[str, Any]]] = {}
    for row in entity_rows:
        by_article.setdefault(int(row["article_id"]), []).append(row)
    stories = [_top_story(rank, r, members.get(r.key, []), by_article) for rank, r in enumerate(ranked, 1)]
    outlets_available, rubrics_available = front.window_facets(_iso(since), _iso(until))
    return FrontStories(
        window, since, until, list(where.outlets), where.rubric, stories, outlets_available, rubrics_available
    )


def rubric_pairs(store: Any, rubric: str, since: datetime, until: datetime) -> tuple[tuple[str, str], ...]:
    """The (outlet, Russian rubric) pairs of the window that ``rubric`` names: the Russian rubric itself, or
    its English name as the outlet's rubric table gives it (dragoman.names.outlets), case and ё ignored."""
    wanted = _rubric_key(rubric)
    return tuple(
        (outlet, russian)
        for outlet, russian in store.front.window_rubrics(_iso(since), _iso(until))
        if wanted in (_rubric_key(russian), _rubric_key(translate_rubric(outlet, russian) or ""))
    )


def _rubric_key(rubric: str) -> str:
    return " ".join(rubric.replace("ё", "е").replace("Ё", "Е").split()).casefold()


def _top_story(
    rank: int, ranked: RankedStory, members: list[dict[str, Any]], by_article: dict[int, list[dict[str, Any]]]
) -> TopStory:
    members = sorted(members, key=lambda m: (m["published_at"] or "", m["article_id"]))
    first = members[0] if members else {"article_id": -ranked.key, "title": "", "url": None}
    translated = next((m for m in members if m.get("title_en")), None)
    headline_member = translated or first
    counts: dict[str, dict[str, Any]] = {}
    for m in members:
        for e in by_article.get(int(m["article_id"]), []):
            entry = counts.setdefault(
                e["entity"], {"key": e["entity"], "name": e["name"], "type": e["type"], "articles": 0}
            )
            entry["articles"] += 1
    ordered = sorted(counts.values(), key=lambda e: (-e["articles"], e["name"]))
    return TopStory(
        key=ranked.key,
        rank=rank,
        score=ranked.score,
        headline=(translated or first).get("title_en") or first.get("title") or "",
        headline_lang="en" if translated else "ru",
        lead_en=_lead(translated.get("lead_en")) if translated else "",
        outlets=[(o.outlet, o.articles) for o in ranked.outlets],
        article_count=ranked.article_count,
        first_seen=ranked.first_seen,
        last_seen=ranked.last_seen,
        first_article=first,
        headline_article_id=int(headline_member["article_id"]),
        people=[e for e in ordered if e["type"] == "PER"][:ENTITIES_PER_TYPE],
        organizations=[e for e in ordered if e["type"] == "ORG"][:ENTITIES_PER_TYPE],
        places=[e for e in ordered if e["type"] == "LOC"][:ENTITIES_PER_TYPE],
    )


# -- one story ------------------------------------------------------------------------------------------


def member_kind(kind: str, similarity: float) -> str:
    """first | same text | near copy | rewrite, from how the member joined its story."""
    if kind == "first":
        return "first"
    if kind == "exact_hash":
        return "same text"
    return "near copy" if similarity >= NEAR_COPY_SIMILARITY else "rewrite"


def _sentences(stored: Any) -> tuple[list[str], str]:
    """The article's sentences in English when translated (else Russian), and which language that is."""
    aligned = [s for s in _aligned(stored) if s.role != "title"]  # titles are shown as they are
    if aligned and all(s.en for s in aligned):
        return [s.en or "" for s in aligned], "en"
    return [s.text for s in aligned], "ru"


def _norm(sentence: str) -> str:
    return " ".join(re.findall(r"\w+", sentence.casefold()))


@dataclass(slots=True)
class StoryMember:
    article_id: int
    url: str
    outlet: str | None
    title: str
    title_en: str | None
    published: dict[str, str]
    kind: str
    similarity: float
    added: list[str] = field(default_factory=list)  # sentences this member has and the first version has not
    removed: list[str] = field(default_factory=list)  # sentences of the first version it left out
    diff_lang: str = "en"
    compared: bool = False  # False: same text as the first, or too many members to compare

    def to_dict(self) -> dict[str, Any]:
        return {
            "article_id": self.article_id,
            "url": self.url,
            "outlet": self.outlet,
            "title": self.title,
            "title_en": self.title_en,
            "published_at": self.published["iso"],
            "kind": self.kind,
            "similarity": round(self.similarity, 3),
            "added": self.added,
            "removed": self.removed,
            "diff_lang": self.diff_lang,
            "compared": self.compared,
        }


@dataclass(slots=True)
class StoryView:
    story_id: int
    headline: str
    headline_lang: str
    members: list[StoryMember]

    @property
    def outlets(self) -> list[tuple[str, int]]:
        counts: dict[str, int] = {}
        for m in self.members:
            counts[m.outlet or ""] = counts.get(m.outlet or "", 0) + 1
        return sorted(counts.items(), key=lambda c: (-c[1], c[0]))

    def to_dict(self) -> dict[str, Any]:
        return {
            "story_id": self.story_id,
            "headline": self.headline,
            "headline_lang": self.headline_lang,
            "outlets": [{"outlet": o, "articles": n} for o, n in self.outlets],
            "members": [m.to_dict() for m in self.members],
        }


def story_view(store: Any, story_id: int) -> StoryView | None:
    """Every member of a story by publication time, each rewrite compared with the first version sentence by
    sentence (in English where both are translated)."""
    if not store.front.story_exists(story_id):
        return None
    rows = store.front.story_members([story_id])[story_id]
    rows.sort(key=lambda m: (m["published_at"] or "", m["article_id"]))
    if not rows:
        return None
    translated = next((m for m in rows if m.get("title_en")), None)
    first_stored = store.get(int(rows[0]["article_id"]))
    first_sentences = _sentences(first_stored) if first_stored is not None else ([], "ru")
    members: list[StoryMember] = []
    for i, row in enumerate(rows):
        member = StoryMember(
            article_id=int(row["article_id"]),
            url=row["url"],
            outlet=row["outlet"],
            title=row["title"],
            title_en=row.get("title_en"),
            published=times(_parse(row["published_at"])),
            kind="first" if i == 0 else member_kind(row["kind"], float(row["similarity"] or 0)),
            similarity=float(row["similarity"] or 0),
        )
        if 0 < i <= MEMBERS_DIFFED and member.kind != "same text":
            stored = store.get(member.article_id)
            if stored is not None:
                sentences, lang = _sentences(stored)
                base, base_lang = first_sentences
                if lang != base_lang:  # compare like with like: Russian when either side is untranslated
                    base = [s.text for s in _aligned(first_stored) if s.role != "title"]
                    sentences = [s.text for s in _aligned(stored) if s.role != "title"]
                    lang = "ru"
                before, after = {_norm(s) for s in base}, {_norm(s) for s in sentences}
                member.added = [s for s in sentences if _norm(s) not in before]
                member.removed = [s for s in base if _norm(s) not in after]
                member.diff_lang, member.compared = lang, True
        members.append(member)
    headline = (translated or rows[0]).get("title_en") or rows[0]["title"]
    return StoryView(story_id, headline, "en" if translated else "ru", members)


def _aligned(stored: Any) -> list[Sentence]:
    """The article's sentences, each with its aligned English (the one alignment reader and index use)."""
    return article_sentences(stored.article) if stored is not None else []


# -- what is surging ------------------------------------------------------------------------------------


@dataclass(slots=True)
class SurgeItem:
    surge: Surge
    articles: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.surge.to_dict(),
            "articles": [
                {k: a.get(k) for k in ("article_id", "url", "outlet", "title", "title_en", "published_at")}
                for a in self.articles
            ],
        }


@dataclass(slots=True)
class Surging:
    window: timedelta
    since: datetime
    until: datetime
    baseline_days: int
    window_articles: int
    baseline_articles: int
    entities: list[SurgeItem]
    terms: list[SurgeItem]

    def to_dict(self) -> dict[str, Any]:
        return {
            "window": window_label(self.window),
            "since": _iso(self.since),
            "until": _iso(self.until),
            "baseline_days": self.baseline_days,
            "window_articles": self.window_articles,
            "baseline_articles": self.baseline_articles,
            "method": "one-sided Poisson test of the window's share against the baseline's (see analyze/surge.py)",
            "entities": [s.to_dict() for s in self.entities],
            "terms": [s.to_dict() for s in self.terms],
        }


def surging(
    store: Any,
    *,
    window: timedelta,
    now: datetime | None = None,
    baseline_days: int = BASELINE_DAYS,
    limit: int = 10,
    with_terms: bool = True,
) -> Surging:
    """Entities and English title terms surging in [now - window, now) against the ``baseline_days`` whole UTC
    days before the window's first day (analyze.surge). The window is counted from the per-article rows
    (search_entities, search_title_terms); the baseline from the per-day counts (search_day_counts), so the
    query reads a few thousand rows whatever the size of the corpus."""
    until = now or datetime.now(UTC)
    since = until - window
    lo, hi = docid_at(since), docid_at(until)
    # days as the docids count them (the publication day on the outlets' clock, see store.front.docid_at)
    end_day = (lo >> ID_BITS) // SECONDS_PER_DAY
    first_day = end_day - baseline_days
    front = store.front
    front.backfill_title_terms()  # a database indexed before migration 421: once, on first use
    window_total = front.indexed_articles(lo, hi)
    totals = front.day_counts("docs", ["indexed", "translated"], first_day, end_day)
    now_counts = front.entity_counts(lo, hi)
    candidates = [k for k, v in now_counts.items() if v[2] >= DEFAULT_MIN_COUNT]
    entity_surges = surges(
        {k: v[2] for k, v in now_counts.items()},
        front.day_counts("entity", candidates, first_day, end_day),
        window_total=window_total,
        baseline_total=totals.get("indexed", 0),
        labels={k: v[0] for k, v in now_counts.items()},
        kind="entity",
    )[:limit]
    entities = [SurgeItem(s, front.entity_articles(s.key, lo, hi, SURGE_ARTICLES)) for s in entity_surges]
    terms: list[SurgeItem] = []
    if with_terms:
        term_window = front.term_counts(lo, hi)
        candidates = [k for k, n in term_window.items() if n >= DEFAULT_MIN_COUNT]
        term_surges = surges(
            term_window,
            front.day_counts("term", candidates, first_day, end_day),
            window_total=front.translated_articles(lo, hi),
            baseline_total=totals.get("translated", 0),
            kind="term",
        )[:limit]
        terms = [SurgeItem(s, front.term_articles(s.key, lo, hi, SURGE_ARTICLES)) for s in term_surges]
    return Surging(window, since, until, baseline_days, window_total, totals.get("indexed", 0), entities, terms)


# -- attention over time --------------------------------------------------------------------------------


def attention(
    store: Any,
    *,
    since: datetime,
    until: datetime,
    entity: str | None = None,
    text: str | None = None,
    outlets: list[str] | None = None,
) -> AttentionTable:
    """Matching articles per day by outlet, for an entity, a search text, or the filters alone."""
    match = None
    lo, hi = docid_at(since), docid_at(until)
    chosen = [o for o in outlets or [] if o]
    backend = getattr(store, "backend", "sqlite")
    if text and text.strip():
        from dragoman.search import open_index
        from dragoman.search.query import SearchQuery, parse_query
        from dragoman.search.sqlite import build_match

        query = SearchQuery(text=text, entities=[entity] if entity else [])  # the entity as a facet
        entity = None
        if backend == "postgres":  # PostgreSQL's text search, through the search backend's own conditions
            condition = open_index(store).match_condition(query)  # type: ignore[attr-defined]
            rows = store.front.attention_counts_postgres(condition, lo=lo, hi=hi, outlets=chosen)
            return _attention_table(rows)
        match = build_match(parse_query(text), query)
    rows = store.front.attention_counts(lo=lo, hi=hi, entity=entity, outlets=chosen, match=match)
    return _attention_table(rows)


def _attention_table(rows: list[tuple[int, str | None, int]]) -> AttentionTable:
    epoch = datetime(1970, 1, 1, tzinfo=UTC).date()
    return attention_table(((epoch + timedelta(days=day)).isoformat(), outlet, n) for day, outlet, n in rows)


# -- the brief ------------------------------------------------------------------------------------------


def _watches(store: Any) -> list[Any]:
    from dragoman.acquire.alerts import list_watches

    return list_watches(store)


def select_watches(store: Any, name: str | None) -> list[Any]:
    """The watches of the watchlist ``name``; every watch when None.

    The store keeps no watchlist names (dragoman.acquire.alerts: one ``watchlist`` table of watches, each
    with an optional label, `dragoman watchlist add --label`), so a watchlist is the watches sharing a label.
    An unlabelled watch (say one loaded from a TOML file) answers to its own value, as a list of one; a
    labelled watch only to its label, so the watchlist "defence" never picks up a term "defence" filed under
    another label. Case is ignored."""
    watches = _watches(store)
    if name is None:
        return watches
    wanted = name.strip().casefold()
    chosen = [w for w in watches if (w.label or "").casefold() == wanted]
    if not chosen:
        chosen = [w for w in watches if not w.label and w.value.casefold() == wanted]
    if not chosen:
        names = sorted({w.label or w.value for w in watches})
        known = ", ".join(names) if names else "none: add one with `dragoman watchlist add --label NAME`"
        raise ConfigError(f"no watchlist {name!r}; watchlists (labels, or values of unlabelled watches): {known}")
    return chosen


def _watched_quotes(store: Any, people: list[str], since: datetime, until: datetime) -> list[dict[str, Any]]:
    from dragoman.store.analyses import AnalysisReadModel

    model = AnalysisReadModel(store)
    found: list[tuple[datetime, dict[str, Any]]] = []
    for person in people:
        for q in model.quotes(speaker=person, limit=50):
            # the time printed on the article, with its offset: compared as an instant
            published = _parse(q.get("published_at"))
            if published is not None and since <= published < until:
                found.append((published, {**q, "watched": person}))
    found.sort(key=lambda pair: pair[0], reverse=True)
    return [quote for _, quote in found]


@dataclass(slots=True)
class Brief:
    window: timedelta
    since: datetime
    until: datetime
    watchlist: str | None
    stories: list[TopStory]
    quotes: list[dict[str, Any]]
    surging: Surging
    edited: list[dict[str, Any]]
    hits: list[dict[str, Any]]
    watches: list[Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "window": window_label(self.window),
            "since": _iso(self.since),
            "until": _iso(self.until),
            "watchlist": self.watchlist,
            "top_stories": [s.to_dict() for s in self.stories],
            "quotes": self.quotes,
            "surging": self.surging.to_dict(),
            "edited": self.edited,
            "watchlist_hits": self.hits,
        }


def brief(
    store: Any, *, window: timedelta, now: datetime | None = None, watchlist: str | None = None, stories: int = 10
) -> Brief:
    """The daily brief: top stories, quotes by watched people, what surges, edits after publication, and the
    watchlist's hits, all for [now - window, now)."""
    until = now or datetime.now(UTC)
    since = until - window
    watches = select_watches(store, watchlist)
    people = [w.value for w in watches if w.kind == "entity"]
    top = top_stories(store, window=window, now=until, limit=stories)
    surge = surging(store, window=window, now=until, limit=8)
    edited = store.front.edited_articles(_iso(since), _iso(until))
    hits = store.front.watch_hits(
        watch_ids=[w.id for w in watches] if watchlist else None, since=_iso(since), until=_iso(until)
    )
    return Brief(
        window,
        since,
        until,
        watchlist,
        top.stories,
        _watched_quotes(store, people, since, until),
        surge,
        edited,
        hits,
        watches,
    )
