"""What the entity, quotes, timeline and outlets pages draw from the read model (``store/analyses.py``):
the entity page's payload, daily or monthly counts, and the numbers of the inline SVG charts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from dragoman.store.analyses import AnalysisReadModel


def entity_detail(model: AnalysisReadModel, key: str) -> dict[str, Any] | None:
    """One entity as the entity page and /api/entities/{key} show it: mentions over time as a chart's points."""
    detail = model.entity(key)
    if detail is None:
        return None
    detail["mentions_over_time"] = bucket_counts(detail.pop("per_day"))
    return detail


def bucket_counts(per_day: list[dict[str, Any]]) -> dict[str, Any]:
    """Daily counts, or monthly when they span more than four months (a readable chart either way)."""
    days = [r for r in per_day if r.get("day")]
    if not days:
        return {"unit": "day", "points": []}
    try:
        span = (date.fromisoformat(days[-1]["day"]) - date.fromisoformat(days[0]["day"])).days
    except ValueError:
        span = 0
    if span <= 120:
        return {"unit": "day", "points": [{"label": r["day"], "value": r["articles"]} for r in days]}
    months: dict[str, int] = {}
    for r in days:
        months[r["day"][:7]] = months.get(r["day"][:7], 0) + r["articles"]
    return {"unit": "month", "points": [{"label": m, "value": n} for m, n in months.items()]}


# -- charts: numbers for inline SVG, drawn by the templates (no inline styles, so CSP stays strict) ----


# A chart spans at least this many days or months: one day of data is a thin bar, not a solid block.
MIN_CHART_SLOTS = 30


def _slot(label: str) -> int | None:
    """A label's position on its time axis: days since year 1 for YYYY-MM-DD, months for YYYY-MM."""
    try:
        if len(label) == 10:
            return date.fromisoformat(label).toordinal()
        if len(label) == 7:
            year, month = label.split("-")
            return int(year) * 12 + int(month) - 1
    except ValueError:
        return None
    return None


def _slot_label(slot: int, daily: bool) -> str:
    if daily:
        return date.fromordinal(slot).isoformat()
    return f"{slot // 12:04d}-{slot % 12 + 1:02d}"


def bar_chart(points: list[dict[str, Any]], *, width: int = 640, height: int = 140) -> dict[str, Any]:
    """Bars (x, y, w, h, label, value) for ``points`` of {label, value}, on a real time axis when the labels
    are days or months: a bar stands at its date, so a gap in the data is a gap in the chart (2022-01 and
    2025-05 are three years apart, not neighbours), and a short span is not stretched over the whole width."""
    if not points:
        return {"width": width, "height": height, "bars": [], "max": 0}
    top = max(int(p["value"]) for p in points) or 1
    slots = [_slot(str(p["label"])) for p in points]
    if all(s is not None for s in slots):
        first = min(slots)  # type: ignore[type-var]
        span = max(slots) - first + 1  # type: ignore[operator]
        step = width / max(span, MIN_CHART_SLOTS)
        positions = [(s - first) * step for s in slots]  # type: ignore[operator]
        daily = len(str(points[0]["label"])) == 10
        # The axis runs from the first slot to the last one it shows (past the data when the span is short).
        first_label = _slot_label(first, daily)  # type: ignore[arg-type]
        last_label = _slot_label(first + max(span, MIN_CHART_SLOTS) - 1, daily)  # type: ignore[operator]
        time_axis = True
    else:  # labels that are not dates: bars side by side, in the given order
        step = width / len(points)
        positions = [i * step for i in range(len(points))]
        first_label, last_label = points[0]["label"], points[-1]["label"]
        time_axis = False
    bars = []
    for x, p in zip(positions, points, strict=True):
        h = max(1.0, (height - 20) * int(p["value"]) / top)
        bars.append(
            {
                "x": round(x, 2),
                "y": round(height - 14 - h, 2),
                "w": round(max(1.0, step - 1), 2),
                "h": round(h, 2),
                "label": p["label"],
                "value": p["value"],
            }
        )
    return {
        "width": width,
        "height": height,
        "bars": bars,
        "max": top,
        "first": first_label,
        "last": last_label,
        "time_axis": time_axis,
    }


def timeline_chart(events: list[dict[str, Any]], *, width: int = 760, row_height: int = 22) -> dict[str, Any]:
    """One row per event type, a dot per event at its date; each dot links to its first source."""
    dated = [e for e in events if _parse_day(e.get("date"))]
    if not dated:
        return {"width": width, "height": 40, "rows": [], "dots": []}
    days = [_parse_day(e["date"]) for e in dated]
    first, last = min(days), max(days)  # type: ignore[type-var]
    span = max(1, (last - first).days)  # type: ignore[operator]
    types = sorted({e["type"] for e in dated})
    left, right = 150, 20
    dots = []
    for e, d in zip(dated, days, strict=True):
        row = types.index(e["type"])
        x = left + (width - left - right) * ((d - first).days / span)  # type: ignore[operator]
        src = e["sources"][0] if e.get("sources") else {}
        dots.append(
            {
                "x": round(x, 1),
                "y": 20 + row * row_height,
                "type": e["type"],
                "date": e["date"],
                "label": f"{e['date']} {e['type']} {e.get('actor_name') or 'unknown actor'}"
                f" → {e.get('target_name') or 'unknown target'}",
                "article_id": src.get("article_id"),
                "sentence": src.get("sentence"),
            }
        )
    rows = [{"type": t, "y": 20 + i * row_height} for i, t in enumerate(types)]
    return {
        "width": width,
        "height": 40 + len(types) * row_height,
        "rows": rows,
        "dots": dots,
        "first": first.isoformat(),
        "last": last.isoformat(),
        "left": left,
    }  # type: ignore[union-attr]


def _parse_day(value: Any) -> date | None:
    if not isinstance(value, str) or len(value) < 4:
        return None
    text = value[:10]
    for fmt, size in (("%Y-%m-%d", 10), ("%Y-%m", 7), ("%Y", 4)):
        try:
            return datetime.strptime(text[:size], fmt).date()
        except ValueError:
            continue
    return None
