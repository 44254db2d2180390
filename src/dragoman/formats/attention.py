"""Attention over time: matching articles per day by outlet, as a table, CSV, and the geometry of a stacked bar
chart that a template draws as inline SVG (no script, so it works under the Content-Security-Policy)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

MAX_SERIES = 7  # outlets drawn in their own colour; the rest are summed as "other outlets"
OTHER = "other outlets"


@dataclass(slots=True)
class AttentionTable:
    days: list[str]  # every day from the first to the last, gaps filled with zeros
    outlets: list[str]  # by total, largest first
    counts: dict[str, list[int]]  # outlet -> per-day counts, aligned with ``days``

    @property
    def totals(self) -> list[int]:
        return [sum(self.counts[o][i] for o in self.outlets) for i in range(len(self.days))]

    def rows(self) -> list[tuple[str, list[int], int]]:
        """(day, per-outlet counts, total) for the data table."""
        totals = self.totals
        return [(day, [self.counts[o][i] for o in self.outlets], totals[i]) for i, day in enumerate(self.days)]

    def to_csv(self) -> str:
        """Long form, one row per day and outlet with articles: day,outlet,articles."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["day", "outlet", "articles"])
        for i, day in enumerate(self.days):
            for outlet in self.outlets:
                if self.counts[outlet][i]:
                    writer.writerow([day, _csv_safe(outlet), self.counts[outlet][i]])
        return out.getvalue()


def _csv_safe(value: str) -> str:
    """A spreadsheet runs a cell starting with = + - @ as a formula: scraped outlet names are quoted out of it."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def attention_table(rows: Iterable[tuple[str, str | None, int]]) -> AttentionTable:
    """From (YYYY-MM-DD, outlet, articles) rows in any order."""
    per: dict[str, dict[str, int]] = {}
    for day, outlet, n in rows:
        name = outlet or "unknown outlet"
        per.setdefault(name, {})
        per[name][day] = per[name].get(day, 0) + int(n)
    all_days = sorted({d for counts in per.values() for d in counts})
    if not all_days:
        return AttentionTable([], [], {})
    first, last = date.fromisoformat(all_days[0]), date.fromisoformat(all_days[-1])
    days = [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]
    outlets = sorted(per, key=lambda o: (-sum(per[o].values()), o))
    counts = {o: [per[o].get(d, 0) for d in days] for o in outlets}
    return AttentionTable(days, outlets, counts)


@dataclass(slots=True)
class Bar:
    x: float
    y: float
    w: float
    h: float
    series: int  # colour index; MAX_SERIES is "other outlets"
    label: str


@dataclass(slots=True)
class StackedChart:
    width: int
    height: int
    bars: list[Bar] = field(default_factory=list)
    legend: list[tuple[int, str]] = field(default_factory=list)
    max: int = 0
    first: str = ""
    last: str = ""


def stacked_chart(table: AttentionTable, *, width: int = 720, height: int = 180) -> StackedChart:
    """Bars per day, stacked by outlet (the largest outlets get their own colour)."""
    chart = StackedChart(width, height)
    if not table.days:
        return chart
    shown = table.outlets[:MAX_SERIES]
    rest = table.outlets[MAX_SERIES:]
    chart.legend = [(i, o) for i, o in enumerate(shown)] + ([(MAX_SERIES, OTHER)] if rest else [])
    totals = table.totals
    chart.max = max(totals) if totals else 0
    chart.first, chart.last = table.days[0], table.days[-1]
    plot = height - 18
    step = width / len(table.days)
    bar_w = max(1.0, step * 0.8)
    scale = plot / chart.max if chart.max else 0.0
    for i, day in enumerate(table.days):
        y = float(plot)
        parts = [(j, o, table.counts[o][i]) for j, o in enumerate(shown)]
        if rest:
            parts.append((MAX_SERIES, OTHER, sum(table.counts[o][i] for o in rest)))
        for series, outlet, n in parts:
            if not n:
                continue
            h = n * scale
            y -= h
            chart.bars.append(
                Bar(round(i * step, 2), round(y, 2), round(bar_w, 2), round(h, 2), series, f"{day} {outlet}: {n}")
            )
    return chart
