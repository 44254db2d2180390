"""Search on PostgreSQL: the serve stage's index and query language, answered by PostgreSQL's own text search.

The serve stage's tables (``search_docs``, ``search_entities``, ``search_quotes``, ``search_events``,
``search_queue`` and its triggers) exist on PostgreSQL too (``SEARCH_SCHEMA_POSTGRES`` below, migration 300's
PostgreSQL form), and its indexing code runs unchanged through the store's compatibility connection. On top,
``search_text`` keeps the raw Russian and English text of each indexed article with stored generated
``tsvector`` columns (``russian`` and ``english`` configurations, titles weighted A) under GIN indexes.

A query is parsed by the serve stage's parser (words, "phrases", AND/OR/NOT, -word, prefix*, parentheses);
each word or phrase becomes ``websearch_to_tsquery`` (prefixes ``to_tsquery('w:*')``) combined with
``&&``/``||``/``!!``, once per language; filters and orders are those of the SQLite search; snippets come
from ``ts_headline``.
"""

from __future__ import annotations

import re
import time
from typing import Any

from dragoman.search.sqlite import (
    COUNT_CAP,
    FACET_SAMPLE,
    FLAG_QA,
    FLAG_UNNAMED,
    And,
    Fragment,
    Not,
    Or,
    Phrase,
    QueryError,
    SearchIndex,
    SearchQuery,
    SearchResults,
    Snippet,
    Term,
    _rowid_range,
    facet_token,
    parse_query,
)

CONFIGS = {"ru": "russian", "en": "english"}
_START, _STOP = "\x02", "\x03"  # ts_headline markers: control characters never survive clean_text
HEADLINE_OPTIONS = f"StartSel={_START}, StopSel={_STOP}, MaxWords=40, MinWords=15, MaxFragments=1"
_WORD = re.compile(r"\w+")


def tsquery_sql(node: Any, lang: str) -> tuple[str, list[Any]] | None:
    """A SQL expression building the tsquery of one language side from the parsed query tree."""
    config = CONFIGS[lang]
    if node is None:
        return None
    if isinstance(node, Term):
        words = _WORD.findall(node.text)
        if not words:
            return None
        if node.prefix:
            return _prefix_sql(" ".join(words[:-1]), words[-1], lang)
        return f"websearch_to_tsquery('{config}', %s)", [" ".join(words)]
    if isinstance(node, Phrase):
        words = _WORD.findall(node.text)
        return (f"websearch_to_tsquery('{config}', %s)", ['"' + " ".join(words) + '"']) if words else None
    if isinstance(node, Or):
        parts = [p for p in (tsquery_sql(i, lang) for i in node.items) if p]
        if not parts:
            return None
        return "(" + " || ".join(p[0] for p in parts) + ")", [x for p in parts for x in p[1]]
    if isinstance(node, And):
        positive = [p for p in (tsquery_sql(i, lang) for i in node.items if not isinstance(i, Not)) if p]
        negative = [p for p in (tsquery_sql(i.item, lang) for i in node.items if isinstance(i, Not)) if p]
        if not positive:
            return None
        sql = " && ".join(p[0] for p in positive)
        sql += "".join(f" && !!{n[0]}" for n in negative)
        return f"({sql})", [x for p in [*positive, *negative] for x in p[1]]
    if isinstance(node, Not):
        return None
    raise TypeError(f"unknown query node {node!r}")


# As in the SQLite search (search/sqlite.py): how far a word's stem may fall short of a typed prefix.
PREFIX_STEM_SLACK = {"ru": 1, "en": 3}
_STEMMERS: dict[str, Any] = {}


def _stem(word: str, lang: str) -> str:
    import Stemmer

    if lang not in _STEMMERS:
        _STEMMERS[lang] = Stemmer.Stemmer("russian" if lang == "ru" else "english")  # PostgreSQL's snowball ones
    return str(_STEMMERS[lang].stemWord(word))


def _prefix_sql(head: str, typed: str, lang: str) -> tuple[str, list[Any]]:
    """A prefix against stemmed lexemes, expanded like the SQLite search does: lexemes starting with the typed
    prefix or its stem, or equal to a slightly shorter truncation (presiden* finds president -> presid)."""
    word = typed.lower().replace("ё", "е")
    if lang == "ru":
        word = _stem(word, lang)  # the SQLite search stems Russian words before it builds the prefix
    options: list[tuple[str, list[Any]]] = [
        ("to_tsquery('simple', quote_literal(%s) || ':*')", [p]) for p in dict.fromkeys((word, _stem(word, lang))) if p
    ]
    low = max(4, len(word) - PREFIX_STEM_SLACK[lang])
    options += [("to_tsquery('simple', quote_literal(%s))", [word[:k]]) for k in range(low, len(word))]
    if head:
        config = CONFIGS[lang]
        options = [(f"(websearch_to_tsquery('{config}', %s) <-> {sql})", [head, *ps]) for sql, ps in options]
    return "(" + " || ".join(sql for sql, _ in options) + ")", [x for _, ps in options for x in ps]


def parse_headline(text: str) -> list[Fragment]:
    """ts_headline output (hits between the control-character markers) as the serve stage's fragments."""
    fragments: list[Fragment] = []
    for part in re.split(f"({_START}[^{_STOP}]*{_STOP})", text):
        if not part:
            continue
        if part.startswith(_START):
            fragments.append(Fragment(part[1:-1], True))
        else:
            fragments.append(Fragment(part, False))
    return fragments


class PostgresSearchIndex(SearchIndex):
    """The serve stage's search index on a PostgreSQL store: its indexing code unchanged, searching with
    PostgreSQL's text search (the tsvector columns of ``search_fts``, see dragoman/store/pg_schema.py)."""

    def search(self, query: SearchQuery) -> SearchResults:
        import psycopg

        started = time.perf_counter()
        self.sync_quietly()
        tree = parse_query(query.text)
        ru = tsquery_sql(tree, "ru")
        en = tsquery_sql(tree, "en")
        if tree is not None and ru is None and en is None:
            raise QueryError("the query has no words to search for")
        lo, hi = _rowid_range(query)
        where = ["f.rowid >= %s", "f.rowid < %s"]
        params: list[Any] = [lo, hi]
        # The same facet tokens as the SQLite search's FTS5 facets column: outlets OR'ed, the rest AND'ed.
        if query.outlets:
            where.append("f.facet_tokens && %s")
            params.append([facet_token("o", o) for o in query.outlets])
        required = [facet_token("r", query.rubric)] if query.rubric else []
        required += [facet_token("e", e) for e in query.entities]
        required += [FLAG_UNNAMED] if query.unnamed_sources else []
        required += [FLAG_QA] if query.qa_flagged else []
        if required:
            where.append("f.facet_tokens @> %s")
            params.append(required)
        # The tsquery expressions are written inline (not joined from a subquery) so that the planner can use
        # them as GIN index conditions; ranks and ts_headline run only on the page of results.
        ru_sql, ru_params = ru or ("''::tsquery", [])
        en_sql, en_params = en or ("''::tsquery", [])
        text_params: list[Any] = []
        if tree is not None:
            where.append(f"(f.tsv_ru @@ {ru_sql} OR f.tsv_en @@ {en_sql})")
            text_params = [*ru_params, *en_params]
        base = "FROM search_fts f WHERE " + " AND ".join(where)
        base_params = [*params, *text_params]

        def rank(alias: str) -> tuple[str, list[Any]]:
            if tree is None:
                return "0", []
            sql = f"greatest(ts_rank_cd({alias}.tsv_ru, {ru_sql}), ts_rank_cd({alias}.tsv_en, {en_sql}))"
            return sql, [*ru_params, *en_params]

        limit = max(1, min(query.limit, 200))
        offset = max(0, query.offset)
        # With a text condition, "ORDER BY rowid" would tempt the planner to walk the primary key backwards and
        # test every row's (TOASTed) tsvectors until it has a page: seconds for a rare word. "rowid + 0" is not
        # the index's order, so PostgreSQL collects the matches from the GIN indexes and sorts only those.
        newest_key = "f.rowid + 0" if tree is not None else "f.rowid"
        if query.sort == "relevance" and tree is not None:
            order_sql, order_params = rank("f")
            page = f"SELECT f.rowid, {order_sql} AS score {base} ORDER BY score DESC, f.rowid DESC LIMIT %s OFFSET %s"
            page_params = [*order_params, *base_params, limit, offset]
            outer_order = "m.score DESC, m.rowid DESC"
        else:
            page = f"SELECT f.rowid, 0 AS score {base} ORDER BY {newest_key} DESC LIMIT %s OFFSET %s"
            page_params = [*base_params, limit, offset]
            outer_order = "m.rowid DESC"
        score_sql, score_params = rank("g")
        raw = self.store.raw
        try:
            with raw.transaction():
                # The planner does not see what reading TOASTed tsvectors costs and would scan the table
                # for frequent words (0.6 s at 50,000 articles) where the GIN indexes answer in 50 ms.
                raw.execute("SET LOCAL enable_seqscan = off")
                rows = raw.execute(
                    f"SELECT m.rowid AS docid, {score_sql} AS score, d.article_id,"
                    f" CASE WHEN g.tsv_ru @@ {ru_sql} THEN ts_headline('russian',"
                    f" g.text_title_ru || E'\\n' || g.text_body_ru, {ru_sql}, %s) END AS ru_snippet,"
                    f" CASE WHEN g.tsv_en @@ {en_sql} THEN ts_headline('english',"
                    f" coalesce(g.title_en, '') || E'\\n' || coalesce(g.body_en, ''), {en_sql}, %s) END AS en_snippet"
                    f" FROM ({page}) m JOIN search_fts g ON g.rowid = m.rowid"
                    " LEFT JOIN search_docs d ON d.docid = m.rowid"
                    f" ORDER BY {outer_order}",
                    [
                        *score_params,
                        *ru_params,
                        *ru_params,
                        HEADLINE_OPTIONS,
                        *en_params,
                        *en_params,
                        HEADLINE_OPTIONS,
                        *page_params,
                    ],
                ).fetchall()
                newest = f"SELECT f.rowid {base} ORDER BY {newest_key} DESC LIMIT %s"
                total = int(
                    raw.execute(f"SELECT count(*) FROM ({newest}) m", [*base_params, COUNT_CAP + 1]).fetchone()[0]
                )
                counts = raw.execute(
                    f"SELECT d.outlet, count(*) FROM ({newest}) m JOIN search_docs d ON d.docid = m.rowid"
                    " GROUP BY d.outlet",
                    [*base_params, FACET_SAMPLE],
                ).fetchall()
        except psycopg.Error as exc:
            raise QueryError(f"cannot run this query: {str(exc).strip().splitlines()[0]}") from exc
        # The serve stage builds the hits (titles, metadata, its own snippets); ts_headline's snippets replace
        # its snippets where PostgreSQL found the words. Its score is negated (bm25): hand it -rank.
        scored = [(int(r["docid"]), -float(r["score"]) if tree is not None else None) for r in rows]
        hits = self._hits(scored, tree)
        headlines = {int(r["article_id"]): r for r in rows}
        for hit in hits:
            row = headlines.get(hit.article_id)
            snippets = [
                Snippet(lang, parse_headline(row[column]))
                for lang, column in (("en", "en_snippet"), ("ru", "ru_snippet"))
                if row is not None and row[column]
            ]
            if snippets:
                hit.snippets = snippets
        return SearchResults(
            total=min(total, COUNT_CAP),
            total_is_capped=total > COUNT_CAP,
            hits=hits,
            outlet_counts={(o or ""): int(n) for o, n in sorted(counts, key=lambda c: -int(c[1]))},
            outlet_counts_sampled=total > FACET_SAMPLE,
            fts_query=query.text or None,
            elapsed_ms=(time.perf_counter() - started) * 1000,
        )

    def match_condition(self, query: SearchQuery, alias: str = "f") -> tuple[str, list[Any]]:
        """The words and filters of ``query`` as a WHERE condition on ``search_fts`` (aliased ``alias``), with
        psycopg ``%s`` parameters for ``store.raw``: the same tsquery and facet tests as ``search``, for counts
        over every match (the attention chart of dragoman.serve.morning)."""
        tree = parse_query(query.text)
        ru, en = tsquery_sql(tree, "ru"), tsquery_sql(tree, "en")
        if tree is not None and ru is None and en is None:
            raise QueryError("the query has no words to search for")
        where, params = ["TRUE"], []
        if query.outlets:
            where.append(f"{alias}.facet_tokens && %s")
            params.append([facet_token("o", o) for o in query.outlets])
        required = [facet_token("r", query.rubric)] if query.rubric else []
        required += [facet_token("e", e) for e in query.entities]
        if required:
            where.append(f"{alias}.facet_tokens @> %s")
            params.append(required)
        if tree is not None:
            ru_sql, ru_params = ru or ("''::tsquery", [])
            en_sql, en_params = en or ("''::tsquery", [])
            where.append(f"({alias}.tsv_ru @@ {ru_sql} OR {alias}.tsv_en @@ {en_sql})")
            params += [*ru_params, *en_params]
        return " AND ".join(where), params
