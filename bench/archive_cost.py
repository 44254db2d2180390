"""What the archive of originals costs (issue 16): bytes stored per article, and ingest speed with and
without it, measured in the same run on the same pages.

Builds N distinct pages from the real Russian pages in ../shared/data/html_ru (as bench/ingest_memory.py
does: each copy has its own canonical URL, title and closing paragraph, so every page is a new article with
new bytes), then ingests them into fresh SQLite files with ``archive_originals`` on and off, alternating the
order over several rounds. Speed is CPU time of this process (one core) and wall time; the archive's share
is the ratio of the two settings within the run. Also reported: reading every original back, and
``reextract`` over the whole corpus (nothing changes; the figure is its speed).

    .venv/bin/python bench/archive_cost.py [--pages 300] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from dragoman.pipeline import ingest as pipeline
from dragoman.pipeline.reextract import reextract_store
from dragoman.settings import Settings
from dragoman.store import SQLiteStore
from ingest_memory import build_pages, templates


def ingest_once(folder: Path, db: Path, settings: Settings) -> dict[str, float]:
    with SQLiteStore(db) as store:
        cpu, wall = time.process_time(), time.perf_counter()
        report = pipeline.ingest([str(folder)], store, replace(settings, db=str(db)))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        stats = store.archive_stats()
        store.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return {"stored": report.stored, "cpu": cpu, "wall": wall, **stats, "db_bytes": db.stat().st_size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    sources = templates()
    base = Settings(host_delay=0.0)
    results: dict[str, list[dict[str, float]]] = {"on": [], "off": []}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "pages"
        build_pages(folder, args.pages, sources)
        page_bytes = sum(p.stat().st_size for p in folder.iterdir())
        for round_no in range(args.rounds):
            order = ("on", "off") if round_no % 2 == 0 else ("off", "on")
            for setting in order:
                db = Path(tmp) / f"{setting}-{round_no}.db"
                settings = replace(base, archive_originals=setting == "on")
                results[setting].append(ingest_once(folder, db, settings))

        # Reading back and re-extracting, on the last archived database.
        db = Path(tmp) / f"on-{args.rounds - 1}.db"
        with SQLiteStore(db) as store:
            ids = [s.id for s in store.iter_articles()]
            started = time.process_time()
            read = sum(len(store.original(i).original.body) for i in ids)
            read_cpu = time.process_time() - started
            started = time.process_time()
            reextracted = reextract_store(store)
            reextract_cpu = time.process_time() - started

    on, off = results["on"], results["off"]
    articles = on[0]["stored"]
    summary = {
        "pages": args.pages,
        "distinct_templates": len(sources),
        "page_bytes_mean": round(page_bytes / args.pages),
        "articles": articles,
        "archive_raw_bytes_per_article": round(on[0]["raw_bytes"] / articles),
        "archive_stored_bytes_per_article": round(on[0]["stored_bytes"] / articles),
        "compression_ratio": round(on[0]["raw_bytes"] / on[0]["stored_bytes"], 2),
        "db_bytes_per_article_on": round(statistics.median(r["db_bytes"] for r in on) / articles),
        "db_bytes_per_article_off": round(statistics.median(r["db_bytes"] for r in off) / articles),
        "cpu_pages_per_s_on": [round(articles / r["cpu"], 1) for r in on],
        "cpu_pages_per_s_off": [round(articles / r["cpu"], 1) for r in off],
        "wall_pages_per_s_on": [round(articles / r["wall"], 1) for r in on],
        "wall_pages_per_s_off": [round(articles / r["wall"], 1) for r in off],
        "cpu_time_ratio_on_over_off": round(
            statistics.median(r["cpu"] for r in on) / statistics.median(r["cpu"] for r in off), 3
        ),
        "wall_time_ratio_on_over_off": round(
            statistics.median(r["wall"] for r in on) / statistics.median(r["wall"] for r in off), 3
        ),
        "read_back_ms_per_article": round(1000 * read_cpu / len(ids), 2),
        "read_back_bytes": read,
        "reextract_pages_per_s_cpu": round(len(ids) / reextract_cpu, 1),
        "reextract_outcomes": dict(reextracted.outcomes),
    }
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
