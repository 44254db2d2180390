"""Peak memory and throughput of a whole `dragoman ingest` (acquire -> extract -> store) as pages grow.

Builds N distinct pages from the real Russian pages in ../shared/data/html_ru (each copy gets its own
canonical URL, title and closing paragraph), runs the real CLI in a subprocess for each N, and reports
peak RSS and pages per second. Memory must not grow with the number of pages: the ratio of peak RSS at
the largest N to the smallest is the figure that matters (target: under 300 MB at 10,000 pages).

    .venv/bin/python bench/ingest_memory.py [--sizes 1000 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dragoman.article import RawPage
from dragoman.errors import DragomanError
from dragoman.extract import extract

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "html_ru"


def templates() -> list[tuple[str, str]]:
    """(html, canonical url) of every real Russian article page we have."""
    found = []
    for path in sorted(SHARED.rglob("*.html")):
        body = path.read_bytes()
        try:
            article = extract(RawPage(url=path.as_uri(), body=body))
        except DragomanError:  # a page that is not an article is simply not a template
            continue
        html = body.decode("utf-8", errors="replace")
        if article.canonical_url and article.canonical_url in html:
            found.append((html, article.canonical_url))
    return found


def build_pages(folder: Path, count: int, sources: list[tuple[str, str]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        html, canonical = sources[n % len(sources)]
        page = html.replace(canonical, f"{canonical}?copy={n}")
        page = page.replace("<title>", f"<title>{n}. ", 1)
        page = page.replace("</article>", f"<p>Копия номер {n} для замера.</p></article>", 1)
        (folder / f"p{n:06d}.html").write_text(page, encoding="utf-8")


def run_ingest(folder: Path, db: Path) -> dict[str, float]:
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    proc = subprocess.run(
        [sys.executable, "-m", "dragoman.cli", "--db", str(db), "--quiet", "ingest", str(folder), "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
    )
    elapsed = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode not in (0, 1):
        raise SystemExit(f"ingest failed: {proc.stderr[-2000:]}")
    summary = json.loads(proc.stdout)
    return {
        "stored": summary["stored"],
        "seconds": elapsed,
        "pages_per_s": summary["stored"] / elapsed,
        # getrusage reports the largest child so far: sizes run smallest first, so this is this run's peak.
        "peak_rss_mb": max(peak_kb, before) / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    args = parser.parse_args()
    sources = templates()
    print(f"{len(sources)} real page templates from {SHARED}")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in sorted(args.sizes):
            folder = Path(tmp) / f"pages{size}"
            build_pages(folder, size, sources)
            result = run_ingest(folder, Path(tmp) / f"ingest{size}.db")
            results.append((size, result))
            print(
                f"{size:>7} pages: stored {result['stored']:.0f} in {result['seconds']:.1f}s "
                f"({result['pages_per_s']:.1f} pages/s), peak RSS {result['peak_rss_mb']:.0f} MB",
                flush=True,
            )
    if len(results) > 1:
        ratio = results[-1][1]["peak_rss_mb"] / results[0][1]["peak_rss_mb"]
        print(f"peak RSS ratio {results[-1][0]} / {results[0][0]} pages: {ratio:.2f} (flat is ~1.0)")


if __name__ == "__main__":
    main()
