"""Search on PostgreSQL: the serve stage's index and query language, answered from the same tokens as SQLite.

The serve stage's tables (``search_docs``, ``search_entities``, ``search_quotes``, ``search_events``,
``search_queue`` and its triggers) exist on PostgreSQL too (``SEARCH_SCHEMA_POSTGRES``, migration 300's
PostgreSQL form), and its indexing code runs unchanged through the store's compatibility connection.

Which words an article holds is decided once, by the SQLite index's rules, so that both backends find the same
articles: the Russian columns hold Snowball stems (stemmed in Python by the serve stage), and SQLite's FTS5
tokenizer (``porter unicode61 remove_diacritics 2``) splits, folds and porter-stems every column.
``fts5_tokens`` does the same in Python, and ``tsvector_text`` writes the result, with positions, as the
article's ``tsv`` (migration 310): Russian tokens as they are, English ones tagged ``E`` (a query word matches
each language side on its own, as FTS5's column filters do), facet tokens tagged ``F`` (filters are evaluated
inside the text index), titles weighted A, bodies B, and a one-position gap between columns so that a
phrase never spans two of them. Queries are compiled the same way (``tsquery_text``) into a ``tsquery`` literal,
so PostgreSQL's own dictionaries (whose Russian stop words and Snowball version differ) play no part.

``tsv`` is indexed with RUM where the extension exists (positions in the index: phrases checked and ``<=>``
relevance computed without reading the rows), with GIN otherwise. ``search_fts`` is partitioned by the month of
the docid (migration 311), each month with its own index: newest-first reads the newest months first and stops
as soon as it holds the page and the count (up to ``COUNT_CAP``), so a frequent word or a phrase of common
words costs a month or two of postings, not every match of the corpus; a date window reads only its months.
``bench/pg_search.py`` measures both layouts (``bench/RESULTS.md``).
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
import time
from datetime import UTC, datetime
from typing import Any

from dragoman.errors import first_line
from dragoman.search.index import (
    COUNT_CAP,
    FACET_SAMPLE,
    FLAG_QA,
    FLAG_UNNAMED,
    ID_BITS,
    SearchIndex,
    facet_token,
    rowid_range,
)
from dragoman.search.query import (
    _EN,
    _RU,
    PREFIX_STEM_SLACK,
    And,
    Not,
    Or,
    Phrase,
    QueryError,
    SearchQuery,
    SearchResults,
    Term,
    _lang_words,
    expand_names,
    parse_query,
    split_negatives,
)

log = logging.getLogger(__name__)

RUM_PACKAGE = "postgresql-15-rum"  # Debian's name; other systems: the "rum" extension for the server's version
RUM_HINT = (
    f"PostgreSQL search runs on GIN without the RUM extension (phrases and relevance order re-read every match):"
    f" install {RUM_PACKAGE} on the database server, then run `dragoman reindex`"
)
EN_TAG, FACET_TAG = "E", "F"  # never the first letter of a folded token, so no tagged lexeme meets a plain one
FACET_POSITION = 1  # see tsvector_from_tokens
MAX_POSITION = 16383  # tsvector positions stop here (PostgreSQL clamps larger ones to it)
MAX_LEXEME_BYTES = 2046  # tsvector's limit on one lexeme; longer "words" are not searchable anyway
FTS5_TOKENIZER = "porter unicode61 remove_diacritics 2"  # as search/schema.py's search_fts


_tokenizer_lock = threading.Lock()
_tokenizer: sqlite3.Connection | None = None


def fts5_tokens(text: str) -> list[str]:
    """The tokens SQLite's FTS5 index makes of ``text`` (``porter unicode61 remove_diacritics 2``: letters and
    digits, case and Latin diacritics folded, ASCII words porter-stemmed), in order. Asked of SQLite itself,
    through an in-memory FTS5 table, because its porter differs from Snowball's (assembly -> assembl)."""
    return fts5_columns([text])[0] if text else []


def fts5_columns(texts: list[str]) -> list[list[str]]:
    """fts5_tokens of up to four texts at once (one FTS5 insert: an article's columns)."""
    global _tokenizer
    with _tokenizer_lock:
        if _tokenizer is None:
            _tokenizer = sqlite3.connect(":memory:", check_same_thread=False)
            _tokenizer.execute(f"CREATE VIRTUAL TABLE t USING fts5(c0, c1, c2, c3, tokenize = '{FTS5_TOKENIZER}')")
            _tokenizer.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
        values = [*texts, "", "", "", ""][:4]
        _tokenizer.execute("INSERT INTO t (rowid, c0, c1, c2, c3) VALUES (1, ?, ?, ?, ?)", values)
        columns: list[list[str]] = [[] for _ in texts]
        for column, term in _tokenizer.execute("SELECT col, term FROM v ORDER BY col, offset"):
            columns[int(column[1])].append(term)
        _tokenizer.execute("DELETE FROM t")
    return columns


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_text(title_ru: str | None, body_ru: str | None, title_en: str | None, body_en: str | None,
                  facets: str | None) -> str:  # fmt: skip
    """The ``tsv`` of one search_fts row (the columns the serve stage writes into FTS5), as tsvector input."""
    columns = fts5_columns([text or "" for text in (title_ru, body_ru, title_en, body_en)])
    return tsvector_from_tokens(columns, (facets or "").split())


def tsvector_from_tokens(columns: list[list[str]], facets: list[str]) -> str:
    """tsvector input from the FTS5 tokens of (title_ru, body_ru, title_en, body_en) and the facet tokens."""
    positions: dict[str, list[str]] = {}
    position = 0
    for tokens, tag, weight in zip(columns, ("", "", EN_TAG, EN_TAG), "ABAB", strict=True):
        position += 1  # a gap: FTS5 phrases never span two columns
        for token in tokens:
            position = min(position + 1, MAX_POSITION)
            lexeme = tag + token
            if len(lexeme.encode()) <= MAX_LEXEME_BYTES:
                positions.setdefault(lexeme, []).append(f"{position}{weight}")
    for token in facets:
        # At position 1, the gap before the title that no word takes: RUM re-reads the row of every match of a
        # lexeme that has no position (an outlet filter cost 9 µs per match), and no phrase ever holds a facet.
        positions.setdefault(FACET_TAG + token, [str(FACET_POSITION)])
    return " ".join(_quote(k) + (":" + ",".join(v[:256]) if v else "") for k, v in positions.items())


def _phrase(tokens: list[str], tag: str, prefix: bool = False) -> str:
    parts = [_quote(tag + t) for t in tokens]
    if prefix:
        parts[-1] += ":*"
    return parts[0] if len(parts) == 1 else "(" + " <-> ".join(parts) + ")"


def _side(node: Any, lang: str) -> str | None:
    """The tsquery of one language side, mirroring search.sqlite.compile_query (FTS5) node by node."""
    tag = EN_TAG if lang == "en" else ""
    if node is None:
        return None
    if isinstance(node, Term):
        words = _lang_words(node.text, lang)
        if not words:
            return None
        if node.prefix:
            return _prefix(words[:-1], words[-1], lang)
        tokens = fts5_tokens(" ".join(words))
        return _phrase(tokens, tag) if tokens else None
    if isinstance(node, Phrase):
        tokens = fts5_tokens(" ".join(_lang_words(node.text, lang)))
        return _phrase(tokens, tag) if tokens else None
    if isinstance(node, Or):
        parts = [p for p in (_side(i, lang) for i in node.items) if p]
        return "(" + " | ".join(parts) + ")" if parts else None
    if isinstance(node, And):
        positive = [p for p in (_side(i, lang) for i in node.items if not isinstance(i, Not)) if p]
        negative = [p for p in (_side(i.item, lang) for i in node.items if isinstance(i, Not)) if p]
        if not positive:
            return None
        return "(" + " & ".join([*positive, *(f"!{n}" for n in negative)]) + ")"
    if isinstance(node, Not):
        return None
    raise TypeError(f"unknown query node {node!r}")


def _prefix(head: list[str], prefix: str, lang: str) -> str | None:
    """search.sqlite._prefix_expr's options: the typed prefix and its stem as prefixes, and the slightly shorter
    truncations as whole tokens (the index holds stems, which may be shorter than what was typed)."""
    tag = EN_TAG if lang == "en" else ""
    stem = _RU.stemWord(prefix) if lang == "ru" else _EN.stemWord(prefix)
    prefixes = [t for t in (fts5_tokens(" ".join([*head, p])) for p in dict.fromkeys((prefix, stem)) if p) if t]
    low = max(4, len(prefix) - PREFIX_STEM_SLACK[lang])
    exact = [t for t in (fts5_tokens(" ".join([*head, prefix[:k]])) for k in range(low, len(prefix))) if t]
    # An exact option that a prefix option covers adds nothing, and RUM (1.3) misses matches of a query
    # holding the same lexeme both as a prefix and as a word ('x':* | 'x' | 'y' finds nothing): leave it out.
    exact = [e for e in exact if not any(p[:-1] == e[:-1] and e[-1].startswith(p[-1]) for p in prefixes)]
    options = list(
        dict.fromkeys([*(_phrase(t, tag, prefix=True) for t in prefixes), *(_phrase(t, tag) for t in exact)])
    )
    if not options:
        return None
    return options[0] if len(options) == 1 else "(" + " | ".join(options) + ")"


def tsquery_text(tree: Any, query: SearchQuery, entity_keys: list[list[str]] | None = None) -> str | None:
    """The whole query as a tsquery literal: both language sides OR'ed, then the filters AND'ed (as
    search.sqlite.build_match does for FTS5). ``entity_keys``: per entity filter, the keys it stands for
    (``SearchIndex.entity_keys``), OR'ed; else the filters as keys."""
    parts: list[str] = []
    if tree is not None:
        positive, negatives = split_negatives(tree)
        text = _both_sides(positive)
        if text is None:
            raise QueryError("the query has no words to search for")
        # A top-level NOT excludes an article whichever language holds the word (as the SQLite search).
        excluded = [e for e in (_both_sides(n) for n in negatives) if e]
        parts.append(f"({text}{''.join(f' & !{e}' for e in excluded)})" if excluded else text)
    if query.outlets:
        parts.append("(" + " | ".join(_quote(FACET_TAG + facet_token("o", o)) for o in query.outlets) + ")")
    required = [facet_token("r", query.rubric)] if query.rubric else []
    for keys in entity_keys if entity_keys is not None else [[e] for e in query.entities]:
        parts.append("(" + " | ".join(_quote(FACET_TAG + facet_token("e", k)) for k in keys) + ")")
    required += [FLAG_UNNAMED] if query.unnamed_sources else []
    required += [FLAG_QA] if query.qa_flagged else []
    parts.extend(_quote(FACET_TAG + token) for token in required)
    return " & ".join(parts) if parts else None


def _both_sides(node: Any) -> str | None:
    sides = [s for s in (_side(node, "ru"), _side(node, "en")) if s]
    return "(" + " | ".join(sides) + ")" if sides else None


_hinted = False
_PARTITION_BOUND = re.compile(r"FOR VALUES FROM \('?(-?\d+)'?\) TO \('?(-?\d+)'?\)")
MAX_DOCID = (1 << 63) - 1


def _window_condition(lo: int, hi: int) -> tuple[str, list[Any]]:
    """A docid range as the first conjunct of a WHERE (ending in AND), or nothing for the whole range: without a
    window, a rowid range would only tempt the planner to the primary key."""
    if lo <= 0 and hi >= rowid_range(SearchQuery())[1]:
        return "", []
    return "f.rowid >= %s AND f.rowid < %s AND", [lo, hi]


def ensure_partitions(conn: Any, docids: list[int]) -> None:
    """Create the month partitions (migration 311) that rows with these docids go to, once per month: the
    database function decides the bounds; here the docids are only grouped so that each month is asked once.

    Creating a partition locks ``search_fts`` until the indexing transaction commits (PostgreSQL 15's
    ``CREATE TABLE ... PARTITION OF``), so searches wait for that one batch when a new month first appears
    (monthly in daily use; more often while a backfill reaches back in time). It runs in the batch's own
    transaction on purpose: another connection would wait for the batch's locks while the batch waited for it."""
    months: dict[tuple[int, int], int] = {}
    for docid in docids:
        moment = datetime.fromtimestamp(docid >> ID_BITS, UTC)
        months.setdefault((moment.year, moment.month), docid)
    for docid in months.values():
        conn.execute("SELECT search_fts_partition(?)", (docid,))


class PostgresSearchIndex(SearchIndex):
    """The serve stage's search index on a PostgreSQL store: its indexing code unchanged (plus the ``tsv``
    column), searching the ``tsv`` column through RUM or GIN (see dragoman/store/schema/search_postgres.py)."""

    def _insert_fts(self, conn: Any, fts_rows: list[tuple[Any, ...]]) -> None:
        ensure_partitions(conn, [row[0] for row in fts_rows])
        conn.executemany(
            "INSERT INTO search_fts (rowid, title_ru, body_ru, title_en, body_en, facets, tsv)"
            " VALUES (?,?,?,?,?,?,CAST(? AS tsvector))",
            [(*row, tsvector_text(*row[1:6])) for row in fts_rows],
        )

    def _optimize(self) -> None:
        """Nothing to merge: PostgreSQL's text indexes are kept by VACUUM (FTS5 has its 'optimize' command)."""

    def reindex(self, on_batch: Any = None) -> int:
        count = super().reindex(on_batch)
        # Rebuilt from the stored records; now is when a server that gained the RUM extension switches to it.
        self.store.raw.execute("SELECT search_fts_layout()")
        return count

    def layout(self) -> str:
        """'rum' when the RUM index exists, else 'gin' (said once per process, with what to install)."""
        global _hinted
        found = self.store.raw.execute(
            "SELECT 1 FROM pg_indexes WHERE tablename = 'search_fts' AND indexname = 'search_fts_rum'"
        ).fetchone()
        if found is None and not _hinted:
            _hinted = True
            log.warning(RUM_HINT)
        return "gin" if found is None else "rum"

    def partitions(self, lo: int, hi: int) -> list[tuple[str, int, int]]:
        """The month partitions of ``search_fts`` (migration 311) that overlap docids [lo, hi), newest first, as
        (name, first docid, end docid); their bounds as PostgreSQL holds them, not recomputed here."""
        rows = self.store.raw.execute(
            "SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_inherits i"
            " JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'search_fts'::regclass"
        ).fetchall()
        if not rows:  # a table that is not (yet) partitioned: one slice
            return [("search_fts", 0, MAX_DOCID)]
        found: list[tuple[str, int, int]] = []
        for row in rows:
            bound = _PARTITION_BOUND.fullmatch(row["bound"])
            if bound is None:  # not a month of ours (a DEFAULT partition added by hand): read last, whole, so
                found.append((row["name"], 0, MAX_DOCID))  # its rows are found, if not in date order
                continue
            first, end = int(bound[1]), int(bound[2])
            if first < hi and end > lo:
                found.append((row["name"], first, end))
        return sorted(found, key=lambda p: -p[1])

    def search(self, query: SearchQuery) -> SearchResults:
        import psycopg

        started = time.perf_counter()
        self.sync_quietly()
        tree, expanded = expand_names(parse_query(query.text))
        entity_keys = self.entity_keys(query.entities)
        tsquery = tsquery_text(tree, query, entity_keys)
        lo, hi = rowid_range(query)
        limit = max(1, min(query.limit, 200))
        offset = max(0, query.offset)
        rum = self.layout() == "rum"
        # The text index: RUM's is on "tsv || ''" (store/schema/search_postgres.py), GIN's on tsv itself.
        indexed = "(f.tsv || ''::tsvector)" if rum else "f.tsv"
        if tsquery is None:
            score = "NULL::real"
        elif rum:
            score = "1 / (f.tsv <=> %s::tsquery)"
        else:
            score = "ts_rank(f.tsv, %s::tsquery)"
        # RUM (1.3) gives every match of a phrase the same distance: phrases are scored by their words ("<->" read
        # as "&"), while the phrase itself still decides what matches. They are ranked outside the index, over
        # the newest matches below: ranking every match in the index measured 55 ms for "Владимир Путин" but
        # 706 ms for "for the" at 1M (bench/RESULTS.md).
        rank_query = tsquery.replace(" <-> ", " & ") if rum and tsquery is not None else tsquery
        score_params = [rank_query] if rank_query is not None else []
        relevance = query.sort == "relevance" and tsquery is not None
        # Newest first, the matches are read month by month from the newest partition until they hold the page
        # and the count (COUNT_CAP + 1 says "more"); the first FACET_SAMPLE of them are the per-outlet sample.
        wanted = COUNT_CAP + 1 if relevance else max(COUNT_CAP + 1, offset + limit)
        raw = self.store.raw
        try:
            with raw.transaction():
                # The planner does not see what reading TOASTed tsvectors costs: it would scan the table, or walk
                # a partition's primary key testing every row, where the text index answers in milliseconds.
                raw.execute("SET LOCAL enable_seqscan = off")
                ranked: list[tuple[int, float | None]] | None = None
                if relevance and rum and "<->" not in tsquery:  # type: ignore[operator]
                    # Ranked inside the index (distance ascending), each month's index in the window merged.
                    window, window_params = _window_condition(lo, hi)
                    ranked = [
                        (int(r["docid"]), float(r["score"]))
                        for r in raw.execute(
                            f"SELECT f.rowid AS docid, {score} AS score FROM search_fts f WHERE {window}"
                            f" {indexed} @@ %s::tsquery ORDER BY {indexed} <=> %s::tsquery LIMIT %s OFFSET %s",
                            [*score_params, *window_params, tsquery, tsquery, limit, offset],
                        ).fetchall()
                    ]
                if tsquery is not None:  # from here on: bitmaps from the text index, not a walk of a primary key
                    raw.execute("SET LOCAL enable_indexscan = off")
                newest = self._newest(tsquery, indexed, lo, hi, wanted)
                if ranked is None:
                    # Newest first, or ranked outside the index (GIN has no ranking inside; RUM's phrases, see
                    # rank_query): over the newest COUNT_CAP + 1 matches, so that the cost stays bounded; all of
                    # them when the count is not capped, the newest 10,001 when it says "10,000+".
                    chosen = newest if relevance else newest[offset : offset + limit]
                    scores: dict[int, float | None] = {docid: None for docid in chosen}
                    if tsquery is not None and chosen:
                        scores.update(
                            (int(r["docid"]), float(r["score"] or 0.0))
                            for r in raw.execute(
                                f"SELECT f.rowid AS docid, {score} AS score FROM search_fts f"
                                " WHERE f.rowid = ANY(%s::bigint[])",
                                [*score_params, chosen],
                            ).fetchall()
                        )
                    if relevance:
                        order = sorted(chosen, key=lambda d: (-(scores[d] or 0.0), -d))[offset : offset + limit]
                        ranked = [(d, scores[d]) for d in order]
                    else:
                        ranked = [(d, scores[d]) for d in chosen]
                counts = raw.execute(
                    "SELECT outlet, count(*) AS n FROM search_docs WHERE docid = ANY(%s::bigint[]) GROUP BY outlet",
                    [newest[:FACET_SAMPLE]],
                ).fetchall()
        except psycopg.Error as exc:
            raise QueryError(f"cannot run this query: {first_line(exc)}") from exc
        total = len(newest)
        # The serve stage builds the hits (titles, metadata, snippets) as on SQLite; its score is bm25's
        # (negated, lower is better): hand it -rank.
        scored = [(docid, -rank if rank is not None else None) for docid, rank in ranked]
        return SearchResults(
            total=min(total, COUNT_CAP),
            total_is_capped=total > COUNT_CAP,
            hits=self._hits(scored, tree),
            outlet_counts={(r["outlet"] or ""): int(r["n"]) for r in sorted(counts, key=lambda c: -int(c["n"]))},
            outlet_counts_sampled=total > FACET_SAMPLE,
            fts_query=tsquery,
            elapsed_ms=(time.perf_counter() - started) * 1000,
            expanded=expanded,
            entity_keys=[k for keys in entity_keys for k in keys],
        )

    def _newest(self, tsquery: str | None, indexed: str, lo: int, hi: int, wanted: int) -> list[int]:
        """Up to ``wanted`` docids in [lo, hi) that match ``tsquery`` (all, when None), newest first: month by
        month from the newest partition, each month's matches from its own text index, stopping when enough.
        (One UNION ALL statement over the months under one LIMIT measured no faster: bench/RESULTS.md.)"""
        raw = self.store.raw
        newest: list[int] = []
        for name, first, end in self.partitions(lo, hi):
            window, params = _window_condition(max(lo, first), min(hi, end)) if lo > first or hi < end else ("", [])
            if tsquery is not None:
                window, params = f"{window} {indexed} @@ %s::tsquery", [*params, tsquery]
            else:
                window = window.removesuffix(" AND") or "TRUE"
            newest.extend(
                int(r["rowid"])
                for r in raw.execute(
                    f'SELECT f.rowid FROM "{name}" f WHERE {window} ORDER BY f.rowid DESC LIMIT %s',
                    [*params, wanted - len(newest)],
                ).fetchall()
            )
            if len(newest) >= wanted:
                break
        return newest

    def match_condition(self, query: SearchQuery, alias: str = "f") -> tuple[str, list[Any]]:
        """The words and filters of ``query`` as a WHERE condition on ``search_fts`` (aliased ``alias``), with
        psycopg ``%s`` parameters for ``store.raw``: the same tsquery and facet tests as ``search``, for counts
        over every match (the attention chart of dragoman.serve.morning)."""
        tree, _ = expand_names(parse_query(query.text))
        tsquery = tsquery_text(tree, query, self.entity_keys(query.entities))
        if tsquery is None:
            return "TRUE", []
        indexed = f"({alias}.tsv || ''::tsvector)" if self.layout() == "rum" else f"{alias}.tsv"
        return f"{indexed} @@ %s::tsquery", [tsquery]
