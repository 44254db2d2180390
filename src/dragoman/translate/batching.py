"""Pooled, length-sorted, token-budgeted batches; results put back in the order they came in.

Sorting by length keeps padding low; a token budget (not a sentence count) keeps each batch's work and
memory bounded, so 40 short headlines and 6 long paragraphs' sentences cost about the same. Batches
run on ``engine.parallelism`` threads (CTranslate2 releases the GIL; each thread gets a replica). A batch
that fails is split in halves until the failing sentence is alone; only that one is lost.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from dragoman.errors import TranslateError
from dragoman.translate.engine import Engine

DEFAULT_BATCH_TOKENS = 1536  # about 32-48 news sentences; beam 4 at 64 sentences no longer fits the cache
DEFAULT_MAX_BATCH_SIZE = 64


@dataclass(slots=True)
class BatchStats:
    batches: int = 0
    source_tokens: int = 0
    target_tokens: int = 0
    engine_seconds: float = 0.0
    wall_seconds: float = 0.0
    failures: dict[int, TranslateError] = field(default_factory=dict)  # input index -> its error


def make_batches(
    lengths: Sequence[int], *, max_tokens: int = DEFAULT_BATCH_TOKENS, max_size: int = DEFAULT_MAX_BATCH_SIZE
) -> list[list[int]]:
    """Indices grouped into batches: sorted by length, each with (size x longest) <= ``max_tokens``."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    batches: list[list[int]] = []
    current: list[int] = []
    longest = 0
    for index in order:
        length = max(1, lengths[index])
        new_longest = max(longest, length)
        if current and ((len(current) + 1) * new_longest > max_tokens or len(current) >= max_size):
            batches.append(current)
            current, new_longest = [], length
        current.append(index)
        longest = new_longest
    if current:
        batches.append(current)
    return batches


def translate_texts(
    engine: Engine,
    texts: Sequence[str],
    *,
    max_tokens: int = DEFAULT_BATCH_TOKENS,
    max_size: int = DEFAULT_MAX_BATCH_SIZE,
    on_batch: Callable[[dict[int, str]], None] | None = None,
) -> tuple[list[str | None], BatchStats]:
    """English for each of ``texts`` in its place (None where the engine failed on it, see stats.failures).

    ``on_batch`` receives each finished batch's results (index -> English) as it completes, so callers
    can persist progress.
    """
    stats = BatchStats()
    results: list[str | None] = [None] * len(texts)
    if not texts:
        return results, stats
    started = time.perf_counter()
    lengths = engine.count_tokens(texts)
    stats.source_tokens = sum(lengths)
    batches = make_batches(lengths, max_tokens=max_tokens, max_size=max_size)
    stats.batches = len(batches)

    def run(indices: list[int]) -> tuple[dict[int, str], int, float, dict[int, TranslateError]]:
        return _run_isolating_failures(engine, texts, indices)

    workers = max(1, int(getattr(engine, "parallelism", 1)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="translate") as pool:
        # Keep a bounded number of batches in flight so memory stays flat on huge inputs.
        pending: list[Future[tuple[dict[int, str], int, float, dict[int, TranslateError]]]] = []
        queue = iter(batches)
        for batch in queue:
            pending.append(pool.submit(run, batch))
            if len(pending) >= workers * 2:
                _collect(pending.pop(0), results, stats, on_batch)
        for future in pending:
            _collect(future, results, stats, on_batch)
    stats.wall_seconds = time.perf_counter() - started
    return results, stats


def _collect(
    future: Future[tuple[dict[int, str], int, float, dict[int, TranslateError]]],
    results: list[str | None],
    stats: BatchStats,
    on_batch: Callable[[dict[int, str]], None] | None,
) -> None:
    done, produced, seconds, failures = future.result()
    for index, target in done.items():
        results[index] = target
    stats.target_tokens += produced
    stats.engine_seconds += seconds
    stats.failures.update(failures)
    if on_batch is not None and done:
        on_batch(done)


def _run_isolating_failures(
    engine: Engine, texts: Sequence[str], indices: list[int]
) -> tuple[dict[int, str], int, float, dict[int, TranslateError]]:
    started = time.perf_counter()
    try:
        output = engine.translate_batch([texts[i] for i in indices])
    except TranslateError as exc:
        if len(indices) == 1 or getattr(exc, "reason", "") == "endpoint":
            # An unreachable endpoint fails every sentence alike: no point splitting.
            return {}, 0, time.perf_counter() - started, dict.fromkeys(indices, exc)
        half = len(indices) // 2
        left = _run_isolating_failures(engine, texts, indices[:half])
        right = _run_isolating_failures(engine, texts, indices[half:])
        return (
            {**left[0], **right[0]},
            left[1] + right[1],
            time.perf_counter() - started,
            {**left[3], **right[3]},
        )
    if len(output.targets) != len(indices):
        error = TranslateError(f"engine returned {len(output.targets)} translations for {len(indices)} sentences")
        return {}, 0, time.perf_counter() - started, dict.fromkeys(indices, error)
    done = dict(zip(indices, output.targets, strict=True))
    return done, output.target_tokens, time.perf_counter() - started, {}
