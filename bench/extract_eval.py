"""Extraction quality, speed and memory on the real pages in ../shared/data (issue 2, section 9).

Run: .venv/bin/python bench/extract_eval.py [--memory-pages N]

Body F1 follows the article-extraction-benchmark's evaluate.py: token 4-gram shingles per page,
tp/fp/fn normalised per page, precision and recall averaged over pages, F1 from the averages, with
a bootstrap confidence interval. Plain trafilatura is scored in the same run for comparison.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import gzip
import json
import os
import platform
import random
import re
import statistics
import sys
import time
import tracemalloc
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import trafilatura

from dragoman.article import RawPage
from dragoman.errors import DragomanError
from dragoman.extract import EXTRACTOR_VERSION, extract
from dragoman.extract.extractor import extract_document, page_publication_time

REPO = Path(__file__).resolve().parents[1]
DATA = (REPO / ".." / "shared" / "data").resolve()
BENCHMARK = DATA / "article_extraction_benchmark"
RUSSIAN_BENCHMARK_PAGES = {
    "3c6d3381ef52ca26be2fbde19c1b0fe17d85682b726dfecf5e300c1ca34546b1",
    "c4a3637c6696f238cf9fe1c7fbb17bbb6731a71d4f5fe399b9b4fc3294a96a6b",
    "c82b3d1d540bbbd6081bdfb78b4c068c583aa766bcaaefe7ad16d24e5413a829",
    "ff0f958ade714ebfaf5c0b42b1c0152a62063f4e6f72141406ccefc4a2677f21",
}
_TOKEN = re.compile(r"\w+", re.UNICODE | re.MULTILINE | re.IGNORECASE | re.DOTALL)

TpFpFn = tuple[float, float, float]


# --- the benchmark's scorer (evaluate.py, same definitions) -------------------------------------------


def _shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n])


def shingle_matching(true: str, pred: str) -> TpFpFn:
    gold, ours = _shingles(true), _shingles(pred)
    tp = fp = fn = 0.0
    for key in set(gold) | set(ours):
        true_count, pred_count = gold.get(key, 0), ours.get(key, 0)
        tp += min(true_count, pred_count)
        fp += max(0, pred_count - true_count)
        fn += max(0, true_count - pred_count)
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    if tp == fp == 0:
        return 0.0
    return tp / (tp + fp)


def _recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    if tp == fn == 0:
        return 0.0
    return tp / (tp + fn)


def metrics(scores: list[TpFpFn]) -> dict[str, float]:
    precision = statistics.mean([_precision(*s) for s in scores if s[0] + s[1] > 0])
    recall = statistics.mean([_recall(*s) for s in scores if s[0] + s[2] > 0])
    return {"f1": 2 * precision * recall / (precision + recall), "precision": precision, "recall": recall}


def with_ci(scores: list[TpFpFn], n_bootstrap: int = 1000) -> dict[str, float]:
    result = metrics(scores)
    rng = random.Random(0)
    samples: dict[str, list[float]] = {}
    for _ in range(n_bootstrap):
        drawn = [scores[rng.randrange(len(scores))] for _ in scores]
        for key, value in metrics(drawn).items():
            samples.setdefault(key, []).append(value)
    for key, values in samples.items():
        result[f"{key}_ci"] = 1.96 * statistics.stdev(values)
    return result


# --- loading -----------------------------------------------------------------------------------------


def _read(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def benchmark_pages() -> list[tuple[str, str, bytes, str]]:
    """(key, url, html bytes, gold body) for the 181 pages."""
    truth = json.loads((BENCHMARK / "ground-truth.json").read_text("utf-8"))
    return [
        (key, item.get("url") or "", _read(BENCHMARK / "html" / f"{key}.html.gz"), item.get("articleBody", ""))
        for key, item in truth.items()
    ]


def russian_pages() -> list[RawPage]:
    """The saved Russian-language news pages (fundus, htmldate, tgcontest)."""
    pages = [
        RawPage(
            url="https://www.kommersant.ru/doc/7715044",
            body=_read(DATA / "html_ru/fundus/ru/Kommersant_2025_05_14.html.gz"),
        ),
        RawPage(
            url="https://www.pravda.com.ua/rus/articles/2026/01/08/8015225/",
            body=_read(DATA / "html_ru/fundus/ua/Pravda_2026_01_08.html.gz"),
        ),
        RawPage(url="file:///example1.html", body=_read(DATA / "tgcontest_ru/test/data/example1.html")),
    ]
    gold = json.loads((DATA / "html_ru/htmldate_eval/gold_dates.json").read_text("utf-8"))
    pages += [RawPage(url=url, body=_read(DATA / "html_ru/htmldate_eval/pages" / g["file"])) for url, g in gold.items()]
    return pages


# --- sections -----------------------------------------------------------------------------------------


def body_f1(pages: list[tuple[str, str, bytes, str]]) -> list[str]:
    ours: list[TpFpFn] = []
    plain: list[TpFpFn] = []
    ours_ru: list[TpFpFn] = []
    plain_ru: list[TpFpFn] = []
    skipped: Counter[str] = Counter()
    for key, url, html, gold in pages:
        try:
            predicted = extract_document(RawPage(url=url, body=html), languages=None).text
        except DragomanError as error:
            predicted = ""
            skipped[error.reason] += 1
        baseline = trafilatura.extract(html, url=url or None) or ""
        ours.append(shingle_matching(gold, predicted))
        plain.append(shingle_matching(gold, baseline))
        if key in RUSSIAN_BENCHMARK_PAGES:
            ours_ru.append(ours[-1])
            plain_ru.append(plain[-1])
    a, b = with_ci(ours), with_ci(plain)
    ra, rb = metrics(ours_ru), metrics(plain_ru)
    lines = [
        f"Body F1, article-extraction-benchmark, {len(pages)} pages (evaluate.py definition):",
        f"  {'':<22}{'F1':>16}{'precision':>18}{'recall':>18}",
        f"  {'dragoman extract':<22}{_ci(a, 'f1'):>16}{_ci(a, 'precision'):>18}{_ci(a, 'recall'):>18}",
        f"  {'trafilatura ' + trafilatura.__version__:<22}"
        f"{_ci(b, 'f1'):>16}{_ci(b, 'precision'):>18}{_ci(b, 'recall'):>18}",
        f"  ratio ours/trafilatura F1: {a['f1'] / b['f1']:.3f}   skipped by ours: {dict(skipped) or 'none'}",
        f"  the 4 Russian pages: ours F1 {ra['f1']:.3f}, trafilatura F1 {rb['f1']:.3f}",
    ]
    return lines


def _ci(result: dict[str, float], key: str) -> str:
    return f"{result[key]:.3f} ± {result[key + '_ci']:.3f}"


def dates_section() -> list[str]:
    gold = json.loads((DATA / "html_ru/htmldate_eval/gold_dates.json").read_text("utf-8"))
    right = 0
    rows = []
    for url, item in gold.items():
        page = RawPage(url=url, body=_read(DATA / "html_ru/htmldate_eval/pages" / item["file"]))
        when, zone = page_publication_time(page)
        local = when.astimezone(ZoneInfo(zone)) if when and zone else when
        ok = local is not None and local.date().isoformat() == item["date"]
        right += ok
        shown = local.isoformat() if local else "none"
        rows.append(f"    {'ok ' if ok else 'BAD'} gold {item['date']}  ours {shown:<27} {url[:70]}")
    return [f"Publication date right to the day (htmldate_eval): {right}/{len(gold)}", *rows]


def kommersant_section() -> list[str]:
    gold = json.loads((DATA / "html_ru/fundus/ru/Kommersant.json").read_text("utf-8"))["V1"]
    page = RawPage(
        url="https://www.kommersant.ru/doc/7715044",
        body=_read(DATA / "html_ru/fundus/ru/Kommersant_2025_05_14.html.gz"),
    )
    article = extract(page)
    gold_time = datetime.fromisoformat(gold["publishing_date"]).astimezone(UTC)
    paragraphs = [p for s in gold["body"]["sections"] for p in s["paragraphs"]]
    tp_fp_fn = shingle_matching("\n".join(paragraphs), "\n".join(b.text for b in article.blocks))
    f1 = metrics([tp_fp_fn])["f1"]
    return [
        "Kommersant (fundus gold):",
        f"    title exact: {article.title == gold['title']}   authors exact: {article.authors == gold['authors']}"
        f"   date exact: {article.published_at == gold_time}   lead = gold summary: "
        f"{article.lead == gold['body']['summary'][0]}",
        f"    body paragraphs F1: {f1:.3f} ({len(article.blocks)} blocks, gold {len(paragraphs)} paragraphs)",
    ]


def tgcontest_section() -> list[str]:
    folder = DATA / "tgcontest_ru/test/data"
    gold = json.loads((folder / "example1.json").read_text("utf-8"))
    article = extract(RawPage(url="file:///example1.html", body=(folder / "example1.html").read_bytes()))
    timestamp = int(article.published_at.timestamp()) if article.published_at else None
    return [
        "tgcontest example1 (interfax.ru):",
        f"    title exact: {article.title == gold['title']}   timestamp exact: {timestamp == gold['timestamp']}"
        f"   text exact: {article.text.strip() == gold['text'].strip()}",
    ]


def speed_section(pages: list[tuple[str, str, bytes, str]], ru_pages: list[RawPage], rounds: int = 3) -> list[str]:
    raw_pages = [RawPage(url=url, body=html) for _, url, html, _ in pages] + ru_pages
    for page in raw_pages[:20]:  # warm up imports and caches (htmldate's first call costs seconds)
        _run(page)
        trafilatura.extract(page.body)
    best_ours = best_plain = 0.0
    for _ in range(rounds):
        started = time.process_time()
        for page in raw_pages:
            _run(page)
        best_ours = max(best_ours, len(raw_pages) / (time.process_time() - started))
        started = time.process_time()
        for page in raw_pages:
            trafilatura.extract(page.body, url=page.url if page.url.startswith("http") else None)
        best_plain = max(best_plain, len(raw_pages) / (time.process_time() - started))
    started = time.process_time()
    for _ in range(rounds):
        for page in ru_pages:
            _run(page)
    russian = rounds * len(ru_pages) / (time.process_time() - started)
    started = time.process_time()
    for _ in range(rounds):
        for page in ru_pages:
            trafilatura.extract(page.body, url=page.url if page.url.startswith("http") else None)
    russian_plain = rounds * len(ru_pages) / (time.process_time() - started)
    return [
        f"Speed (CPU time of one process = one core, best of {rounds} rounds over {len(raw_pages)} pages):",
        f"    dragoman extract(): {best_ours:.1f} pages/s   trafilatura.extract alone: {best_plain:.1f} pages/s"
        f"   ratio {best_ours / best_plain:.2f}",
        f"    on the {len(ru_pages)} Russian news pages alone: {russian:.1f} pages/s"
        f" (trafilatura alone {russian_plain:.1f})",
    ]


def _run(page: RawPage) -> None:
    with contextlib.suppress(DragomanError):
        extract_document(page, languages=None)


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def memory_section(pages: list[tuple[str, str, bytes, str]], ru_pages: list[RawPage], total: int) -> list[str]:
    raw_pages = [RawPage(url=url, body=html) for _, url, html, _ in pages] + ru_pages
    checkpoints = sorted({total // 10, total // 4, total // 2, total})
    rss = []
    done = 0
    for checkpoint in checkpoints:
        while done < checkpoint:
            _run(raw_pages[done % len(raw_pages)])
            done += 1
        gc.collect()
        rss.append((done, _rss_mb()))
    tracemalloc.start()
    for page in raw_pages:
        _run(page)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    growth = rss[-1][1] - rss[0][1]
    return [
        f"Memory over {total} extractions (cycling {len(raw_pages)} pages, one process):",
        "    RSS MB at "
        + ", ".join(f"{n}: {mb:.0f}" for n, mb in rss)
        + f"   growth after first checkpoint: {growth:+.0f} MB",
        f"    tracemalloc peak while extracting one pass: {peak / 2**20:.1f} MB"
        " (Python allocations; lxml's C heap shows in RSS)",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memory-pages", type=int, default=2000, help="extractions in the memory run")
    args = parser.parse_args()
    if not BENCHMARK.is_dir():
        print(f"shared data not found at {DATA}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    pages = benchmark_pages()
    ru_pages = russian_pages()
    print(f"dragoman extract benchmark — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {EXTRACTOR_VERSION}")
    cpus = os.cpu_count()
    print(f"machine: {platform.processor() or platform.machine()}, {cpus} CPUs, Python {platform.python_version()}")
    print()
    for section in (
        body_f1(pages),
        dates_section(),
        kommersant_section(),
        tgcontest_section(),
        speed_section(pages, ru_pages),
        memory_section(pages, ru_pages, args.memory_pages),
    ):
        print("\n".join(section))
        print()
    print(f"total time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
