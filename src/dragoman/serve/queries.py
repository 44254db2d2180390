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


def bar_chart(points: list[dict[str, Any]], *, width: int = 640, height: int = 140) -> dict[str, Any]:
    """Bars (x, y, w, h, label, value) for ``points`` of {label, value}."""
    if not points:
        return {"width": width, "height": height, "bars": [], "max": 0}
    top = max(int(p["value"]) for p in points) or 1
    step = width / len(points)
    bars = []
    for i, p in enumerate(points):
        h = max(1.0, (height - 20) * int(p["value"]) / top)
        bars.append(
            {
                "x": round(i * step, 2),
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
        "first": points[0]["label"],
        "last": points[-1]["label"],
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
                "label": f"{e['date']} {e['type']} {e.get('actor_name') or ''} → {e.get('target_name') or ''}",
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
