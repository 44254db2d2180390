"""Writing one article's analysis into the analyze tables, and the queries behind entities/quotes/timeline."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from dragoman.article import Article


def _iso(article: Article) -> str | None:
    return article.published_at.isoformat() if article.published_at else None


def merge_key(event: dict[str, Any], published: str | None) -> str:
    """Same type, same parties (by state when known) and same date = the same event across articles."""
    actor = event.get("actor") or {}
    target = event.get("target") or {}
    date = (event.get("date") or {}).get("begin") or (published or "")[:10]
    a = actor.get("state") or actor.get("name") or "?"
    t = target.get("state") or target.get("name") or "?"
    return f"{event['type']}|{event.get('mode') or ''}|{a}|{t}|{date}"


def write_index(store: Any, article_id: int, revision_id: int, article: Article, analysis: dict[str, Any]) -> None:
    """Replace the article's rows in the analyze tables with those of ``analysis`` (one transaction)."""
    published = _iso(article)
    outlet = article.outlet
    with store.transaction() as conn:
        for table in ("entity_mentions", "quotes", "events"):
            conn.execute(f"DELETE FROM {table} WHERE article_id = ?", (article_id,))
        first_sentence: dict[str, int] = {}
        for m in analysis.get("mentions", []):
            first_sentence.setdefault(m["entity"], m.get("sentence", 0))
        for e in analysis.get("entities", []):
            conn.execute(
                "INSERT INTO entities (key, name, type, ru, wikidata, country, role, source) VALUES (?,?,?,?,?,?,?,?)"
                " ON CONFLICT (key) DO UPDATE SET name = excluded.name, type = excluded.type,"
                " wikidata = COALESCE(excluded.wikidata, entities.wikidata),"
                " country = COALESCE(excluded.country, entities.country),"
                " role = COALESCE(excluded.role, entities.role)",
                (
                    e["key"],
                    e["name"],
                    e["type"],
                    e.get("ru"),
                    e.get("wikidata"),
                    e.get("country"),
                    e.get("role"),
                    e.get("source"),
                ),
            )
            conn.execute(
                "INSERT INTO entity_mentions (article_id, revision_id, entity_key, mentions, first_sentence,"
                " published_at, outlet) VALUES (?,?,?,?,?,?,?)",
                (
                    article_id,
                    revision_id,
                    e["key"],
                    e.get("mentions", 0),
                    first_sentence.get(e["key"]),
                    published,
                    outlet,
                ),
            )
        for q in analysis.get("quotes", []):
            conn.execute(
                "INSERT INTO quotes (article_id, revision_id, sentence, kind, speaker, speaker_entity, verb, addressee,"
                " unnamed_source, institution_entity, text, text_en, published_at, outlet)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    article_id,
                    revision_id,
                    q.get("sentence"),
                    q.get("kind"),
                    q.get("speaker"),
                    q.get("speaker_entity"),
                    q.get("verb"),
                    q.get("addressee"),
                    q.get("unnamed_source"),
                    q.get("institution_entity"),
                    q.get("text") or "",
                    q.get("text_en"),
                    published,
                    outlet,
                ),
            )
        for ev in analysis.get("events", []):
            actor, target = ev.get("actor") or {}, ev.get("target") or {}
            date = ev.get("date") or {}
            basis = "text" if date.get("begin") else "published"
            # no date in the sentence: the article's day in the outlet's zone (not the UTC day)
            fallback_day = analysis.get("published") or (published or "")[:10] or None
            conn.execute(
                "INSERT INTO events (article_id, revision_id, sentence, type, mode, actor_entity, actor_name,"
                " actor_state, target_entity, target_name, target_state, location, date_value, date_begin,"
                " date_precision, date_basis, status, negated, quantity, evidence_ru, evidence_en, merge_key,"
                " published_at, outlet) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    article_id,
                    revision_id,
                    ev.get("sentence"),
                    ev["type"],
                    ev.get("mode"),
                    actor.get("entity"),
                    actor.get("name"),
                    actor.get("state"),
                    target.get("entity"),
                    target.get("name"),
                    target.get("state"),
                    (ev.get("location") or {}).get("name"),
                    date.get("value"),
                    date.get("begin") or fallback_day,
                    date.get("precision") or ("day" if fallback_day else None),
                    basis,
                    ev.get("status"),
                    int(bool(ev.get("negated"))),
                    json.dumps(ev["quantity"], ensure_ascii=False) if ev.get("quantity") else None,
                    (ev.get("evidence") or {}).get("ru"),
                    (ev.get("evidence") or {}).get("en"),
                    merge_key(ev, fallback_day),
                    published,
                    outlet,
                ),
            )


# -- queries ---------------------------------------------------------------------------------------------


def list_entities(
    store: Any, *, type_: str | None = None, name: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """Entities by number of articles that mention them."""
    sql = (
        "SELECT e.key, e.name, e.type, e.wikidata, e.country, e.ru, count(m.article_id) AS articles,"
        " sum(m.mentions) AS mentions, min(m.published_at) AS first_seen, max(m.published_at) AS last_seen"
        " FROM entities e JOIN entity_mentions m ON m.entity_key = e.key"
    )
    clauses, params = [], []
    if type_:
        clauses.append("e.type = ?")
        params.append(type_.upper())
    if name:
        clauses.append("(e.name LIKE ? OR e.ru LIKE ? OR e.key = ?)")
        params.extend([f"%{name}%", f"%{name}%", name])
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    sql += " GROUP BY e.key ORDER BY articles DESC, mentions DESC, e.name LIMIT ?"
    rows = store.connection.execute(sql, (*params, limit)).fetchall()
    return [dict(r) for r in rows]


def resolve_entity_keys(store: Any, name: str) -> list[str]:
    """Keys of entities whose English or Russian name matches ``name`` (exact first, then substring)."""
    conn = store.connection
    rows = conn.execute(
        "SELECT key FROM entities WHERE key = ? OR lower(name) = lower(?) OR lower(ru) = lower(?)", (name, name, name)
    ).fetchall()
    if not rows:
        rows = conn.execute(
            "SELECT key FROM entities WHERE name LIKE ? OR ru LIKE ?", (f"%{name}%", f"%{name}%")
        ).fetchall()
    return [r[0] for r in rows]


def list_quotes(
    store: Any, *, speaker: str | None = None, unnamed: bool | None = None, outlet: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    sql = (
        "SELECT q.*, e.name AS speaker_name, a.url, a.title FROM quotes q"
        " LEFT JOIN entities e ON e.key = q.speaker_entity JOIN articles a ON a.id = q.article_id"
    )
    clauses: list[str] = []
    params: list[Any] = []
    if speaker:
        keys = resolve_entity_keys(store, speaker)
        clauses.append(f"(q.speaker_entity IN ({','.join('?' * len(keys)) or 'NULL'}) OR q.speaker LIKE ?)")
        params.extend(keys)
        params.append(f"%{speaker}%")
    if unnamed is not None:
        clauses.append("q.unnamed_source IS NOT NULL" if unnamed else "q.unnamed_source IS NULL")
    if outlet:
        clauses.append("q.outlet = ?")
        params.append(outlet)
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    sql += " ORDER BY q.published_at DESC, q.id LIMIT ?"
    return [dict(r) for r in store.connection.execute(sql, (*params, limit)).fetchall()]


def unnamed_source_share(store: Any) -> list[dict[str, Any]]:
    """Per outlet: quotes, how many rest on unnamed sources, and the share."""
    rows = store.connection.execute(
        "SELECT outlet, count(*) AS quotes,"
        " sum(CASE WHEN unnamed_source IS NOT NULL THEN 1 ELSE 0 END) AS unnamed FROM quotes GROUP BY outlet"
    ).fetchall()
    return [{**dict(r), "share": (r["unnamed"] / r["quotes"]) if r["quotes"] else 0.0} for r in rows]


@dataclass(slots=True)
class TimelineEntry:
    key: str
    type: str
    mode: str | None
    actor: str | None
    target: str | None
    date: str | None
    precision: str | None
    date_basis: str
    status: str | None
    location: str | None
    quantity: Any
    evidence_ru: str | None
    evidence_en: str | None
    sources: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}  # type: ignore[attr-defined]


def timeline(
    store: Any,
    *,
    actor: str | None = None,
    target: str | None = None,
    both_directions: bool = True,
    since: str | None = None,
    limit: int = 500,
) -> list[TimelineEntry]:
    """Events in date order, merged across articles by (type, parties, date), each with all its sources."""
    sql = "SELECT ev.*, a.url, a.title FROM events ev JOIN articles a ON a.id = ev.article_id"
    clauses: list[str] = []
    params: list[Any] = []

    def party(column: str, value: str) -> str:
        keys = resolve_entity_keys(store, value)
        params.extend([value, value, *keys])
        marks = ",".join("?" * len(keys)) or "NULL"
        return (
            f"(lower(ev.{column}_state) = lower(?) OR lower(ev.{column}_name) = lower(?)"
            f" OR ev.{column}_entity IN ({marks}))"
        )

    if actor and target:
        forward = f"({party('actor', actor)} AND {party('target', target)})"
        if both_directions:
            backward = f"({party('actor', target)} AND {party('target', actor)})"
            clauses.append(f"({forward} OR {backward})")
        else:
            clauses.append(forward)
    elif actor:
        clauses.append(party("actor", actor))
    elif target:
        clauses.append(party("target", target))
    if since:
        clauses.append("ev.date_begin >= ?")
        params.append(since)
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    sql += " ORDER BY ev.date_begin, ev.id"
    merged: dict[str, TimelineEntry] = {}
    for r in store.connection.execute(sql, params).fetchall():
        entry = merged.get(r["merge_key"])
        if entry is None:
            entry = merged[r["merge_key"]] = TimelineEntry(
                key=r["merge_key"],
                type=r["type"],
                mode=r["mode"],
                actor=r["actor_name"],
                target=r["target_name"],
                date=r["date_value"] or r["date_begin"],
                precision=r["date_precision"],
                date_basis=r["date_basis"],
                status=r["status"],
                location=r["location"],
                quantity=json.loads(r["quantity"]) if r["quantity"] else None,
                evidence_ru=r["evidence_ru"],
                evidence_en=r["evidence_en"],
            )
        elif entry.date_basis == "published" and r["date_basis"] == "text":
            entry.date, entry.precision, entry.date_basis = r["date_value"], r["date_precision"], "text"
        if any(src["article_id"] == r["article_id"] for src in entry.sources):
            continue  # the same event told twice in one article is one source
        entry.sources.append(
            {
                "article_id": r["article_id"],
                "url": r["url"],
                "title": r["title"],
                "sentence": r["sentence"],
                "published_at": r["published_at"],
                "outlet": r["outlet"],
            }
        )
        if len(merged) >= limit:
            break
    return sorted(merged.values(), key=lambda e: (e.date or "", e.type))


# -- for the entity page ---------------------------------------------------------------------------------


def get_entity(store: Any, key: str) -> dict[str, Any] | None:
    row = store.connection.execute("SELECT * FROM entities WHERE key = ?", (key,)).fetchone()
    return dict(row) if row is not None else None


def entity_mentions_over_time(store: Any, key: str, *, by: str = "day") -> list[dict[str, Any]]:
    """Articles and mentions per day (or month) for one entity, oldest first."""
    width = 7 if by == "month" else 10
    rows = store.connection.execute(
        f"SELECT substr(published_at, 1, {width}) AS period, count(*) AS articles, sum(mentions) AS mentions"
        " FROM entity_mentions WHERE entity_key = ? AND published_at IS NOT NULL GROUP BY period ORDER BY period",
        (key,),
    ).fetchall()
    return [dict(r) for r in rows]


def co_occurring(store: Any, key: str, *, limit: int = 20) -> list[dict[str, Any]]:
    """Entities named in the same articles as ``key``, by number of shared articles."""
    rows = store.connection.execute(
        "SELECT e.key, e.name, e.type, count(*) AS articles FROM entity_mentions a"
        " JOIN entity_mentions b ON b.article_id = a.article_id AND b.entity_key != a.entity_key"
        " JOIN entities e ON e.key = b.entity_key WHERE a.entity_key = ?"
        " GROUP BY e.key, e.name, e.type ORDER BY articles DESC, e.name LIMIT ?",
        (key, limit),
    ).fetchall()
    return [dict(r) for r in rows]


def entity_events(store: Any, key: str, *, limit: int = 200) -> list[dict[str, Any]]:
    """Events where the entity is actor or target, in date order."""
    rows = store.connection.execute(
        "SELECT ev.*, a.url, a.title FROM events ev JOIN articles a ON a.id = ev.article_id"
        " WHERE ev.actor_entity = ? OR ev.target_entity = ? ORDER BY ev.date_begin, ev.id LIMIT ?",
        (key, key, limit),
    ).fetchall()
    return [dict(r) for r in rows]
