"""Backfills: WARC files or URL lists through read -> extract -> translate -> analyze -> write.

``engine="local"`` runs the stages in this process; ``engine="ray"`` hands the same stage functions to Ray
Data (CPU tasks for reading and extraction, an actor pool holding one CTranslate2 model per actor for
translation, one GPU per actor when the cluster has GPUs) and writes the results from this process, the
one writer, into the store or into Parquet shards that ``dragoman db load`` imports.

Resumable: every finished input (a WARC record or a URL) is recorded (``backfill_done`` in the store, or
``_done.tsv`` beside the shards) after its results are written, and a restarted backfill skips it.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dragoman.errors import ConfigError
from dragoman.pipeline.ingest import ArchivePolicy
from dragoman.scale import stages
from dragoman.scale.stages import BackfillReport

WARC_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")
SHARD_ROWS = 500
# Memory each translate actor and analyze task reserves on the cluster. Besides being what they need (a
# base-size model, natasha's models), distinct resource requests keep Ray Data from fusing extraction into the
# translate actors, which would run the CPU-heavy extraction on as few processes as there are actors.
TRANSLATOR_MEMORY = 1536 * 2**20
ANALYZER_MEMORY = 768 * 2**20


@dataclass(slots=True)
class BackfillConfig:
    inputs: list[str]
    model: str | None = None  # translation model (path or installed name); None: no translation
    analyze: bool = False
    workers: int = 2  # Ray: CPUs for read/extract/analyze tasks
    translators: int = 1  # Ray: translate actors (one model each)
    batch_size: int = 16  # articles per stage call
    retry_failed: bool = False
    output: Path | None = None  # Parquet shards instead of the store
    hosts: set[str] | None = None
    ray_address: str | None = None  # an existing cluster ("auto" or ray://...); None: start one here
    device: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def input_kind(path: str) -> str:
    if not Path(path).is_file():
        raise ConfigError(f"no such input file: {path}")
    return "warc" if path.lower().endswith(WARC_SUFFIXES) else "urls"


def key_source(kind: str, path: str) -> str | None:
    """What a restart asks for the keys of: a WARC file's name; None (every key) for a URL list."""
    return Path(path).name if kind == "warc" else None


# -- sinks: where finished rows go --------------------------------------------------------------------


class StoreSink:
    """Rows into the store (with the monitor's hooks: stories, alerts); progress in ``backfill_done``."""

    def __init__(self, store: Any, hooks: Sequence[Any] = (), *, archive: ArchivePolicy | None = None) -> None:
        self.store = store
        self.hooks = list(hooks)
        self.archive = archive  # an ArchivePolicy (None: keep originals, no cap)

    def done(self, source: str | None, retry_failed: bool) -> set[str]:
        return stages.done_keys(self.store, source=source, retry_failed=retry_failed)

    def write(self, row: dict[str, Any]) -> str | None:
        return stages.write_row(self.store, row, self.hooks, archive=self.archive)

    def close(self) -> None:
        return None


class ParquetSink:
    """Rows into Parquet shards (articles with their translation and analysis) plus ``_done.tsv``."""

    # body and original: the page's bytes and how they were obtained, for the archive of originals (shards of
    # versions before it lack both; they load without originals).
    COLUMNS = ("key", "url", "article", "translation", "analysis", "message", "body", "original")

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.done_path = directory / "_done.tsv"
        self.rows: list[dict[str, Any]] = []
        self.done_lines: list[str] = []
        self.run = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}"
        self.shards = 0

    def done(self, source: str | None, retry_failed: bool) -> set[str]:
        keys: set[str] = set()
        if self.done_path.exists():
            for line in self.done_path.read_text(encoding="utf-8").splitlines():
                key, _, outcome = line.partition("\t")
                if source is not None and stages.key_source(key) != source:
                    continue
                if not (retry_failed and outcome.startswith("failed")):
                    keys.add(key)
        return keys

    def write(self, row: dict[str, Any]) -> str | None:
        outcome = None
        if row["article"] and not row["reason"]:
            self.rows.append({c: row[c] for c in self.COLUMNS})
            outcome = "stored"
        if row["key"]:
            state = outcome or ("skipped" if row["skipped"] else "failed")
            self.done_lines.append(f"{row['key']}\t{state}\t{row['reason'] or ''}")
        if len(self.done_lines) >= SHARD_ROWS:
            self.flush()
        return outcome

    def flush(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self.rows:
            schema = pa.schema([(c, pa.binary() if c == "body" else pa.string()) for c in self.COLUMNS])
            final = self.directory / f"part-{self.run}-{self.shards:05d}.parquet"
            partial = final.with_suffix(".tmp")
            pq.write_table(pa.Table.from_pylist(self.rows, schema=schema), partial, compression="zstd")
            partial.replace(final)  # a shard is either whole or absent
            self.shards += 1
        if self.done_lines:
            with self.done_path.open("a", encoding="utf-8") as handle:
                handle.write("".join(line + "\n" for line in self.done_lines))
                handle.flush()
                os.fsync(handle.fileno())
        self.rows, self.done_lines = [], []

    def close(self) -> None:
        self.flush()


# -- engines ------------------------------------------------------------------------------------------


def run_backfill(
    config: BackfillConfig,
    settings: Any,
    *,
    store: Any = None,
    engine: str = "local",
    on_row: Callable[[dict[str, Any]], None] | None = None,
    hooks: Sequence[Any] = (),
) -> BackfillReport:
    """Run the backfill; returns what happened to every input, counted by outcome and reason.

    ``hooks`` are the monitor's intake hooks (story grouping, alerts), run for each stored article."""
    plan = [(input_kind(path), path) for path in config.inputs]
    if config.output is None and store is None:
        raise ConfigError("a backfill writes to a store or to --output DIR")
    sink: Any = (
        ParquetSink(config.output)
        if config.output is not None
        else StoreSink(store, hooks, archive=ArchivePolicy.from_settings(settings))
    )
    report = BackfillReport()
    started = time.perf_counter()
    try:
        if engine == "ray":
            rows = _ray_rows(plan, config, settings, sink)
        elif engine == "local":
            rows = _local_rows(plan, config, settings, sink)
        else:
            raise ConfigError(f"unknown engine {engine!r} (local or ray)")
        for row in rows:
            outcome = sink.write(row)
            report.count(row, outcome)
            if on_row is not None:
                on_row(row)
    except KeyboardInterrupt:
        report.interrupted = True
    finally:
        sink.close()
        report.elapsed = time.perf_counter() - started
    return report


def _read(kind: str, path: str, config: BackfillConfig, settings: Any, done: set[str]) -> Iterator[dict[str, Any]]:
    if kind == "warc":
        return stages.read_warc(path, max_bytes=settings.max_bytes, done=done, hosts=config.hosts)
    return stages.read_url_list(path, done=done)


def _local_rows(
    plan: list[tuple[str, str]], config: BackfillConfig, settings: Any, sink: Any
) -> Iterator[dict[str, Any]]:
    translator = stages.Translator(settings, config.model, config.device) if config.model else None
    for kind, path in plan:
        done = sink.done(key_source(kind, path), config.retry_failed)
        chunk: list[dict[str, Any]] = []
        for row in _read(kind, path, config, settings, done):
            chunk.append(row)
            if len(chunk) >= config.batch_size:
                yield from _local_chunk(chunk, config, settings, translator)
                chunk = []
        yield from _local_chunk(chunk, config, settings, translator)


def _local_chunk(
    chunk: list[dict[str, Any]], config: BackfillConfig, settings: Any, translator: Any
) -> list[dict[str, Any]]:
    if not chunk:
        return []
    rows = stages.extract_rows(chunk, settings)
    if translator is not None:
        rows = translator(rows)
    if config.analyze:
        rows = stages.analyze_rows(rows)
    return rows


# Ray: the stage functions wrapped as Ray Data UDFs over Arrow tables with the fixed row schema.


def _table(rows: list[dict[str, Any]]) -> Any:
    import pyarrow as pa

    return pa.Table.from_pylist(rows, schema=stages.arrow_schema())


def _rows(table: Any) -> list[dict[str, Any]]:
    rows = table.to_pylist()
    return [{**dict.fromkeys(stages.ROW_FIELDS), **row} for row in rows]


def _ray_read(item: dict[str, Any], config: BackfillConfig, settings: Any) -> list[dict[str, Any]]:
    return list(_read(item["kind"], item["path"], config, settings, set(json.loads(item["done"]))))


def _ray_extract(table: Any, settings: Any) -> Any:
    return _table(stages.extract_rows(_rows(table), settings))


def _ray_analyze(table: Any) -> Any:
    return _table(stages.analyze_rows(_rows(table)))


class _RayTranslator:
    """A Ray actor: one CTranslate2 model, loaded once, translating batch after batch."""

    def __init__(self, settings: Any, model: str, device: str | None, threads: int | None) -> None:
        self.translator = stages.Translator(settings, model, device, threads)

    def __call__(self, table: Any) -> Any:
        return _table(self.translator(_rows(table)))


def start_ray(config: BackfillConfig) -> Any:
    """Connect to the cluster (``ray_address``) or start a local one with ``workers`` CPUs."""
    try:
        import ray
    except ImportError as exc:
        raise ConfigError("the ray engine needs Ray: pip install 'dragoman[ray]'") from exc
    if not ray.is_initialized():
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
        if config.ray_address:
            ray.init(address=config.ray_address, **kwargs)
        else:
            # ``workers`` slots for the CPU tasks plus one per translate actor, so actors never starve the tasks.
            ray.init(num_cpus=max(1, config.workers) + (max(1, config.translators) if config.model else 0), **kwargs)
    import ray.data

    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    return ray


def _ray_rows(
    plan: list[tuple[str, str]], config: BackfillConfig, settings: Any, sink: Any
) -> Iterator[dict[str, Any]]:
    ray = start_ray(config)  # the module, with ray.data imported
    items = [
        {
            "kind": kind,
            "path": str(Path(path).resolve()),
            "done": json.dumps(sorted(sink.done(key_source(kind, path), config.retry_failed))),
        }
        for kind, path in plan
    ]
    batch = max(1, config.batch_size)
    ds = ray.data.from_items(items, override_num_blocks=max(1, len(items)))
    ds = ds.flat_map(_ray_read, fn_kwargs={"config": config, "settings": settings})
    ds = ds.map_batches(_ray_extract, batch_format="pyarrow", batch_size=batch, fn_kwargs={"settings": settings})
    if config.model:
        gpus = ray.cluster_resources().get("GPU", 0) > 0
        cpu_threads = None if gpus else 1  # one CPU per actor (see start_ray): one single-threaded replica
        ds = ds.map_batches(
            _RayTranslator,
            batch_format="pyarrow",
            batch_size=batch * 4,  # more sentences per engine call: the actor pools them into token batches
            compute=ray.data.ActorPoolStrategy(size=max(1, config.translators)),
            num_gpus=1 if gpus else 0,
            num_cpus=0 if gpus else 1,
            memory=TRANSLATOR_MEMORY,
            fn_constructor_kwargs={
                "settings": settings,
                "model": str(Path(config.model).resolve()) if Path(config.model).exists() else config.model,
                "device": "cuda" if gpus else "cpu",
                "threads": cpu_threads,
            },
        )
    if config.analyze:
        ds = ds.map_batches(_ray_analyze, batch_format="pyarrow", batch_size=batch, memory=ANALYZER_MEMORY)
    for table in ds.iter_batches(batch_format="pyarrow", batch_size=64):
        yield from _rows(table)


# -- loading shards -----------------------------------------------------------------------------------


def load_shards(
    paths: list[Path],
    store: Any,
    on_row: Callable[[dict[str, Any]], None] | None = None,
    hooks: Sequence[Any] = (),
    archive: ArchivePolicy | None = None,
) -> BackfillReport:
    """Import Parquet shards written by ``backfill --output`` into the store (idempotent, streaming); the
    original pages they carry go to the archive as ``archive`` (an ArchivePolicy) says (shards of older
    versions carry none)."""
    import pyarrow.parquet as pq

    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.glob("*.parquet")) if path.is_dir() else [path])
    if not files:
        raise ConfigError("no Parquet shards found in " + ", ".join(str(p) for p in paths))
    report = BackfillReport()
    started = time.perf_counter()
    try:
        for file in files:
            for batch in pq.ParquetFile(file).iter_batches(batch_size=256):
                for row in _rows(batch):
                    outcome = stages.write_row(store, row, hooks, archive=archive)
                    report.count(row, outcome)
                    if on_row is not None:
                        on_row(row)
    except KeyboardInterrupt:
        report.interrupted = True
    report.elapsed = time.perf_counter() - started
    return report
