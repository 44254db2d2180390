"""What the ``backfill`` (WARC files, URL lists), ``db migrate``, ``db copy`` and ``db load`` commands do."""

from __future__ import annotations

import json
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from dragoman.errors import ConfigError

EXIT_OK, EXIT_FAILED = 0, 1


def run_backfill_command(
    app: Any,
    inputs: list[str],
    sitemaps: tuple[str, ...],
    since: datetime | None,
    limit: int | None,
    engine: str,
    options: dict[str, Any],
    as_json: bool,
) -> None:
    from dragoman.scale.backfill import BackfillConfig, run_backfill

    with tempfile.TemporaryDirectory(prefix="dragoman-backfill-") as scratch:
        if sitemaps:
            inputs = [*inputs, str(_sitemap_url_list(app, sitemaps, since, limit, Path(scratch)))]
        if not inputs:
            raise ConfigError("nothing to backfill: give WARC files, URL lists or --sitemap")
        config = BackfillConfig(
            inputs=inputs,
            model=options["model"],
            analyze=options["analyze"],
            workers=options["workers"],
            translators=options["translators"],
            ray_address=options["ray_address"],
            output=Path(options["output"]) if options["output"] else None,
            retry_failed=options["retry_failed"],
        )
        app.echo(
            f"backfill: {len(inputs)} inputs, engine {engine}"
            + (f", workers {config.workers}" if engine == "ray" else "")
        )
        if config.output is not None:
            report = run_backfill(config, app.settings, engine=engine)
        else:
            with app.open_store() as store:
                hooks = options["hooks"](store) if options.get("hooks") else []
                report = run_backfill(config, app.settings, store=store, engine=engine, hooks=hooks)
                if options.get("after_batch") and not report.interrupted:
                    options["after_batch"](store)  # e.g. deliver the alerts the hooks recorded
    print_backfill_report(app, report, as_json)
    sys.exit(130 if report.interrupted else EXIT_FAILED if report.failed else EXIT_OK)


def _sitemap_url_list(
    app: Any, sitemaps: tuple[str, ...], since: datetime | None, limit: int | None, scratch: Path
) -> Path:
    """The article URLs of sitemaps (the monitor's sitemap reader), as a URL list for the scale engines."""
    from dragoman.acquire.http import Fetcher
    from dragoman.acquire.sitemaps import SitemapProblem, iter_sitemap

    urls: list[str] = []
    fetcher = Fetcher(app.settings)
    try:
        for sitemap_url in sitemaps:
            for entry in iter_sitemap(fetcher, sitemap_url, since=since):
                if isinstance(entry, SitemapProblem):
                    app.echo(f"sitemap problem: {entry.url}: {entry.error}")
                    continue
                urls.append(entry.url)
                if limit is not None and len(urls) >= limit:
                    break
    finally:
        fetcher.close()
    path = scratch / "sitemap-urls.txt"
    path.write_text("".join(u + "\n" for u in urls), encoding="utf-8")
    return path


def print_backfill_report(app: Any, report: Any, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return
    for problem in report.problems:
        app.echo(f"problem: {problem}")
    data = report.to_dict()
    rate = f", {data['articles_per_minute']} articles/min" if data["articles_per_minute"] else ""
    skipped = sum(report.skipped.values())
    failed = sum(report.failed.values())
    head = "interrupted after" if report.interrupted else "done in"
    app.echo(
        f"{head} {report.elapsed:.1f}s{rate}: stored {data['stored']}, unchanged {data['unchanged']},"
        f" new revisions {data['revised']}, translated {report.translated}, analyzed {report.analyzed},"
        f" skipped {skipped}{_reasons(report.skipped)}, failed {failed}{_reasons(report.failed)}"
    )


def _reasons(counter: dict[str, int]) -> str:
    if not counter:
        return ""
    return " (" + ", ".join(f"{k} {v}" for k, v in sorted(counter.items(), key=lambda kv: -kv[1])) + ")"


def migrate_command(app: Any) -> None:
    """Apply what is missing and say what was applied (a SQLite store migrates as it opens, so ask first)."""
    from dragoman.store import open_store
    from dragoman.store.migrations import all_migrations

    before = _applied_versions(app.settings.db)
    with open_store(app.settings.db) as store:
        store.migrate()
        versions = store.applied_migrations()
        backend = store.backend
    names = {m.version: m.name for m in all_migrations()}
    new = [v for v in versions if v not in before]
    app.echo(f"{backend} database: {len(versions)} migrations applied, {len(new)} of them now")
    for version in new:
        click.echo(f"applied {version}: {names.get(version, '?')}")


def _applied_versions(url: Any) -> set[int]:
    """Migrations already recorded, read without migrating (empty for a new database)."""
    text = str(url)
    try:
        if text.startswith(("postgresql://", "postgres://")):
            import psycopg

            with psycopg.connect(text) as conn:
                if conn.execute("SELECT to_regclass('schema_migrations')").fetchone()[0] is None:
                    return set()
                return {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}
        import sqlite3

        path = Path(text.removeprefix("sqlite:///"))
        if not path.exists():
            return set()
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}
        finally:
            conn.close()
    except Exception:  # an unreadable database is reported by open_store next, with its own message
        return set()


def copy_command(app: Any, source: str, destination: str, as_json: bool) -> None:
    from dragoman.scale.dbtools import copy_database
    from dragoman.store import open_store

    with open_store(source) as src, open_store(destination) as dst:
        report = copy_database(src, dst, on_table=lambda table, n: n and app.echo(f"copied {table}: {n} rows"))
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        click.echo(f"{'table':<24} {'source':>10} {'copied':>10} {'hash (source)':>18} {'hash (copy)':>18}  check")
        for t in report.tables:
            click.echo(
                f"{t.table:<24} {t.source_rows:>10} {t.destination_rows:>10} {t.source_hash:>18}"
                f" {t.destination_hash:>18}  {'ok' if t.ok else 'MISMATCH'}"
            )
        if report.rebuilt:
            click.echo("rebuilt at the destination from the records (search index): " + ", ".join(report.rebuilt))
        if report.missing:
            click.echo("NOT copied (the destination's schema lacks them): " + ", ".join(report.missing))
        click.echo(f"{'copy verified' if report.ok else 'COPY DIFFERS'} in {report.elapsed:.1f}s")
    sys.exit(EXIT_OK if report.ok else EXIT_FAILED)


def load_command(app: Any, shards: list[Path], as_json: bool) -> None:
    from dragoman.cli import _monitor_hooks
    from dragoman.pipeline.ingest import ArchivePolicy
    from dragoman.scale.backfill import load_shards

    with app.open_store() as store:
        # Stories and alerts as at ingest; alerts wait in the outbox for `dragoman alerts --deliver`.
        report = load_shards(
            shards,
            store,
            hooks=_monitor_hooks(app, store, [], stories=True),
            archive=ArchivePolicy.from_settings(app.settings),
        )
    print_backfill_report(app, report, as_json)
    sys.exit(130 if report.interrupted else EXIT_OK)
