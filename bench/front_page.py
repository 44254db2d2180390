"""Front page and surge query speed on the search benchmark's corpus (issue 15).

    .venv/bin/python bench/front_page.py --articles 1000000 --body 3 --dir /var/tmp/front   # build, keep, time
    .venv/bin/python bench/front_page.py --articles 1000000 --dir /var/tmp/front --reuse    # time it again

The corpus is bench/search_speed.py's (real WMT Russian/English sentences resampled, dates over two years,
Zipf-distributed entities, search index rows written directly), plus stories: about a third of the articles join
the story of an article published up to a day before them (copies across outlets), written into ``stories`` and
``story_members`` as the monitor's StoryIndex writes them. Rows loaded this way bypass the indexer, so the title
terms of the surge (migration 421) are then written by the product's one-time backfill
(``front.backfill_title_terms``), timed; a database built before migration 421 gets the migration and the
backfill on --reuse. Then, at ``--moments`` moments spread over the corpus's second year, it times through the
product's own code: the top stories of 24 h and of a week (``morning.top_stories``), the surge query
(``morning.surging``, entities and title terms against 30 days, and entities only), and the whole home page
over HTTP in-process (``GET /?at=...``, the surge cache defeated by a distinct moment each time). Wall and CPU
milliseconds, p50/p95.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dragoman.serve import morning
from dragoman.store import front, open_store
from search_speed import SPAN_SECONDS, START, Timer, build, load_pairs, percentile


def add_stories(db: Path, seed: int = 11) -> int:
    """About a third of the articles join the story of an earlier article of the previous day."""
    rng = random.Random(seed)
    store = open_store(db)
    conn = store.connection
    rows = conn.execute("SELECT id, published_at FROM articles ORDER BY published_at").fetchall()
    stories, members = [], []
    recent: list[tuple[str, int]] = []  # (published, story id) of the last day's stories
    story_of_first: dict[int, int] = {}
    for article_id, published in rows:
        cutoff = (morning._parse(published) - timedelta(days=1)).isoformat()  # type: ignore[operator]
        while recent and recent[0][0] < cutoff:
            recent.pop(0)
        if recent and rng.random() < 0.33:
            story_id = rng.choice(recent[-200:])[1]
            members.append((article_id, story_id, "near", 0.8, f"{article_id:064x}", b"", published))
            stories[story_of_first[story_id]][4] += 1
        else:
            story_id = len(stories) + 1
            story_of_first[story_id] = len(stories)
            stories.append([story_id, article_id, "", published, 1])
            members.append((article_id, story_id, "first", 1.0, f"{article_id:064x}", b"", published))
            recent.append((published, story_id))
    with store.transaction() as c:
        c.executemany(
            "INSERT INTO stories (id, first_article_id, title, created_at, article_count) VALUES (?,?,?,?,?)",
            [tuple(s) for s in stories],
        )
        c.executemany(
            "INSERT INTO story_members (article_id, story_id, kind, similarity, content_sha256, minhash,"
            " added_at) VALUES (?,?,?,?,?,?,?)",
            members,
        )
    conn.execute("ANALYZE")
    store.close()
    return len(stories)


def backfill_terms(db: Path) -> None:
    """Write the title terms of a corpus loaded without the indexer (migration 421's one-time backfill, the
    product's own path); the day counts follow through its triggers."""
    store = open_store(db)  # a database built before migration 421 gets it here (documents and entities)
    with Timer() as timer, store.transaction() as conn:
        done = front.backfill_title_terms(conn, "sqlite")
    if done is not None:
        terms = store.connection.execute("SELECT count(*) FROM search_title_terms").fetchone()[0]
        days = store.connection.execute("SELECT count(*) FROM search_day_counts").fetchone()[0]
        store.connection.execute("ANALYZE")
        print(f"title-term backfill: {done:,} titles, {terms:,} term rows, {days:,} day counts in"
              f" {timer.ms[0] / 1000:.0f}s wall, {timer.ms[1] / 1000:.0f}s CPU", flush=True)  # fmt: skip
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--body", type=int, default=3)
    parser.add_argument("--moments", type=int, default=40)
    parser.add_argument("--dir", help="build into DIR/front-ARTICLES.db and keep it (default: a temp dir, removed)")
    parser.add_argument("--reuse", action="store_true", help="time queries on the database already in --dir")
    args = parser.parse_args()
    workdir = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="front-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / f"front-{args.articles}.db"
    try:
        if args.reuse and db.exists():
            print(f"reusing {db} ({db.stat().st_size / 2**30:.2f} GiB)", flush=True)
        else:
            if db.exists():
                db.unlink()
            t = time.perf_counter()
            build(db, args.articles, args.body, load_pairs())
            count = add_stories(db)
            print(f"built {args.articles:,} articles, {count:,} stories in {time.perf_counter() - t:.0f}s")
        backfill_terms(db)
        rng = random.Random(3)
        moments = sorted(
            START + timedelta(seconds=SPAN_SECONDS // 2 + rng.randrange(SPAN_SECONDS // 2)) for _ in range(args.moments)
        )
        store = open_store(db)
        morning.top_stories(store, window=timedelta(hours=24), now=moments[0])  # warm the page cache
        timings: dict[str, list[tuple[float, float]]] = {
            "top stories 24h": [],
            "surge (entities + terms)": [],
            "surge (entities only)": [],
            "top stories week": [],
        }
        for moment in moments:
            with Timer() as timer:
                found = morning.top_stories(store, window=timedelta(hours=24), now=moment)
            timings["top stories 24h"].append(timer.ms)
            assert found.stories, "no stories in the window"
            with Timer() as timer:
                morning.top_stories(store, window=timedelta(days=7), now=moment)
            timings["top stories week"].append(timer.ms)
            with Timer() as timer:
                morning.surging(store, window=timedelta(hours=24), now=moment)
            timings["surge (entities + terms)"].append(timer.ms)
            with Timer() as timer:
                morning.surging(store, window=timedelta(hours=24), now=moment, with_terms=False)
            timings["surge (entities only)"].append(timer.ms)
        store.close()
        import warnings

        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
            from fastapi.testclient import TestClient
        from dragoman.serve.app import create_app

        timings["home page GET / (HTTP in-process)"] = []
        with TestClient(create_app(db)) as client:
            client.get("/", params={"at": moments[0].isoformat()})
            for moment in moments:
                with Timer() as timer:
                    response = client.get("/", params={"at": (moment + timedelta(seconds=1)).isoformat()})
                assert response.status_code == 200
                timings["home page GET / (HTTP in-process)"].append(timer.ms)
        print(f"\n{args.articles:,} articles, {len(moments)} moments; wall p50 / p95, CPU p50 / p95 (ms)")
        for name, values in timings.items():
            wall = [w for w, _ in values]
            cpu = [c for _, c in values]
            print(
                f"  {name:38s} {percentile(wall, 50):7.1f} / {percentile(wall, 95):7.1f}"
                f"   {percentile(cpu, 50):7.1f} / {percentile(cpu, 95):7.1f}"
            )
        print(f"cpu: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    finally:
        if not args.dir:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
