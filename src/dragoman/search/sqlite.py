"""Search on SQLite: the shared index (``search.index``) answered by FTS5.

A parsed query (``search.query``) becomes one FTS5 MATCH: both language sides OR'ed (the Russian columns hold
Snowball stems, the English ones FTS5's porter stems), then the facet tokens AND'ed; the date range is a rowid
range, since rowids are docids (see ``search.index``).
"""

from __future__ import annotations

import time
from typing import Any

from dragoman.errors import StoreQueryError, StoreSchemaError
from dragoman.search.index import (
    COUNT_CAP,
    FACET_SAMPLE,
    FLAG_QA,
    FLAG_UNNAMED,
    TITLE_WEIGHT,
    SearchIndex,
    facet_token,
    rowid_range,
)
from dragoman.search.query import (  # the query language, shared with the PostgreSQL backend
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


def compile_query(node: Any, lang: str) -> str | None:
    """The FTS5 expression for one language side; words stemmed for Russian, left to porter for English."""
    if node is None:
        return None
    if isinstance(node, Term):
        words = _lang_words(node.text, lang)
        if not words:
            return None
        if node.prefix:
            head = " ".join(words[:-1])
            return _prefix_expr(head, words[-1], lang)
        return '"' + " ".join(words) + '"'
    if isinstance(node, Phrase):
        words = _lang_words(node.text, lang)
        return '"' + " ".join(words) + '"' if words else None
    if isinstance(node, Or):
        parts = [p for p in (compile_query(i, lang) for i in node.items) if p]
        return "(" + " OR ".join(parts) + ")" if parts else None
    if isinstance(node, And):
        positive = [p for p in (compile_query(i, lang) for i in node.items if not isinstance(i, Not)) if p]
        negative = [p for p in (compile_query(i.item, lang) for i in node.items if isinstance(i, Not)) if p]
        if not positive:
            return None
        expr = "(" + " AND ".join(positive) + ")"
        for neg in negative:
            expr = f"({expr} NOT {neg})"
        return expr
    if isinstance(node, Not):
        return None
    raise TypeError(f"unknown query node {node!r}")


# How far a word's stem may fall short of a prefix the user typed: porter cuts suffixes (presiden* must
# find president -> presid), Snowball Russian mostly a vowel ending (санкци* must find санкции -> санкц).
# Larger values would let путин* match путь -> пут.
def _prefix_expr(head: str, prefix: str, lang: str) -> str:
    """A prefix query against stemmed terms: the index holds stems, which may be shorter than the prefix
    the user typed (porter: president -> presid), so shorter truncations of the prefix match exactly."""
    stem = _RU.stemWord(prefix) if lang == "ru" else _EN.stemWord(prefix)
    lead = f"{head} " if head else ""
    options = [f'"{lead}{p}"*' for p in dict.fromkeys((prefix, stem)) if p]
    low = max(4, len(prefix) - PREFIX_STEM_SLACK[lang])
    options.extend(f'"{lead}{prefix[:k]}"' for k in range(low, len(prefix)))
    return options[0] if len(options) == 1 else "(" + " OR ".join(options) + ")"


class SQLiteSearchIndex(SearchIndex):
    """The shared index on a SQLite store, searched with FTS5."""

    def search(self, query: SearchQuery) -> SearchResults:
        started = time.perf_counter()
        self.sync_quietly()
        tree, expanded = expand_names(parse_query(query.text))
        entity_keys = self.entity_keys(query.entities)
        match = build_match(tree, query, entity_keys)
        lo, hi = rowid_range(query)
        limit = max(1, min(query.limit, 200))
        offset = max(0, query.offset)
        rows: list[tuple[int, float | None]]
        try:
            if match is None:
                rows = [(r[0], None) for r in self.conn.execute(
                    "SELECT docid FROM search_docs WHERE docid >= ? AND docid < ? ORDER BY docid DESC LIMIT ? OFFSET ?",
                    (lo, hi, limit, offset))]  # fmt: skip
                newest = (
                    "SELECT docid AS rowid FROM search_docs WHERE docid >= ? AND docid < ? ORDER BY docid DESC LIMIT ?"
                )
                params: tuple[Any, ...] = (lo, hi)
            else:
                weights = f"{TITLE_WEIGHT}, 1.0, {TITLE_WEIGHT}, 1.0, 0.0"
                order = f"bm25(search_fts, {weights})" if query.sort == "relevance" else "rowid DESC"
                rows = [(r[0], r[1]) for r in self.conn.execute(
                    f"SELECT rowid, bm25(search_fts, {weights}) FROM search_fts WHERE search_fts MATCH ?"
                    f" AND rowid >= ? AND rowid < ? ORDER BY {order} LIMIT ? OFFSET ?",
                    (match, lo, hi, limit, offset))]  # fmt: skip
                newest = (
                    "SELECT rowid FROM search_fts WHERE search_fts MATCH ? AND rowid >= ? AND rowid < ?"
                    " ORDER BY rowid DESC LIMIT ?"
                )
                params = (match, lo, hi)
            # Counting is the expensive part for frequent words: the total is counted up to COUNT_CAP in the
            # index alone, the per-outlet breakdown over the newest FACET_SAMPLE matches.
            total = int(self.conn.execute(f"SELECT count(*) FROM ({newest})", (*params, COUNT_CAP + 1)).fetchone()[0])
            counts = self.conn.execute(
                f"SELECT d.outlet, count(*) FROM ({newest}) m JOIN search_docs d ON d.docid = m.rowid"
                " GROUP BY d.outlet",
                (*params, FACET_SAMPLE),
            ).fetchall()
        except (StoreQueryError, StoreSchemaError) as exc:  # FTS5 refused the query (syntax, a column)
            raise QueryError(f"cannot run this query: {exc}") from exc
        hits = self._hits(rows, tree)
        return SearchResults(
            total=min(total, COUNT_CAP),
            total_is_capped=total > COUNT_CAP,
            hits=hits,
            outlet_counts={(o or ""): int(n) for o, n in sorted(counts, key=lambda c: -int(c[1]))},
            outlet_counts_sampled=total > FACET_SAMPLE,
            fts_query=match,
            elapsed_ms=(time.perf_counter() - started) * 1000,
            expanded=expanded,
            entity_keys=[k for keys in entity_keys for k in keys],
        )

    def _optimize(self) -> None:
        """After a rebuild: FTS5 merges its segments into one b-tree (faster queries from then on)."""
        self.conn.execute("INSERT INTO search_fts(search_fts) VALUES ('optimize')")


def build_match(tree: Any, query: SearchQuery, entity_keys: list[list[str]] | None = None) -> str | None:
    """The whole FTS5 MATCH string: both language sides OR'ed, then the filters AND'ed. ``entity_keys``: per
    entity filter, the keys it stands for (``SearchIndex.entity_keys``), OR'ed; else the filters as keys."""
    parts: list[str] = []
    if tree is not None:
        positive, negatives = split_negatives(tree)
        sides = _both_sides(positive)
        if not sides:
            raise QueryError("the query has no words to search for")
        # A top-level NOT excludes an article whichever language holds the word: "Путин NOT президент" must
        # not keep an article for its English side once names are searched in both languages.
        text = sides
        for negative in negatives:
            excluded = _both_sides(negative)
            if excluded:
                text = f"({text} NOT {excluded})"
        parts.append(text)
    facets: list[str] = []
    if query.outlets:
        facets.append("(" + " OR ".join(f'"{facet_token("o", o)}"' for o in query.outlets) + ")")
    if query.rubric:
        facets.append(f'"{facet_token("r", query.rubric)}"')
    for keys in entity_keys if entity_keys is not None else [[e] for e in query.entities]:
        facets.append("(" + " OR ".join(f'"{facet_token("e", k)}"' for k in keys) + ")")
    if query.unnamed_sources:
        facets.append(f'"{FLAG_UNNAMED}"')
    if query.qa_flagged:
        facets.append(f'"{FLAG_QA}"')
    if facets:
        parts.append("({facets} : (" + " AND ".join(facets) + "))")
    return " AND ".join(parts) if parts else None


def _both_sides(node: Any) -> str | None:
    ru, en = compile_query(node, "ru"), compile_query(node, "en")
    sides = [f"({{title_ru body_ru}} : {ru})" if ru else "", f"({{title_en body_en}} : {en})" if en else ""]
    sides = [side for side in sides if side]
    return "(" + " OR ".join(sides) + ")" if sides else None
