"""Search and reader speed on large synthetic corpora resampled from real Russian/English news sentences.

    .venv/bin/python bench/search_speed.py --articles 100000 --body 8
    .venv/bin/python bench/search_speed.py --articles 1000000 --body 4

Articles are built from WMT newstest2012-2020 (real Russian news sentences and their human English
references, ../shared/data/wmt_ru_en), resampled: a title and ``--body`` sentence pairs each, outlets,
rubrics, dates over two years, entities (Zipf-distributed), unnamed-source and QA flags. They are written
straight into the store's tables with executemany (the same rows the store and the indexer write: full
JSON records that ``SQLiteStore.get`` reads back), because going through ``ingest`` for a million articles
would measure the store, not search. The product's own indexing path (``SearchIndex.sync``) is timed
separately on queued articles. Then a query mix (frequent, mid and rare terms in both languages, phrases,
boolean and prefix queries, filters) is timed through ``SearchIndex.search`` (the same call the web page
makes, with counts and snippets), and the reader page through the web app in-process.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dragoman.search import open_index
from dragoman.search.index import (
    FLAG_QA,
    FLAG_TRANSLATED,
    FLAG_UNNAMED,
    clean_text,
    facet_token,
    make_docid,
    stem_russian,
)
from dragoman.search.query import SearchQuery
from dragoman.store import open_store

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "wmt_ru_en"
OUTLETS = [("iz.ru", "Известия", 0.35), ("ria.ru", "РИА Новости", 0.3), ("tass.ru", "ТАСС", 0.2),
           ("kommersant.ru", "Коммерсантъ", 0.1), ("meduza.io", "Медуза", 0.05)]  # fmt: skip
RUBRICS = [("Мир", "World"), ("Политика", "Politics"), ("Экономика", "Economy"), ("Общество", "Society"),
           ("Армия", "Army"), ("Культура", "Culture")]  # fmt: skip
START = datetime(2021, 1, 1, tzinfo=UTC)
SPAN_SECONDS = 2 * 365 * 86400
WORD = re.compile(r"\w+")


def load_pairs() -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for year in range(2012, 2021):
        ru_path, en_path = SHARED / f"newstest{year}.ru-en.ru", SHARED / f"newstest{year}.ru-en.en"
        if not ru_path.exists():
            continue
        ru = ru_path.read_text(encoding="utf-8").splitlines()
        en = en_path.read_text(encoding="utf-8").splitlines()
        pairs.extend((r.strip(), e.strip()) for r, e in zip(ru, en, strict=True) if r.strip() and e.strip())
    if len(pairs) < 10_000:
        sys.exit(f"need the WMT ru-en test sets at {SHARED}")
    return pairs


@dataclass(frozen=True)
class BenchArticle:
    """One article of the recipe, and the rows every build writes of it (bench/pg_search.py builds the same
    corpus on PostgreSQL from these draws)."""

    article_id: int
    picks: list[int]  # indexes into the sentence pairs: the title's, then the body's
    outlet: str
    rubric: str
    rubric_en: str
    published_iso: str
    qa: bool
    entities: list[str]
    unnamed: bool
    url: str
    docid: int
    blocks: list[list[tuple[str, str]]]  # paragraphs of two sentence pairs
    record: dict[str, Any]
    facets: list[str]

    def article_row(self, now: str) -> tuple[Any, ...]:
        """(id, key_url, url, outlet, language, title, rubric, published_at, first_seen_at, updated_at,
        current_revision_id, revision_count)"""
        return (self.article_id, self.url, self.url, self.outlet, "ru", self.record["title"], self.rubric,
                self.published_iso, now, now, self.article_id, 1)  # fmt: skip

    def revision_row(self, now: str) -> tuple[Any, ...]:
        """(id, article_id, revision, content_sha256, fetched_at, stored_at, extractor_version, source_url,
        record)"""
        return (self.article_id, self.article_id, 1, self.record["content_sha256"], now, now, "bench", self.url,
                json.dumps(self.record, ensure_ascii=False))  # fmt: skip

    def doc_row(self, now: str) -> tuple[Any, ...]:
        """search_docs (article_id, docid, revision_id, translation_model, published_at, outlet, rubric,
        language, unnamed_sources, qa_flags, indexed_at)"""
        return (self.article_id, self.docid, self.article_id, "bench-model", self.published_iso, self.outlet,
                self.rubric, "ru", int(self.unnamed), int(self.qa), now)  # fmt: skip

    def fts_row(self, stemmed: list[str], cleaned: list[str]) -> tuple[Any, ...]:
        """search_fts (rowid, title_ru, body_ru, title_en, body_en, facets): stemmed Russian and cleaned English
        of the picked sentences, as the indexer writes them."""
        title, body = self.picks[0], self.picks[1:]
        return (self.docid, stemmed[title], " ".join(stemmed[i] for i in body), cleaned[title],
                " ".join(cleaned[i] for i in body), " ".join(self.facets))  # fmt: skip


def draw_articles(n: int, body: int, pairs: list[tuple[str, str]], seed: int = 5) -> Iterator[BenchArticle]:
    """The recipe's ``n`` articles, the random draws always in the same order (so a seed is a corpus): a title
    and ``body`` sentence pairs, an outlet by weight, a rubric, a time in two years, 5 % QA-flagged, 0-3
    entities Zipf-distributed over 300, 15 % with unnamed sources."""
    rng = random.Random(seed)
    entity_keys = [f"Q{1000 + i}" for i in range(300)]
    entity_weights = [1 / (i + 1) for i in range(300)]
    outlet_weights = [w for _, _, w in OUTLETS]
    for article_id in range(1, n + 1):
        picks = [rng.randrange(len(pairs)) for _ in range(body + 1)]
        outlet, outlet_name, _ = rng.choices(OUTLETS, outlet_weights)[0]
        rubric, rubric_en = RUBRICS[rng.randrange(len(RUBRICS))]
        published_iso = (START + timedelta(seconds=rng.randrange(SPAN_SECONDS))).isoformat()
        qa = rng.random() < 0.05
        entities = sorted(set(rng.choices(entity_keys, entity_weights, k=rng.randrange(0, 4))))
        unnamed = rng.random() < 0.15
        url = f"https://{outlet}/news/{article_id}"
        body_pairs = [pairs[i] for i in picks[1:]]
        blocks = [body_pairs[i : i + 2] for i in range(0, len(body_pairs), 2)]
        record = {
            "schema_version": 1, "url": url, "title": pairs[picks[0]][0], "outlet": outlet, "outlet_name": outlet_name,
            "blocks": [{"kind": "paragraph", "text": " ".join(r for r, _ in b)} for b in blocks],
            "published_at": published_iso, "timezone": "Europe/Moscow", "rubric": rubric, "language": "ru",
            "fetched_at": published_iso, "content_sha256": f"{article_id:064x}", "extractor_version": "bench",
        }  # fmt: skip
        facets = [facet_token("o", outlet), facet_token("r", rubric), facet_token("r", rubric_en),
                  FLAG_TRANSLATED, *(facet_token("e", k) for k in entities)]  # fmt: skip
        if unnamed:
            facets.append(FLAG_UNNAMED)
        if qa:
            facets.append(FLAG_QA)
        yield BenchArticle(article_id, picks, outlet, rubric, rubric_en, published_iso, qa, entities, unnamed, url,
                           make_docid(published_iso, article_id), blocks, record, facets)  # fmt: skip


def build(db: Path, n: int, body: int, pairs: list[tuple[str, str]], seed: int = 5) -> dict[str, Any]:
    """Write ``n`` articles with translations, analyses and their index rows; returns timings."""
    stemmed = [stem_russian(r) for r, _ in pairs]
    cleaned = [clean_text(e) for _, e in pairs]
    store = open_store(db)
    conn = store.connection
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -1000000")  # 1 GB page cache while building
    started = time.perf_counter()
    batch = 20_000
    # Bulk load: no incremental segment merging while inserting, one 'optimize' merge at the end.
    conn.execute("INSERT INTO search_fts(search_fts, rank) VALUES ('automerge', 0)")
    now = datetime.now(UTC).isoformat()
    drawn = draw_articles(n, body, pairs, seed)
    for first in range(1, n + 1, batch):
        articles, revisions, translations, analyses, docs, fts, ents = [], [], [], [], [], [], []
        for a in itertools.islice(drawn, batch):
            title_pair = pairs[a.picks[0]]
            translation = {
                "engine": "bench", "model_id": "bench-model", "translated_at": now, "rubric": a.rubric_en,
                "title": {"role": "title", "index": 0,
                          "sentences": [{"source": title_pair[0], "target": title_pair[1], "flags": []}]},
                "blocks": [{"role": "block", "index": i, "sentences": [
                    {"source": r, "target": e, "flags": ["length_ratio"] if a.qa and i == 0 and j == 0 else []}
                    for j, (r, e) in enumerate(b)]} for i, b in enumerate(a.blocks)],
            }  # fmt: skip
            articles.append(a.article_row(now))
            revisions.append(a.revision_row(now))
            translations.append((a.article_id, "bench", "bench-model", now, int(a.qa),
                                 json.dumps(translation, ensure_ascii=False)))  # fmt: skip
            analysis = {"entities": [{"key": k, "name": f"Entity {k}", "type": "PER"} for k in a.entities],
                        "unnamed_sources": int(a.unnamed)}  # fmt: skip
            analyses.append((a.article_id, "bench", now, json.dumps(analysis)))
            docs.append(a.doc_row(now))
            fts.append(a.fts_row(stemmed, cleaned))
            ents.extend((a.article_id, k, f"Entity {k}", "PER", 1, a.docid) for k in a.entities)
        with store.transaction() as c:
            c.executemany("INSERT INTO articles (id, key_url, url, outlet, language, title, rubric, published_at,"
                          " first_seen_at, updated_at, current_revision_id, revision_count)"
                          " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", articles)  # fmt: skip
            c.executemany("INSERT INTO revisions (id, article_id, revision, content_sha256, fetched_at, stored_at,"
                          " extractor_version, source_url, record) VALUES (?,?,?,?,?,?,?,?,?)", revisions)  # fmt: skip
            c.executemany("INSERT INTO translations (revision_id, engine, model_id, translated_at, flag_count, record)"
                          " VALUES (?,?,?,?,?,?)", translations)  # fmt: skip
            c.executemany("INSERT INTO analyses (revision_id, analyzer_version, analyzed_at, record)"
                          " VALUES (?,?,?,?)", analyses)  # fmt: skip
            c.executemany("INSERT INTO search_docs (article_id, docid, revision_id, translation_model, published_at,"
                          " outlet, rubric, language, unnamed_sources, qa_flags, indexed_at)"
                          " VALUES (?,?,?,?,?,?,?,?,?,?,?)", docs)  # fmt: skip
            fts.sort()  # FTS5 flushes pending terms on every decreasing rowid: insert in docid order
            c.executemany("INSERT INTO search_fts (rowid, title_ru, body_ru, title_en, body_en, facets)"
                          " VALUES (?,?,?,?,?,?)", fts)  # fmt: skip
            c.executemany("INSERT INTO search_entities (article_id, entity, name, type, mentions, docid)"
                          " VALUES (?,?,?,?,?,?)", ents)  # fmt: skip
        done = min(first + batch - 1, n)
        if done % 50_000 == 0 or done == n:
            print(f"  built {done:,} articles in {time.perf_counter() - started:.0f}s", flush=True)
    conn.execute("DELETE FROM search_queue")  # the translation/analysis triggers queued what we indexed already
    build_seconds = time.perf_counter() - started
    t = time.perf_counter()
    conn.execute("INSERT INTO search_fts(search_fts) VALUES ('optimize')")
    conn.execute("INSERT INTO search_fts(search_fts, rank) VALUES ('automerge', 4)")  # the default again
    optimize_seconds = time.perf_counter() - t
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    sizes = {row[0]: row[1] for row in conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name")}
    store.close()
    fts_bytes = sum(v for k, v in sizes.items() if k.startswith("search_fts"))
    read_models = sum(
        v for k, v in sizes.items() if k.startswith(("search_docs", "search_entities", "sqlite_autoindex_search"))
    )
    return {"build_seconds": build_seconds, "optimize_seconds": optimize_seconds, "db_bytes": db.stat().st_size,
            "fts_bytes": fts_bytes, "read_model_bytes": read_models,
            "records_bytes": sum(v for k, v in sizes.items()
                                 if k in ("revisions", "translations", "analyses"))}  # fmt: skip


def time_incremental_indexing(db: Path, count: int) -> float:
    """Articles/s of the product's indexing path: re-queue ``count`` articles and let SearchIndex index them."""
    store = open_store(db)
    store.connection.execute(
        "INSERT OR IGNORE INTO search_queue (article_id) SELECT id FROM articles ORDER BY random() LIMIT ?", (count,)
    )
    with Timer() as timer:
        done = open_index(store).sync()
    store.close()
    wall_ms, cpu_ms = timer.ms
    print(f"  (re-indexed {done} articles: {done / wall_ms * 1000:,.0f}/s wall, {done / cpu_ms * 1000:,.0f}/s CPU)")
    return done / wall_ms * 1000


def query_mix(pairs: list[tuple[str, str]], rng: random.Random) -> list[tuple[str, SearchQuery]]:
    """Frequent, mid and rare terms by document frequency in the source sentences, in both languages."""
    ru_df: Counter[str] = Counter()
    en_df: Counter[str] = Counter()
    # dict.fromkeys, not a set: most_common keeps first-seen order among ties, and a set's order changes with
    # each process's string hashing, which made every run draw other queries (fixed 2026-12-06).
    for r, e in pairs:
        ru_df.update(list(dict.fromkeys(w for w in WORD.findall(r.lower()) if len(w) > 3 and not w.isdigit())))
        en_df.update(list(dict.fromkeys(w for w in WORD.findall(e.lower()) if len(w) > 3 and not w.isdigit())))
    ranked_ru = [w for w, _ in ru_df.most_common()]
    ranked_en = [w for w, _ in en_df.most_common()]

    def band(ranked: list[str], lo: int, hi: int, k: int) -> list[str]:
        return rng.sample(ranked[lo:hi], k)

    mix: list[tuple[str, SearchQuery]] = []
    for w in band(ranked_ru, 0, 30, 8) + band(ranked_en, 0, 30, 6):
        mix.append(("frequent", SearchQuery(text=w)))
    for w in band(ranked_ru, 300, 2000, 10) + band(ranked_en, 300, 2000, 8):
        mix.append(("mid", SearchQuery(text=w)))
    rare_ru = [w for w in ranked_ru if ru_df[w] == 2]
    rare_en = [w for w in ranked_en if en_df[w] == 2]
    for w in rng.sample(rare_ru, 10) + rng.sample(rare_en, 8):
        mix.append(("rare", SearchQuery(text=w)))
    for r, e in rng.sample(pairs, 12):
        words = WORD.findall(r if rng.random() < 0.5 else e)
        if len(words) >= 4:
            i = rng.randrange(len(words) - 2)
            mix.append(("phrase", SearchQuery(text=f'"{words[i]} {words[i + 1]}"')))
    for _ in range(6):
        a, b = rng.sample(ranked_ru[20:400], 2)
        mix.append(("boolean", SearchQuery(text=f"{a} {b}")))
        mix.append(("boolean", SearchQuery(text=f"{a} OR {b}")))
        mix.append(("boolean", SearchQuery(text=f"{a} -{b}")))
    for w in band(ranked_ru, 50, 600, 5) + band(ranked_en, 50, 600, 5):
        mix.append(("prefix", SearchQuery(text=w[: max(4, len(w) - 2)] + "*")))
    for w in band(ranked_ru, 0, 600, 6):
        mix.append(("filter outlet", SearchQuery(text=w, outlets=["meduza.io"])))
        mix.append(("filter entity", SearchQuery(text=w, entities=[f"Q{1000 + rng.randrange(300)}"])))
        mix.append(("filter unnamed+qa", SearchQuery(text=w, unnamed_sources=True, qa_flagged=True)))
        month = START + timedelta(days=rng.randrange(700))
        mix.append(("filter dates", SearchQuery(text=w, since=month, until=month + timedelta(days=30))))
    mix.append(("browse", SearchQuery(text="")))
    mix.append(("browse", SearchQuery(text="", outlets=["tass.ru"])))
    return mix


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


RELEVANCE_30_DAYS, RELEVANCE_ALL_TIME = "relevance, 30 days", "relevance, all time"


def time_mix(
    index: Any, mix: list[tuple[str, SearchQuery]], *, all_time: bool = False
) -> tuple[dict[str, list[tuple[float, float]]], dict[str, list[int]]]:
    """(wall, CPU) ms and totals per kind for each query of the mix, after one warm-up search; for each frequent
    and mid word also relevance order over 30 days, and over all time when ``all_time`` (bench/pg_search.py)."""
    index.search(SearchQuery(text="россия"))  # open files, warm the page cache once
    timings: dict[str, list[tuple[float, float]]] = {}
    totals: dict[str, list[int]] = {}
    for kind, query in mix:
        with Timer() as timer:
            results = index.search(query)
        timings.setdefault(kind, []).append(timer.ms)
        totals.setdefault(kind, []).append(results.total)
        if kind in ("frequent", "mid") and query.text:
            month = SearchQuery(
                text=query.text, sort="relevance", since=START + timedelta(days=300), until=START + timedelta(days=330)
            )
            ranked = {RELEVANCE_30_DAYS: month}
            if all_time:
                ranked[RELEVANCE_ALL_TIME] = SearchQuery(text=query.text, sort="relevance")
            for name, ranked_query in ranked.items():
                with Timer() as timer:
                    index.search(ranked_query)
                timings.setdefault(name, []).append(timer.ms)
    return timings, totals


def run_queries(db: Path, mix: list[tuple[str, SearchQuery]]) -> dict[str, Any]:
    with open_store(db) as store:
        timings, totals = time_mix(open_index(store), mix)
    relevance = timings.pop(RELEVANCE_30_DAYS, [])
    default = [v for k, vs in timings.items() for v in vs]
    return {"timings": timings, "totals": totals, "default": default, "relevance": relevance}


class Timer:
    """Wall and CPU milliseconds of a block. On a shared machine the CPU time (this process, all threads)
    is the better estimate of the uncontended wall time: search is single-threaded and the database sits
    in the page cache."""

    def __enter__(self) -> Timer:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.ms = ((time.perf_counter() - self.wall) * 1000, (time.process_time() - self.cpu) * 1000)


def time_pages(db: Path, n: int, rng: random.Random) -> dict[str, list[tuple[float, float]]]:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from fastapi.testclient import TestClient
    from dragoman.serve.app import create_app

    out: dict[str, list[tuple[float, float]]] = {"reader": [], "search page": []}
    with TestClient(create_app(db)) as client:
        client.get("/articles/1")
        for _ in range(40):
            with Timer() as timer:
                response = client.get(f"/articles/{rng.randrange(1, n + 1)}")
            out["reader"].append(timer.ms)
            assert response.status_code == 200 and 'data-s="1"' in response.text
        for word in ("россия", "президент", "sanctions", "переговоры", "Moscow"):
            with Timer() as timer:
                assert client.get("/", params={"q": word}).status_code == 200
            out["search page"].append(timer.ms)
        for name, path in (("entities page", "/entities"), ("entity page (top)", "/entities/Q1000"),
                           ("entity page (rare)", "/entities/Q1299"), ("outlets page", "/outlets"),
                           ("quotes page", "/quotes"), ("timeline page", "/timeline?actor=Russia")):  # fmt: skip
            for _ in range(3):
                with Timer() as timer:
                    assert client.get(path).status_code == 200, path
                out.setdefault(name, []).append(timer.ms)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--body", type=int, default=8, help="body sentence pairs per article")
    parser.add_argument("--dir", default=None, help="where to build (default: a temp dir, removed after)")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="time queries on an existing database in --dir")
    args = parser.parse_args()
    workdir = Path(args.dir or tempfile.mkdtemp(prefix="dragoman-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / f"search-{args.articles}.db"
    pairs = load_pairs()
    if args.reuse and db.exists():
        print(f"reusing {db} ({db.stat().st_size / 2**30:.2f} GiB)")
        run_and_report(db, args, pairs)
        return
    if db.exists():
        db.unlink()
    print(f"{len(pairs):,} real ru-en sentence pairs; building {args.articles:,} articles with "
          f"1+{args.body} sentences each in {db}", flush=True)  # fmt: skip
    built = build(db, args.articles, args.body, pairs)
    rate = args.articles / built["build_seconds"]
    print(f"bulk build: {built['build_seconds']:.0f}s ({rate:,.0f} articles/s, records+index), optimize "
          f"{built['optimize_seconds']:.0f}s; database {built['db_bytes'] / 2**30:.2f} GiB, FTS index "
          f"{built['fts_bytes'] / 2**30:.2f} GiB ({built['fts_bytes'] / args.articles:.0f} B/article), read models "
          f"{built['read_model_bytes'] / 2**20:.0f} MiB, records {built['records_bytes'] / 2**30:.2f} GiB")  # fmt: skip
    incremental = time_incremental_indexing(db, 2000)
    print(f"product indexing path (SearchIndex.sync: load record, stem, index): {incremental:,.0f} articles/s")
    run_and_report(db, args, pairs)
    if not args.keep and not args.dir:
        shutil.rmtree(workdir)


def run_and_report(db: Path, args: argparse.Namespace, pairs: list[tuple[str, str]]) -> None:
    rng = random.Random(11)
    mix = query_mix(pairs, rng)
    result = run_queries(db, mix)
    print(f"\n{'':<26}{'--- wall ms ---':>24}{'-- CPU ms --':>16}")
    print(f"{'query kind':<26}{'n':>4}{'p50':>8}{'p95':>8}{'max':>8}{'p50':>8}{'p95':>8}{'median hits':>13}")

    def line(name: str, values: list[tuple[float, float]], hits: str = "") -> None:
        wall, cpu = [v[0] for v in values], [v[1] for v in values]
        print(
            f"{name:<26}{len(values):>4}{percentile(wall, 50):>8.1f}{percentile(wall, 95):>8.1f}{max(wall):>8.1f}"
            f"{percentile(cpu, 50):>8.1f}{percentile(cpu, 95):>8.1f}{hits:>13}"
        )

    for kind, values in result["timings"].items():
        line(kind, values, f"{statistics.median(result['totals'][kind]):,.0f}")
    line("ALL default order", result["default"])
    line("relevance, 30 days", result["relevance"])
    for name, values in time_pages(db, args.articles, rng).items():
        line(name + " (HTTP)", values)
    print(f"cpu: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
