"""Fuzz the entry points that read untrusted input with the property tests' own strategies, many more times.

    PYTHONPATH=src .venv/bin/python bench/fuzz.py                    # 100,000 inputs across all targets
    PYTHONPATH=src .venv/bin/python bench/fuzz.py --inputs 5000 --only feed --seed 7

Targets and their inputs (tests/security/strategies.py and targets.py, shared with tests/security/
test_properties.py): ``extract`` on random bytes and on mutated real outlet pages, ``parse_feed`` on RSS/Atom,
``parse_sitemap`` on sitemaps, ``iter_jsonl_articles`` on JSONL files of mistyped records, ``SearchIndex.search``
on query strings. Each input either returns or raises a documented error (the DragomanError tree); anything
else is a crash. A crash does not stop the run: it is counted by exception type and place, and the smallest
input that gave it is written to bench/out/fuzz/ to replay. Exits 1 when anything crashed.

Hypothesis only generates here (no shrinking, no example database), seeded, so a run can be repeated.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
import traceback
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the strategies live with the tests, which are not an installed package

from tests.security import strategies, targets  # noqa: E402

from dragoman.article import RawPage  # noqa: E402

OUT = ROOT / "bench" / "out" / "fuzz"
# Share of the inputs per target: extract on a real page is 10-50x slower per input than the others.
SHARES = {"extract_bytes": 0.10, "extract_html": 0.10, "feed": 0.20, "sitemap": 0.15, "jsonl": 0.15, "search": 0.30}


@dataclass
class Crash:
    kind: str
    where: str
    message: str
    count: int = 0
    smallest: Any = None
    smallest_size: int = -1


@dataclass
class TargetRun:
    name: str
    inputs: int = 0
    seconds: float = 0.0  # inside the target
    wall: float = 0.0  # generating inputs too
    slowest: float = 0.0
    crashes: dict[tuple[str, str], Crash] = field(default_factory=dict)


def _size(value: Any) -> int:
    if isinstance(value, RawPage):
        return len(value.body)
    if isinstance(value, list):
        return sum(len(line) for line in value)
    return len(value)


def _where(error: BaseException) -> str:
    """The innermost frame of our code (else the innermost at all): one crash class per place."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if "/dragoman/" in f.filename] or frames
    frame = ours[-1]
    return f"{Path(frame.filename).name}:{frame.lineno} {frame.name}"


def _save(target: str, crash: Crash) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    tag = hashlib.sha1(f"{crash.kind}{crash.where}".encode()).hexdigest()[:8]
    stem = OUT / f"{target}-{crash.kind}-{tag}"
    value = crash.smallest
    if isinstance(value, RawPage):
        stem.with_suffix(".bin").write_bytes(value.body)
        meta = {"url": value.url, "content_type": value.content_type, "error": crash.message}
        stem.with_suffix(".json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
        return stem.with_suffix(".bin")
    if isinstance(value, bytes):
        stem.with_suffix(".bin").write_bytes(value)
        return stem.with_suffix(".bin")
    text = "\n".join(value) + "\n" if isinstance(value, list) else value
    path = stem.with_suffix(".jsonl" if isinstance(value, list) else ".txt")
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    return path


def run_target(
    name: str, strategy: st.SearchStrategy[Any], call: Callable[[Any], None], n: int, seed_value: int
) -> TargetRun:
    result = TargetRun(name)

    @seed(seed_value)
    @settings(
        max_examples=n,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def drive(value: Any) -> None:
        started = time.perf_counter()
        try:
            call(value)
        except Exception as error:  # a crash: counted and kept, the run goes on
            key = (type(error).__name__, _where(error))
            crash = result.crashes.setdefault(key, Crash(*key, message=str(error)[:300]))
            crash.count += 1
            if crash.smallest_size < 0 or _size(value) < crash.smallest_size:
                crash.smallest, crash.smallest_size = value, _size(value)
        finally:
            elapsed = time.perf_counter() - started
            result.inputs += 1
            result.seconds += elapsed
            result.slowest = max(result.slowest, elapsed)

    wall = time.perf_counter()
    drive()
    result.wall = time.perf_counter() - wall
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--inputs", type=int, default=100_000, help="inputs in total, shared across targets")
    parser.add_argument("--only", choices=sorted(SHARES), action="append", help="run only these targets")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # third-party parsers warn about odd input; counted as nothing here

    names = args.only or list(SHARES)
    total_share = sum(SHARES[name] for name in names)
    loader, searcher = targets.JsonlLoader(), targets.Searcher()
    plan: dict[str, tuple[st.SearchStrategy[Any], Callable[[Any], None]]] = {
        "extract_bytes": (strategies.random_byte_pages(), targets.check_extract),
        "extract_html": (strategies.mutated_html_pages(), targets.check_extract),
        "feed": (strategies.feed_documents(), targets.check_feed),
        "sitemap": (strategies.sitemap_documents(), targets.check_sitemap),
        "jsonl": (strategies.jsonl_files(), loader.check_lines),
        "search": (strategies.query_strings(), searcher.check_query),
    }
    runs: list[TargetRun] = []
    started = time.perf_counter()
    try:
        for name in names:
            n = max(1, round(args.inputs * SHARES[name] / total_share))
            strategy, call = plan[name]
            run = run_target(name, strategy, call, n, args.seed)
            runs.append(run)
            crashes = sum(c.count for c in run.crashes.values())
            print(
                f"{name:14} {run.inputs:>8,} inputs  {crashes:>6,} crashes  {run.inputs / run.wall:>7,.0f} inputs/s"
                f" ({run.seconds / run.wall:.0%} of it in the target)  slowest {run.slowest * 1000:,.0f} ms",
                flush=True,
            )
            for crash in run.crashes.values():
                path = _save(name, crash)
                print(f"    {crash.count:>6,} x {crash.kind} at {crash.where}: {crash.message[:120]!r}")
                print(f"             smallest input ({crash.smallest_size:,} bytes): {path.relative_to(ROOT)}")
    finally:
        loader.close()
        searcher.close()
    wall = time.perf_counter() - started
    inputs = sum(r.inputs for r in runs)
    crashes = Counter({r.name: sum(c.count for c in r.crashes.values()) for r in runs})
    summary = f"{inputs:>8,} inputs  {sum(crashes.values()):>6,} crashes  in {wall:,.0f} s wall (seed {args.seed})"
    print(f"{'total':14} {summary}")
    return 1 if sum(crashes.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
