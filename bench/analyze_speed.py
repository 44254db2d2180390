"""Speed and memory of the whole analyze stage on real Russian news (BSNLP raw documents), on one core.

Prints articles/s (after loading the models once), the mean article size, and peak resident memory of the
process (models included). Target from issue 4: >= 2 articles/s on one core, < 1 GB.

    .venv/bin/python bench/analyze_speed.py [--limit 200]
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from datetime import UTC, datetime
from pathlib import Path

os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["OMP_NUM_THREADS"] = "1"

from dragoman.article import Article, Block

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "bsnlp_ru"


def load_bsnlp(limit: int | None = None) -> list[Article]:
    """BSNLP raw documents as articles: id, language, date, URL, title, then the body."""
    articles = []
    for path in sorted(DATA.glob("*/raw/ru/*.txt")):
        lines = path.read_text(encoding="utf-8").splitlines()
        if len(lines) < 6:
            continue
        try:
            published = datetime.fromisoformat(lines[2].strip()[:10]).replace(tzinfo=UTC)
        except ValueError:
            published = None
        body = [line.strip() for line in lines[5:] if line.strip()]
        articles.append(
            Article(
                url=f"{lines[3].strip()}#{path.name}",
                title=lines[4].strip(),
                blocks=[Block("paragraph", b) for b in body],
                published_at=published,
                timezone="Europe/Moscow",
                outlet=path.parts[-4],
            )
        )
        if limit and len(articles) >= limit:
            break
    return articles


def load_factru_texts(limit: int | None = None) -> list[Article]:
    """factRuEval-2016 test documents (longer news and features) as articles, paragraphs as blocks."""
    folder = DATA.parent / "factRuEval-2016" / "testset"
    articles = []
    for path in sorted(folder.glob("*.txt")):
        if not path.with_suffix(".spans").exists():
            continue
        paragraphs = [p.strip() for p in path.read_text(encoding="utf-8").split("\n\n") if p.strip()]
        if len(paragraphs) < 2:
            continue
        articles.append(
            Article(
                url=f"factru:{path.stem}",
                title=paragraphs[0],
                blocks=[Block("paragraph", p) for p in paragraphs[1:]],
                published_at=datetime(2016, 1, 15, tzinfo=UTC),
            )
        )
        if limit and len(articles) >= limit:
            break
    return articles


def measure(name: str, articles: list[Article]) -> str:
    from dragoman.analyze import analyze_article

    chars = sum(len(a.title) + sum(len(b.text) for b in a.blocks) for a in articles)
    started = time.perf_counter()
    counts = {"entities": 0, "quotes": 0, "events": 0}
    for article in articles:
        result = analyze_article(article)
        for key in counts:
            counts[key] += len(result[key])
    seconds = time.perf_counter() - started
    return (
        f"| {name} | {len(articles)} | {chars / len(articles):.0f} | {len(articles) / seconds:.2f} |"
        f" {chars / seconds / 1000:.1f} | {counts['entities']} | {counts['quotes']} | {counts['events']} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=200)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    from dragoman.analyze import analyze_article
    from dragoman.analyze.nlp import load_models

    started = time.perf_counter()
    load_models()
    load_seconds = time.perf_counter() - started
    bsnlp = load_bsnlp(args.limit)
    analyze_article(bsnlp[0])  # warm caches (registry index)
    rows = [measure("BSNLP raw (short news)", bsnlp), measure("factRuEval test (long)", load_factru_texts(args.limit))]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"model load {load_seconds:.1f}s; peak RSS of the whole run {peak_mb:.0f} MB")
    print("| corpus | articles | mean chars | articles/s (1 core) | k chars/s | entities | quotes | events |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(row)


if __name__ == "__main__":
    main()
