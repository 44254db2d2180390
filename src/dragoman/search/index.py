"""The search index both backends share: a queue of changed articles, the rows each article gives (its stems,
English text, facets, entities, quotes and events), the docid layout and the snippets. The backends
(``search.sqlite``, ``search.postgres``) subclass :class:`SearchIndex` with their own ``search``.

Russian text is stemmed with Snowball (PyStemmer) in Python before it enters the index; English text is
stemmed by the backend (FTS5's porter tokenizer; the same tokens on PostgreSQL). Filters (outlet, rubric,
entity, unnamed sources, QA flags) are tokens in a ``facets`` column; the date range is a docid range.

Dates are the dates printed on the article: a docid is built from the publication time on the outlet's wall
clock (its time zone), not from the UTC second, so "since 2022-01-26" is one rowid range that holds the
article datelined January 26, 00:01 MSK (21:01 UTC on the 25th), exactly and as fast as before. Widening a
UTC range by the zone offset would need a second, exact filter on every match (and pages counted after it);
the price of the wall clock instead is that "newest first" orders articles of outlets in different zones by
their local clocks (hours apart at most), which the lists show anyway.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import re
import sqlite3
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from dragoman.analyze.sentences import article_sentences
from dragoman.article import Article, DateRef, Party
from dragoman.errors import DragomanError, StoreQueryError, StoreReadOnlyError
from dragoman.names.outlets import english_rubric, outlet_by_key, translate_rubric
from dragoman.names.variants import name_variants
from dragoman.search.query import (  # the query language, shared with the PostgreSQL backend
    _EN,
    _RU,
    _WORD,
    Fragment,
    LeftOut,
    SearchHit,
    SearchQuery,
    SearchResults,
    Snippet,
    _fold,
    highlight_terms,
)
from dragoman.store.analyses import ID_BITS
from dragoman.store.base import StoredArticle
from dragoman.store.front import backfill_title_terms, write_title_terms

_SPACES = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
ID_MASK = (1 << ID_BITS) - 1
MAX_SECONDS = (1 << 40) - 1
COUNT_CAP = 10_000  # result counts above this are reported as "10,000+"
FACET_SAMPLE = 2_000  # per-outlet counts cover the newest this many matches
TITLE_WEIGHT = 10.0
SYNC_BATCH = 500


def stem_russian(text: str) -> str:
    """Snowball stems of every word, space separated: what goes into the Russian columns."""
    words = _WORD.findall(_fold(text))
    return " ".join(_RU.stemWords(words)) if words else ""


def clean_text(text: str) -> str:
    """Text without control characters and lone surrogates (broken Unicode from scraped pages)."""
    return _CONTROL.sub(" ", text)


def facet_token(kind: str, value: str) -> str:
    """A filter value as one index token: ``z`` + kind letter + a short hash, never a real word."""
    digest = hashlib.blake2b(_fold(value.strip()).encode("utf-8", "replace"), digest_size=8).hexdigest()
    return f"z{kind}{digest}"


FLAG_UNNAMED = facet_token("f", "unnamed")
FLAG_QA = facet_token("f", "qa")
FLAG_TRANSLATED = facet_token("f", "translated")


def make_docid(published_at: str | datetime | None, article_id: int) -> int:
    """Time-ordered FTS rowid: newest article has the largest id, a date range is a rowid range.

    ``published_at`` is the publication time on the outlet's wall clock (``local_published``): its offset is
    ignored, so the day of a docid is the day printed on the article."""
    return (_wall_seconds(published_at) << ID_BITS) | (article_id & ID_MASK)


def local_published(article: Article) -> datetime | None:
    """The publication time in the zone the article was dated in: the page's zone, else its outlet's."""
    if article.published_at is None:
        return None
    if article.timezone:
        return article.published_local
    outlet = outlet_by_key(article.outlet) if article.outlet else None
    if outlet is not None:
        try:
            return article.published_at.astimezone(ZoneInfo(outlet.timezone))
        except (KeyError, ValueError, OverflowError):
            pass
    return article.published_at


def utc_instant(published_at: str | None) -> str | None:
    """A stored local publication time (ISO with its offset) as the UTC instant, ISO; None if none."""
    moment = _moment(published_at)
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


def _moment(value: str | datetime | None) -> datetime | None:
    """``value`` as a datetime; None when it is empty or not ISO 8601 (a stored time is never trusted)."""
    if value is None or value == "":
        return None
    try:
        return value if isinstance(value, datetime) else datetime.fromisoformat(value)
    except ValueError:
        return None


def _wall_seconds(value: str | datetime | None) -> int:
    """Seconds of a wall-clock time read as if it were UTC (the offset dropped): see ``make_docid``."""
    moment = _moment(value)
    return 0 if moment is None else _seconds(moment.replace(tzinfo=UTC))


def _seconds(value: str | datetime | None) -> int:
    moment = _moment(value)
    if moment is None:
        return 0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0, min(int(moment.timestamp()), MAX_SECONDS))


# -- the query language -------------------------------------------------------------------------------


class SearchIndex:
    """The search index of one store; cheap to create (one per request is fine)."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.conn: sqlite3.Connection = store.connection
        # Articles that could not be indexed in this object's syncs: left out and off the queue, not retried
        # until they are stored again or reindexed, so one bad record never blocks the rest.
        self.left_out: list[LeftOut] = []

    # indexing

    def pending(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM search_queue").fetchone()[0])

    def sync(self, limit: int | None = None, on_batch: Callable[[int], None] | None = None) -> int:
        """Index queued articles (all, or up to ``limit``); returns how many were processed."""
        done = 0
        while limit is None or done < limit:
            size = SYNC_BATCH if limit is None else min(SYNC_BATCH, limit - done)
            try:
                with self.store.transaction() as conn:
                    # once, for the articles indexed before migration 421
                    backfill_title_terms(conn, getattr(self.store, "backend", "sqlite"))
                    ids = [
                        r[0]
                        for r in conn.execute(
                            "SELECT article_id FROM search_queue ORDER BY article_id LIMIT ?", (size,)
                        )
                    ]
                    self._index_batch(conn, ids)
                    conn.executemany("DELETE FROM search_queue WHERE article_id = ?", [(i,) for i in ids])
            except StoreReadOnlyError:
                return done  # a read-only store serves the index as it is
            if not ids:
                break
            done += len(ids)
            if on_batch is not None:
                on_batch(len(ids))
        return done

    def sync_quietly(self, limit: int = 1000) -> int:
        """sync() for request handlers, bounded so a page never waits long (about 1,000 articles; the rest
        on the next requests or `dragoman reindex`); a busy database is not an error for a reader."""
        if self.conn.execute("SELECT 1 FROM search_queue LIMIT 1").fetchone() is None:
            return 0  # the common case: nothing queued, no write transaction taken
        try:
            return self.sync(limit)
        except DragomanError:
            return 0

    def reindex(self, on_batch: Callable[[int], None] | None = None) -> int:
        """Rebuild everything from the stored records; returns the number of articles indexed."""
        with self.store.transaction() as conn:
            for table in ("search_entities", "search_quotes", "search_events", "search_title_terms", "search_docs"):
                conn.execute(f"DELETE FROM {table}")
            conn.execute("DELETE FROM search_fts")
            conn.execute(
                "INSERT INTO search_queue (article_id) SELECT id FROM articles WHERE true ON CONFLICT DO NOTHING"
            )
        count = self.sync(on_batch=on_batch)
        self._optimize()
        return count

    def _index_batch(self, conn: sqlite3.Connection, article_ids: list[int]) -> None:
        """Replace the index rows of these articles. FTS rows go in docid order: FTS5 flushes its pending
        terms whenever a rowid is lower than the last one, so unsorted inserts cost a segment each."""
        fts_rows: list[tuple[Any, ...]] = []
        for article_id in article_ids:
            old = conn.execute("SELECT docid FROM search_docs WHERE article_id = ?", (article_id,)).fetchone()
            if old is not None:
                conn.execute("DELETE FROM search_fts WHERE rowid = ?", (old[0],))
            for table in ("search_entities", "search_quotes", "search_events", "search_title_terms", "search_docs"):
                conn.execute(f"DELETE FROM {table} WHERE article_id = ?", (article_id,))
            try:
                stored = self.store.get(article_id)
            except DragomanError as exc:
                # An unreadable record (say from before records were checked) is left out, not fatal.
                self.left_out.append(LeftOut(article_id, "bad_record", exc.message))
                continue
            if stored is None:
                continue
            # A savepoint per article: a record that breaks indexing half-way leaves none of its rows behind.
            conn.execute("SAVEPOINT index_article")
            try:
                fts_rows.append(self._index_rows(conn, stored))
            except (TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError, RecursionError,
                    StoreQueryError) as exc:  # fmt: skip
                conn.execute("ROLLBACK TO index_article")
                self.left_out.append(LeftOut(article_id, "index_crash", f"{type(exc).__name__}: {exc}"))
            conn.execute("RELEASE index_article")
        fts_rows.sort()
        self._insert_fts(conn, fts_rows)

    def _insert_fts(self, conn: sqlite3.Connection, fts_rows: list[tuple[Any, ...]]) -> None:
        """Insert (docid, title_ru, body_ru, title_en, body_en, facets) rows; PostgreSQL adds its tsvector."""
        conn.executemany(
            "INSERT INTO search_fts (rowid, title_ru, body_ru, title_en, body_en, facets) VALUES (?,?,?,?,?,?)",
            fts_rows,
        )

    def _index_rows(self, conn: sqlite3.Connection, stored: StoredArticle) -> tuple[Any, ...]:
        """Write the read-model rows of one article; returns its FTS row for the caller to insert."""
        article_id = stored.id
        row = index_rows(stored)
        docid = row["docid"]
        while conn.execute("SELECT 1 FROM search_docs WHERE docid = ?", (docid,)).fetchone():
            docid += 1  # two articles in the same second with the same low id bits
        conn.execute(
            "INSERT INTO search_docs (article_id, docid, revision_id, translation_model, published_at, outlet,"
            " rubric, language, unnamed_sources, qa_flags, indexed_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                article_id,
                docid,
                stored.revision_id,
                row["translation_model"],
                row["published_at"],
                row["outlet"],
                row["rubric"],
                row["language"],
                row["unnamed_sources"],
                row["qa_flags"],
                datetime.now(UTC).isoformat(),
            ),
        )
        conn.executemany(
            "INSERT INTO search_entities (article_id, entity, name, type, mentions, docid) VALUES (?,?,?,?,?,?)"
            " ON CONFLICT (entity, docid, article_id) DO UPDATE SET name = excluded.name, type = excluded.type,"
            " mentions = excluded.mentions",
            [(article_id, *e, docid) for e in row["entities"]],
        )
        conn.executemany(
            "INSERT INTO search_quotes (article_id, docid, sentence, speaker, speaker_name, unnamed, source_type,"
            " verb, text_ru, text_en, outlet) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [(article_id, docid, *q, row["outlet"]) for q in row["quotes"]],
        )
        conn.executemany(
            "INSERT INTO search_events (article_id, docid, sentence, type, actor, actor_name, target,"
            " target_name, actor_state, target_state, mode, event_date, precision, status, evidence_ru, evidence_en,"
            " dated_by) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [(article_id, docid, *e) for e in row["events"]],
        )
        write_title_terms(conn, article_id, docid, row["translation_model"] is not None, row["fts"][2])
        return (docid, *row["fts"])

    # searching

    def search(self, query: SearchQuery) -> SearchResults:
        """The hits of ``query``, counted and per outlet: each backend answers with its own text search."""
        raise NotImplementedError

    def _optimize(self) -> None:
        """After a rebuild: whatever the backend's text index needs (nothing by default)."""

    def _hits(self, rows: list[tuple[int, float | None]], tree: Any) -> list[SearchHit]:
        """Result rows with titles and snippets: the Russian text from the stored record, the English from the
        index's own copy, without loading whole articles (translation records are the large part)."""
        if not rows:
            return []
        docids = [docid for docid, _ in rows]
        found = {
            r[0]: r
            for r in self.conn.execute(
                "SELECT d.docid, d.article_id, d.outlet, d.rubric, d.published_at, d.unnamed_sources, d.qa_flags,"
                " d.language, rv.record, f.title_en, f.body_en FROM search_docs d"
                " JOIN articles a ON a.id = d.article_id JOIN revisions rv ON rv.id = a.current_revision_id"
                f" JOIN search_fts f ON f.rowid = d.docid WHERE d.docid IN ({','.join('?' * len(docids))})",
                docids,
            )
        }
        hits: list[SearchHit] = []
        for docid, score in rows:
            r = found.get(docid)
            if r is None:
                continue
            try:
                record = json.loads(r[8])
            except ValueError:
                record = {}
            title = record.get("title") or ""
            if r[7] == "en":
                ru_title, ru_body = "", ""
            else:
                parts = [record.get("lead") or ""] + [b.get("text", "") for b in record.get("blocks") or []]
                ru_title, ru_body = title, " ".join(p for p in parts if p)
            hits.append(
                SearchHit(
                    article_id=int(r[1]),
                    title=title,
                    title_en=r[9] or None,
                    outlet=r[2],
                    rubric=r[3],
                    published_at=r[4],
                    unnamed_sources=int(r[5]),
                    qa_flags=int(r[6]),
                    snippets=snippets_for(tree, en=(r[9] or "", r[10] or ""), ru=(ru_title, ru_body)),
                    score=-score if score is not None else None,
                    published_utc=utc_instant(r[4]),
                    rubric_en=translate_rubric(r[2], r[3]),
                )
            )
        return hits

    def outlets(self) -> list[str]:
        """The outlets of the indexed articles, in order: one probe of the (outlet, docid) index per outlet (a
        skip scan), where DISTINCT read every row (160 ms at a million articles on PostgreSQL)."""
        return [
            r[0]
            for r in self.conn.execute(
                "WITH RECURSIVE o(outlet) AS (SELECT min(outlet) FROM search_docs UNION ALL"
                " SELECT (SELECT min(outlet) FROM search_docs WHERE outlet > o.outlet) FROM o"
                " WHERE o.outlet IS NOT NULL) SELECT outlet FROM o WHERE outlet IS NOT NULL"
            )
        ]

    def entity_keys(self, filters: list[str]) -> list[list[str]]:
        """Per entity filter, the entity keys it names: a key as it is (PER:Sergei Lavrov, Q7747), else every
        entity whose name is the filter or ends with it as a word ("Lavrov", "Sergei Lavrov", «Лавров»: any
        case, either language). A name that matches no entity is kept as a key, which matches nothing."""
        out: list[list[str]] = []
        for wanted in (f.strip() for f in filters):
            if not wanted:
                continue
            if self._is_entity_key(wanted):  # a key: one primary-key lookup, no scan of the names
                out.append([wanted])
                continue
            known = self._entity_names()
            forms = {_fold(f) for f in (wanted, *name_variants(wanted))}
            keys = sorted(
                key
                for key, names in known.items()
                if any(
                    n == f or n.endswith(" " + f) or _fold(key) in (f, f"per:{f}", f"org:{f}", f"loc:{f}")
                    for n in names
                    for f in forms
                )
            )
            out.append(keys or [wanted])
        return out

    def _is_entity_key(self, value: str) -> bool:
        return (
            self.conn.execute("SELECT 1 FROM search_entities WHERE entity = ? LIMIT 1", (value,)).fetchone() is not None
        )

    def _entity_names(self) -> dict[str, set[str]]:
        """Every entity's names, folded. Read once per index state (the newest docid and the number of entities
        identify it) and kept a minute at most: reading them scans the entity table, ~10 rows an article."""
        state = self.conn.execute("SELECT max(docid) FROM search_docs").fetchone()[0]
        cache_key = (getattr(self.store, "path", None) or id(self.store), state)
        cached = _ENTITY_NAMES.get(cache_key)
        if cached is not None and time.monotonic() - cached[0] < ENTITY_NAMES_TTL_SECONDS:
            return cached[1]
        names: dict[str, set[str]] = {}
        for key, name in self.conn.execute("SELECT DISTINCT entity, name FROM search_entities"):
            names.setdefault(key, set()).add(_fold(name or ""))
        _ENTITY_NAMES.clear()  # one database's names at a time: the cache stays small
        _ENTITY_NAMES[cache_key] = (time.monotonic(), names)
        return names


# Entity names by index state (see SearchIndex._entity_names).
ENTITY_NAMES_TTL_SECONDS = 60.0
_ENTITY_NAMES: dict[tuple[Any, Any], tuple[float, dict[str, set[str]]]] = {}


def rowid_range(query: SearchQuery) -> tuple[int, int]:
    """since/until are wall-clock times in each article's own zone (a day means the day printed on it)."""
    lo = _wall_seconds(query.since) << ID_BITS if query.since else 0
    hi = _wall_seconds(query.until) << ID_BITS if query.until else (MAX_SECONDS + 1) << ID_BITS
    return lo, hi


# -- what goes into the index for one article ---------------------------------------------------------


def english_units(article: Article) -> tuple[str, list[str]]:
    """(title, body paragraphs) in English: the translation, or the text of an English article."""
    tr = article.translation
    if tr is not None:
        return tr.title.text, [seg.text for seg in tr.segments()[1:]]
    if article.language == "en":
        body = [article.lead] if article.lead else []
        return article.title, body + [b.text for b in article.blocks]
    return "", []


def russian_units(article: Article) -> tuple[str, list[str]]:
    if article.language == "en":
        return "", []
    body = [article.lead] if article.lead else []
    return article.title, body + [b.text for b in article.blocks]


def index_rows(stored: StoredArticle) -> dict[str, Any]:
    """Everything the index stores for one article (pure: no database access)."""

    article = stored.article
    title_ru, body_ru = russian_units(article)
    title_en, body_en = english_units(article)
    analysis = article.typed_analysis
    entities = analysis.entity_index()
    tr = article.translation
    qa_flags = tr.flagged_sentences if tr is not None else 0
    local = local_published(article)
    published = local.isoformat() if local is not None else None  # with its offset: the UTC instant is there
    rubric_en = english_rubric(article)
    facets = []
    if article.outlet:
        facets.append(facet_token("o", article.outlet))
    for rubric in {r for r in (article.rubric, rubric_en) if r}:
        facets.append(facet_token("r", rubric))
    facets.extend(facet_token("e", key) for key in entities)
    unnamed_sources = analysis.unnamed_count
    if unnamed_sources:
        facets.append(FLAG_UNNAMED)
    if qa_flags:
        facets.append(FLAG_QA)
    if tr is not None:
        facets.append(FLAG_TRANSLATED)
    sentences = article_sentences(article) if analysis.quotes or analysis.events else []

    def sentence(index: int | None) -> tuple[str | None, str | None]:
        if index is None or not 0 <= index < len(sentences):
            return None, None
        return sentences[index].text, sentences[index].en

    quotes = []
    for q in analysis.quotes:
        quotes.append((
            q.sentence, q.speaker_entity, analysis.speaker_name(q, entities), int(q.is_unnamed), q.source_kind,
            q.verb, q.text or "", q.text_en or sentence(q.sentence)[1],
        ))  # fmt: skip
    events = []
    for e in analysis.events:
        actor, target, date = e.actor or Party(), e.target or Party(), e.date or DateRef()
        events.append((
            e.sentence, e.type or "EVENT", actor.entity, analysis.party_name(e.actor, entities), target.entity,
            analysis.party_name(e.target, entities), actor.state, target.state, e.mode, date.day, date.precision,
            e.status, e.evidence_ru or sentence(e.sentence)[0], e.evidence_en or sentence(e.sentence)[1],
            e.date_basis,
        ))  # fmt: skip
    return {
        "docid": make_docid(published, stored.id),
        "published_at": published,
        "outlet": article.outlet,
        "rubric": article.rubric,
        "language": article.language,
        "translation_model": tr.model_id if tr else None,
        "unnamed_sources": unnamed_sources,
        "qa_flags": qa_flags,
        "fts": (
            stem_russian(title_ru),
            stem_russian("\n".join(body_ru)),
            clean_text(title_en),
            clean_text("\n".join(body_en)),
            " ".join(facets),
        ),
        "entities": [(e.key, e.name or e.key, e.type, max(e.mentions or 0, 1)) for e in entities.values()],
        "quotes": quotes,
        "events": events,
    }


# -- snippets -----------------------------------------------------------------------------------------

SNIPPET_BEFORE = 12
SNIPPET_WORDS = 40
SNIPPET_CHARS_BEFORE = 200  # enough for SNIPPET_BEFORE words
SNIPPET_CHARS_AFTER = 600


def make_snippets(article: Article, tree: Any) -> list[Snippet]:
    """Snippets of an article (see ``snippets_for``)."""
    en_title, en_body = english_units(article)
    ru_title, ru_body = russian_units(article)
    return snippets_for(
        tree, en=(en_title, " ".join(p for p in en_body if p)), ru=(ru_title, " ".join(p for p in ru_body if p))
    )


def snippets_for(tree: Any, *, en: tuple[str, str], ru: tuple[str, str]) -> list[Snippet]:
    """A short passage per language with the query's words marked; only languages with a hit, else the
    opening of the English (or Russian) text."""
    terms = highlight_terms(tree)
    out: list[Snippet] = []
    fallback: tuple[str, str] | None = None
    for lang, (title, body) in (("en", en), ("ru", ru)):
        text = _SPACES.sub(" ", clean_text(body or title)).strip()
        if not text:
            continue
        snippet = _snippet(text, terms, lang) if terms else None
        if snippet is not None:
            out.append(Snippet(lang, snippet))
        elif fallback is None:
            fallback = (lang, text)
    if out or fallback is None:
        return out
    lang, text = fallback
    return [Snippet(lang, _snippet(text, [], lang) or [Fragment(text[:240], False)])]


def _snippet(text: str, terms: list[tuple[str, bool]], lang: str) -> list[Fragment] | None:
    stem = _RU.stemWord if lang == "ru" else _EN.stemWord
    exact = {stem(t) for t, prefix in terms if not prefix}
    prefixes = [t for t, prefix in terms if prefix]
    # Stemming every word is the slow part: only words that begin like a query term are stemmed.
    heads = tuple({t[:2] for t in exact} | {p[:2] for p in prefixes})

    def is_hit(word: str) -> bool:
        folded = _fold(word)
        if not folded.startswith(heads):
            return False
        return stem(folded) in exact or any(folded.startswith(p) for p in prefixes)

    hit_offsets: list[int] = []
    if terms:
        # A regex finds the candidate words in C; only those are folded and stemmed.
        alternatives = "|".join(re.escape(h).replace("е", "[её]") for h in heads if h)
        if not alternatives:
            return None
        for candidate in re.finditer(rf"(?<!\w)(?:{alternatives})\w*", text, re.IGNORECASE):
            if hit_offsets and candidate.start() > hit_offsets[0] + SNIPPET_CHARS_AFTER:
                break
            if is_hit(candidate.group()):
                hit_offsets.append(candidate.start())
        if not hit_offsets:
            return None
    # Only the text around the first hit is split into words (articles can be long).
    window_lo = max(0, hit_offsets[0] - SNIPPET_CHARS_BEFORE) if hit_offsets else 0
    window_hi = min(len(text), (hit_offsets[0] if hit_offsets else 0) + SNIPPET_CHARS_AFTER)
    words = list(_WORD.finditer(text, window_lo, window_hi))
    if words and window_lo > 0 and words[0].start() == window_lo and text[window_lo - 1].isalnum():
        words = words[1:]  # a word cut by the window
    if not words:
        return None
    starts = [m.start() for m in words]
    hits = [bisect.bisect_left(starts, offset) for offset in hit_offsets if offset < window_hi]
    first = hits[0] if hits else 0
    start_word = max(0, first - SNIPPET_BEFORE)
    stop_word = min(len(words), start_word + SNIPPET_WORDS)
    start = words[start_word].start()
    more_after = stop_word < len(words) or window_hi < len(text)
    stop = words[stop_word - 1].end() if more_after else len(text)
    hit_set = set(hits)
    more_before = start_word > 0 or start > 0
    fragments: list[Fragment] = [Fragment("… ", False)] if more_before else []
    cursor = start
    for i in range(start_word, stop_word):
        if i in hit_set:
            m = words[i]
            if m.start() > cursor:
                fragments.append(Fragment(text[cursor : m.start()], False))
            fragments.append(Fragment(m.group(), True))
            cursor = m.end()
    if stop > cursor:
        fragments.append(Fragment(text[cursor:stop], False))
    if more_after:
        fragments.append(Fragment(" …", False))
    return fragments


def entity_names(conn: sqlite3.Connection, keys: Iterable[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key in keys:
        row = conn.execute("SELECT name FROM search_entities WHERE entity = ? LIMIT 1", (key,)).fetchone()
        if row is not None:
            out[key] = row[0]
    return out


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
