"""The one read model of the analysis: entities, quotes and timelines, for the CLI, the web pages and the API.

It reads the tables the search index derives from every stored analysis record (``search_entities``,
``search_quotes``, ``search_events``, with ``search_docs`` and ``search_fts`` for dates and English titles),
so it answers the same whichever version of the analyze stage wrote the records, and with empty results
before anything is analyzed. Callers keep the index in step first (``SearchIndex.sync``); the three
front ends (``dragoman entities/quotes/timeline``, the pages, ``/api/...``) call the same methods with the
same arguments, so they give the same answer to the same question.

SQL is written once where SQLite and PostgreSQL agree; where they do not (a day from a docid, ``IS`` with a
parameter) each dialect has its own spelling below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from dragoman.analyze.quotes import english_verb
from dragoman.names.registry import fold
from dragoman.names.translit import transliterate
from dragoman.names.variants import all_variants, is_cyrillic

# docid = (publication second << ID_BITS) | (article id & ID_MASK): the search index's document ids
# (search/schema.py), newest first in rowid order; the read model gets days from them without the articles.
# The second is read on the outlet's wall clock (search/index.py make_docid), so a docid's "UTC" day is the
# day printed on the article, and search_docs.published_at is that local time with its offset.
ID_BITS = 22

CO_OCCURRENCE_SAMPLE = 2000  # co-occurring entities are counted over the entity's newest articles
_WIKIDATA = re.compile(r"Q\d+")


@dataclass(frozen=True, slots=True)
class _Dialect:
    placeholder: str
    day_of_docid: str  # SQL giving the UTC day (YYYY-MM-DD) of the column ``docid``
    same_outlet: str  # ``outlet`` equal to a parameter that may be NULL


SQLITE = _Dialect("?", f"date(docid >> {ID_BITS}, 'unixepoch')", "outlet IS {p}")
POSTGRES = _Dialect(
    "?",
    f"to_char(to_timestamp(docid >> {ID_BITS}) AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
    "outlet IS NOT DISTINCT FROM {p}",
)


class AnalysisReadModel:
    """Entities, quotes and timeline of one store (SQLite or PostgreSQL)."""

    def __init__(self, store: Any) -> None:
        # The store's own connection: portable SQL with ? placeholders, database errors mapped to StoreError.
        self.dialect = POSTGRES if getattr(store, "backend", "sqlite") == "postgres" else SQLITE
        self._execute = store.sql.execute

    def outdated_analyses(self, analyzer_version: str) -> list[int]:
        """Articles whose current revision has an analysis by ``analyzer_version`` older than a translation
        of it saved since: the analysis names people from the translation, so it is due again."""
        rows = self._execute(
            "SELECT a.id FROM articles a JOIN analyses x ON x.revision_id = a.current_revision_id"
            f" WHERE x.analyzer_version = {self.dialect.placeholder} AND EXISTS (SELECT 1 FROM translations t"
            " WHERE t.revision_id = x.revision_id AND t.translated_at > x.analyzed_at) ORDER BY a.id",
            (analyzer_version,),
        ).fetchall()
        return [int(r[0]) for r in rows]

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        if any(isinstance(value, str) and "\x00" in value for value in params):
            return []  # no stored text holds a NUL (PostgreSQL refuses one): a filter with one matches nothing
        cursor = self._execute(sql.format(p=self.dialect.placeholder), params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def _one(self, sql: str, params: tuple[Any, ...] = ()) -> tuple[Any, ...]:
        return tuple(self._execute(sql.format(p=self.dialect.placeholder), params).fetchone())

    # -- corpus --------------------------------------------------------------------------------------

    def overview(self) -> dict[str, int]:
        """Corpus counts for the page header and the API root."""
        # search_docs counted once for both figures: at a million articles each pass is tens of milliseconds
        one = self._one(
            "SELECT (SELECT count(*) FROM articles), d.indexed, d.translated,"
            " (SELECT count(*) FROM analyses), (SELECT count(*) FROM search_queue)"
            " FROM (SELECT count(*) AS indexed, count(translation_model) AS translated FROM search_docs) d"
        )
        return {
            "articles": int(one[0]),
            "indexed": int(one[1]),
            "translated": int(one[2]),
            "analyses": int(one[3]),
            "queued": int(one[4]),
        }

    # -- entities ------------------------------------------------------------------------------------

    def entities(self, *, name: str | None = None, type_: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Entities by the number of articles that mention them; ``name`` matches the English name or the key
        (a substring, any case), ``type_`` the type (PER, ORG, LOC)."""
        p = "{p}"
        clauses, params = [], []
        if name:
            clauses.append(f"(lower(name) LIKE lower({p}) OR lower(entity) LIKE lower({p}))")
            params += [f"%{name}%", f"%{name}%"]
        if type_:
            clauses.append(f"type = {p}")
            params.append(type_.upper())
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        rows = self._rows(
            "SELECT entity AS key, max(name) AS name, max(type) AS type, count(*) AS articles,"
            f" sum(mentions) AS mentions, max(docid) AS newest FROM search_entities{where} GROUP BY entity"
            f" ORDER BY articles DESC, key LIMIT {p}",
            (*params, limit),
        )
        for row in rows:
            newest = row.pop("newest")
            row["wikidata"] = row["key"] if _WIKIDATA.fullmatch(row["key"]) else None
            row["last_seen"] = _day_of_docid(newest)
        return rows

    def entity(self, key: str) -> dict[str, Any] | None:
        """One entity: mentions per day, quotes by it, events it is in, entities seen with it, recent articles."""
        p = "{p}"
        head = self._one(
            f"SELECT max(name), max(type), count(*), sum(mentions) FROM search_entities WHERE entity = {p}", (key,)
        )
        if not head or not head[2]:
            return None
        per_day = self._rows(
            f"SELECT {self.dialect.day_of_docid} AS day, count(*) AS articles FROM search_entities"
            f" WHERE entity = {p} AND docid >= {1 << ID_BITS} GROUP BY day ORDER BY day",
            (key,),
        )
        co = self._rows(
            f"WITH recent AS (SELECT article_id FROM search_entities WHERE entity = {p} ORDER BY docid DESC"
            f" LIMIT {p}) SELECT o.entity AS key, max(o.name) AS name, max(o.type) AS type, count(*) AS articles"
            f" FROM recent JOIN search_entities o ON o.article_id = recent.article_id AND o.entity <> {p}"
            " GROUP BY o.entity ORDER BY articles DESC, key LIMIT 20",
            (key, CO_OCCURRENCE_SAMPLE, key),
        )
        articles = self._rows(
            "SELECT a.id, a.title, f.title_en, a.outlet, d.published_at, e.mentions FROM search_entities e"
            " JOIN articles a ON a.id = e.article_id JOIN search_docs d ON d.docid = e.docid"
            " LEFT JOIN search_fts f ON f.rowid = e.docid"
            f" WHERE e.entity = {p} ORDER BY e.docid DESC LIMIT 20",
            (key,),
        )
        return {
            "key": key,
            "name": head[0],
            "type": head[1],
            "articles": int(head[2]),
            "mentions": int(head[3] or 0),
            "per_day": per_day,
            "quotes": self.quotes(speaker=key, limit=50),
            "events": self.timeline(entity=key, limit=100),
            "co_occurring": co,
            "recent_articles": articles,
        }

    # -- quotes --------------------------------------------------------------------------------------

    def quotes(
        self,
        *,
        speaker: str | None = None,
        outlet: str | None = None,
        unnamed: bool | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Who said what, newest first. ``speaker`` is an entity key (exactly) or a name: a substring of the
        speaker's English name, or of the words naming an unlinked speaker, in any case."""
        p = "{p}"
        clauses, params = [], []
        if speaker:
            clause, speaker_params = self._speaker_clause(speaker)
            clauses.append(clause)
            params += speaker_params
        if outlet:
            clauses.append(f"q.outlet = {p}")
            params.append(outlet)
        if unnamed is not None:
            clauses.append(f"q.unnamed = {p}")
            params.append(int(unnamed))
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        rows = self._rows(
            "SELECT q.article_id, q.sentence, q.speaker, q.speaker_name, q.unnamed, q.source_type, q.verb,"
            " q.text_ru, q.text_en, q.outlet, a.url, a.title, f.title_en, d.published_at FROM search_quotes q"
            " JOIN articles a ON a.id = q.article_id JOIN search_docs d ON d.docid = q.docid"
            " LEFT JOIN search_fts f ON f.rowid = q.docid"
            f"{where} ORDER BY q.docid DESC, q.id LIMIT {p} OFFSET {p}",
            (*params, limit, offset),
        )
        for row in rows:
            _quote_view(row)
        return rows

    def quote_count(self) -> int:
        """How many quotes the corpus holds (to say what a filter that matched nothing searched among)."""
        return int(self._one("SELECT count(*) FROM search_quotes")[0])

    def _speaker_clause(self, speaker: str) -> tuple[str, list[Any]]:
        """Quotes by ``speaker``: an entity key exactly, or a name any part of which matches, in either
        language and any case (Stoltenberg, «Путин», putin). The candidates' names are matched in Python:
        SQLite's lower() does not fold Cyrillic, and a Russian name must also find its English form."""
        p = "{p}"
        wanted = {fold(v) for v in all_variants([speaker])}
        if is_cyrillic(speaker):
            wanted.add(fold(transliterate(speaker)))
        keys: set[str] = {speaker}
        names: set[str] = set()
        for key, name in self._execute("SELECT DISTINCT speaker, speaker_name FROM search_quotes".format()).fetchall():
            haystack = [fold(name or "")] + ([fold(key)] if key else [])
            if any(w and w in h for w in wanted for h in haystack):
                if key:
                    keys.add(key)
                if name:
                    names.add(name)
        clauses = [f"q.speaker IN ({', '.join([p] * len(keys))})"]
        params: list[Any] = sorted(keys)
        if names:
            clauses.append(f"q.speaker_name IN ({', '.join([p] * len(names))})")
            params += sorted(names)
        return "(" + " OR ".join(clauses) + ")", params

    # -- timeline ------------------------------------------------------------------------------------

    def timeline(
        self,
        *,
        actor: str | None = None,
        target: str | None = None,
        entity: str | None = None,
        one_way: bool = False,
        since: str | None = None,
        limit: int = 500,
    ) -> list[dict[str, Any]]:
        """Events in date order; the same event (type, mode, parties, date) told by several articles is one
        entry with all its sources (one per article).

        A party matches by entity key, English name or the state it acts for (any case). With both ``actor``
        and ``target`` the events between the two are listed in both directions, unless ``one_way``;
        ``entity`` is either party; ``since`` an ISO day. Events without a date in the text are dated by
        their article's publication day (``date_basis`` "published").
        """
        p = "{p}"
        clauses: list[str] = []
        params: list[Any] = []

        def party(column: str, value: str) -> str:
            params.extend([value, value, value])
            return (
                f"(ev.{column} = {p} OR lower(ev.{column}_name) = lower({p}) OR lower(ev.{column}_state) = lower({p}))"
            )

        if actor and target:
            forward = f"({party('actor', actor)} AND {party('target', target)})"
            if one_way:
                clauses.append(forward)
            else:
                backward = f"({party('actor', target)} AND {party('target', actor)})"
                clauses.append(f"({forward} OR {backward})")
        elif actor:
            clauses.append(party("actor", actor))
        elif target:
            clauses.append(party("target", target))
        if entity:
            clauses.append(f"(ev.actor = {p} OR ev.target = {p})")  # both indexed: the two lookups are unioned
            params += [entity, entity]
        if since:
            clauses.append(f"{_EVENT_DAY} >= {p}")
            params.append(since)
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        rows = self._rows(
            "SELECT ev.article_id, ev.sentence, ev.type, ev.mode, ev.actor, ev.actor_name, ev.actor_state,"
            " ev.target, ev.target_name, ev.target_state,"
            f" {_EVENT_DAY} AS event_day, ev.precision, {_DATE_BASIS} AS date_basis, ev.status,"
            " ev.evidence_ru, ev.evidence_en, a.url, a.title, f.title_en, d.outlet, d.published_at"
            " FROM search_events ev JOIN search_docs d ON d.article_id = ev.article_id"
            " JOIN articles a ON a.id = ev.article_id LEFT JOIN search_fts f ON f.rowid = d.docid"
            f"{where} ORDER BY ({_EVENT_DAY}) IS NULL, event_day, ev.type, ev.id LIMIT {p}",
            (*params, limit * 4),
        )
        merged: dict[tuple[Any, ...], dict[str, Any]] = {}
        for row in rows:
            day = row.pop("event_day")
            row["date_sort"] = day  # the first ISO day: a sortable key
            row["date"] = date_at_precision(day, row["precision"] if row["date_basis"] == "text" else "day")
            row["date_label"] = date_label(day, row["precision"] if row["date_basis"] == "text" else "day")
            row["published_utc"] = utc_instant(row["published_at"])
            actor_id = row["actor_state"] or row["actor"] or row["actor_name"]
            target_id = row["target_state"] or row["target"] or row["target_name"]
            key = (row["type"], row["mode"], actor_id, target_id, row["date"])
            entry = merged.get(key)
            if entry is None:
                if len(merged) >= limit:
                    continue
                entry = merged[key] = {k: row[k] for k in _ENTRY_KEYS}
                entry["sources"] = []
            if any(source["article_id"] == row["article_id"] for source in entry["sources"]):
                continue  # the same event told twice in one article is one source
            entry["sources"].append({k: row[k] for k in _SOURCE_KEYS})
        return list(merged.values())

    # -- outlets -------------------------------------------------------------------------------------

    def outlet_names(self) -> list[str | None]:
        return [r["outlet"] for r in self._rows("SELECT DISTINCT outlet FROM search_docs ORDER BY outlet")]

    def outlets(self, *, days: int = 60) -> list[dict[str, Any]]:
        """Per outlet: articles in all, and over its newest ``days`` days: volume per day, the share of articles
        citing unnamed sources, the most frequent entities. Index range scans only, so it stays fast at 1M."""
        p = "{p}"
        same_outlet = self.dialect.same_outlet
        out: list[dict[str, Any]] = []
        for outlet in self.outlet_names():
            total, newest = self._one(f"SELECT count(*), max(docid) FROM search_docs WHERE {same_outlet}", (outlet,))
            window_start = max(0, (int(newest or 0) >> ID_BITS) - days * 86400) << ID_BITS
            per_day = self._rows(
                f"SELECT {self.dialect.day_of_docid} AS day, count(*) AS articles,"
                " sum(CASE WHEN unnamed_sources > 0 THEN 1 ELSE 0 END) AS with_unnamed,"
                " sum(CASE WHEN translation_model IS NOT NULL THEN 1 ELSE 0 END) AS translated"
                f" FROM search_docs WHERE {same_outlet} AND docid >= {p} GROUP BY day ORDER BY day",
                (outlet, window_start),
            )
            recent = sum(int(d["articles"]) for d in per_day)
            with_unnamed = sum(int(d["with_unnamed"] or 0) for d in per_day)
            out.append({
                "outlet": outlet or "",
                "articles": int(total),
                "days": days,
                "recent_articles": recent,
                "recent_translated": sum(int(d["translated"] or 0) for d in per_day),
                "with_unnamed": with_unnamed,
                "unnamed_share": round(with_unnamed / recent, 4) if recent else 0.0,
                "per_day": [{"day": d["day"], "articles": int(d["articles"])} for d in per_day],
                "top_entities": self._rows(
                    "SELECT e.entity AS key, max(e.name) AS name, count(*) AS articles FROM search_docs d"
                    f" JOIN search_entities e ON e.article_id = d.article_id WHERE d.{same_outlet} AND d.docid >= {p}"
                    " GROUP BY e.entity ORDER BY articles DESC, key LIMIT 10",
                    (outlet, window_start),
                ),
            })  # fmt: skip
        out.sort(key=lambda row: -row["articles"])
        return out


# An event's day: the text's date, else (told as the day's news, or indexed before events said how they are
# dated) its article's publication day; undated events (planned, demanded, told as earlier news) have none.
_DAY_FROM_PUBLICATION = "coalesce(ev.dated_by, 'publication') = 'publication'"
_EVENT_DAY = (
    "CASE WHEN ev.event_date IS NOT NULL THEN ev.event_date"
    f" WHEN {_DAY_FROM_PUBLICATION} THEN substr(d.published_at, 1, 10) END"
)
_DATE_BASIS = (
    f"CASE WHEN ev.event_date IS NOT NULL THEN 'text' WHEN {_DAY_FROM_PUBLICATION} THEN 'published' ELSE 'none' END"
)

_ENTRY_KEYS = (
    "type", "mode", "actor", "actor_name", "actor_state", "target", "target_name", "target_state", "date",
    "date_label", "date_sort", "precision", "date_basis", "status",
)  # fmt: skip
_SOURCE_KEYS = (
    "article_id", "sentence", "evidence_ru", "evidence_en", "url", "title", "title_en", "outlet", "published_at",
    "published_utc",
)  # fmt: skip
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")  # fmt: skip
_SEASONS = {12: "winter", 1: "winter", 2: "winter", 3: "spring", 4: "spring", 5: "spring", 6: "summer", 7: "summer",
            8: "summer", 9: "autumn", 10: "autumn", 11: "autumn"}  # fmt: skip


def _iso_day(day: Any) -> date | None:
    try:
        return date.fromisoformat(str(day)[:10])
    except ValueError:
        return None


def date_at_precision(day: str | None, precision: str | None) -> str | None:
    """An event's date as precise as the text gives it: 2021-10 for "in October 2021", 2021 for a year,
    2022-W04 for a week; the day itself for a day (or an unknown precision)."""
    parsed = _iso_day(day) if day else None
    if parsed is None:
        return day
    if precision == "month" or precision == "season":
        return f"{parsed:%Y-%m}"
    if precision == "year":
        return str(parsed.year)
    if precision == "decade":
        return f"{parsed.year // 10 * 10}s"
    if precision == "century":
        return f"C{(parsed.year - 1) // 100 + 1}"
    if precision == "week":
        iso = parsed.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    return parsed.isoformat()


def date_label(day: str | None, precision: str | None) -> str | None:
    """The same in words for the pages: "October 2021", "autumn 2021", "2021", "week of 2022-01-24"."""
    parsed = _iso_day(day) if day else None
    if parsed is None:
        return day
    if precision == "month":
        return f"{_MONTHS[parsed.month - 1]} {parsed.year}"
    if precision == "season":
        return f"{_SEASONS[parsed.month]} {parsed.year}"
    if precision == "week":
        return f"week of {parsed.isoformat()}"
    if precision in ("year", "decade", "century"):
        return date_at_precision(day, precision)
    return parsed.isoformat()


def utc_instant(published_at: Any) -> str | None:
    """A stored local publication time (ISO with its offset) as the UTC instant."""
    if not isinstance(published_at, str) or not published_at:
        return None
    try:
        moment = datetime.fromisoformat(published_at)
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


def _quote_view(row: dict[str, Any]) -> None:
    """A quote row as every front end shows it: whether the speaker is named, unnamed or not resolved (a
    pronoun or title the text does not tie to a person), the verb in English, the UTC instant."""
    row["unnamed"] = bool(row["unnamed"])
    if row["speaker_name"] == "unknown" and not row["speaker"]:
        row["speaker_name"] = None  # the analyzer found no words naming the speaker
    if row["source_type"] in (None, "", "named"):
        row["source_type"] = "unnamed" if row["unnamed"] else "named" if row["speaker"] else "unresolved"
    row["verb_en"] = english_verb(row["verb"])
    row["published_utc"] = utc_instant(row["published_at"])


def _day_of_docid(docid: Any) -> str | None:
    if docid is None or int(docid) < 1 << ID_BITS:
        return None  # no publication time
    return datetime.fromtimestamp(int(docid) >> ID_BITS, UTC).date().isoformat()
