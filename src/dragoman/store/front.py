"""The front page's repository: top stories, surge counts, attention series, edits and watchlist hits.

Only reads. The SQL is the same on SQLite and PostgreSQL: times are compared as the ISO 8601 UTC text both
store in ``published_at``, and day buckets are taken from the search index's ``docid`` (publication second
shifted left by ``ID_BITS``, see dragoman.search.schema) with integer arithmetic both databases share, so no
dialect's date functions are needed; where the two do differ (the full-text MATCH behind an attention chart for a
text search), the dialect is named and PostgreSQL gets a clear error. The reads are :class:`FrontRepository`,
reached as ``store.front`` like the other repositories (``?`` placeholders on the store's connection); the
writers of the per-day counts stay functions on the search indexer's transaction. An article without a story (a
database that never ran the monitor's duplicate detection) counts as a story of its own, keyed by minus its
article id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from dragoman.analyze.surge import title_terms
from dragoman.errors import StoreError
from dragoman.store.repository import POSTGRES, SQLITE, Repository, placeholders

ID_BITS = 22  # as dragoman.search.index.ID_BITS: the docid layout the search schema defines
SECONDS_PER_DAY = 86400
LEAD_CHARS = 600  # of the English body, for a story's lead and a feed entry's summary


# Docids carry the publication time on the outlet's wall clock (``search.sqlite.make_docid``), so a date filter
# is the day printed on the article. A window given as an instant is read on Moscow's clock, the zone of the
# outlets dragoman follows: an outlet in another zone is off by its difference from Moscow at the edges.
WINDOW_ZONE = ZoneInfo("Europe/Moscow")


def docid_at(moment: datetime) -> int:
    """The lowest docid of articles published at ``moment`` (aware) or later."""
    wall = moment.astimezone(WINDOW_ZONE).replace(tzinfo=UTC)
    return max(0, int(wall.timestamp())) << ID_BITS


def _marks(values: Sequence[Any]) -> str:
    return placeholders(len(values))


@dataclass(frozen=True, slots=True)
class WindowFilter:
    since: str  # ISO 8601 UTC, inclusive
    until: str  # exclusive
    outlets: tuple[str, ...] = ()
    rubric: str | None = None
    # The (outlet, Russian rubric) pairs the rubric filter stands for (a rubric's English name depends on the
    # outlet: dragoman.names.outlets); None: ``rubric`` is compared as stored.
    rubric_pairs: tuple[tuple[str, str], ...] | None = None

    def clauses(self) -> tuple[str, list[Any]]:
        sql = "a.published_at >= ? AND a.published_at < ?"
        params: list[Any] = [self.since, self.until]
        if self.outlets:
            sql += f" AND a.outlet IN ({_marks(self.outlets)})"
            params.extend(self.outlets)
        if self.rubric_pairs is not None:
            either = " OR ".join("(COALESCE(a.outlet, '') = ? AND a.rubric = ?)" for _ in self.rubric_pairs)
            sql += f" AND ({either or 'FALSE'})"
            params.extend(x for pair in self.rubric_pairs for x in pair)
        elif self.rubric:
            sql += " AND a.rubric = ?"
            params.append(self.rubric)
        return sql, params


_DAY = f"(d.docid >> {ID_BITS}) / {SECONDS_PER_DAY}"
_MEMBER_COLUMNS = (
    "a.id AS article_id, a.url, a.key_url, a.outlet, a.title, a.rubric, a.language, a.published_at, a.updated_at,"
    f" a.revision_count, f.title_en, substr(f.body_en, 1, {LEAD_CHARS}) AS lead_en"
)


class FrontRepository(Repository):
    """``store.front``: the front page's reads (top stories, surges, attention, the brief's edits and hits), and
    the one-time backfill of the surge's title terms they need."""

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cur = self.execute(sql, tuple(params))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, tuple(row), strict=True)) for row in cur.fetchall()]

    # -- top stories ---------------------------------------------------------------------------------------

    def story_presence(self, where: WindowFilter) -> list[tuple[int, str, int, str, str]]:
        """(story key, outlet, articles, first published, last published) for every story with an article in the
        window (uses articles_published)."""
        clauses, params = where.clauses()
        rows = self.execute(
            "SELECT COALESCE(m.story_id, -a.id), COALESCE(a.outlet, ''), count(*), min(a.published_at),"
            " max(a.published_at) FROM articles a LEFT JOIN story_members m ON m.article_id = a.id"
            f" WHERE {clauses} GROUP BY COALESCE(m.story_id, -a.id), COALESCE(a.outlet, '')",
            params,
        ).fetchall()
        return [(int(r[0]), str(r[1]), int(r[2]), str(r[3]), str(r[4])) for r in rows]

    def story_members(self, keys: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
        """Members of the given stories (and single articles, negative keys), oldest first, with the English title
        and the start of the English body from the search index; ``kind`` (first | exact_hash | near) and
        ``similarity`` say how each joined its story."""
        story_ids = [k for k in keys if k > 0]
        article_ids = [-k for k in keys if k < 0]
        found: dict[int, list[dict[str, Any]]] = {k: [] for k in keys}
        if story_ids:
            for row in self._rows(
                f"SELECT m.story_id AS story_key, m.kind, m.similarity, {_MEMBER_COLUMNS} FROM story_members m"
                " JOIN articles a ON a.id = m.article_id LEFT JOIN search_docs d ON d.article_id = a.id"
                f" LEFT JOIN search_fts f ON f.rowid = d.docid WHERE m.story_id IN ({_marks(story_ids)})"
                " ORDER BY a.published_at, a.id",
                story_ids,
            ):
                found[int(row["story_key"])].append(row)
        if article_ids:
            for row in self._rows(
                f"SELECT -a.id AS story_key, 'first' AS kind, 1.0 AS similarity, {_MEMBER_COLUMNS} FROM articles a"
                " LEFT JOIN search_docs d ON d.article_id = a.id LEFT JOIN search_fts f ON f.rowid = d.docid"
                f" WHERE a.id IN ({_marks(article_ids)})",
                article_ids,
            ):
                found[int(row["story_key"])].append(row)
        return found

    def story_exists(self, story_id: int) -> bool:
        return self.execute("SELECT 1 FROM stories WHERE id = ?", (story_id,)).fetchone() is not None

    def article_entities(self, article_ids: Sequence[int]) -> list[dict[str, Any]]:
        """Entity rows (article_id, entity, name, type, mentions) of the given articles, from the search index."""
        if not article_ids:
            return []
        return self._rows(
            "SELECT article_id, entity, name, type, mentions FROM search_entities"
            f" WHERE article_id IN ({_marks(article_ids)})",
            list(article_ids),
        )

    def window_facets(self, since: str, until: str) -> tuple[list[str], list[str]]:
        """The outlets and rubrics with articles in the window, for the front page's filters."""
        outlets = [
            r[0]
            for r in self.execute(
                "SELECT DISTINCT outlet FROM articles WHERE published_at >= ? AND published_at < ?"
                " AND outlet IS NOT NULL ORDER BY outlet",
                (since, until),
            ).fetchall()
        ]
        rubrics = [
            r[0]
            for r in self.execute(
                "SELECT DISTINCT rubric FROM articles WHERE published_at >= ? AND published_at < ?"
                " AND rubric IS NOT NULL ORDER BY rubric",
                (since, until),
            ).fetchall()
        ]
        return outlets, rubrics

    def window_rubrics(self, since: str, until: str) -> list[tuple[str, str]]:
        """The (outlet, Russian rubric) pairs of the articles published in the window."""
        rows = self.execute(
            "SELECT DISTINCT COALESCE(outlet, ''), rubric FROM articles WHERE published_at >= ? AND published_at < ?"
            " AND rubric IS NOT NULL",
            (since, until),
        ).fetchall()
        return [(str(r[0]), str(r[1])) for r in rows]

    # -- surge counts --------------------------------------------------------------------------------------

    def indexed_articles(self, lo: int, hi: int) -> int:
        """Indexed articles published in [lo, hi) (docids)."""
        return int(
            self.execute("SELECT count(*) FROM search_docs WHERE docid >= ? AND docid < ?", (lo, hi)).fetchone()[0]
        )

    def entity_counts(self, lo: int, hi: int) -> dict[str, tuple[str, str | None, int]]:
        """entity key -> (name, type, articles) for articles published in [lo, hi) (uses search_entities_docid)."""
        rows = self.execute(
            "SELECT entity, max(name), max(type), count(*) FROM search_entities WHERE docid >= ? AND docid < ?"
            " GROUP BY entity",
            (lo, hi),
        ).fetchall()
        return {str(r[0]): (str(r[1]), r[2], int(r[3])) for r in rows}

    def translated_articles(self, lo: int, hi: int) -> int:
        """Indexed articles with an English translation published in [lo, hi) (docids)."""
        return int(
            self.execute(
                "SELECT count(*) FROM search_docs WHERE docid >= ? AND docid < ? AND translation_model IS NOT NULL",
                (lo, hi),
            ).fetchone()[0]
        )

    def term_counts(self, lo: int, hi: int) -> dict[str, int]:
        """title term -> articles published in [lo, hi) whose English title carries it (search_title_terms)."""
        # The window's rows in primary-key (docid) order, then grouped: left to itself SQLite's planner skip-scans
        # the (term, docid) index over every term in the corpus to save the sort (75 ms against 16 at 1M articles).
        rows = self.execute(
            "SELECT term, count(*) FROM (SELECT term FROM search_title_terms WHERE docid >= ? AND docid < ?"
            " ORDER BY docid) w GROUP BY term",
            (lo, hi),
        ).fetchall()
        return {str(r[0]): int(r[1]) for r in rows}

    def day_counts(self, kind: str, keys: Sequence[str], first_day: int, end_day: int) -> dict[str, int]:
        """key -> articles over the UTC days [first_day, end_day) from search_day_counts (kind: docs | entity |
        term), for the given keys only: a few index range reads of at most ``end_day - first_day`` rows each."""
        found: dict[str, int] = {}
        keys = sorted(set(keys))
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            for key, total in self.execute(
                f"SELECT key, sum(articles) FROM search_day_counts WHERE kind = ? AND key IN ({_marks(chunk)})"
                " AND day >= ? AND day < ? GROUP BY key",
                (kind, *chunk, first_day, end_day),
            ).fetchall():
                found[str(key)] = int(total)
        return found

    def term_articles(self, term: str, lo: int, hi: int, limit: int) -> list[dict[str, Any]]:
        """The newest articles in [lo, hi) whose English title carries ``term`` (the articles behind its surge)."""
        return self._rows(
            "SELECT a.id AS article_id, a.url, a.outlet, a.title, a.published_at, f.title_en FROM search_title_terms t"
            " JOIN articles a ON a.id = t.article_id LEFT JOIN search_fts f ON f.rowid = t.docid"
            " WHERE t.term = ? AND t.docid >= ? AND t.docid < ? ORDER BY t.docid DESC LIMIT ?",
            (term, lo, hi, limit),
        )

    def entity_articles(self, key: str, lo: int, hi: int, limit: int) -> list[dict[str, Any]]:
        """The newest articles in [lo, hi) that mention ``key`` (the articles behind its surge)."""
        return self._rows(
            "SELECT a.id AS article_id, a.url, a.outlet, a.title, a.published_at, f.title_en FROM search_entities e"
            " JOIN articles a ON a.id = e.article_id LEFT JOIN search_fts f ON f.rowid = e.docid"
            " WHERE e.entity = ? AND e.docid >= ? AND e.docid < ? ORDER BY e.docid DESC LIMIT ?",
            (key, lo, hi, limit),
        )

    def articles_by_id(self, article_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """Articles with their English title and lead (search index), by id."""
        if not article_ids:
            return {}
        rows = self._rows(
            f"SELECT {_MEMBER_COLUMNS} FROM articles a LEFT JOIN search_docs d ON d.article_id = a.id"
            f" LEFT JOIN search_fts f ON f.rowid = d.docid WHERE a.id IN ({_marks(article_ids)})",
            list(article_ids),
        )
        return {int(r["article_id"]): r for r in rows}

    # -- attention over time -------------------------------------------------------------------------------

    def attention_counts(
        self,
        *,
        lo: int,
        hi: int,
        entity: str | None = None,
        outlets: Sequence[str] = (),
        match: str | None = None,
    ) -> list[tuple[int, str | None, int]]:
        """(day number since 1970-01-01, outlet, articles) for the articles published in [lo, hi) that mention
        ``entity``, match the full-text expression ``match`` (SQLite FTS5 syntax, from dragoman.search), or all.
        """
        lo = max(lo, 1 << ID_BITS)  # docid 0..: no publication time; they have no day
        params: list[Any] = []
        if match is not None:
            if self.dialect != SQLITE:
                raise StoreError(
                    "a full-text MATCH is SQLite's; on PostgreSQL count with attention_counts_postgres",
                    reason="unsupported",
                )
            source = "search_fts x JOIN search_docs d ON d.docid = x.rowid"
            where = "search_fts MATCH ? AND x.rowid >= ? AND x.rowid < ?"
            params += [match, lo, hi]
        elif entity is not None:
            source = "search_entities x JOIN search_docs d ON d.docid = x.docid"
            where = "x.entity = ? AND x.docid >= ? AND x.docid < ?"
            params += [entity, lo, hi]
        else:
            source = "search_docs d"
            where = "d.docid >= ? AND d.docid < ?"
            params += [lo, hi]
        if outlets:
            where += f" AND d.outlet IN ({_marks(outlets)})"
            params.extend(outlets)
        rows = self.execute(
            f"SELECT {_DAY}, d.outlet, count(*) FROM {source} WHERE {where} GROUP BY {_DAY}, d.outlet", params
        ).fetchall()
        return [(int(r[0]), r[1], int(r[2])) for r in rows]

    def attention_counts_postgres(
        self, condition: tuple[str, list[Any]], *, lo: int, hi: int, outlets: Sequence[str] = ()
    ) -> list[tuple[int, str | None, int]]:
        """attention_counts for a text search on PostgreSQL: ``condition`` is the search backend's WHERE test on
        ``search_fts f`` (dragoman.search.postgres.PostgresSearchIndex.match_condition, ``%s`` parameters), run on
        the store's psycopg connection (``?`` placeholders would be rewritten under the condition's ``%s``)."""
        if self.dialect != POSTGRES:
            raise StoreError("attention_counts_postgres needs a PostgreSQL store", reason="unsupported")
        raw = self.store.raw
        where, params = condition
        sql = (
            f"SELECT {_DAY} AS day, d.outlet AS outlet, count(*) AS n FROM search_fts f"
            " JOIN search_docs d ON d.docid = f.rowid"
            f" WHERE f.rowid >= %s AND f.rowid < %s AND {where}"
        )
        values: list[Any] = [max(lo, 1 << ID_BITS), hi, *params]
        if outlets:
            sql += f" AND d.outlet IN ({','.join(['%s'] * len(outlets))})"
            values.extend(outlets)
        with raw.transaction():
            raw.execute("SET LOCAL enable_seqscan = off")  # the GIN indexes find the matches (see search/postgres.py)
            rows = raw.execute(f"{sql} GROUP BY {_DAY}, d.outlet", values).fetchall()
        return [(int(r["day"]), r["outlet"], int(r["n"])) for r in rows]  # raw rows read by name (store.postgres.Row)

    # -- for the brief and the feeds -----------------------------------------------------------------------

    def edited_articles(self, since: str, until: str, limit: int = 50) -> list[dict[str, Any]]:
        """Articles whose outlet changed them (a second acquired revision stored) in the window, newest change
        first; re-extractions by our own extractor are not edits (uses articles_updated)."""
        return self._rows(
            "SELECT a.id AS article_id, a.url, a.outlet, a.title, a.published_at, a.updated_at, a.revision_count,"
            " f.title_en FROM articles a LEFT JOIN search_docs d ON d.article_id = a.id"
            " LEFT JOIN search_fts f ON f.rowid = d.docid"
            " WHERE a.updated_at >= ? AND a.updated_at < ? AND a.revision_count > 1"
            " AND (SELECT count(*) FROM revisions r WHERE r.article_id = a.id AND r.origin = 'acquired') > 1"
            " ORDER BY a.updated_at DESC, a.id LIMIT ?",
            (since, until, limit),
        )

    def watch_hits(
        self, *, watch_ids: Sequence[int] | None, since: str | None, until: str | None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Alerts (watch, article) for articles published in the window, newest article first; ``watch_ids``
        None: every watch."""
        clauses: list[str] = []
        params: list[Any] = []
        if watch_ids is not None:
            clauses.append(f"al.watch_id IN ({_marks(watch_ids)})")
            params.extend(watch_ids)
        if since is not None:
            clauses.append("a.published_at >= ?")
            params.append(since)
        if until is not None:
            clauses.append("a.published_at < ?")
            params.append(until)
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        return self._rows(
            "SELECT al.watch_id, w.kind AS watch_kind, w.value AS watch_value, w.label AS watch_label,"
            f" al.created_at, {_MEMBER_COLUMNS} FROM alerts al JOIN watchlist w ON w.id = al.watch_id"
            " JOIN articles a ON a.id = al.article_id LEFT JOIN search_docs d ON d.article_id = a.id"
            f" LEFT JOIN search_fts f ON f.rowid = d.docid{where}"
            " ORDER BY a.published_at DESC, a.id DESC, al.watch_id LIMIT ?",
            (*params, limit),
        )

    # -- the title terms' one-time backfill ------------------------------------------------------------------

    def title_terms_pending(self) -> bool:
        row = self.execute("SELECT pending FROM search_title_terms_backfill").fetchone()
        return bool(row and row[0])

    def backfill_title_terms(self) -> int | None:
        """Write the title terms of a database indexed before migration 421, once, in its own transaction
        (see the function ``backfill_title_terms``); the titles read, or None when there was nothing to do."""
        if not self.title_terms_pending():
            return None
        with self.store.transaction() as conn:
            return backfill_title_terms(conn, self.dialect)


# -- the per-day counts' writers (the search indexer calls these; see dragoman.store.schema.front) ----------


def write_title_terms(conn: Any, article_id: int, docid: int, translated: bool, title_en: str | None) -> None:
    """The surge terms of one freshly indexed article's English title; the triggers of migration 421 add them
    to the day counts. The indexer deletes an article's rows (these included) before it re-indexes it."""
    if not translated or not title_en:
        return
    conn.executemany(
        "INSERT INTO search_title_terms (article_id, docid, term) VALUES (?,?,?) ON CONFLICT DO NOTHING",
        [(article_id, docid, term) for term in sorted(title_terms(title_en))],
    )


BACKFILL_BATCH = 20_000
_TERM_DAY_COUNTS = (
    "INSERT INTO search_day_counts (kind, key, day, articles) SELECT 'term', term, (docid >> 22) / 86400, count(*)"
    " FROM search_title_terms WHERE docid >= 4194304 GROUP BY term, (docid >> 22) / 86400"
)


def backfill_title_terms(conn: Any, dialect: str = "sqlite") -> int | None:
    """Write the title terms of the articles indexed before migration 421, once (the flag it set says so);
    returns the titles read, or None when there was nothing to do. Run inside the caller's transaction.

    A million titles make about ten million rows: on SQLite they go in (in primary-key order) with the counting
    trigger and the two secondary indexes set aside (dropped and re-created from their own stored SQL, inside
    the transaction), on PostgreSQL with the trigger disabled; the term day counts are then recounted in one
    GROUP BY, several times cheaper than ten million single-row upserts and random index inserts."""
    pending = conn.execute("SELECT pending FROM search_title_terms_backfill").fetchone()
    if pending is None or not pending[0]:
        return None
    set_aside: list[str] = []
    if dialect == "sqlite":
        for kind, name in (
            ("trigger", "search_day_terms_in"),
            ("index", "search_title_terms_term"),
            ("index", "search_title_terms_article"),
        ):
            row = conn.execute("SELECT sql FROM sqlite_master WHERE type = ? AND name = ?", (kind, name)).fetchone()
            if row is not None:
                set_aside.append(str(row[0]))
                conn.execute(f"DROP {kind.upper()} {name}")
    else:
        conn.execute("ALTER TABLE search_title_terms DISABLE TRIGGER search_day_terms")
    done = 0
    last = -1
    while True:  # in docid batches: a million titles are never all in memory
        rows = conn.execute(
            "SELECT d.docid, d.article_id, f.title_en FROM search_docs d JOIN search_fts f ON f.rowid = d.docid"
            " WHERE d.docid > ? AND d.translation_model IS NOT NULL ORDER BY d.docid LIMIT ?",
            (last, BACKFILL_BATCH),
        ).fetchall()
        if not rows:
            break
        last = int(rows[-1][0])
        done += len(rows)
        conn.executemany(
            "INSERT INTO search_title_terms (article_id, docid, term) VALUES (?,?,?) ON CONFLICT DO NOTHING",
            [(int(r[1]), int(r[0]), term) for r in rows if r[2] for term in sorted(title_terms(str(r[2])))],
        )
    conn.execute("DELETE FROM search_day_counts WHERE kind = 'term'")
    conn.execute(_TERM_DAY_COUNTS)
    if dialect == "sqlite":
        for sql in set_aside:
            conn.execute(sql)
    else:
        conn.execute("ALTER TABLE search_title_terms ENABLE TRIGGER search_day_terms")
    conn.execute("UPDATE search_title_terms_backfill SET pending = 0")
    return done
