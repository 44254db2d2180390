"""Store throughput: ingest (new and unchanged articles), save_translation and iter_articles, on SQLite and
PostgreSQL, for three ways of writing the store's SQL (issue 12):

- ``before``: the code of a given checkout (``--before SRC``, e.g. a ``git worktree`` of the commit this branch
  left from): SQLite SQL, regex-rewritten for PostgreSQL at run time;
- ``dialect``: this checkout: SQL written once in the subset both databases accept, ``?`` placeholders;
- ``sqlalchemy``: a prototype of the same ingest / save / read path in SQLAlchemy Core (``Table`` objects,
  each dialect's ``insert().on_conflict_do_nothing``), over the schema this checkout creates.

Each variant runs in a process of its own (the same corpus, a fresh database), so one run gives the ratios.
PostgreSQL runs when ``--postgres URL`` (a server's maintenance database) or DRAGOMAN_TEST_POSTGRES is given.

    PYTHONPATH=src python bench/store_speed.py --articles 2000 --before /tmp/before-store/src
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dragoman.article import Article, Block, BlockKind, SentencePair, TranslatedSegment, Translation

OPS = ("ingest_new", "ingest_unchanged", "save_translation", "iter_articles")


def corpus(n: int) -> Iterator[Article]:
    for i in range(n):
        yield Article(
            url=f"https://iz.ru/news/{i}",
            title=f"Заголовок статьи номер {i}",
            lead="Вводка статьи о переговорах.",
            blocks=[Block(BlockKind.PARAGRAPH, f"Абзац {j} статьи {i}: переговоры в Москве.") for j in range(8)],
            outlet="iz.ru" if i % 2 else "tass.ru",
            published_at=datetime(2022, 1, 1 + i % 28, 12, tzinfo=UTC),
            extractor_version="bench/1",
        )


def translation_of(article: Article) -> Translation:
    def segment(role: str, index: int, text: str) -> TranslatedSegment:
        return TranslatedSegment(role, index, [SentencePair(text, f"EN {text}")])

    return Translation(
        engine="bench",
        model_id="bench/1",
        translated_at=datetime(2022, 2, 1, tzinfo=UTC),
        title=segment("title", 0, article.title),
        blocks=[segment("block", i, b.text) for i, b in enumerate(article.blocks)],
        lead=segment("lead", 0, article.lead or ""),
    )


# -- the SQLAlchemy Core prototype (ingest, save_translation, iter_articles) -------------------------------


class SQLAlchemyStore:
    """Just enough of the store in SQLAlchemy Core to time the same path; the schema is the checkout's."""

    def __init__(self, url: str) -> None:
        import sqlalchemy as sa

        self.sa = sa
        if url.startswith("postgres"):
            from sqlalchemy.dialects.postgresql import insert

            self.engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        else:
            from sqlalchemy.dialects.sqlite import insert

            self.engine = sa.create_engine(f"sqlite:///{url}")

            @sa.event.listens_for(self.engine, "connect")
            def _pragmas(dbapi: Any, _record: Any) -> None:
                dbapi.isolation_level = None
                dbapi.execute("PRAGMA busy_timeout = 30000")
                dbapi.execute("PRAGMA foreign_keys = ON")
                dbapi.execute("PRAGMA synchronous = NORMAL")  # as the store sets it

            @sa.event.listens_for(self.engine, "begin")
            def _begin(conn: Any) -> None:
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        self.insert = insert
        self.postgres = url.startswith("postgres")
        meta = sa.MetaData()
        text, big = sa.Text, sa.BigInteger
        self.articles = sa.Table(
            "articles", meta, sa.Column("id", big, primary_key=True), sa.Column("key_url", text),
            sa.Column("url", text), sa.Column("outlet", text), sa.Column("language", text), sa.Column("title", text),
            sa.Column("rubric", text), sa.Column("published_at", text), sa.Column("first_seen_at", text),
            sa.Column("updated_at", text), sa.Column("current_revision_id", big), sa.Column("revision_count", big),
        )  # fmt: skip
        self.revisions = sa.Table(
            "revisions", meta, sa.Column("id", big, primary_key=True), sa.Column("article_id", big),
            sa.Column("revision", big), sa.Column("content_sha256", text), sa.Column("raw_sha256", text),
            sa.Column("fetched_at", text), sa.Column("stored_at", text), sa.Column("extractor_version", text),
            sa.Column("source_url", text), sa.Column("record", text), sa.Column("origin", text),
        )  # fmt: skip
        self.translations = sa.Table(
            "translations", meta, sa.Column("id", big, primary_key=True), sa.Column("revision_id", big),
            sa.Column("engine", text), sa.Column("model_id", text), sa.Column("translated_at", text),
            sa.Column("flag_count", big), sa.Column("record", text),
        )  # fmt: skip
        self.analyses = sa.Table(
            "analyses", meta, sa.Column("id", big, primary_key=True), sa.Column("revision_id", big),
            sa.Column("analyzer_version", text), sa.Column("analyzed_at", text), sa.Column("record", text),
        )  # fmt: skip

    def ingest(self, article: Article) -> tuple[str, int]:
        sa, a, r = self.sa, self.articles, self.revisions
        if not article.content_sha256:
            article.content_sha256 = article.compute_content_hash()
        now = datetime.now(UTC).isoformat()
        published = article.published_at.astimezone(UTC).isoformat() if article.published_at else None
        record = article.to_json()

        def revision_row(article_id: int, number: int) -> dict[str, Any]:
            return {
                "article_id": article_id, "revision": number, "content_sha256": article.content_sha256,
                "raw_sha256": article.raw_sha256, "fetched_at": None, "stored_at": now,
                "extractor_version": article.extractor_version, "source_url": article.url, "record": record,
                "origin": "acquired",
            }  # fmt: skip

        with self.engine.begin() as conn:
            values = {
                "key_url": article.key_url, "url": article.url, "outlet": article.outlet,
                "language": article.language, "title": article.title, "rubric": article.rubric,
                "published_at": published, "first_seen_at": now, "updated_at": now, "revision_count": 1,
            }  # fmt: skip
            claim = self.insert(a).values(**values).on_conflict_do_nothing(index_elements=["key_url"]).returning(a.c.id)
            claimed = conn.execute(claim).first()
            if claimed is not None:
                revision_id = conn.execute(sa.insert(r).values(**revision_row(claimed[0], 1)).returning(r.c.id)).one()[
                    0
                ]
                conn.execute(sa.update(a).where(a.c.id == claimed[0]).values(current_revision_id=revision_id))
                return "stored", revision_id
            lock = sa.select(a.c.id, a.c.revision_count).where(a.c.key_url == article.key_url)
            row = conn.execute(lock.with_for_update() if self.postgres else lock).one()
            same = conn.execute(
                sa.select(r.c.id, r.c.revision).where(
                    r.c.article_id == row[0], r.c.content_sha256 == article.content_sha256
                )
            ).first()
            if same is not None:
                return "unchanged", same[0]
            number = row[1] + 1
            revision_id = conn.execute(sa.insert(r).values(**revision_row(row[0], number)).returning(r.c.id)).one()[0]
            conn.execute(
                sa.update(a).where(a.c.id == row[0]).values(current_revision_id=revision_id, revision_count=number)
            )
            return "revised", revision_id

    def save_translation(self, revision_id: int, translation: Translation) -> None:
        t = self.translations
        statement = self.insert(t).values(
            revision_id=revision_id, engine=translation.engine, model_id=translation.model_id,
            translated_at=translation.translated_at.isoformat(), flag_count=0,
            record=json.dumps(translation.to_dict(), ensure_ascii=False),
        )  # fmt: skip
        statement = statement.on_conflict_do_update(
            index_elements=["revision_id", "model_id"],
            set_={c: statement.excluded[c] for c in ("engine", "translated_at", "flag_count", "record")},
        )
        with self.engine.begin() as conn:
            conn.execute(statement)

    def iter_articles(self, batch_size: int = 500) -> Iterator[Article]:
        sa, a, r, t, x = self.sa, self.articles, self.revisions, self.translations, self.analyses
        latest_translation = (
            sa.select(t.c.record).where(t.c.revision_id == r.c.id).order_by(t.c.translated_at.desc()).limit(1)
        ).scalar_subquery()
        latest_analysis = (
            sa.select(x.c.record).where(x.c.revision_id == r.c.id).order_by(x.c.analyzed_at.desc()).limit(1)
        ).scalar_subquery()
        query = sa.select(
            a.c.id, r.c.id, r.c.revision, r.c.record, r.c.stored_at, a.c.revision_count, r.c.origin,
            latest_translation.label("translation"), latest_analysis.label("analysis"),
        ).join_from(a, r, r.c.id == a.c.current_revision_id)  # fmt: skip
        last = 0
        with self.engine.connect() as conn:
            while True:
                rows = conn.execute(query.where(a.c.id > last).order_by(a.c.id).limit(batch_size)).all()
                if not rows:
                    return
                for row in rows:
                    article = Article.from_json(row.record)
                    if row.translation is not None:
                        article.translation = Translation.from_dict(json.loads(row.translation))
                    yield article
                last = rows[-1][0]
                conn.commit()

    def close(self) -> None:
        self.engine.dispose()


# -- one variant, in this process ---------------------------------------------------------------------------


def timed(work: Callable[[], int]) -> tuple[float, int]:
    start = time.perf_counter()
    count = work()
    return time.perf_counter() - start, count


def run_variant(variant: str, url: str, n: int) -> dict[str, float]:
    from dragoman.store import open_store

    articles = list(corpus(n))
    translations = [translation_of(a) for a in articles]
    store = open_store(url)  # creates and migrates the database (the checkout's own schema)
    if variant == "sqlalchemy":
        store.close()
        store = SQLAlchemyStore(url)
    rates: dict[str, float] = {}
    revision_ids: list[int] = []

    def ingest_new() -> int:
        for a in articles:
            result = store.ingest(a)
            revision_ids.append(result[1] if isinstance(result, tuple) else result.revision_id)
        return len(articles)

    def ingest_unchanged() -> int:
        for a in articles:
            store.ingest(a)
        return len(articles)

    def save() -> int:
        for revision_id, translation in zip(revision_ids, translations, strict=True):
            store.save_translation(revision_id, translation)
        return len(articles)

    def read() -> int:
        return sum(1 for _ in store.iter_articles())

    for name, work in zip(OPS, (ingest_new, ingest_unchanged, save, read), strict=True):
        seconds, count = timed(work)
        assert count == n, (name, count)
        rates[name] = count / seconds
    store.close()
    return rates


# -- the driver: every variant on every database, ratios against ``before`` --------------------------------


def fresh_database(kind: str, postgres: str | None, tmp: Path) -> tuple[str, Callable[[], None]]:
    if kind == "sqlite":
        path = tmp / f"{uuid.uuid4().hex[:8]}.db"
        return str(path), lambda: None
    import psycopg

    assert postgres is not None
    name = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(postgres, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"{postgres.rsplit('/', 1)[0]}/{name}", drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--before", type=Path, help="src/ of the checkout to compare against")
    parser.add_argument("--postgres", default=os.environ.get("DRAGOMAN_TEST_POSTGRES"))
    parser.add_argument("--repeat", type=int, default=1, help="runs per variant (the best is kept)")
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:  # a child: one variant, one database
        print(json.dumps(run_variant(args.variant, args.url, args.articles)))
        return
    this_src = Path(__file__).resolve().parents[1] / "src"
    variants = [("dialect", this_src)]
    if args.before:
        variants.insert(0, ("before", args.before.resolve()))
    try:
        import sqlalchemy  # noqa: F401

        variants.append(("sqlalchemy", this_src))
    except ModuleNotFoundError:
        print("sqlalchemy is not installed: its prototype is left out")
    kinds = ["sqlite"] + (["postgres"] if args.postgres else [])
    print(f"{args.articles} articles (8 paragraphs each), best of {args.repeat}; rates in articles/s")
    for kind in kinds:
        # Variants take turns within each repeat, so a burst of load on the shared machine falls on all alike.
        results: dict[str, dict[str, float]] = {variant: {} for variant, _ in variants}
        for _ in range(args.repeat):
            for variant, src in variants:
                with tempfile.TemporaryDirectory() as tmp:
                    url, drop = fresh_database(kind, args.postgres, Path(tmp))
                    try:
                        env = {**os.environ, "PYTHONPATH": str(src), "OPENBLAS_NUM_THREADS": "1"}
                        command = [sys.executable, __file__, "--variant", variant, "--url", url]
                        out = subprocess.run(
                            [*command, "--articles", str(args.articles)],
                            env=env, capture_output=True, text=True, check=True,
                        )  # fmt: skip
                    finally:
                        drop()
                rates = json.loads(out.stdout.strip().splitlines()[-1])
                best = results[variant]
                results[variant] = {op: max(best.get(op, 0.0), rates[op]) for op in OPS}
        base = results.get("before", results["dialect"])
        print(f"\n{kind}")
        print(f"  {'variant':<11}" + "".join(f"{op:>22}" for op in OPS))
        for variant, rates in results.items():
            cells = "".join(f"{rates[op]:>12.0f} ({rates[op] / base[op]:>5.2f}x)" for op in OPS)
            print(f"  {variant:<11}{cells}")


if __name__ == "__main__":
    main()
