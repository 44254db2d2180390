"""What a stage run did, in one shape for every stage: ingest, import, re-extract, translate, analyze, backfill.

Every item a run looks at ends in exactly one place: an outcome (``stored``, ``unchanged``, ``revised`` ...),
a skip (not an item for this stage: counted by reason) or a failure (counted by reason, the first ones listed
with their message). The command line prints :meth:`StageReport.summary` or :meth:`StageReport.to_json` and
exits with :attr:`StageReport.exit_code`, so every command follows one rule:

- 0: every item was done (stored, unchanged or skipped for a stated reason);
- 1: some items failed (the others were done: one bad item never stops a batch);
- 2: bad usage or configuration (raised before any work, by the CLI, not by a report);
- 130: interrupted (Ctrl-C); what was stored before stays stored, and a rerun finishes the job.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from dragoman.errors import DragomanError, SkipArticle

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
MAX_LISTED_PROBLEMS = 200


@dataclass(slots=True)
class Problem:
    """One skipped or failed item, as the summary lists it."""

    source: str  # what the item was: a file, a URL, ``article 12``
    reason: str  # a short machine name: http_404, bad_record, story_copy
    message: str
    skipped: bool  # a skip (not an item for this stage) rather than a failure

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "reason": self.reason, "message": self.message, "skipped": self.skipped}


@dataclass(slots=True)
class StageReport:
    """Outcomes, skips and failures counted per reason; the first problems listed; elapsed time.

    Subclasses add what is particular to their stage through :meth:`details` (JSON) and
    :meth:`summary_parts` (the one-line summary), never by changing the common keys.
    """

    outcomes: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)
    elapsed: float = 0.0
    interrupted: bool = False
    extra: dict[str, Any] = field(default_factory=dict)  # later stages' reports (ingest --translate ...)

    # -- counting ------------------------------------------------------------------------------------------

    def record_problem(self, source: str, error: DragomanError) -> None:
        """Count ``error`` under its reason: a SkipArticle as a skip, anything else as a failure."""
        if isinstance(error, SkipArticle):
            self.record_skip(error.reason, source=source, message=error.message)
        else:
            self.record_failure(error.reason, source=source, message=error.message)

    def record_skip(self, reason: str, *, source: str | None = None, message: str | None = None) -> None:
        """A skip is counted; it is listed only when it says something (a source and a message)."""
        self.skipped[reason] += 1
        if source is not None and message is not None:
            self._list(Problem(source, reason, message, skipped=True))

    def record_failure(self, reason: str, *, source: str, message: str) -> None:
        self.failed[reason] += 1
        self._list(Problem(source, reason, message, skipped=False))

    def _list(self, problem: Problem) -> None:
        if len(self.problems) < MAX_LISTED_PROBLEMS:
            self.problems.append(problem)

    # -- totals ----------------------------------------------------------------------------------------------

    @property
    def total_failed(self) -> int:
        return sum(self.failed.values())

    @property
    def total_skipped(self) -> int:
        return sum(self.skipped.values())

    @property
    def done(self) -> int:
        """Items that reached an outcome (stored, unchanged, revised ...)."""
        return sum(self.outcomes.values())

    @property
    def processed(self) -> int:
        """Every item the run looked at: done, skipped or failed."""
        return self.done + self.total_skipped + self.total_failed

    @property
    def stored(self) -> int:
        return self.outcomes["stored"]

    @property
    def exit_code(self) -> int:
        """The one exit-code rule (see the module's docstring)."""
        if self.interrupted:
            return EXIT_INTERRUPTED
        return EXIT_FAILED if self.total_failed else EXIT_OK

    # -- output ----------------------------------------------------------------------------------------------

    def details(self) -> dict[str, Any]:
        """The stage's own figures, after the common keys in :meth:`to_json`."""
        return {}

    def summary_parts(self) -> list[str]:
        """The stage's own figures for the one-line summary, before skips and failures."""
        return [f"stored {self.stored}"]

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-ready data: the common keys first, then the stage's, then later stages'."""
        return {
            "processed": self.processed,
            "stored": self.stored,
            **self.details(),
            "skipped": dict(self.skipped),
            "failed": dict(self.failed),
            "elapsed_seconds": round(self.elapsed, 3),
            "interrupted": self.interrupted,
            "problems": [p.to_dict() for p in self.problems],
            **self.extra,
        }

    def to_dict(self) -> dict[str, Any]:
        return self.to_json()

    def summary(self) -> str:
        """``done in 1.2s: stored 3, ..., skipped 1 (empty 1), failed 0``."""
        head = "interrupted after" if self.interrupted else "done in"
        parts = [
            *self.summary_parts(),
            f"skipped {self.total_skipped}{reasons(self.skipped)}",
            f"failed {self.total_failed}{reasons(self.failed)}",
        ]
        return f"{head} {self.elapsed:.1f}s: " + ", ".join(parts)


def reasons(counter: Counter[str] | dict[str, int]) -> str:
    """`` (http_404 2, bad_record 1)``, most frequent first; empty for no reasons."""
    if not counter:
        return ""
    ordered = sorted(counter.items(), key=lambda item: -item[1])
    return " (" + ", ".join(f"{reason} {n}" for reason, n in ordered) + ")"


@dataclass(slots=True)
class IngestReport(StageReport):
    """Acquire -> extract -> store (ingest, import, watch, WARC, sitemap backfill): outcomes are the store's
    ``IngestOutcome`` values (stored, unchanged, revised)."""

    article_ids: list[int] = field(default_factory=list)
    archive: Counter[str] = field(default_factory=Counter)  # what happened to the originals (ArchiveOutcome)

    @property
    def unchanged(self) -> int:
        return self.outcomes["unchanged"]

    @property
    def revised(self) -> int:
        return self.outcomes["revised"]

    def record_archive(self, result: Any) -> None:
        """Count what the store did with an ingested article's original page (an ``IngestResult``)."""
        if result.archived is not None:
            self.archive[result.archived] += 1

    def details(self) -> dict[str, Any]:
        return {"unchanged": self.unchanged, "revised": self.revised, "archive": dict(self.archive)}

    def summary_parts(self) -> list[str]:
        return [f"stored {self.stored}", f"unchanged {self.unchanged}", f"new revisions {self.revised}"]
