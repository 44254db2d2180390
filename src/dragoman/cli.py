"""The command line: flags become library calls; library errors become one-line messages and exit codes.

Exit codes: 0 all done, 1 some items failed, 2 bad usage or configuration. ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from dragoman import __version__
from dragoman.errors import ConfigError, DragomanError
from dragoman.settings import Settings, load_settings

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class AppContext:
    """What every command gets: the settings and the global flags."""

    def __init__(self, settings: Settings, *, debug: bool, quiet: bool) -> None:
        self.settings = settings
        self.debug = debug
        self.quiet = quiet

    def open_store(self, *, readonly: bool = False) -> Any:
        from dragoman.store import open_store

        is_file_db = not str(self.settings.db).startswith(("postgres", "sqlite:"))
        if readonly and is_file_db and not Path(self.settings.db).exists():
            raise ConfigError(f"no database at {self.settings.db}; run `dragoman ingest` first or pass --db")
        return open_store(self.settings.db)

    def echo(self, message: str = "", *, err: bool = True) -> None:
        if not self.quiet:
            click.echo(message, err=err)


def handle_errors(func: F) -> F:
    """Turn DragomanError into one line on stderr and the right exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        app: AppContext | None = click.get_current_context().find_object(AppContext)
        try:
            return func(*args, **kwargs)
        except DragomanError as exc:
            if app is not None and app.debug:
                raise
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_USAGE if isinstance(exc, ConfigError) else EXIT_FAILED)

    return wrapper  # type: ignore[return-value]


pass_app = click.make_pass_decorator(AppContext)


def parse_date(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a date (use YYYY-MM-DD)") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dragoman")
@click.option("--db", envvar="DRAGOMAN_DB", help="SQLite file (default ./dragoman.db) or postgresql:// URL.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="TOML settings file.")
@click.option(
    "--allow-private", is_flag=True, default=None, help="Allow requests to private, loopback and link-local addresses."
)
@click.option("--host-delay", type=float, help="Seconds between two requests to one host.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.option("-q", "--quiet", is_flag=True, help="No progress or summaries on stderr.")
@click.pass_context
def main(
    ctx: click.Context,
    db: str | None,
    config_path: str | None,
    allow_private: bool | None,
    host_delay: float | None,
    debug: bool,
    quiet: bool,
) -> None:
    """dragoman: Russian-language news into a searchable, traceable English corpus."""
    try:
        settings = load_settings(config_path).with_overrides(
            db=db, allow_private=allow_private or None, host_delay=host_delay
        )
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    ctx.obj = AppContext(settings, debug=debug, quiet=quiet)


# -- extract / ingest ----------------------------------------------------------------------------------


@main.command()
@click.argument("source")
@click.option("--format", "fmt", type=click.Choice(["json", "text", "md"]), default="json", show_default=True)
@pass_app
@handle_errors
def extract(app: AppContext, source: str, fmt: str) -> None:
    """Extract one page (PATH or URL) and print the record; nothing is stored."""
    from dragoman.acquire import Failure
    from dragoman.pipeline import iter_articles
    from dragoman.serve.render import RENDERERS

    printed = 0
    for item in iter_articles([source], app.settings):
        if isinstance(item, Failure):
            raise item.error
        click.echo(RENDERERS[fmt](item).rstrip("\n"))
        printed += 1
    if printed == 0:
        raise DragomanError("no article found", reason="empty", source=source)


@contextmanager
def progress_bar(app: AppContext, total: int | None, label: str) -> Iterator[Callable[[str], None]]:
    """A progress bar on stderr (silent with --quiet or when stderr is not a terminal)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    disable = app.quiet or not console.is_terminal
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=console, disable=disable, transient=True) as progress:
        task = progress.add_task(label, total=total)

        def advance(_name: str) -> None:
            progress.advance(task)

        yield advance


def count_inputs(sources: tuple[str, ...]) -> int | None:
    from dragoman.acquire import is_url
    from dragoman.acquire.files import is_jsonl_path, iter_directory

    total = 0
    for spec in sources:
        path = Path(spec)
        if is_url(spec):
            total += 1
        elif path.is_dir():
            files = list(iter_directory(path))
            if any(is_jsonl_path(f) for f in files):
                return None  # lines unknown until read
            total += len(files)
        elif is_jsonl_path(path):
            return None
        else:
            total += 1
    return total


@main.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("--translate", "do_translate", is_flag=True, help="Translate the stored articles as well.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
@pass_app
@handle_errors
def ingest(app: AppContext, sources: tuple[str, ...], do_translate: bool, as_json: bool) -> None:
    """Extract and store articles from files, directories, JSONL files and URLs."""
    from dragoman import pipeline

    with app.open_store() as store, progress_bar(app, count_inputs(sources), "ingest") as advance:
        report = pipeline.ingest(sources, store, app.settings, on_item=lambda name, _r: advance(name))
        if do_translate and not report.interrupted:
            report.extra["translation"] = translate_after_ingest(app, store, report)
    print_ingest_report(app, report, as_json=as_json)
    if report.interrupted:
        sys.exit(130)
    sys.exit(EXIT_FAILED if report.total_failed else EXIT_OK)


def translate_after_ingest(app: AppContext, store: Any, report: Any) -> dict[str, Any]:
    """Translate what this ingest stored; a missing model is one line, not a failed ingest."""
    from dragoman.errors import ModelNotInstalled

    try:
        from dragoman.translate import translate_store
    except ImportError as exc:
        app.echo(f"translation skipped: the translate stage is not available ({exc})")
        return {"skipped": "unavailable"}
    try:
        result = translate_store(store, app.settings, only_missing=True)
    except ModelNotInstalled as exc:
        app.echo(f"translation skipped: {exc.message}")
        return {"skipped": "no_model"}
    return result.to_dict() if hasattr(result, "to_dict") else dict(vars(result))


def print_ingest_report(app: AppContext, report: Any, *, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return
    if app.quiet:
        return
    for problem in report.problems:
        kind = "skipped" if problem.skipped else "failed"
        click.echo(f"{kind}: {problem.source}: {problem.message} [{problem.reason}]", err=True)
    parts = [f"stored {report.stored}", f"unchanged {report.unchanged}", f"new revisions {report.revised}"]
    parts.append(f"skipped {report.total_skipped}" + _reasons(report.skipped))
    parts.append(f"failed {report.total_failed}" + _reasons(report.failed))
    head = "interrupted after" if report.interrupted else "done in"
    click.echo(f"{head} {report.elapsed:.1f}s: " + ", ".join(parts), err=True)


def _reasons(counter: Any) -> str:
    if not counter:
        return ""
    return " (" + ", ".join(f"{reason} {n}" for reason, n in counter.most_common()) + ")"


# -- show / export -------------------------------------------------------------------------------------


@main.command()
@click.argument("ref")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "md"]), default="text", show_default=True)
@click.option("--revision", type=int, help="Show this revision instead of the current one.")
@pass_app
@handle_errors
def show(app: AppContext, ref: str, fmt: str, revision: int | None) -> None:
    """Print one stored article by ID or URL."""
    from dragoman.serve.render import RENDERERS

    with app.open_store(readonly=True) as store:
        stored = store.get(ref)
        if stored is None:
            raise DragomanError("no such article in the database", reason="not_found", source=ref)
        article = stored.article
        if revision is not None:
            match = [r for r in store.revisions(stored.id) if r.revision == revision]
            if not match:
                raise DragomanError(
                    f"article has no revision {revision} (it has {stored.revision_count})",
                    reason="not_found",
                    source=ref,
                )
            article = match[0].article
    click.echo(RENDERERS[fmt](article).rstrip("\n"))


@main.command()
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "text", "md"]), default="jsonl", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="File (default stdout).")
@click.option("--outlet", "outlets", multiple=True, help="Only this outlet (repeatable), e.g. iz.ru.")
@click.option("--since", help="Published on or after this date (YYYY-MM-DD).")
@click.option("--until", help="Published before this date (YYYY-MM-DD).")
@pass_app
@handle_errors
def export(
    app: AppContext, fmt: str, output: str | None, outlets: tuple[str, ...], since: str | None, until: str | None
) -> None:
    """Stream stored articles as JSONL, CSV, plain-text documents or Markdown."""
    from dragoman.serve.export import export_articles
    from dragoman.store import ArticleFilter

    where = ArticleFilter(outlets=list(outlets) or None, since=parse_date(since), until=parse_date(until))
    with app.open_store(readonly=True) as store:
        if output:
            with open(output, "w", encoding="utf-8", newline="") as handle:
                count = export_articles(store, handle, fmt, where)
        else:
            count = export_articles(store, sys.stdout, fmt, where)
    app.echo(f"exported {count} articles")


if __name__ == "__main__":  # pragma: no cover
    main()
