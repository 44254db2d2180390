"""Search latency on PostgreSQL, RUM against GIN in the same run, on bench/search_speed.py's corpus.

    .venv/bin/python bench/pg_search.py --articles 1000000 --body 4
    .venv/bin/python bench/pg_search.py --articles 100000 --body 8 --layouts rum,gin

Builds the very corpus of ``bench/search_speed.py`` (same seed, same recipe: real WMT Russian sentences with
their English references, resampled; outlets, rubrics, dates over two years, entities, flags) in a PostgreSQL
database with COPY: articles, revisions (the JSON records the hits are read from), search_docs and search_fts
with its ``tsv`` column (dragoman.search.postgres.tsvector_from_tokens: the FTS5 tokens with positions), into
the month partitions the indexer creates (migration 311). Translations, analyses and the entity tables are
left out: search does not read them. Then, for each index layout in turn (``rum``: RUM with positions;
``gin``: GIN), it creates the index on every month (timed, sized), runs search_speed's query mix through
``SearchIndex.search`` (the web page's call: 20 hits with snippets, counts up to 10,000, per-outlet counts),
the issue's fixed queries, and the web search page over HTTP from a real server on 127.0.0.1. Needs a server URL
(DRAGOMAN_TEST_POSTGRES or --url); the database named by --db is dropped and recreated unless --reuse.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import socket
import statistics
import sys
import threading
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dragoman.search import open_index
from dragoman.search.index import clean_text, stem_russian
from dragoman.search.postgres import fts5_tokens, tsvector_from_tokens, tsvector_text
from dragoman.search.query import SearchQuery
from search_speed import (
    Timer,
    draw_articles,
    load_pairs,
    percentile,
    query_mix,
    time_mix,
)

LAYOUTS = {  # on the month partitions (migration 311): each statement builds one index per month
    "rum": ["CREATE INDEX search_fts_rum ON search_fts USING rum ((tsv || ''::tsvector) rum_tsvector_ops)"],
    "gin": ["CREATE INDEX search_fts_gin ON search_fts USING gin (tsv)"],
}
SEARCH_INDEXES = ("search_fts_rum", "search_fts_rum_newest", "search_fts_gin")
BATCH = 20_000


def build(url: str, n: int, body: int, pairs: list[tuple[str, str]], seed: int = 5) -> float:
    """search_speed.build's articles (the same random draws in the same order), written with COPY."""
    import psycopg

    from dragoman.store import open_store

    open_store(url).close()  # migrations
    stemmed = [stem_russian(r) for r, _ in pairs]
    cleaned = [clean_text(e) for _, e in pairs]
    ru_tokens = [fts5_tokens(s) for s in stemmed]
    en_tokens = [fts5_tokens(e) for e in cleaned]
    now = datetime.now(UTC).isoformat()
    started = time.perf_counter()
    drawn = draw_articles(n, body, pairs, seed)
    with psycopg.connect(url) as conn:
        for name in SEARCH_INDEXES:  # loaded without indexes; each layout builds its own afterwards
            conn.execute(f"DROP INDEX IF EXISTS {name}")
        conn.commit()
        for first in range(1, n + 1, BATCH):
            articles, revisions, docs, fts = [], [], [], []
            for a in itertools.islice(drawn, BATCH):
                articles.append(a.article_row(now))
                revisions.append(a.revision_row(now))
                docs.append(a.doc_row(now))
                row = a.fts_row(stemmed, cleaned)
                title, body_picks = a.picks[0], a.picks[1:]
                columns = [ru_tokens[title], [t for i in body_picks for t in ru_tokens[i]], en_tokens[title],
                           [t for i in body_picks for t in en_tokens[i]]]  # fmt: skip
                tsv = tsvector_from_tokens(columns, a.facets)
                if a.article_id <= 3:  # the shortcut through pre-tokenized sentences writes what the product writes
                    assert tsv == tsvector_text(*row[1:]), a.article_id
                fts.append((*row, tsv))
            with conn.cursor() as cur:
                # the month partitions these rows go to, as the indexer creates them (search_fts_partition)
                cur.execute(
                    "SELECT DISTINCT search_fts_partition(d) FROM unnest(%s::bigint[]) AS d", [[r[0] for r in fts]]
                )
                for sql, rows in (
                    ("articles (id, key_url, url, outlet, language, title, rubric, published_at, first_seen_at,"
                     " updated_at, current_revision_id, revision_count)", articles),
                    ("revisions (id, article_id, revision, content_sha256, fetched_at, stored_at, extractor_version,"
                     " source_url, record)", revisions),
                    ("search_docs (article_id, docid, revision_id, translation_model, published_at, outlet, rubric,"
                     " language, unnamed_sources, qa_flags, indexed_at)", docs),
                    ("search_fts (rowid, title_ru, body_ru, title_en, body_en, facets, tsv)", sorted(fts)),
                ):  # fmt: skip
                    with cur.copy(f"COPY {sql} FROM STDIN") as copy:
                        for r in rows:
                            copy.write_row(r)
            conn.commit()
            done = min(first + BATCH - 1, n)
            if done % 100_000 == 0 or done == n:
                print(f"  loaded {done:,} articles in {time.perf_counter() - started:.0f}s", flush=True)
        conn.execute("DELETE FROM search_queue")
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


FIXED = [  # the queries of the previous bench (bench/RESULTS.md, 50,000 articles), by name
    ("phrase 'Владимир Путин'", SearchQuery(text='"Владимир Путин"')),
    ("relevance 'президента'", SearchQuery(text="президента", sort="relevance")),
    ("relevance 'said'", SearchQuery(text="said", sort="relevance")),
    ("relevance phrase", SearchQuery(text='"Владимир Путин"', sort="relevance")),
    ("prefix 'санкци*'", SearchQuery(text="санкци*")),
    ("boolean 'Путин -Трамп'", SearchQuery(text="Путин -Трамп")),
    ("frequent 'России'", SearchQuery(text="России")),
    ("rare 'кукуруза'", SearchQuery(text="кукуруза")),
]


def serve_in_thread(url: str) -> tuple[str, Any]:
    """The web app on a free 127.0.0.1 port (uvicorn in a thread): the real HTTP path of the search page."""
    import uvicorn

    from dragoman.serve.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(url), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server


def time_layout(url: str, layout: str, mix: list[tuple[str, SearchQuery]], articles: int) -> None:
    import psycopg

    from dragoman.store import open_store

    wanted = [sql.split()[2] for sql in LAYOUTS[layout]]
    with psycopg.connect(url, autocommit=True) as conn:
        present = [r[0] for r in conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'search_fts'")]
        seconds = 0.0
        if sorted(set(present) & set(SEARCH_INDEXES)) != sorted(wanted):  # else reuse what a run left
            for name in SEARCH_INDEXES:
                conn.execute(f"DROP INDEX IF EXISTS {name}")
            conn.execute("SET maintenance_work_mem = '1GB'")
            began = time.perf_counter()
            for sql in LAYOUTS[layout]:
                conn.execute(sql)
            seconds = time.perf_counter() - began
        conn.execute("ANALYZE search_fts")
        sizes = conn.execute(  # a partitioned index: the sum of its months' indexes
            "SELECT pg_size_pretty(sum(pg_relation_size(t.relid))), sum(pg_relation_size(t.relid)), count(*)"
            " FROM pg_indexes i, pg_partition_tree(i.indexname::regclass) t"
            " WHERE i.tablename = 'search_fts' AND i.indexname = ANY(%s) AND t.isleaf",
            [list(SEARCH_INDEXES)],
        ).fetchone()
        table = conn.execute(
            "SELECT pg_size_pretty(sum(pg_table_size(relid))) FROM pg_partition_tree('search_fts')"
        ).fetchone()[0]
    print(f"\n== layout {layout}: indexes built in {seconds:.0f}s, {sizes[0]} ({sizes[1] / articles:.0f} B/article,"
          f" {sizes[2]} month partitions); search_fts table with TOAST {table}", flush=True)  # fmt: skip
    with open_store(url) as store:
        index = open_index(store)
        assert index.layout() == layout, index.layout()  # type: ignore[attr-defined]
        timings, totals = time_mix(index, mix, all_time=True)
        fixed: list[tuple[str, float, int]] = []
        for name, query in FIXED:
            runs = []
            for _ in range(4):
                with Timer() as timer:
                    results = index.search(query)
                runs.append(timer.ms[0])
            fixed.append((name, statistics.median(runs[1:]), results.total))
    print(f"{'query kind':<24}{'n':>4}{'p50':>8}{'p95':>8}{'max':>8}{'cpu p50':>9}{'median hits':>13}")
    every: list[tuple[float, float]] = []
    for kind, values in timings.items():
        wall = [v[0] for v in values]
        every.extend(values)
        hits = f"{statistics.median(totals[kind]):,.0f}" if kind in totals else ""
        print(f"{kind:<24}{len(values):>4}{percentile(wall, 50):>8.1f}{percentile(wall, 95):>8.1f}{max(wall):>8.1f}"
              f"{percentile([v[1] for v in values], 50):>9.1f}{hits:>13}")  # fmt: skip
    wall = [v[0] for v in every]
    print(f"{'ALL (incl. relevance)':<24}{len(wall):>4}{percentile(wall, 50):>8.1f}{percentile(wall, 95):>8.1f}"
          f"{max(wall):>8.1f}")  # fmt: skip
    for name, ms, total in fixed:
        print(f"  {name:<28} {total:>6} hits  median {ms:7.1f} ms")
    base, server = serve_in_thread(url)
    try:
        page_ms = []
        for text in ('"Владимир Путин"', '"Владимир Путин"', '"Владимир Путин"', '"президент России"', "санкции"):
            began = time.perf_counter()
            with urllib.request.urlopen(f"{base}/?{urllib.parse.urlencode({'q': text})}", timeout=60) as answer:
                page = answer.read().decode()
                assert answer.status == 200 and "<mark" in page, text
            page_ms.append((text, (time.perf_counter() - began) * 1000))
        print("  search page over HTTP: " + ", ".join(f"{t} {ms:.0f} ms" for t, ms in page_ms))
    finally:
        server.should_exit = True
    print(f"  load average {os.getloadavg()[0]:.1f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--body", type=int, default=8, help="body sentence pairs per article (search_speed's)")
    parser.add_argument("--layouts", default="gin,rum", help="index layouts to time, in this order")
    parser.add_argument("--url", default=os.environ.get("DRAGOMAN_TEST_POSTGRES"), help="server URL")
    parser.add_argument("--db", default="dragoman_bench_search")
    parser.add_argument("--reuse", action="store_true", help="query the database a previous run built")
    args = parser.parse_args()
    if not args.url:
        raise SystemExit("give --url postgresql://... or set DRAGOMAN_TEST_POSTGRES")
    import psycopg

    url = args.url.rpartition("/")[0] + "/" + args.db
    pairs = load_pairs()
    if not args.reuse:
        with psycopg.connect(args.url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{args.db}"')
        seconds = build(url, args.articles, args.body, pairs)
        print(f"{args.articles:,} articles (1+{args.body} sentences) loaded with COPY in {seconds:.0f}s"
              f" ({args.articles / seconds:,.0f}/s, tsvectors computed in Python, no search indexes yet)")  # fmt: skip
    with psycopg.connect(url) as conn:
        articles = conn.execute("SELECT count(*) FROM search_fts").fetchone()[0]
        settings = conn.execute(
            "SELECT string_agg(name || '=' || current_setting(name), ', ') FROM pg_settings"
            " WHERE name IN ('shared_buffers', 'work_mem', 'effective_cache_size', 'server_version')"
        ).fetchone()[0]
    print(f"search_fts: {articles:,} articles")
    print(f"server: {settings}; cpu: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}", flush=True)
    mix = query_mix(pairs, random.Random(11))
    for layout in args.layouts.split(","):
        time_layout(url, layout, mix, articles)


if __name__ == "__main__":
    main()
