"""The command line (the one CLI module): flags become library calls; library errors become one-line messages
and exit codes.

Exit codes, one rule for every command (``dragoman.report``): 0 all done, 1 some items failed, 2 bad usage or
configuration, 130 interrupted. ``--debug`` shows tracebacks. The options that filter or print (``--json``,
``--since``/``--until``, ``--outlet``) are defined once below and shared by every command that has them.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from click.core import ParameterSource

from dragoman import __version__
from dragoman.errors import ConfigError, DragomanError
from dragoman.formats.document import counted, date_range_problem
from dragoman.report import EXIT_FAILED, EXIT_OK, EXIT_USAGE, IngestReport, StageReport
from dragoman.search import open_index
from dragoman.settings import Settings, load_settings

if TYPE_CHECKING:
    from rich.text import Text

    from dragoman.store.protocol import Store

F = TypeVar("F", bound=Callable[..., Any])


class AppContext:
    """What every command gets: the settings and the global flags."""

    def __init__(self, settings: Settings, *, debug: bool, quiet: bool) -> None:
        self.settings = settings
        self.debug = debug
        self.quiet = quiet

    def open_store(self, *, readonly: bool = False, existing: bool = False) -> Store:
        """The database: created and migrated for commands that write articles; for commands that only read,
        an existing, migrated one, ``readonly``, or ``existing`` when they bring the derived search index up
        to date (its only write); a reader never creates or migrates a database."""
        from dragoman.store import open_store

        is_file_db = not str(self.settings.db).startswith(("postgres", "sqlite:"))
        if (readonly or existing) and is_file_db and not Path(self.settings.db).exists():
            raise ConfigError(f"no database at {self.settings.db}; run `dragoman ingest` first or pass --db")
        if existing:
            return open_store(self.settings.db, existing=True)
        return open_store(self.settings.db, readonly=readonly)

    def echo(self, message: str = "", *, err: bool = True) -> None:
        if not self.quiet:
            click.echo(message, err=err)


def untrusted(value: object) -> Text:
    """Scraped (or user-typed) text as a Rich renderable: no markup is read in it, no control character printed.

    A quote containing ``[/bold]`` would crash Rich's markup parser, ``[link=...]`` would become a terminal
    hyperlink, and ESC sequences would drive the terminal; a ``Text`` is printed as it is, once the
    controls are gone.
    """
    from rich.text import Text

    from dragoman.formats.document import strip_controls

    return Text(strip_controls("" if value is None else str(value)))


def echo_untrusted(line: str, *, err: bool = False) -> None:
    """``click.echo`` for a line that carries scraped text: control characters (terminal escapes) dropped."""
    from dragoman.formats.document import strip_controls

    click.echo(strip_controls(line), err=err)


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


# -- the shared options: defined once, used by every command that filters or prints ------------------------


class _DateType(click.ParamType):
    """``YYYY-MM-DD`` (or an ISO date-time) as an aware datetime, UTC when no zone is given; bad usage (exit 2)
    otherwise."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            parsed = parse_date(str(value))
        except click.BadParameter as exc:
            self.fail(exc.message, param, ctx)
        assert parsed is not None
        return parsed


DATE = _DateType()


def json_option(help_text: str = "Print the summary as JSON on stdout.") -> Callable[[F], F]:
    """``--json``: machine-readable output on stdout (the summary, or the rows a listing prints)."""
    return click.option("--json", "as_json", is_flag=True, help=help_text)


def since_option(help_text: str = "Only articles published on or after this date (YYYY-MM-DD).") -> Callable[[F], F]:
    """``--since DATE``: the command gets an aware datetime (or None)."""
    return click.option("--since", type=DATE, help=help_text)


def until_option(help_text: str = "Only articles published before this date (YYYY-MM-DD).") -> Callable[[F], F]:
    """``--until DATE``: the command gets an aware datetime (or None)."""
    return click.option("--until", type=DATE, help=help_text)


def outlet_option(help_text: str = "Only this outlet (repeatable), e.g. iz.ru.") -> Callable[[F], F]:
    """``--outlet KEY`` (repeatable): the command gets a tuple of outlet keys."""
    return click.option("--outlet", "outlets", multiple=True, help=help_text)


def finish(app: AppContext, report: StageReport, *, as_json: bool, lines: list[str] | None = None) -> None:
    """Print a stage's report (JSON on stdout, or its problems and summary on stderr) and exit by the one rule."""
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    elif not app.quiet:
        for problem in report.problems:
            kind = "skipped" if problem.skipped else "failed"
            echo_untrusted(f"{kind}: {problem.source}: {problem.message} [{problem.reason}]", err=True)
        for line in lines if lines is not None else [report.summary()]:
            click.echo(line, err=True)
    sys.exit(report.exit_code)


# The value a bare --allow-private stands for: loopback and private networks (settings.PRIVATE_NETWORKS).
_BARE_ALLOW_PRIVATE = "private"


# The group's options that users also type after the command name (``dragoman ingest --db x.db``): the ones
# taking a value, and the flags. ``--allow-private`` takes an optional value (see _global_option_span).
_GLOBAL_VALUE_OPTIONS = frozenset({"--db", "--config", "--host-delay"})
_GLOBAL_FLAGS = frozenset({"--debug", "-q", "--quiet", "--allow-private"})


def _option_names(command: click.Command) -> set[str]:
    """Every option name a command (and, for a group, any of its subcommands) defines itself."""
    names = {name for param in command.params for name in [*param.opts, *param.secondary_opts]}
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            names |= _option_names(sub)
    return names


def _global_option_span(args: list[str], index: int) -> int:
    """How many arguments the global option at ``args[index]`` occupies after a command name (1 or 2)."""
    arg = args[index]
    if "=" in arg or index + 1 >= len(args):
        return 1
    if arg in _GLOBAL_VALUE_OPTIONS:
        return 2
    if arg == "--allow-private":
        # After a command the next word is its value only when it reads as networks or hosts, not as an
        # input of the command (an existing file, a URL, an option).
        value = args[index + 1]
        is_input = value.startswith("-") or "://" in value or Path(value).exists()
        return 1 if is_input or not re.fullmatch(r"[\w.:/,\[\]-]+", value) else 2
    return 1


class _MainGroup(click.Group):
    """Global options are accepted after the command name as well as before it (users type them both ways):
    they are moved in front of the command, unless the command defines an option of the same name.
    ``--allow-private`` takes an optional value; before a command name it is the bare flag, not its value."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        args = list(args)
        for index, arg in enumerate(args[:-1]):
            if arg in self.commands:
                break
            if arg == "--allow-private" and args[index + 1] in self.commands:
                args[index] = f"--allow-private={_BARE_ALLOW_PRIVATE}"
                break
        return super().parse_args(ctx, self._globals_first(args))

    def _globals_first(self, args: list[str]) -> list[str]:
        position = next((i for i, arg in enumerate(args) if arg in self.commands), None)
        if position is None:
            return args
        own = _option_names(self.commands[args[position]])
        moved: list[str] = []
        rest: list[str] = []
        index = position + 1
        while index < len(args):
            arg = args[index]
            if arg == "--":
                rest.extend(args[index:])
                break
            name = arg.split("=", 1)[0]
            if name not in own and name in _GLOBAL_VALUE_OPTIONS | _GLOBAL_FLAGS:
                span = _global_option_span(args, index)
                taken = args[index : index + span]
                if name == "--allow-private" and span == 1 and "=" not in arg:
                    taken = [f"--allow-private={_BARE_ALLOW_PRIVATE}"]
                moved.extend(taken)
                index += span
                continue
            rest.append(arg)
            index += 1
        return [*args[:position], *moved, args[position], *rest]


@click.group(cls=_MainGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dragoman")
@click.option("--db", envvar="DRAGOMAN_DB", help="SQLite file (default ./dragoman.db) or postgresql:// URL.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="TOML settings file.")
@click.option(
    "--allow-private",
    "allow_private",
    is_flag=False,
    flag_value=_BARE_ALLOW_PRIVATE,
    multiple=True,
    metavar="[NETWORK]",
    help="Allow fetching these networks or hosts although not public (repeatable or comma-separated: "
    "--allow-private 127.0.0.1/8,intranet.example). Bare: loopback and private networks. Link-local addresses "
    "(169.254.0.0/16, fe80::/10, cloud metadata) only when a network inside them is named.",
)
@click.option("--host-delay", type=float, help="Seconds between two requests to one host.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.option("-q", "--quiet", is_flag=True, help="No progress or summaries on stderr.")
@click.pass_context
def main(
    ctx: click.Context,
    db: str | None,
    config_path: str | None,
    allow_private: tuple[str, ...],
    host_delay: float | None,
    debug: bool,
    quiet: bool,
) -> None:
    """dragoman: Russian-language news into a searchable, traceable English corpus."""
    named = [value for value in allow_private if value != _BARE_ALLOW_PRIVATE]
    try:
        settings = load_settings(config_path).with_overrides(
            db=db,
            allow_private=True if _BARE_ALLOW_PRIVATE in allow_private else None,
            allow_networks=",".join(named) or None,
            host_delay=host_delay,
        )
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    ctx.obj = AppContext(settings, debug=debug, quiet=quiet)


# -- what runs after an article is stored: stories and alerts (every way an article arrives) --------


def _alert_sinks(app: AppContext, alert_jsonl: str | None, webhooks: tuple[str, ...], print_alerts: bool) -> list[Any]:
    from dragoman.acquire.alerts import JsonlSink, PrintSink, WebhookSink

    sinks: list[Any] = [PrintSink(echo_untrusted)] if print_alerts else []
    if alert_jsonl:
        sinks.append(JsonlSink(alert_jsonl))
    for url in webhooks:
        webhook = WebhookSink(url)
        click.get_current_context().call_on_close(webhook.close)
        sinks.append(webhook)
    return sinks


def _monitor_hooks(app: AppContext, store: Any, sinks: list[Any], *, stories: bool) -> list[Any]:
    from dragoman.acquire.alerts import AlertEngine

    try:
        from dragoman.acquire.dedupe import StoryIndex
    except ModuleNotFoundError as exc:
        raise ConfigError(
            f"story grouping needs the monitor extra ({exc.name} is missing): pip install 'dragoman[monitor]'"
            " or pass --no-stories"
        ) from exc

    hooks: list[Any] = [StoryIndex(store, threshold=app.settings.story_threshold)] if stories else []
    hooks.append(AlertEngine(store, sinks))  # records alerts only; _deliver_alerts hands them over
    return hooks


def _deliver_alerts(app: AppContext, store: Any, sinks: list[Any]) -> None:
    """Deliver the alert outbox after a batch: the articles are stored already, so a slow or dead webhook
    only delays the end of the command, by at most the delivery run's time cap."""
    from dragoman.acquire.alerts import AlertEngine

    report = AlertEngine(store, sinks).deliver_pending()
    if report:
        app.echo(report.summary())


def _arrival_hooks(app: AppContext, store: Any, sinks: list[Any], *, stories: bool) -> list[Any]:
    """The hooks of ``ingest`` and ``import``: stories and alerts follow every way an article arrives. Without
    the monitor extra an ingest still stores and raises alerts, and says that stories were not kept."""
    try:
        return _monitor_hooks(app, store, sinks, stories=stories)
    except ConfigError as exc:
        from dragoman.acquire.alerts import AlertEngine

        app.echo(f"stories not kept: {exc.message}")
        return [AlertEngine(store, sinks)]


def _sink_options(func: F) -> F:
    jsonl_path = click.Path(dir_okay=False)
    func = click.option("--alert-jsonl", type=jsonl_path, help="Append alerts to this JSONL file.")(func)
    func = click.option("--webhook", "webhooks", multiple=True, help="POST alerts as JSON to this URL (repeatable).")(
        func
    )
    func = click.option(
        "--print-alerts/--no-print-alerts", default=True, show_default=True, help="Print alerts on stdout."
    )(func)
    return func


@dataclass(frozen=True)
class AlertOptions:
    """Where alerts go and whether stories are kept: the option block of every command that stores articles,
    declared once by ``_alert_options`` and handed to the command as this one value."""

    alert_jsonl: str | None
    webhooks: tuple[str, ...]
    print_alerts: bool
    no_stories: bool

    @property
    def stories(self) -> bool:
        return not self.no_stories

    def sinks(self, app: AppContext, *, printing: bool = True) -> list[Any]:
        """The sinks these options name; ``printing=False`` keeps alerts off stdout (when it carries --json)."""
        return _alert_sinks(app, self.alert_jsonl, self.webhooks, self.print_alerts and printing)


_ALERT_OPTION_NAMES = tuple(f.name for f in fields(AlertOptions))


def _alert_options(func: F) -> F:
    """--alert-jsonl, --webhook, --print-alerts and --no-stories, given to the command as ``alerting``."""

    @functools.wraps(func)
    def with_alerts(*args: Any, **kwargs: Any) -> Any:
        alerting = AlertOptions(**{name: kwargs.pop(name) for name in _ALERT_OPTION_NAMES})
        return func(*args, alerting=alerting, **kwargs)

    command = _sink_options(with_alerts)
    return click.option("--no-stories", is_flag=True, help="Do not group articles into stories.")(command)  # type: ignore[return-value]


# -- extract / ingest ----------------------------------------------------------------------------------


@main.command()
@click.argument("source")
@click.option("--format", "fmt", type=click.Choice(["json", "text", "md"]), default="json", show_default=True)
@pass_app
@handle_errors
def extract(app: AppContext, source: str, fmt: str) -> None:
    """Extract one page (PATH or URL) and print the record; nothing is stored."""
    from dragoman.acquire import Failure
    from dragoman.formats.document import RENDERERS
    from dragoman.pipeline.ingest import iter_articles

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
@_alert_options
@json_option()
@pass_app
@handle_errors
def ingest(
    app: AppContext,
    sources: tuple[str, ...],
    do_translate: bool,
    alerting: AlertOptions,
    as_json: bool,
) -> None:
    """Extract and store articles from files, directories, JSONL files and URLs (grouped into stories and
    matched against the watchlist, as watch does)."""
    from dragoman.pipeline import ingest as pipeline

    sinks = alerting.sinks(app, printing=not as_json)
    with app.open_store() as store, progress_bar(app, count_inputs(sources), "ingest") as advance:
        hooks = _arrival_hooks(app, store, sinks, stories=alerting.stories)
        report = pipeline.ingest(sources, store, app.settings, on_item=lambda name, _r: advance(name), hooks=hooks)
        if not report.interrupted:
            _deliver_alerts(app, store, sinks)
        if do_translate and not report.interrupted:
            report.extra["translation"] = translate_after_ingest(app, store, report)
    print_ingest_report(app, report, as_json=as_json)


def translate_after_ingest(app: AppContext, store: Any, report: Any) -> dict[str, Any]:
    """Translate what this ingest stored; a missing model is one line, not a failed ingest."""
    from dragoman.errors import ModelNotInstalled
    from dragoman.pipeline.translate import translate_store

    try:
        result = translate_store(store, app.settings, only_missing=True)
    except ModelNotInstalled as exc:
        app.echo(f"translation skipped: {exc.message}")
        return {"skipped": "no_model"}
    return result.to_json()


def ingest_summary(report: IngestReport) -> list[str]:
    """The summary line, and a word on the archive when it is full."""
    lines = [report.summary()]
    if report.archive.get("over_cap"):
        lines.append(
            f"archive full: {counted(report.archive['over_cap'], 'original page')} not kept"
            " (raise archive_max_bytes to keep them)"
        )
    return lines


def print_ingest_report(app: AppContext, report: IngestReport, *, as_json: bool) -> None:
    """Print an ingest-shaped report and exit by the one rule."""
    finish(app, report, as_json=as_json, lines=ingest_summary(report))


# -- show / export -------------------------------------------------------------------------------------


@main.command()
@click.argument("ref")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "md"]), default="text", show_default=True)
@click.option("--revision", type=int, help="Show this revision instead of the current one.")
@pass_app
@handle_errors
def show(app: AppContext, ref: str, fmt: str, revision: int | None) -> None:
    """Print one stored article by ID or URL."""
    from dragoman.formats.document import RENDERERS

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
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv", "text", "md", "parquet", "tmx", "pairs", "warc"]),
    default="jsonl",
    show_default=True,
    help="pairs: aligned Russian/English sentences as JSONL; tmx: the same as a TMX 1.4 memory; "
    "warc: the kept original pages as WARC/1.1 (gzipped per record when the file name ends in .gz).",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="File (default stdout).")
@outlet_option()
@since_option()
@until_option()
@pass_app
@handle_errors
def export(
    app: AppContext,
    fmt: str,
    output: str | None,
    outlets: tuple[str, ...],
    since: datetime | None,
    until: datetime | None,
) -> None:
    """Stream stored articles as JSONL, CSV, plain text, Markdown, Parquet, sentence pairs (JSONL, TMX), or
    their original pages as WARC."""
    from dragoman.formats.export import NOTHING_TO_PAIR, PAIRED_FORMATS, ExportCounter, export_articles
    from dragoman.store import ArticleFilter

    where = ArticleFilter(outlets=list(outlets) or None, since=since, until=until)
    if fmt == "warc":
        export_warc_file(app, where, output)
        return
    unreadable: list[str] = []

    def skipped(_article_id: int, exc: DragomanError) -> None:
        unreadable.append(exc.message)
        click.echo(f"skipped: {exc.message} [{exc.reason}]", err=True)

    counter = ExportCounter()
    with app.open_store(readonly=True) as store:
        if fmt == "parquet":
            if not output:
                raise ConfigError("Parquet is binary: name a file with -o/--output")
            with open(output, "wb") as binary:
                count = export_articles(store, binary, fmt, where, on_unreadable=skipped, counter=counter)
        elif output:
            with open(output, "w", encoding="utf-8", newline="") as handle:
                count = export_articles(store, handle, fmt, where, on_unreadable=skipped, counter=counter)
        else:
            count = export_articles(store, sys.stdout, fmt, where, on_unreadable=skipped, counter=counter)
    skipped_part = f", skipped {len(unreadable)} unreadable" if unreadable else ""
    if fmt in PAIRED_FORMATS and not counter.pairs:
        app.echo(f"read {counted(count, 'article')}: {NOTHING_TO_PAIR}" + skipped_part)
    elif fmt in PAIRED_FORMATS:
        pairs = counted(counter.pairs, "sentence pair")
        app.echo(f"exported {pairs} from {counted(count, 'article')}" + skipped_part)
    else:
        app.echo(f"exported {counted(count, 'article')}" + skipped_part)
    sys.exit(EXIT_FAILED if unreadable else EXIT_OK)


def binary_stdout(what: str) -> Any:
    """stdout for bytes; refused when it is a terminal (bytes there garble it and help nobody)."""
    stream = sys.stdout.buffer
    if stream.isatty():
        raise ConfigError(f"{what} is binary: name a file with -o/--output or redirect stdout")
    return stream


def export_warc_file(app: AppContext, where: Any, output: str | None) -> None:
    from dragoman.formats.warc import export_warc

    with app.open_store(readonly=True) as store:
        if output:
            try:
                binary = open(output, "wb")  # noqa: SIM115 - closed below; opening is what may fail
            except OSError as exc:
                raise DragomanError(f"cannot write {output}: {exc.strerror or exc}", reason="unwritable") from exc
            with binary:
                report = export_warc(store, binary, where, gzipped=output.endswith(".gz"))
        else:
            stream = binary_stdout("WARC")
            report = export_warc(store, stream, where)
            stream.flush()
    app.echo(
        f"exported {report.originals} original pages of {report.articles} articles as {report.records} WARC records"
        + (f"; {report.without_original} articles have no kept original" if report.without_original else "")
    )


@main.command()
@click.argument("ref")
@click.option("--revision", type=int, help="The original of this revision (default: the current one).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="File (default stdout).")
@pass_app
@handle_errors
def original(app: AppContext, ref: str, revision: int | None, output: str | None) -> None:
    """Write the page an article (ID or URL) was extracted from, byte for byte.

    The bytes are those the extractor read: a fetched body as decoded from its Content-Encoding, a saved
    file as read, a .html.gz file's page decompressed, a WARC record's HTTP payload.
    """
    with app.open_store(readonly=True) as store:
        stored = store.get(ref)
        if stored is None:
            raise DragomanError("no such article in the database", reason="not_found", source=ref)
        numbers = [r.revision for r in store.revisions(stored.id)]
        if revision is not None and revision not in numbers:
            raise DragomanError(
                f"article has no revision {revision} (it has {numbers})", reason="not_found", source=ref
            )
        kept = store.original(stored.id, revision)
    shown = revision if revision is not None else stored.revision
    if kept is None:
        why = (
            "it was imported as an extracted record (JSONL or text), which has no page"
            if stored.article.source in ("jsonl", "text")
            else "it was stored before the archive existed, with archive_originals off, or past archive_max_bytes"
        )
        raise DragomanError(f"no original page is stored for revision {shown}: {why}", reason="no_original", source=ref)
    body = kept.original.body
    if output:
        try:
            Path(output).write_bytes(body)
        except OSError as exc:
            raise DragomanError(f"cannot write {output}: {exc.strerror or exc}", reason="unwritable") from exc
    else:
        stream = binary_stdout("the original page")
        stream.write(body)
        stream.flush()
    when = kept.original.fetched_at.isoformat() if kept.original.fetched_at else "unknown"
    app.echo(
        f"article {stored.id} revision {shown}: {len(body):,} bytes, sha256 {kept.sha256},"
        f" {kept.original.kind} {kept.original.url}, fetched {when}"
    )


@main.command()
@since_option()
@outlet_option()
@click.option(
    "--extractor-older-than",
    "older_than",
    metavar="VERSION",
    help="Only articles extracted by an extractor version older than this (e.g. 1.1).",
)
@json_option()
@pass_app
@handle_errors
def reextract(
    app: AppContext, since: datetime | None, outlets: tuple[str, ...], older_than: str | None, as_json: bool
) -> None:
    """Run today's extractor again over the stored original pages; changed text becomes a new revision
    marked as a re-extraction, which the next translate and analyze runs pick up."""
    from dragoman.pipeline.reextract import is_older, reextract_store

    if older_than is not None:
        try:
            is_older("", older_than)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--extractor-older-than") from exc
    with app.open_store() as store, progress_bar(app, None, "reextract") as advance:
        report = reextract_store(
            store,
            since=since,
            outlets=list(outlets) or None,
            older_than=older_than,
            on_item=lambda stored: advance(str(stored.id)),
        )
    finish(app, report, as_json=as_json)


# -- search index and web app (issue 5) ----------------------------------------------------------------


@main.command()
@pass_app
@handle_errors
def reindex(app: AppContext) -> None:
    """Rebuild the full-text search index and the entity/quote/event tables from the stored records."""

    with app.open_store() as store, progress_bar(app, store.count(), "reindex") as advance:
        index = open_index(store)
        count = index.reindex(on_batch=lambda n: [advance("") for _ in range(n)])
    print_left_out(app, index.left_out)
    app.echo(
        f"indexed {counted(count - len(index.left_out), 'article')}"
        + (f", left out {len(index.left_out)}" if index.left_out else "")
    )
    sys.exit(EXIT_FAILED if index.left_out else EXIT_OK)


def print_left_out(app: AppContext, left_out: list[Any]) -> None:
    """One line per article the search index could not take (always shown: the user must know)."""
    for item in left_out:
        click.echo(f"left out of the search index: {item}", err=True)


@main.command()
@click.argument("query", default="")
@outlet_option()
@click.option("--rubric", help="Only this rubric (Russian or English name).")
@since_option()
@until_option()
@click.option("--entity", "entities", multiple=True, help="Only articles mentioning this entity key (repeatable).")
@click.option("--unnamed", is_flag=True, help="Only articles citing unnamed sources.")
@click.option("--qa", is_flag=True, help="Only articles with QA-flagged translated sentences.")
@click.option("--sort", type=click.Choice(["newest", "relevance"]), default="newest", show_default=True)
@click.option("--limit", type=int, default=20, show_default=True)
@json_option("Print the results as JSON.")
@pass_app
@handle_errors
def search(app: AppContext, query: str, outlets: tuple[str, ...], rubric: str | None, since: datetime | None,
           until: datetime | None, entities: tuple[str, ...], unnamed: bool, qa: bool, sort: str, limit: int,
           as_json: bool) -> None:  # fmt: skip
    """Search Russian originals and English translations: words, "phrases", AND/OR/NOT, -word, prefix*."""
    from dragoman.search.query import QueryError, SearchQuery

    request = SearchQuery(text=query, outlets=list(outlets), rubric=rubric, since=since,
                          until=until, entities=list(entities), unnamed_sources=unnamed,
                          qa_flagged=qa, sort=sort, limit=limit)  # fmt: skip
    with app.open_store(existing=True) as store:
        index = open_index(store)
        index.sync()  # everything stored so far, not only the web's bounded share per request
        try:
            results = index.search(request)
        except QueryError as exc:  # the query is bad usage: exit 2, like a bad flag
            raise ConfigError(f"bad query: {exc.message}", reason=exc.reason) from exc
    print_left_out(app, index.left_out)
    if as_json:
        from dataclasses import asdict

        click.echo(json.dumps(asdict(results), ensure_ascii=False, indent=2))
        return
    for expansion in results.expanded:  # the user must know the query was widened, and how
        echo_untrusted(f"also searched: {expansion.term} as {', '.join(expansion.forms)}", err=True)
    for hit in results.hits:
        snippet = " ".join("".join(f"[{f.text}]" if f.hit else f.text for f in s.fragments) for s in hit.snippets[:1])
        day = (hit.published_at or "")[:10]
        echo_untrusted(f"{hit.article_id}\t{day}\t{hit.outlet or ''}\t{hit.title_en or hit.title}")
        if snippet:
            echo_untrusted(f"\t{snippet}")
    total = counted(results.total, "article")
    app.echo(total.replace(" ", "+ ", 1) if results.total_is_capped else total)
    empty_range = date_range_problem(request.since, request.until, ("--since", "--until"))
    if empty_range:
        app.echo(empty_range)


def read_secret_file(path: str, what: str) -> str:
    """A token kept in a file (first line, surrounding spaces dropped): unlike a flag, not visible in `ps`."""
    try:
        secret = Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the {what} file {path}: {exc}") from exc
    if not secret:
        raise ConfigError(f"the {what} file {path} is empty")
    return secret


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (keep 127.0.0.1 by default).")
@click.option("--port", default=8080, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--token",
    envvar="DRAGOMAN_TOKEN",
    default=None,
    help="Token for endpoints that change data (env DRAGOMAN_TOKEN); without it they are off. A flag is visible "
    "to other users in `ps`: prefer the environment or --token-file.",
)
@click.option(
    "--token-file", type=click.Path(dir_okay=False), help="Read the token for endpoints that change data from a file."
)
@click.option(
    "--read-token-file",
    type=click.Path(dir_okay=False),
    help="Read a token that every request must carry from a file (or set DRAGOMAN_READ_TOKEN).",
)
@click.option(
    "--allowed-host",
    "allowed_hosts",
    multiple=True,
    help="Also answer requests for this Host name (repeatable); others get 400. Default: the bound host, and "
    "localhost, 127.0.0.1 and ::1 for a loopback bind.",
)
@pass_app
@handle_errors
def serve(app: AppContext, host: str, port: int, token: str | None, token_file: str | None,
          read_token_file: str | None, allowed_hosts: tuple[str, ...]) -> None:  # fmt: skip
    """Run the web reader and JSON API (search, reader, entities, quotes, timeline, outlets, exports)."""
    from dragoman.serve.app import allowed_hosts_for, exposure_warnings
    from dragoman.serve.app import serve as run_server

    db = str(app.settings.db)
    if not db.startswith(("postgres", "sqlite:")) and not Path(db).exists():
        raise ConfigError(f"no database at {db}; run `dragoman ingest` first or pass --db")
    if token_file:
        token = read_secret_file(token_file, "token")
    elif token and click.get_current_context().get_parameter_source("token") == ParameterSource.COMMANDLINE:
        click.echo(
            "warning: --token on the command line is visible to other users of this machine (ps); "
            "set DRAGOMAN_TOKEN or use --token-file instead",
            err=True,
        )
    read_token = read_secret_file(read_token_file, "read token") if read_token_file else app.settings.read_token
    extra_hosts = [*app.settings.allowed_hosts.split(","), *allowed_hosts]
    # Said even with --quiet: these are about who can read the corpus.
    for warning in exposure_warnings(
        host, port, read_token=read_token or None, allowed_hosts=allowed_hosts_for(host, extra_hosts)
    ):
        click.echo(warning, err=True)
    app.echo(f"serving {db} on http://{host}:{port}/")
    run_server(db, host=host, port=port, token=token or None, read_token=read_token or None, extra_hosts=extra_hosts)


# -- monitoring: watch, backfill, WARC, stories, revisions, alerts (issue 6) ---------------------------


@main.command()
@click.option(
    "--sources",
    "sources_path",
    type=click.Path(dir_okay=False, exists=True),
    help="Sources TOML file (default: the shipped list of outlets).",
)
@click.option("--feed", "feed_urls", multiple=True, help="Watch this RSS/Atom feed instead (repeatable).")
@click.option("--once", is_flag=True, help="One pass: poll the due feeds, store their new articles, exit.")
@click.option(
    "--poll-interval",
    type=float,
    default=900.0,
    show_default=True,
    help="Shortest time between two polls of one feed, in seconds.",
)
@click.option(
    "--max-interval",
    type=float,
    default=6 * 3600.0,
    show_default=True,
    help="Longest time between polls of an unchanged feed, in seconds.",
)
@click.option("--concurrency", type=int, default=4, show_default=True, help="Hosts fetched at the same time.")
@_alert_options
@json_option("Print each pass's summary as JSON on stdout.")
@pass_app
@handle_errors
def watch(
    app: AppContext,
    sources_path: str | None,
    feed_urls: tuple[str, ...],
    once: bool,
    poll_interval: float,
    max_interval: float,
    concurrency: int,
    alerting: AlertOptions,
    as_json: bool,
) -> None:
    """Follow outlets' feeds: store every new article once, group copies into stories, raise alerts."""
    import signal

    from dragoman.acquire.alerts import DeliveryThread
    from dragoman.acquire.sources import FeedSource, load_sources, polled_feeds
    from dragoman.pipeline.watch import Monitor, MonitorConfig

    if feed_urls:
        feeds = [FeedSource(url=url, kind="rss") for url in feed_urls]
    else:
        feeds = polled_feeds(load_sources(sources_path))
    if not feeds:
        raise ConfigError("no feeds to watch: the sources file lists none")
    config = MonitorConfig(
        min_interval=poll_interval, max_interval=max(max_interval, poll_interval), concurrency=max(1, concurrency)
    )
    sinks = alerting.sinks(app)
    with app.open_store() as store:
        hooks = _monitor_hooks(app, store, sinks, stories=alerting.stories)
        monitor = Monitor(store, app.settings, config=config, hooks=hooks)
        urls = monitor.add_feeds(feeds)
        app.echo(
            f"watching {len(urls)} feeds (polls at most every {poll_interval:g}s per feed, "
            f"{app.settings.host_delay:g}s between requests to one host)"
        )

        def summarize(report: Any) -> None:
            if as_json:
                click.echo(json.dumps(report.to_dict(), ensure_ascii=False))
            elif report.feeds or report.items.processed:
                feeds_part = ", ".join(f"{k} {v}" for k, v in report.feeds.most_common())
                app.echo(f"feeds: {feeds_part or 'none due'}; new items {report.new_items}; retrying {report.retrying}")
                for line in ingest_summary(report.items):
                    app.echo(line)
            elif once:
                wake = monitor.state.next_wakeup(urls)
                when = f" for {wake - monitor.clock():.0f}s" if wake is not None else ""
                app.echo(f"nothing due: no feed needs polling{when} (--poll-interval sets how often)")

        delivery: DeliveryThread | None = None
        try:
            if once:
                report = monitor.run_once(urls)
                summarize(report)
                _deliver_alerts(app, store, sinks)
                sys.exit(report.items.exit_code)
            signal.signal(signal.SIGTERM, lambda *_: monitor.stop_event.set())
            if sinks:
                # Alerts go out on their own thread and connection: polling and storing never wait for a webhook.
                delivery = DeliveryThread(
                    app.open_store, sinks, on_report=lambda r: app.echo(r.summary()), on_error=app.echo
                )
                delivery.start()

            def after_pass(report: Any) -> None:
                summarize(report)
                if delivery is not None:
                    delivery.wake()

            try:
                monitor.run_forever(urls, on_pass=after_pass)
            except KeyboardInterrupt:
                monitor.stop_event.set()
                app.echo("stopped")
        finally:
            if delivery is not None:
                delivery.stop()
            monitor.close()


@main.command()
@click.argument("inputs", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@click.option("--sitemap", "sitemaps", multiple=True, help="Sitemap or sitemap index URL (repeatable).")
@since_option("Only articles published (or modified) on or after this date (with --sitemap).")
@click.option(
    "--engine",
    type=click.Choice(["local", "ray"]),
    help="For WARC files and URL lists (INPUTS): run the stages here (local) or on Ray Data (ray).",
)
@click.option("--model", "scale_model", help="Translate with this model (path or installed name) during the backfill.")
@click.option("--analyze", "scale_analyze", is_flag=True, help="Analyze the articles during the backfill.")
@click.option("--workers", type=int, default=2, show_default=True, help="Ray: CPUs for read/extract/analyze.")
@click.option("--translators", type=int, default=1, show_default=True, help="Ray: translate actors (one model each).")
@click.option("--ray-address", help="Ray: an existing cluster (auto, ray://host:10001); default: start one here.")
@click.option(
    "--output", type=click.Path(file_okay=False), help="Write Parquet shards here (import with `dragoman db load`)."
)
@click.option("--retry-failed", is_flag=True, help="Retry inputs that failed in an earlier run.")
@click.option("--limit", type=int, help="Store at most this many new articles.")
@click.option("--concurrency", type=int, default=4, show_default=True, help="Hosts fetched at the same time.")
@_alert_options
@json_option()
@pass_app
@handle_errors
def backfill(
    app: AppContext,
    inputs: tuple[str, ...],
    sitemaps: tuple[str, ...],
    since: datetime | None,
    engine: str | None,
    scale_model: str | None,
    scale_analyze: bool,
    workers: int,
    translators: int,
    ray_address: str | None,
    output: str | None,
    retry_failed: bool,
    limit: int | None,
    concurrency: int,
    alerting: AlertOptions,
    as_json: bool,
) -> None:
    """Store history: an outlet's sitemaps (--sitemap), or WARC files and URL lists (INPUTS, --engine local|ray).

    INPUTS are WARC files (Common Crawl CC-NEWS) or text files of URLs; they run through read -> extract ->
    translate (--model) -> analyze (--analyze) -> store (or --output Parquet shards), resumably.
    """
    if inputs or engine or output:
        from dragoman.scale.backfill import BackfillConfig

        config = BackfillConfig(
            inputs=list(inputs),
            model=scale_model,
            analyze=scale_analyze,
            workers=workers,
            translators=translators,
            ray_address=ray_address,
            output=Path(output) if output else None,
            retry_failed=retry_failed,
        )
        sinks = alerting.sinks(app)
        report = run_scale_backfill(
            app, config, sitemaps, since, limit, engine or "local", sinks, stories=alerting.stories
        )
        finish(app, report, as_json=as_json)
        return
    if not sitemaps or not since:
        raise click.UsageError("give WARC files or URL lists, or --sitemap URL with --since DATE")
    from dragoman.pipeline.watch import Monitor, MonitorConfig, MonitorReport

    since_date = since
    sinks = alerting.sinks(app)
    with app.open_store() as store:
        monitor = Monitor(
            store,
            app.settings,
            config=MonitorConfig(concurrency=max(1, concurrency)),
            hooks=_monitor_hooks(app, store, sinks, stories=alerting.stories),
        )
        report = MonitorReport()
        try:
            monitor.queue_sitemaps(sitemaps, report, since=since_date, limit=limit)
            with progress_bar(app, None, "backfill") as advance:
                monitor.process_pending(report, feed_urls=list(sitemaps), on_item=advance)
            _deliver_alerts(app, store, sinks)
        except KeyboardInterrupt:
            report.items.interrupted = True
        finally:
            monitor.state.save_redirects(monitor.fetcher.permanent_redirects)
            monitor.close()
    app.echo(f"sitemap entries queued: {report.new_items}; retrying later: {report.retrying}")
    print_ingest_report(app, report.items, as_json=as_json)


def run_scale_backfill(
    app: AppContext,
    config: Any,
    sitemaps: tuple[str, ...],
    since: datetime | None,
    limit: int | None,
    engine: str,
    sinks: list[Any],
    *,
    stories: bool,
) -> Any:
    """WARC files and URL lists (and sitemaps, read into a URL list) through the scale engines (local or Ray)."""
    import tempfile

    from dragoman.scale.backfill import run_backfill

    with tempfile.TemporaryDirectory(prefix="dragoman-backfill-") as scratch:
        if sitemaps:
            config.inputs = [*config.inputs, str(_sitemap_url_list(app, sitemaps, since, limit, Path(scratch)))]
        if not config.inputs:
            raise ConfigError("nothing to backfill: give WARC files, URL lists or --sitemap")
        app.echo(
            f"backfill: {len(config.inputs)} inputs, engine {engine}"
            + (f", workers {config.workers}" if engine == "ray" else "")
        )
        if config.output is not None:
            return run_backfill(config, app.settings, engine=engine)
        with app.open_store() as store:
            hooks = _monitor_hooks(app, store, sinks, stories=stories)
            report = run_backfill(config, app.settings, store=store, engine=engine, hooks=hooks)
            if not report.interrupted:
                _deliver_alerts(app, store, sinks)  # the alerts the hooks recorded
            return report


def _sitemap_url_list(
    app: AppContext, sitemaps: tuple[str, ...], since: datetime | None, limit: int | None, scratch: Path
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


@main.command("ingest-warc")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--host",
    "hosts",
    multiple=True,
    help="Keep responses from this domain (repeatable; default: the Russian outlets in outlets.toml). "
    "Pages from other hosts are kept when they are in Russian.",
)
@_alert_options
@json_option()
@pass_app
@handle_errors
def ingest_warc(
    app: AppContext,
    files: tuple[str, ...],
    hosts: tuple[str, ...],
    alerting: AlertOptions,
    as_json: bool,
) -> None:
    """Store the Russian-language articles of WARC files (e.g. Common Crawl CC-NEWS)."""
    from dragoman.pipeline.ingest import ArchivePolicy
    from dragoman.pipeline.warc import ingest_warc as run
    from dragoman.pipeline.watch import CrawlState, Intake

    try:
        import fastwarc  # noqa: F401
    except ModuleNotFoundError as exc:
        raise ConfigError("reading WARC files needs fastwarc: pip install 'dragoman[monitor]'") from exc

    sinks = alerting.sinks(app)
    with app.open_store() as store, progress_bar(app, None, "warc") as advance:
        intake = Intake(
            store,
            _monitor_hooks(app, store, sinks, stories=alerting.stories),
            archive=ArchivePolicy.from_settings(app.settings),
        )
        report = run(
            files,
            intake,
            max_bytes=app.settings.max_bytes,
            hosts=set(hosts) if hosts else None,
            state=CrawlState(store),
            on_item=advance,
        )
        if not report.interrupted:
            _deliver_alerts(app, store, sinks)
    print_ingest_report(app, report, as_json=as_json)


@main.command()
@json_option("JSON on stdout.")
@pass_app
@handle_errors
def feeds(app: AppContext, as_json: bool) -> None:
    """Crawl health: each followed feed's last status and next poll, items by state, why items failed."""
    from rich.console import Console
    from rich.table import Table

    from dragoman.pipeline.watch import CrawlState

    with app.open_store(readonly=True) as store:
        status = CrawlState(store).status()
    if as_json:
        click.echo(json.dumps(status, ensure_ascii=False, indent=2))
        return
    if not status["feeds"] and not status["items"]:
        app.echo("no feeds followed yet (dragoman watch, backfill --sitemap or ingest-warc start them)")
        return
    table = Table("feed", "outlet", "kind", "last status", "failures", "items", "polled", "next poll")
    for feed in status["feeds"]:
        ago, due = feed["polled_seconds_ago"], feed["next_poll_in_seconds"]
        table.add_row(
            untrusted(feed["url"]),
            untrusted(feed["outlet"]),
            feed["kind"],
            feed["last_status"] or "never polled",
            str(feed["failures"]),
            str(feed["items_seen"]),
            "never" if ago is None else f"{_duration(ago)} ago",
            "due now" if due <= 0 else f"in {_duration(due)}",
        )
    console = Console()
    console.print(table)
    console.print("items: " + (", ".join(f"{n} {state}" for state, n in sorted(status["items"].items())) or "none"))
    for row in status["reasons"]:
        console.print(untrusted(f"  {row['items']}\t{row['state']}\t{row['reason']}"))
    for row in status["unavailable_hosts"]:
        console.print(untrusted(f"unavailable (refused us, not retried): {row['host']}: {row['urls']} URLs"))


def _duration(seconds: float) -> str:
    seconds = abs(seconds)
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}min"
    return f"{seconds / 3600:.1f}h"


@main.command()
@click.argument("ref", required=False)
@click.option("--diff", "show_diff", is_flag=True, help="Show what changed between two revisions.")
@click.option("--from", "old", type=int, help="Older revision number (default: the one before --to).")
@click.option("--to", "new", type=int, help="Newer revision number (default: the latest).")
@json_option("JSON on stdout.")
@pass_app
@handle_errors
def revisions(
    app: AppContext, ref: str | None, show_diff: bool, old: int | None, new: int | None, as_json: bool
) -> None:
    """List articles that changed after publication, or one article's revisions (--diff: what changed)."""
    from dragoman.acquire.revisions import changed_articles, diff_revisions

    with app.open_store(readonly=True) as store:
        if ref is None:
            rows = changed_articles(store)
            if as_json:
                click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
            if not rows and not as_json:
                app.echo("no article has changed after publication: every stored article has one revision as acquired")
            for row in [] if as_json else rows:
                revisions_part = counted(row["revision_count"], "revision")
                echo_untrusted(f"{row['id']}\t{revisions_part}\t{row['updated_at']}\t{row['title']}")
            return
        if show_diff or old is not None or new is not None:
            diff = diff_revisions(store, ref, old, new)
            if as_json:
                click.echo(json.dumps(diff.to_dict(), ensure_ascii=False, indent=2))
            else:
                echo_untrusted(diff.to_text())
            return
        stored = store.get(ref)
        if stored is None:
            raise DragomanError("no such article in the database", reason="not_found", source=ref)
        listing = [
            {
                "revision": r.revision,
                "stored_at": r.stored_at,
                "content_sha256": r.article.content_sha256,
                "origin": r.origin,
                "extractor_version": r.article.extractor_version,
                "title": r.article.title,
            }
            for r in store.revisions(stored.id)
        ]
        if as_json:
            click.echo(json.dumps(listing, ensure_ascii=False, indent=2))
            return
        for item in listing:
            # A re-extraction is our extractor reading the same page better, not the outlet editing it.
            origin = "re-extraction" if item["origin"] == "reextract" else "as acquired"
            echo_untrusted(
                f"{item['revision']}\t{item['stored_at']}\t{item['content_sha256'][:12]}\t{origin}\t{item['title']}"
            )
        if len(listing) > 1:
            app.echo(f"changed after publication: `dragoman revisions {ref} --diff` shows how")


@main.command()
@click.argument("ref")
@json_option("JSON on stdout.")
@pass_app
@handle_errors
def story(app: AppContext, ref: str, as_json: bool) -> None:
    """Show the story an article belongs to and its other copies."""
    from dragoman.store.stories import story_of, story_translation

    with app.open_store(readonly=True) as store:
        stored = store.get(ref)
        if stored is None:
            raise DragomanError("no such article in the database", reason="not_found", source=ref)
        found = story_of(store, stored.id)
        # A copy is translated once, through its story: show the member's translation that it points to.
        translated = story_translation(store, stored.id) if found is not None else None
    if found is not None:
        found["translation"] = (
            None
            if translated is None
            else {"article_id": translated[0], "model_id": translated[1].model_id, **translated[1].to_dict()}
        )
    if found is None:
        raise DragomanError(
            "the article has no story yet (it was stored with --no-stories, or before ingest and import kept stories)",
            reason="not_found",
            source=ref,
        )
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    echo_untrusted(f"story {found['story_id']}: {found['title']} ({counted(found['article_count'], 'article')})")
    for member in found["members"]:
        echo_untrusted(f"  {member['article_id']}\t{member['kind']}\t{member['similarity']:.2f}\t{member['url']}")
    if translated is not None:
        member_id, translation = translated
        click.echo(f"translation (article {member_id}, {translation.model_id}):")
        echo_untrusted(f"  {translation.title.text}")
        for segment in [translation.lead, *translation.blocks]:
            if segment is not None and segment.text:
                echo_untrusted(f"  {segment.text}")


@main.command()
@click.option("--limit", type=int, default=50, show_default=True, help="How many, newest first.")
@click.option("--undelivered", is_flag=True, help="Only alerts not yet delivered to every sink (pending or failed).")
@click.option(
    "--deliver",
    is_flag=True,
    help="Deliver pending alerts to the given sinks now, without waiting out their backoff (attempts stay capped).",
)
@click.option("--retry-failed", is_flag=True, help="With --deliver: also retry alerts that used up their attempts.")
@_sink_options
@json_option("JSON lines on stdout.")
@pass_app
@handle_errors
def alerts(
    app: AppContext,
    limit: int,
    undelivered: bool,
    deliver: bool,
    retry_failed: bool,
    alert_jsonl: str | None,
    webhooks: tuple[str, ...],
    print_alerts: bool,
    as_json: bool,
) -> None:
    """List recent alerts (newest first); --deliver delivers the pending ones (webhook URLs are shown redacted)."""
    from dragoman.acquire.alerts import AlertEngine, list_watches, recent_alerts

    if retry_failed and not deliver:
        raise click.UsageError("--retry-failed goes with --deliver")
    with app.open_store() as store:
        if deliver:
            sinks = _alert_sinks(app, alert_jsonl, webhooks, False)
            if not sinks:
                raise click.UsageError("--deliver needs somewhere to deliver to: --webhook URL or --alert-jsonl FILE")
            engine = AlertEngine(store, sinks)
            if retry_failed:
                engine.retry_failed()
            app.echo(engine.deliver_pending(due_only=False).summary())
        rows = recent_alerts(store, limit=limit, undelivered_only=undelivered)
        watching = bool(rows) or bool(list_watches(store))
    if not rows:
        app.echo(
            ("no undelivered alerts" if undelivered else "no alerts yet")
            + (
                ": a watch applies to articles first seen after it was added"
                if watching
                else ': the watchlist is empty (`dragoman watchlist add term "санкции"`)'
            )
        )
    for row in rows:
        if as_json:
            click.echo(json.dumps(row, ensure_ascii=False))
        else:
            state = f"{row['state']} ({row['last_error']})" if row["last_error"] else row["state"]
            echo_untrusted(  # titles and URLs come from scraped pages
                f"{row['created_at'][:19]}\t[{row['matched']}]\t{row.get('outlet') or '-'}\t{row['title']}"
                f"\t{row['url']}\t{state}"
            )


@main.group()
def watchlist() -> None:
    """Manage what alerts watch for: terms, entities and outlets."""


@watchlist.command("add")
@click.argument("kind", type=click.Choice(["term", "entity", "outlet"]))
@click.argument("value")
@click.option("--label", help="A name for this watch, shown in alerts.")
@pass_app
@handle_errors
def watchlist_add(app: AppContext, kind: str, value: str, label: str | None) -> None:
    """Watch a term (Russian or English, matched on stems), an entity or an outlet."""
    from dragoman.acquire.alerts import add_watch

    with app.open_store() as store:
        watch_row = add_watch(store, kind, value, label)
    click.echo(f"{watch_row.id}\t{watch_row.kind}\t{watch_row.value}")


@watchlist.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@pass_app
@handle_errors
def watchlist_load(app: AppContext, path: str) -> None:
    """Add the watches of a TOML file (terms = [...], entities = [...], outlets = [...])."""
    from dragoman.acquire.alerts import load_watchlist_file

    with app.open_store() as store:
        added = load_watchlist_file(store, path)
    app.echo(f"{counted(len(added), 'watch', 'watches')} in the watchlist file")


@watchlist.command("list")
@pass_app
@handle_errors
def watchlist_list(app: AppContext) -> None:
    """List the watches."""
    from dragoman.acquire.alerts import list_watches

    with app.open_store(existing=True) as store:
        watches = list_watches(store)
    for watch_row in watches:
        echo_untrusted(f"{watch_row.id}\t{watch_row.kind}\t{watch_row.value}\t{watch_row.label or ''}")
    if not watches:
        app.echo('the watchlist is empty: `dragoman watchlist add term "санкции"` (or entity, outlet) adds a watch')


@watchlist.command("remove")
@click.argument("watch_id", type=int)
@pass_app
@handle_errors
def watchlist_remove(app: AppContext, watch_id: int) -> None:
    """Remove a watch by its id."""
    from dragoman.acquire.alerts import remove_watch

    with app.open_store() as store:
        if not remove_watch(store, watch_id):
            raise DragomanError(f"no watch {watch_id}", reason="not_found")
    app.echo(f"removed watch {watch_id}")


# -- translate / models --------------------------------------------------------------------------------


def stage_selection(missing_help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The options that choose which stored articles a stage (translate, analyze) works on."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(
            (
                click.option(
                    "--only-missing/--all", "only_missing", default=True, show_default=True, help=missing_help
                ),
                since_option(),
                outlet_option(),
            )
        ):
            command = option(command)
        return command

    return decorate


@main.command()
@stage_selection("Only articles this model has not translated yet (--all re-translates).")
@click.option("--model", help="Installed model name or model directory (default: the installed one).")
@click.option("--engine", default="ctranslate2", show_default=True, help="Translation engine: ctranslate2 or openai.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), help="Where the model runs (default: auto).")
@click.option("--beam", "beam_size", type=int, help="Beam size (1 is greedy and fastest; default 2).")
@click.option("--limit", type=int, help="Translate at most this many articles.")
@click.option("--no-memory", is_flag=True, help="Translate every sentence again (e.g. after a glossary change).")
@json_option()
@pass_app
@handle_errors
def translate(
    app: AppContext,
    only_missing: bool,
    since: datetime | None,
    outlets: tuple[str, ...],
    model: str | None,
    engine: str,
    device: str | None,
    beam_size: int | None,
    limit: int | None,
    no_memory: bool,
    as_json: bool,
) -> None:
    """Translate stored articles into English, sentence by sentence, with a closing summary."""
    from dragoman.pipeline.translate import translate_store

    with app.open_store() as store, progress_bar(app, None, "translate") as advance:
        done = [0]

        def on_progress(articles: int, _sentences: int) -> None:
            for _ in range(articles - done[0]):
                advance("")
            done[0] = articles

        report = translate_store(
            store,
            app.settings,
            model=model,
            engine=engine,
            only_missing=only_missing,
            since=since,
            outlets=list(outlets) or None,
            progress=on_progress,
            device=device,
            beam_size=beam_size,
            limit=limit,
            use_memory=not no_memory,
        )
    finish(app, report, as_json=as_json, lines=report.summary_lines())


@main.group()
def models() -> None:
    """Install and list translation models (CTranslate2 directories, Argos .argosmodel packages)."""


@models.command("install")
@click.argument("path", type=click.Path(exists=True))
@click.option("--name", help="Name to install it under (default: the directory or package name).")
@pass_app
@handle_errors
def models_install(app: AppContext, path: str, name: str | None) -> None:
    """Install a CTranslate2 model directory, .argosmodel or .tar.gz (checked by loading it).

    A file the catalog knows (by --name or by its file name) must match the catalog's SHA-256.
    """
    from dragoman.acquire.model_download import install_checked

    installed = install_checked(app.settings, Path(path), name=name)
    app.echo(f"installed {installed.name} ({installed.family}, {installed.model_id}) in {installed.path}")


@models.command("catalog")
@click.option("--json", "as_json", is_flag=True, help="JSON on stdout.")
@pass_app
@handle_errors
def models_catalog(app: AppContext, as_json: bool) -> None:
    """List the models `dragoman models download` can install: size, licence, installed, default."""
    from dragoman.translate.catalog import human_size, load_catalog
    from dragoman.translate.models import list_models

    catalog = load_catalog(app.settings)
    installed = {m.name for m in list_models(app.settings)}
    defaults = set(catalog.defaults.values())
    rows = [
        {
            "name": m.name,
            "format": m.format,
            "languages": f"{m.source}->{m.target}",
            "bytes": m.size,
            "license": m.license,
            "installed": m.name in installed,
            "default": m.name in defaults,
            "description": m.description,
        }
        for m in catalog.models
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(f"{'name':<32}{'size':>9}  {'installed':<10}{'default':<8}licence")
    for row in rows:
        click.echo(
            f"{row['name']:<32}{human_size(int(row['bytes'])):>9}  {'yes' if row['installed'] else 'no':<10}"
            f"{'*' if row['default'] else '':<8}{row['license']}"
        )


@models.command("list")
@json_option("JSON on stdout.")
@pass_app
@handle_errors
def models_list(app: AppContext, as_json: bool) -> None:
    """List installed translation models."""
    from dragoman.translate.models import INSTALL_HINT, list_models, models_dir

    found = list_models(app.settings)
    if as_json:
        rows = [
            {"name": m.name, "family": m.family, "model_id": m.model_id, "path": str(m.path), "bytes": m.size_bytes}
            for m in found
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    if not found:
        app.echo(f"no translation model installed in {models_dir(app.settings)}; {INSTALL_HINT}")
        return
    _print_table(
        "Installed translation models",
        ["name", "family", "model id", "size", "path"],
        [[m.name, m.family, m.model_id, f"{m.size_bytes / 1e6:.0f} MB", str(m.path)] for m in found],
    )


@models.command("download")
@click.argument("name", required=False)
@click.option("--mirror", help="Fetch the catalog's files from this web server or directory (MIRROR/NAME/FILE).")
@click.option("--quiet", "quiet_bar", is_flag=True, help="No progress bar.")
@pass_app
@handle_errors
def models_download(app: AppContext, name: str | None, mirror: str | None, quiet_bar: bool) -> None:
    """Download, verify and install a catalog model (default: the catalog's ru->en default).

    Names outside the catalog (opus-mt-ru-en, m2m100_418M ...) are fetched from the Hugging Face hub and
    converted, which needs the convert extra (torch, transformers).
    """
    from dragoman.acquire.model_download import download_catalog_model
    from dragoman.translate.catalog import human_size, load_catalog
    from dragoman.translate.models import DOWNLOADABLE, download_model

    catalog = load_catalog(app.settings)
    known = {m.name for m in catalog.models}
    if name and name not in known:
        if name in DOWNLOADABLE:
            installed = download_model(app.settings, name)
            app.echo(f"installed {installed.name} ({installed.model_id}) in {installed.path}")
            return
        raise ConfigError(
            f"unknown model {name!r}; in the catalog: {', '.join(sorted(known)) or 'none'}; "
            f"converted from the hub: {', '.join(DOWNLOADABLE)}"
        )
    entry = catalog.get(name) if name else catalog.default_for("ru-en")
    if entry is None:
        raise ConfigError(f"the catalog {catalog.path} has no default ru-en model; name one")
    app.echo(f"downloading {entry.name}: {human_size(entry.size)}, licence {entry.license}")
    with _download_bar(app, quiet_bar, entry.name) as progress:
        installed = download_catalog_model(app.settings, entry.name, mirror=mirror, progress=progress, catalog=catalog)
    app.echo(f"installed {installed.name} ({installed.family}, {installed.model_id}) in {installed.path}")


@contextmanager
def _download_bar(app: AppContext, quiet: bool, label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on stderr with size, speed and time left; nothing with --quiet."""
    if quiet or app.quiet:
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    columns = (
        TextColumn(label),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task("download", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@models.command("remove")
@click.argument("name")
@pass_app
@handle_errors
def models_remove(app: AppContext, name: str) -> None:
    """Remove an installed model."""
    from dragoman.translate.models import remove_model

    remove_model(app.settings, name)
    app.echo(f"removed {name}")


# -- analyze: entities, quotes, timeline (issue 4) ---------------------------------------------------


def _print_table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=untrusted(title), show_lines=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*[untrusted(v) for v in row])
    Console().print(table)


@main.command()
@stage_selection("Only articles this analyzer version has not analyzed yet (--all re-analyzes).")
@click.option("--limit", type=int, help="Analyze at most this many articles.")
@json_option()
@pass_app
@handle_errors
def analyze(
    app: AppContext,
    only_missing: bool,
    since: datetime | None,
    outlets: tuple[str, ...],
    limit: int | None,
    as_json: bool,
) -> None:
    """Find people, bodies, places, quotes, dates and events in stored articles; index them."""
    from dragoman.analyze import ANALYZER_VERSION
    from dragoman.pipeline.analyze import analyze_articles, analyze_store
    from dragoman.store.analyses import AnalysisReadModel

    with app.open_store() as store, progress_bar(app, None, "analyze") as advance:
        # What changed since its last analysis (a translation saved after it) is due again without --all.
        outdated = AnalysisReadModel(store).outdated_analyses(ANALYZER_VERSION) if only_missing else []
        report = analyze_store(
            store,
            only_missing=only_missing,
            since=since,
            outlets=list(outlets) or None,
            progress=lambda _n, article: advance(article.key_url),
            limit=limit,
        )
        if outdated and not since and not outlets:
            room = None if limit is None else max(0, limit - report.done)
            again = analyze_articles(store, outdated[:room])
            report.outcomes.update(again.outcomes)
            report.entities += again.entities
            report.quotes += again.quotes
            report.events += again.events
            report.skipped.update(again.skipped)
            report.failed.update(again.failed)
            report.problems.extend(again.problems)
    finish(app, report, as_json=as_json)


@main.command()
@click.option("--type", "type_", type=click.Choice(["PER", "ORG", "LOC"], case_sensitive=False), help="Only this type.")
@click.option("--name", help="Only entities whose English name or key contains this.")
@click.option("--limit", type=int, default=50, show_default=True)
@json_option("JSON on stdout.")
@pass_app
@handle_errors
def entities(app: AppContext, type_: str | None, name: str | None, limit: int, as_json: bool) -> None:
    """People, organizations and places in the corpus, by number of articles (as /entities shows them)."""
    with _analysis_read_model(app) as model:
        rows = model.entities(type_=type_, name=name, limit=limit)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    _print_table("Entities", ["name", "type", "articles", "mentions", "wikidata", "last seen"],
                 [[r["name"], r["type"], r["articles"], r["mentions"], r["wikidata"], r["last_seen"] or ""]
                  for r in rows])  # fmt: skip


@contextmanager
def _analysis_read_model(app: AppContext) -> Iterator[Any]:
    """The store's analysis read model (the one the web pages and the API read), with the search index it
    reads brought up to date first, as `dragoman search` does."""
    from dragoman.store.analyses import AnalysisReadModel

    with app.open_store(existing=True) as store:
        index = open_index(store)
        index.sync()
        print_left_out(app, index.left_out)
        yield AnalysisReadModel(store)


@main.command()
@click.option("--speaker", help="Only quotes by this entity (key) or speaker (a part of the name, any case).")
@click.option("--unnamed/--named", "unnamed", default=None, help="Only unnamed (or only named) sources.")
@outlet_option("Only this outlet.")
@click.option("--limit", type=int, default=50, show_default=True)
@json_option("JSON on stdout.")
@pass_app
@handle_errors
def quotes(app: AppContext, speaker: str | None, unnamed: bool | None, outlets: tuple[str, ...], limit: int,
           as_json: bool) -> None:  # fmt: skip
    """Who said what: quotes and reported speech with speaker, verb and source type (as /quotes shows them)."""
    if len(outlets) > 1:
        raise click.UsageError("quotes lists one outlet at a time: give --outlet once")
    outlet = outlets[0] if outlets else None
    with _analysis_read_model(app) as model:
        rows = model.quotes(speaker=speaker, unnamed=unnamed, outlet=outlet, limit=limit)
        total = model.quote_count() if not rows else 0
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:  # say what was searched, and among how many, rather than print an empty table
        searched = [f"a speaker matching {speaker!r}" if speaker else "",
                    f"outlet {outlet}" if outlet else "",
                    ("unnamed sources" if unnamed else "named sources") if unnamed is not None else ""]  # fmt: skip
        what = ", ".join(w for w in searched if w) or "any speaker"
        echo_untrusted(f"no quotes by {what} among {total:,} quotes" if total else
                       "no quotes yet: run `dragoman analyze` to find them", err=True)  # fmt: skip
        return
    # The date is the one printed on the article (the outlet's zone); the article is its ID (`dragoman show`).
    _print_table("Quotes", ["date", "speaker", "source", "verb", "quote", "article"],
                 [[(r["published_at"] or "")[:10], r["speaker_name"] or r["speaker"] or "—",
                   r["source_type"], r["verb_en"] or "", _shorten(r["text_en"] or r["text_ru"]),
                   str(r["article_id"])] for r in rows])  # fmt: skip


def _shorten(text: str | None, width: int = 160) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


@main.command()
@click.option("--actor", help="Who acts: a state (Russia), body or person (English name or entity key).")
@click.option("--target", help="Whom it is done to; with --actor both directions are listed.")
@click.option("--one-way", is_flag=True, help="With --actor and --target: only what the actor does to the target.")
@since_option("Events on or after this date (YYYY-MM-DD).")
@json_option("JSON on stdout.")
@click.option("--wide", is_flag=True, help="A table with every column and the evidence (for wide terminals).")
@pass_app
@handle_errors
def timeline(app: AppContext, actor: str | None, target: str | None, one_way: bool, since: datetime | None,
             as_json: bool, wide: bool) -> None:  # fmt: skip
    """Events in date order, merged across articles, each with all its sources (as /timeline shows them)."""
    day = since.date().isoformat() if since else None
    with _analysis_read_model(app) as model:
        entries = model.timeline(actor=actor, target=target, one_way=one_way, since=day)
    if as_json:
        click.echo(json.dumps(entries, ensure_ascii=False, indent=2))
        return
    title = f"Timeline {actor or ''} {'- ' + target if target else ''}".strip()
    if wide:
        _print_table(title, ["date", "event", "actor", "target", "status", "sources", "evidence"],
                     [[f"{e['date'] or ''}{' (published)' if e['date_basis'] == 'published' else ''}",
                       _event_kind(e), e["actor_name"], e["target_name"], e["status"], len(e["sources"]),
                       _shorten(_evidence(e))] for e in entries])  # fmt: skip
        return
    click.echo(untrusted(title))
    for line in timeline_lines(entries, shutil.get_terminal_size((80, 24)).columns):
        click.echo(untrusted(line))


def _event_kind(entry: dict[str, Any]) -> str:
    return entry["type"] + (f"/{entry['mode']}" if entry["mode"] else "")


def _evidence(entry: dict[str, Any]) -> str:
    first = entry["sources"][0] if entry["sources"] else {}
    return first.get("evidence_en") or first.get("evidence_ru") or ""


def timeline_lines(entries: list[dict[str, Any]], width: int = 80) -> list[str]:
    """The compact timeline: one line per event (date, type, actor -> target, status, sources) and its
    evidence on the next, both cut to the terminal's width instead of wrapping a column word by word."""
    width = max(width, 40)
    lines = []
    for e in entries:
        day = (e["date"] or "undated") + ("*" if e["date_basis"] == "published" else "")
        kind = _event_kind(e)
        parties = f"{e['actor_name'] or 'unknown actor'} -> {e['target_name'] or 'unknown target'}"
        status = e["status"] or ""
        sources = f"[{len(e['sources'])}]"
        head = f"{day:<12} {kind:<24} {parties}"
        tail = f" {status} {sources}"
        if len(head) + len(tail) > width:
            head = _shorten(head, width - len(tail))
        lines.append(head + " " * max(1, width - len(head) - len(tail)) + tail.lstrip())
        lines.append("    " + _shorten(_evidence(e), width - 4))
    if any(e["date_basis"] == "published" for e in entries):
        lines.append("* no date in the text: the article's publication day")
    return lines


# -- databases: migrate, copy between SQLite and PostgreSQL, load backfill shards (issue 7) ----------


@main.group()
def db() -> None:
    """Database upkeep: migrate, copy between SQLite and PostgreSQL, load Parquet shards."""


@db.command("migrate")
@pass_app
@handle_errors
def db_migrate(app: AppContext) -> None:
    """Apply missing schema migrations to --db (SQLite file or postgresql:// URL) and list them."""
    from dragoman.store import open_store
    from dragoman.store.migrations import all_migrations
    from dragoman.store.versions import applied_versions

    before = applied_versions(app.settings.db)  # asked first: a SQLite store migrates as it opens
    with open_store(app.settings.db) as store:
        store.migrate()
        versions = store.applied_migrations()
        backend = store.backend
    names = {m.version: m.name for m in all_migrations()}
    new = [v for v in versions if v not in before]
    app.echo(f"{backend} database: {len(versions)} migrations applied, {len(new)} of them now")
    for version in new:
        click.echo(f"applied {version}: {names.get(version, '?')}")


@db.command("copy")
@click.argument("source")
@click.argument("destination")
@json_option("Print the check as JSON on stdout.")
@pass_app
@handle_errors
def db_copy(app: AppContext, source: str, destination: str, as_json: bool) -> None:
    """Copy a whole corpus from SOURCE to an empty DESTINATION (SQLite paths or postgresql:// URLs), verified."""
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


@db.command("load")
@click.argument("shards", nargs=-1, required=True, type=click.Path(exists=True))
@json_option()
@pass_app
@handle_errors
def db_load(app: AppContext, shards: tuple[str, ...], as_json: bool) -> None:
    """Import Parquet shards (files or directories) written by `dragoman backfill --output` into --db."""
    from dragoman.pipeline.ingest import ArchivePolicy
    from dragoman.scale.backfill import load_shards

    with app.open_store() as store:
        # Stories and alerts as at ingest; alerts wait in the outbox for `dragoman alerts --deliver`.
        report = load_shards(
            [Path(s) for s in shards],
            store,
            hooks=_monitor_hooks(app, store, [], stories=True),
            archive=ArchivePolicy.from_settings(app.settings),
        )
    finish(app, report, as_json=as_json)


@main.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--analyze", "do_analyze", is_flag=True, help="Analyze the imported documents as well.")
@_alert_options
@json_option()
@pass_app
@handle_errors
def import_(
    app: AppContext,
    paths: tuple[str, ...],
    do_analyze: bool,
    alerting: AlertOptions,
    as_json: bool,
) -> None:
    """Import documents in the plain-text format (English documents translated elsewhere), grouped into
    stories and matched against the watchlist like every stored article."""
    from dragoman.pipeline import ingest as pipeline
    from dragoman.pipeline.analyze import analyze_articles

    sinks = alerting.sinks(app, printing=not as_json)
    with app.open_store() as store:
        hooks = _arrival_hooks(app, store, sinks, stories=alerting.stories)
        report = pipeline.import_documents(paths, store, max_bytes=app.settings.max_bytes, hooks=hooks)
        if not report.interrupted:
            _deliver_alerts(app, store, sinks)
        if do_analyze and report.article_ids and not report.interrupted:
            # Only the documents this import stored, not whatever else awaits analysis (issue 14, item 6).
            report.extra["analysis"] = analyze_articles(store, report.article_ids).to_json()
    print_ingest_report(app, report, as_json=as_json)


# -- issue 15: the analyst's morning (top stories, the daily brief); kept together, self-contained ---------


@main.command()
@click.option("--since", "window", default="24h", show_default=True, help="Window: 6h, 24h, 3d, week, or <n>h/<n>d.")
@click.option("--outlet", "outlets", multiple=True, help="Only this outlet (repeatable).")
@click.option("--rubric", help="Only this rubric (as the outlet names it).")
@click.option("--at", "at_text", help="As of this moment (ISO 8601, UTC unless given) instead of now.")
@click.option("--limit", type=click.IntRange(1, 200), default=30, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="JSON on stdout.")
@pass_app
@handle_errors
def stories(
    app: AppContext,
    window: str,
    outlets: tuple[str, ...],
    rubric: str | None,
    at_text: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Top stories of the window: ranked by distinct outlets, weighted by recency (as the home page)."""
    from dragoman.serve import morning

    span = morning.parse_window(window)
    with app.open_store(existing=True) as store:
        open_index(store).sync_quietly()
        found = morning.top_stories(store, window=span, now=_front_moment(at_text), outlets=list(outlets),
                                    rubric=rubric, limit=limit)  # fmt: skip
    if as_json:
        click.echo(json.dumps(found.to_dict(), ensure_ascii=False, indent=2))
        return
    _print_table(f"Top stories, last {morning.window_label(span)}",
                 ["#", "outlets", "articles", "first (UTC)", "last (UTC)", "headline", "people"],
                 [[s.rank, ", ".join(f"{o} {n}" for o, n in s.outlets), s.article_count,
                   s.first_times["utc"], s.last_times["utc"],
                   _shorten(s.headline, 100) + (" [ru]" if s.headline_lang == "ru" else ""),
                   ", ".join(e["name"] for e in s.people)] for s in found.stories])  # fmt: skip


@main.command()
@click.option("--since", "window", default="24h", show_default=True, help="Window: 6h, 24h, 3d, week, or <n>h/<n>d.")
@click.option("--watchlist", help="Only this watchlist (a watch label or value): its hits and watched people.")
@click.option("--format", "fmt", type=click.Choice(["md", "html", "json"]), default="md", show_default=True)
@click.option("--base-url", default="http://127.0.0.1:8000", show_default=True,
              help="Where `dragoman serve` answers, for the reader links.")  # fmt: skip
@click.option("--at", "at_text", help="As of this moment (ISO 8601, UTC unless given) instead of now.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="File (default stdout).")
@pass_app
@handle_errors
def brief(
    app: AppContext,
    window: str,
    watchlist: str | None,
    fmt: str,
    base_url: str,
    at_text: str | None,
    output: str | None,
) -> None:
    """The daily brief: top stories, quotes by watched people, surging, edits, watchlist hits."""
    from dragoman.serve import morning

    span = morning.parse_window(window)
    with app.open_store(existing=True) as store:
        open_index(store).sync_quietly()
        made = morning.brief(store, window=span, now=_front_moment(at_text), watchlist=watchlist)
    base = base_url.rstrip("/")
    if fmt == "json":
        text = json.dumps(made.to_dict(), ensure_ascii=False, indent=2) + "\n"
    elif fmt == "html":
        from dragoman.serve.front import render_brief_html

        text = render_brief_html(made, base_url=base)
    else:
        from dragoman.formats.brief import brief_markdown

        text = brief_markdown(made.to_dict(), base_url=base)
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


def _front_moment(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise click.BadParameter(f"not an ISO 8601 date or time: {text!r}", param_hint="--at") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# -- end of issue 15 ------------------------------------------------------------------------------------


if __name__ == "__main__":  # pragma: no cover
    main()
