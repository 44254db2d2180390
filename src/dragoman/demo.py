"""`make demo`: the main job on real pages, end to end.

Live Izvestia feed when the network is reachable, otherwise the saved pages under ../shared/data/html_ru.
With no translation model installed it downloads the catalog's default ru->en model first (saying what, how
big and under which licence), so the document it prints is in English; offline, or with
DRAGOMAN_NO_DOWNLOAD=1, it goes on without one and prints the Russian. Prints what it used, a summary, one
rendered document and the database path.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from dragoman.errors import DragomanError, ModelNotInstalled
from dragoman.settings import load_settings

LIVE_FEED = "https://iz.ru/xml/rss/all.xml"
LIVE_ARTICLES = 3


def live_sources(settings) -> list[str]:  # type: ignore[no-untyped-def]
    """The newest article URLs of the live feed, or [] when the network cannot reach it."""
    from dragoman.acquire.feeds import parse_feed
    from dragoman.acquire.http import Fetcher

    quick = settings.with_overrides(connect_timeout=5.0, read_timeout=10.0)
    try:
        with Fetcher(quick) as fetcher:
            page = fetcher.fetch(LIVE_FEED)
            return [item.url for item in parse_feed(page.body, source=LIVE_FEED)[:LIVE_ARTICLES]]
    except DragomanError as exc:
        print(f"live feed not reachable ({exc.message}); using saved pages", file=sys.stderr)
        return []


def ensure_model(settings) -> bool:  # type: ignore[no-untyped-def]
    """True when a translation model is installed, downloading the catalog's default if none is and may be."""
    from dragoman.acquire.model_download import download_catalog_model, downloads_allowed
    from dragoman.translate.catalog import human_size, load_catalog
    from dragoman.translate.models import list_models, models_dir

    if list_models(settings):
        return True
    if not downloads_allowed():
        print("== no translation model installed and DRAGOMAN_NO_DOWNLOAD is set: the document stays in Russian")
        return False
    try:
        model = load_catalog(settings).default_for("ru-en")
    except DragomanError as exc:
        print(f"== no translation model: {exc.message}")
        return False
    if model is None:
        return False
    mirror = str(settings.model_mirror or "")
    where = f"mirror {mirror}" if mirror else (model.files[0].urls[0] if model.files[0].urls else "")
    print(f"== downloading the default ru->en model {model.name}: {human_size(model.size)}, licence {model.license}")
    print(f"   from {where} into {models_dir(settings)} (DRAGOMAN_NO_DOWNLOAD=1 skips this)")
    quick = settings.with_overrides(connect_timeout=min(settings.connect_timeout, 5.0))
    try:
        installed = download_catalog_model(quick, model.name, progress=_progress_printer(), retries=2)
    except DragomanError as exc:
        print(f"\n== model download failed ({exc.message}); going on without translation")
        return False
    print(f"\n== installed {installed.name} ({installed.model_id})")
    return True


def _progress_printer():  # type: ignore[no-untyped-def]
    """Prints a line at every tenth of the download (a demo log, not a terminal bar)."""
    shown = [-1]

    def show(done: int, total: int) -> None:
        tenth = done * 10 // total if total else 10
        if tenth != shown[0]:
            shown[0] = tenth
            print(f"   {done * 100 // total if total else 100}% of {total:,} bytes", flush=True)

    return show


def saved_sources() -> list[str]:
    for base in (Path.cwd(), *Path.cwd().parents):
        candidate = base.parent / "shared" / "data" / "html_ru"
        if candidate.is_dir():
            return [str(candidate)]
    return []


def main(argv: list[str] | None = None) -> int:
    from dragoman.formats.document import render_text
    from dragoman.pipeline import ingest as pipeline
    from dragoman.store import open_store

    args = argparse.ArgumentParser(prog="python -m dragoman.demo")
    args.add_argument("--db", default="dragoman.db")
    args.add_argument(
        "--offline", action="store_true", help="skip the live feed (DRAGOMAN_NO_DOWNLOAD=1 skips the model download)"
    )
    opts = args.parse_args(argv)
    settings = load_settings().with_overrides(db=opts.db, host_delay=2.0)

    sources = [] if opts.offline else live_sources(settings)
    used = f"live feed {LIVE_FEED}"
    if not sources:
        sources = saved_sources()
        used = f"saved pages in {sources[0]}" if sources else ""
    if not sources:
        print("no network and no ../shared/data/html_ru: nothing to ingest", file=sys.stderr)
        return 1
    print(f"== ingesting {used}")
    with open_store(settings.db) as store:
        report = pipeline.ingest(sources, store, settings)
        print(
            f"stored {report.stored}, unchanged {report.unchanged}, new revisions {report.revised}, "
            f"skipped {report.total_skipped} {dict(report.skipped)}, failed {report.total_failed} "
            f"{dict(report.failed)}"
        )
        translated = False
        ensure_model(settings)
        try:
            from dragoman.pipeline.translate import translate_store

            tr_report = translate_store(store, settings, only_missing=True)
            translated = True
            print(f"== translated: {json.dumps(tr_report.to_dict(), ensure_ascii=False)}")
        except ModelNotInstalled as exc:
            print(f"== translation skipped: {exc.message}")
        except ImportError:
            print("== translation skipped: the translate stage is not installed")
        try:
            from dragoman.pipeline.analyze import analyze_store

            an_report = analyze_store(store, only_missing=True)
            print(
                f"== analyzed {an_report.stored} articles: {an_report.entities} entities, "
                f"{an_report.quotes} quotes, {an_report.events} events"
            )
        except ImportError:
            print("== analysis skipped: the analyze stage is not installed")
        best = None
        for stored in store.iter_articles():
            a = stored.article
            if a.outlet in ("kommersant.ru", "iz.ru", "tass.ru") or best is None:
                best = stored
                if a.outlet in ("kommersant.ru", "iz.ru", "tass.ru"):
                    break
        if best is not None:
            kind = "translated" if translated and best.article.translation else "original (Russian)"
            print(f"\n== one rendered document ({kind}): dragoman --db {settings.db} show {best.id}\n")
            print(render_text(best.article))
    print(f"== database: {Path(settings.db).resolve()}  (browse: dragoman --db {settings.db} export --format text)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
