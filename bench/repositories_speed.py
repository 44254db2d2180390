"""The monitor's database work per article, before and after its SQL moved into store repositories (issue 12).

Times, per article, what the intake's hooks and the crawl state do besides fetching and extracting: story
assignment (``StoryIndex.assign``: exact-hash lookup, LSH band lookups, signatures read back, the member and its
band keys written), alert checks (``AlertEngine.check`` with three watches), and the crawl state's round for one
item (announce, ``pending_items``, ``stored_article_id``, ``finish_item``). Articles are real Russian news texts
(tgcontest_ru clustering pairs in ../shared/data), each stored first (not timed).

Two source trees run alternately in subprocesses on the same machine, so their ratio is measured in one run:

    .venv/bin/python bench/repositories_speed.py --before /tmp/base/src --after src [--articles 400] [--rounds 3]
    .venv/bin/python bench/repositories_speed.py ... --db postgresql://...   # a server on 127.0.0.1
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
PHASES = ("stories", "alerts", "crawl")


def texts(count: int) -> list[tuple[str, str, str]]:
    """(url, title, text) of real articles: both sides of the labelled pairs, so stories form."""
    csv.field_size_limit(sys.maxsize)
    path = DATA / "tgcontest_ru/toloka/clustering_pairs/ru_train_pool.tsv"
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    out: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for row in rows:
        for side in ("first", "second"):
            url = row[f"INPUT:{side}_url"]
            if url not in seen and row[f"INPUT:{side}_text"].strip():
                seen.add(url)
                out.append((url, row[f"INPUT:{side}_title"], row[f"INPUT:{side}_text"]))
    return out[:count]


def worker(db: str, count: int) -> dict[str, float]:
    """One measurement in this process (the source tree on PYTHONPATH): milliseconds per article per phase."""
    from dragoman.acquire.alerts import AlertEngine, add_watch, recent_alerts
    from dragoman.acquire.dedupe import StoryIndex
    from dragoman.acquire.feeds import FeedItem
    from dragoman.article import Article, Block, BlockKind
    from dragoman.pipeline.watch import CrawlState
    from dragoman.store import open_store

    with open_store(db) as store:
        for value in ("санкции", "NATO", "Путин"):  # before the articles: a watch applies to later ones
            add_watch(store, "term", value)
        articles = []
        for url, title, text in texts(count):
            item = Article(url=url, title=title, blocks=[Block(BlockKind.PARAGRAPH, p) for p in text.split("\n") if p])
            articles.append((store.ingest(item).article_id, item))
        index = StoryIndex(store)
        engine = AlertEngine(store)
        crawl = CrawlState(store)
        timings: dict[str, float] = {}
        started = time.perf_counter()
        for article_id, item in articles:
            index.assign(article_id, item)
        timings["stories"] = time.perf_counter() - started
        started = time.perf_counter()
        for article_id, item in articles:
            engine.check(article_id, item)
        timings["alerts"] = time.perf_counter() - started
        alerts = len(recent_alerts(store, limit=10 * count))
        started = time.perf_counter()
        for article_id, item in articles:
            crawl.enqueue([FeedItem(url=item.url, title=item.title)], source="bench")
            crawl.pending_items(10)
            crawl.stored_article_id(item.url)
            crawl.finish_item(item.url, "done", article_id=article_id)
        timings["crawl"] = time.perf_counter() - started
        stories = len({index.assign(article_id, item).story_id for article_id, item in articles})
    ms = {phase: 1000 * seconds / len(articles) for phase, seconds in timings.items()}
    # What was done, so that both trees are seen doing the same work.
    return {**ms, "alerts_recorded": alerts, "stories_formed": stories}


def fresh_database(base: str | None, tmp: Path) -> str:
    if base is None:
        return str(tmp / f"{uuid.uuid4().hex}.db")
    import psycopg

    name = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{base.rpartition('/')[0]}/{name}"


def drop_database(base: str | None, url: str) -> None:
    if base is None:
        return
    import psycopg

    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.rpartition("/")[2]}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", help="src folder of the code before")
    parser.add_argument("--after", help="src folder of the code after")
    parser.add_argument("--articles", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", help="a PostgreSQL server URL (default: a SQLite file per run)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.articles)))
        return
    results: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.rounds):
            for label, src in (("before", args.before), ("after", args.after)):
                db = fresh_database(args.db, Path(tmp))
                env = {**os.environ, "PYTHONPATH": str(Path(src).resolve()), "OPENBLAS_NUM_THREADS": "1"}
                try:
                    command = [sys.executable, __file__, "--worker", db, "--articles", str(args.articles)]
                    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
                finally:
                    drop_database(args.db, db)
                results[label].append(json.loads(out.strip().splitlines()[-1]))
    backend = "PostgreSQL" if args.db else "SQLite"
    print(f"{backend}, {args.articles} articles, {args.rounds} alternating rounds, median ms per article")
    print(f"{'phase':<10}{'before':>10}{'after':>10}{'after/before':>14}")
    for phase in PHASES:
        before = statistics.median(r[phase] for r in results["before"])
        after = statistics.median(r[phase] for r in results["after"])
        print(f"{phase:<10}{before:>10.2f}{after:>10.2f}{after / before:>14.2f}")
    for what in ("alerts_recorded", "stories_formed"):
        counts = {label: sorted({int(r[what]) for r in runs}) for label, runs in results.items()}
        print(f"{what.replace('_', ' ')}: before {counts['before']}, after {counts['after']}")


if __name__ == "__main__":
    main()
