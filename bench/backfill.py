"""Backfill throughput: the local engine vs Ray Data with 1 and 2 workers, and what each stage costs.

A WARC of real Russian news pages (../shared/data/html_ru, each page repeated under distinct URLs) goes
through read -> extract -> translate (a tiny random-weight CTranslate2 model built here: the engine's real
code path, not opus-mt's cost; see ../shared/notes/mt-speed.md for that) -> analyze -> store (SQLite).

    .venv/bin/python bench/backfill.py [--copies 20] [--no-analyze]

Prints per-stage milliseconds per article (measured in this process, one stage at a time) and articles per
minute for each engine (Ray's start-up measured apart from the run). Ratios are measured in one run.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / ".." / "shared" / "data"


def build_warc(path: Path, copies: int) -> int:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    base = DATA / "html_ru" / "htmldate_eval"
    gold = json.loads((base / "gold_dates.json").read_text(encoding="utf-8"))
    pages = [(url, (base / "pages" / e["file"]).read_bytes()) for url, e in sorted(gold.items())]
    count = 0
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for copy in range(copies):
            for url, body in pages:
                headers = StatusAndHeaders(
                    "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
                )
                # A distinct URL and a distinct last paragraph per copy: distinct articles, no memory hits.
                marked = body.replace(b"</body>", f"<p>Копия номер {copy}.</p></body>".encode())
                record = writer.create_warc_record(
                    f"{url}?copy={copy}", "response", payload=io.BytesIO(marked), http_headers=headers
                )
                writer.write_record(record)
                record.raw_stream.close()
                count += 1
    return count


def build_model(root: Path) -> Path:
    from dragoman.translate.random_model import build_random_marian_model, russian_sentences, train_sentencepiece

    sentences = russian_sentences([DATA / "wmt_ru_en" / "newstest2019.ru-en.ru"], limit=2000)
    spm = train_sentencepiece(sentences, root / "ru", vocab_size=500)
    return build_random_marian_model(root / "tiny", spm, seed=5)


def stage_costs(warc: Path, settings: Any, model: Path, analyze: bool, tmp: Path) -> dict[str, Any]:
    """Milliseconds per article for each stage (wall and CPU), one stage at a time over the same rows."""
    from dragoman.scale import stages
    from dragoman.store import open_store

    costs: dict[str, tuple[float, float]] = {}  # stage -> (wall seconds, CPU seconds of this process)

    def timed(name: str, work: Any) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        result = work()
        costs[name] = (time.perf_counter() - wall, time.process_time() - cpu)
        return result

    rows = timed("read (fastwarc)", lambda: list(stages.read_warc(warc, max_bytes=settings.max_bytes)))
    rows = timed("extract", lambda: stages.extract_rows(rows, settings))
    articles = sum(1 for r in rows if r["article"] and not r["reason"])
    translator = stages.Translator(settings, str(model), "cpu", threads=1)
    rows = timed(
        "translate (tiny model, 1 thread)",
        lambda: [r for i in range(0, len(rows), 32) for r in translator(rows[i : i + 32])],
    )
    if analyze:
        stages.analyze_rows(rows[:1])  # loads natasha's models once, outside the timing
        rows = timed("analyze", lambda: stages.analyze_rows(rows))
    with open_store(tmp / "stages.db") as store:
        timed("write (SQLite)", lambda: [stages.write_row(store, row) for row in rows])
    n = max(1, articles)
    return {"articles": articles, **{name: (1000 * w / n, 1000 * c / n) for name, (w, c) in costs.items()}}


def run_engine(
    engine: str, workers: int, warc: Path, settings: Any, model: Path, analyze: bool, db: Path
) -> dict[str, Any]:
    from dragoman.scale.backfill import BackfillConfig, run_backfill, start_ray
    from dragoman.store import open_store

    config = BackfillConfig(inputs=[str(warc)], model=str(model), analyze=analyze, workers=workers, batch_size=8)
    startup = 0.0
    if engine == "ray":
        import ray

        t = time.perf_counter()
        start_ray(config)
        startup = time.perf_counter() - t
    with open_store(db) as store:
        report = run_backfill(config, settings, store=store, engine=engine)
    if engine == "ray":
        ray.shutdown()
    return {
        "articles": report.articles,
        "seconds": report.elapsed,
        "per_minute": 60 * report.articles / report.elapsed,
        "startup": startup,
        "translated": report.translated,
        "analyzed": report.analyzed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--copies", type=int, default=20, help="copies of each real page in the WARC")
    parser.add_argument("--no-analyze", action="store_true")
    args = parser.parse_args()
    analyze = not args.no_analyze

    from dragoman.settings import Settings

    with tempfile.TemporaryDirectory(prefix="dragoman-bench-backfill-") as scratch:
        tmp = Path(scratch)
        settings = Settings(db=str(tmp / "x.db"), models_dir=tmp / "models", device="cpu")
        warc = tmp / "CC-NEWS-bench.warc.gz"
        records = build_warc(warc, args.copies)
        model = build_model(tmp)
        print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; WARC records: {records}")
        print(f"load average at start (other processes share these cores): {os.getloadavg()[0]:.1f}")
        costs = stage_costs(warc, settings, model, analyze, tmp)
        print(f"\nper-stage cost, ms per article ({costs.pop('articles')} articles, one process): wall, CPU")
        for name, (wall_ms, cpu_ms) in costs.items():
            print(f"  {name:<34} {wall_ms:9.1f} {cpu_ms:9.1f}")
        results = {}
        for label, engine, workers in (
            ("local", "local", 1),
            ("ray, 1 worker", "ray", 1),
            ("ray, 2 workers", "ray", 2),
        ):
            results[label] = run_engine(engine, workers, warc, settings, model, analyze, tmp / f"{engine}{workers}.db")
            results[label]["load"] = os.getloadavg()[0]
        print("\nend to end (read -> extract -> translate -> " + ("analyze -> " if analyze else "") + "store):")
        base = results["local"]["per_minute"]
        for label, r in results.items():
            print(
                f"  {label:<16} {r['articles']:5d} articles in {r['seconds']:6.1f}s"
                f" = {r['per_minute']:7.1f} articles/min"
                f" ({r['per_minute'] / base:4.2f}x local)"
                + (f"; Ray start-up {r['startup']:.1f}s" if r["startup"] else "")
                + f"; load average after: {r['load']:.1f}"
            )


if __name__ == "__main__":
    main()
