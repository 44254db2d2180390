"""What stories and alerts cost `ingest` and `import` (issue 14, item 6: every way an article arrives joins a
story and is matched against the watchlist, as `watch` does).

Articles: consecutive sentences of WMT newstest Russian news (../shared/data/wmt_ru_en), written as one JSONL
file, each with its own URL. Three runs on fresh SQLite files, same input: no hooks (the old `ingest`),
alerts only (three watches: two terms, one entity), stories + alerts (today's `ingest`). Ratios are of one run.

    .venv/bin/python bench/ingest_hooks.py [--articles 1000] [--sentences 7]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "wmt_ru_en"


def write_corpus(path: Path, articles: int, sentences: int) -> int:
    lines: list[str] = []
    for name in sorted(DATA.glob("newstest20*.ru-en.ru")):
        lines.extend(line.strip() for line in name.read_text(encoding="utf-8").splitlines() if line.strip())
    written = 0
    with path.open("w", encoding="utf-8") as out:
        for n in range(articles):
            chunk = lines[n * sentences : (n + 1) * sentences]
            if len(chunk) < sentences:
                break
            record = {
                "url": f"https://iz.ru/bench/{n}",
                "title": chunk[0],
                "published": f"2022-01-{1 + n % 28:02d}T10:00:00+03:00",
                "text": "\n".join(chunk[1:]),
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            written += 1
    return written


def run(corpus: Path, db: Path, *, stories: bool, alerts: bool) -> tuple[float, int, int]:
    from dragoman.acquire.alerts import AlertEngine, add_watch
    from dragoman.acquire.dedupe import StoryIndex
    from dragoman.pipeline.ingest import ingest
    from dragoman.settings import Settings
    from dragoman.store import open_store

    settings = Settings()
    with open_store(db) as store:
        hooks: list = []
        if stories:
            hooks.append(StoryIndex(store, threshold=settings.story_threshold))
        if alerts:
            for kind, value in (("term", "санкции"), ("term", "НАТО"), ("entity", "Сергей Лавров")):
                add_watch(store, kind, value, None)
            hooks.append(AlertEngine(store, []))
        started = time.perf_counter()
        report = ingest([str(corpus)], store, settings, hooks=hooks)
        seconds = time.perf_counter() - started
        story_count = alert_count = 0
        if stories:
            story_count = int(store.connection.execute("SELECT count(*) FROM stories").fetchone()[0])
        if alerts:
            alert_count = int(store.connection.execute("SELECT count(*) FROM alerts").fetchone()[0])
    assert report.stored > 0 and not report.total_failed, report.to_dict()
    return seconds, story_count, alert_count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--sentences", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        corpus = folder / "corpus.jsonl"
        count = write_corpus(corpus, args.articles, args.sentences)
        print(f"{count} articles of {args.sentences} sentences (WMT newstest Russian), one JSONL file")
        results = {}
        for name, stories, alerts in (
            ("no hooks", False, False),
            ("alerts", False, True),
            ("stories + alerts", True, True),
        ):
            seconds, story_count, alert_count = run(
                corpus, folder / f"{name.replace(' ', '')}.db", stories=stories, alerts=alerts
            )
            results[name] = seconds
            extra = f", {story_count} stories" if stories else ""
            extra += f", {alert_count} alerts" if alerts else ""
            print(f"{name:>17}: {seconds:6.2f} s, {count / seconds:6.1f} articles/s{extra}")
        base = results["no hooks"]
        for name in ("alerts", "stories + alerts"):
            print(f"{name:>17}: x{results[name] / base:.2f} the time of no hooks")


if __name__ == "__main__":
    main()
