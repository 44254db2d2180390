"""Read models behind the entity, quotes, timeline and outlets pages and their API twins.

They read the tables the search index derives from analysis records (search_entities, search_quotes,
search_events, search_docs), so they work the same whichever version of the analyze stage wrote the
records, and return empty results when nothing has been analyzed yet.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from dragoman.search.sqlite import ID_BITS

CO_OCCURRENCE_SAMPLE = 2000  # co-occurring entities are counted over the entity's newest articles


def _rows(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    cur = conn.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def overview(conn: sqlite3.Connection) -> dict[str, int]:
    """Corpus counts for the page header and the API root."""
    one = conn.execute(
        "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM search_docs),"
        " (SELECT count(*) FROM search_docs WHERE translation_model IS NOT NULL),"
        " (SELECT count(*) FROM analyses), (SELECT count(*) FROM search_queue)"
    ).fetchone()
    return {"articles": one[0], "indexed": one[1], "translated": one[2], "analyses": one[3], "queued": one[4]}


def entity_list(
    conn: sqlite3.Connection, *, q: str | None = None, type_: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """Entities by the number of articles that mention them."""
    clauses, params = [], []
    if q:
        clauses.append("(name LIKE ? OR entity LIKE ?)")
        params += [f"%{q}%", f"%{q}%"]
    if type_:
        clauses.append("type = ?")
        params.append(type_)
    where = " WHERE " + " AND ".join(clauses) if clauses else ""
    return _rows(
        conn,
        "SELECT entity AS key, max(name) AS name, max(type) AS type, count(*) AS articles,"
        f" sum(mentions) AS mentions FROM search_entities{where} GROUP BY entity"
        " ORDER BY articles DESC, key LIMIT ?",
        (*params, limit),
    )


def entity_detail(conn: sqlite3.Connection, key: str) -> dict[str, Any] | None:
    """One entity: mentions over time, quotes by it, events it is in, entities seen with it."""
    head = conn.execute(
        "SELECT max(name), max(type), count(*), sum(mentions) FROM search_entities WHERE entity = ?", (key,)
    ).fetchone()
    if head is None or head[2] == 0:
        return None
    # search_entities' key is (entity, docid) and a docid carries the publication second (search/schema.py):
    # counts per day come from the index alone, without touching the articles.
    per_day = _rows(
        conn,
        f"SELECT date(docid >> {ID_BITS}, 'unixepoch') AS day, count(*) AS articles FROM search_entities"
        f" WHERE entity = ? AND docid >= {1 << ID_BITS} GROUP BY day ORDER BY day",
        (key,),
    )
    co = _rows(
        conn,
        "WITH recent AS (SELECT article_id FROM search_entities WHERE entity = ? ORDER BY docid DESC LIMIT ?)"
        " SELECT o.entity AS key, max(o.name) AS name, max(o.type) AS type, count(*) AS articles"
        " FROM recent JOIN search_entities o ON o.article_id = recent.article_id AND o.entity != ?"
        " GROUP BY o.entity ORDER BY articles DESC, key LIMIT 20",
        (key, CO_OCCURRENCE_SAMPLE, key),
    )
    articles = _rows(
        conn,
        "SELECT a.id, a.title, f.title_en, a.outlet, a.published_at, e.mentions FROM search_entities e"
        " JOIN articles a ON a.id = e.article_id LEFT JOIN search_fts f ON f.rowid = e.docid"
        " WHERE e.entity = ? ORDER BY e.docid DESC LIMIT 20",
        (key,),
    )
    return {
        "key": key,
        "name": head[0],
        "type": head[1],
        "articles": head[2],
        "mentions": head[3],
        "mentions_over_time": bucket_counts(per_day),
        "quotes": quotes(conn, speaker=key, limit=50),
        "events": timeline(conn, entity=key, limit=100),
        "co_occurring": co,
        "recent_articles": articles,
    }


def quotes(
    conn: sqlite3.Connection,
    *,
    speaker: str | None = None,
    outlet: str | None = None,
    unnamed: bool | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Who said what, newest first."""
    clauses, params = [], []
    if speaker:
        clauses.append("(q.speaker = ? OR q.speaker_name = ?)")
        params += [speaker, speaker]
    if outlet:
        clauses.append("q.outlet = ?")
        params.append(outlet)
    if unnamed is not None:
        clauses.append("q.unnamed = ?")
        params.append(int(unnamed))
    where = " WHERE " + " AND ".join(clauses) if clauses else ""
    rows = _rows(
        conn,
        "SELECT q.article_id, q.sentence, q.speaker, q.speaker_name, q.unnamed, q.source_type, q.verb,"
        " q.text_ru, q.text_en, q.outlet, a.title, f.title_en, a.published_at FROM search_quotes q"
        " JOIN articles a ON a.id = q.article_id LEFT JOIN search_fts f ON f.rowid = q.docid"
        f"{where} ORDER BY q.docid DESC, q.id LIMIT ? OFFSET ?",
        (*params, limit, offset),
    )
    for row in rows:
        row["unnamed"] = bool(row["unnamed"])
    return rows


@dataclass(slots=True)
class TimelineFilter:
    actor: str | None = None
    target: str | None = None
    entity: str | None = None


def timeline(
    conn: sqlite3.Connection,
    *,
    actor: str | None = None,
    target: str | None = None,
    entity: str | None = None,
    limit: int = 500,
) -> list[dict[str, Any]]:
    """Events in date order; the same event (type, actor, target, date) from several articles is one entry
    with all its sources. Actor and target match the entity key or the English name."""
    clauses, params = [], []
    if actor:
        clauses.append("(ev.actor = ? OR ev.actor_name = ? OR ev.actor_state = ?)")
        params += [actor] * 3
    if target:
        clauses.append("(ev.target = ? OR ev.target_name = ? OR ev.target_state = ?)")
        params += [target] * 3
    if entity:
        clauses.append("(ev.actor = ? OR ev.target = ?)")  # both indexed: SQLite unions the two lookups
        params += [entity] * 2
    where = " WHERE " + " AND ".join(clauses) if clauses else ""
    rows = _rows(
        conn,
        "SELECT ev.article_id, ev.sentence, ev.type, ev.mode, ev.actor, ev.actor_name, ev.actor_state, ev.target,"
        " ev.target_name, ev.target_state,"
        " coalesce(ev.event_date, substr(d.published_at, 1, 10)) AS date, ev.precision, ev.status,"
        " ev.evidence_ru, ev.evidence_en, a.title, f.title_en, d.outlet FROM search_events ev"
        " JOIN search_docs d ON d.article_id = ev.article_id JOIN articles a ON a.id = ev.article_id"
        " LEFT JOIN search_fts f ON f.rowid = d.docid"
        f"{where} ORDER BY date, ev.type, ev.id LIMIT ?",
        (*params, limit * 4),
    )
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        actor_id = row["actor_state"] or row["actor"] or row["actor_name"]
        target_id = row["target_state"] or row["target"] or row["target_name"]
        key = (row["type"], row["mode"], actor_id, target_id, row["date"])
        source = {
            k: row[k] for k in ("article_id", "sentence", "evidence_ru", "evidence_en", "title", "title_en", "outlet")
        }
        if key not in merged:
            merged[key] = {
                k: row[k]
                for k in (
                    "type",
                    "mode",
                    "actor",
                    "actor_name",
                    "actor_state",
                    "target",
                    "target_name",
                    "target_state",
                    "date",
                    "precision",
                    "status",
                )
            }
            merged[key]["sources"] = []
        merged[key]["sources"].append(source)
    return list(merged.values())[:limit]


def outlet_names(conn: sqlite3.Connection) -> list[str | None]:
    return [r[0] for r in conn.execute("SELECT DISTINCT outlet FROM search_docs ORDER BY outlet")]


def outlets(conn: sqlite3.Connection, *, days: int = 60) -> list[dict[str, Any]]:
    """Per outlet: articles in all, and over its newest ``days`` days: volume per day, the share of articles
    citing unnamed sources, the most frequent entities. Index range scans only, so it stays fast at 1M."""
    out: list[dict[str, Any]] = []
    for outlet in outlet_names(conn):
        total = conn.execute("SELECT count(*) FROM search_docs WHERE outlet IS ?", (outlet,)).fetchone()[0]
        newest = conn.execute("SELECT max(docid) FROM search_docs WHERE outlet IS ?", (outlet,)).fetchone()[0] or 0
        window_start = max(0, (newest >> ID_BITS) - days * 86400) << ID_BITS
        per_day = _rows(
            conn,
            f"SELECT date(docid >> {ID_BITS}, 'unixepoch') AS day, count(*) AS articles,"
            " sum(unnamed_sources > 0) AS with_unnamed, sum(translation_model IS NOT NULL) AS translated"
            " FROM search_docs WHERE outlet IS ? AND docid >= ? GROUP BY day ORDER BY day",
            (outlet, window_start),
        )
        recent = sum(d["articles"] for d in per_day)
        with_unnamed = sum(d["with_unnamed"] or 0 for d in per_day)
        out.append({
            "outlet": outlet or "",
            "articles": total,
            "days": days,
            "recent_articles": recent,
            "recent_translated": sum(d["translated"] or 0 for d in per_day),
            "with_unnamed": with_unnamed,
            "unnamed_share": round(with_unnamed / recent, 4) if recent else 0.0,
            "per_day": [{"day": d["day"], "articles": d["articles"]} for d in per_day],
            "top_entities": _rows(
                conn,
                "SELECT e.entity AS key, max(e.name) AS name, count(*) AS articles FROM search_docs d"
                " JOIN search_entities e ON e.article_id = d.article_id WHERE d.outlet IS ? AND d.docid >= ?"
                " GROUP BY e.entity ORDER BY articles DESC, key LIMIT 10",
                (outlet, window_start),
            ),
        })  # fmt: skip
    out.sort(key=lambda row: -row["articles"])
    return out


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
