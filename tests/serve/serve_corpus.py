"""A real SQLite corpus for the serve tests, built from real news text.

The corpus is WMT newstest2019 Russian news with its human English reference: consecutive sentences become
articles, the reference becomes a sentence-aligned Translation (so the alignment is real), and articles that
mention Putin get an analysis record in the analyze stage's format, with mention offsets computed on the
real sentence text.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dragoman.article import Article, Block, BlockKind, SentencePair, TranslatedSegment, Translation
from dragoman.store import open_store

OUTLETS = [("iz.ru", "Известия", "Мир"), ("ria.ru", "РИА Новости", "Политика"),
           ("kommersant.ru", "Коммерсантъ", "Экономика")]  # fmt: skip
RUBRICS_EN = {"Мир": "World", "Политика": "Politics", "Экономика": "Economy"}
PUTIN = re.compile(r"Путин\w*")
SENTENCES_PER_ARTICLE = 7
MODEL_ID = "wmt-newstest2019-reference"


@dataclass
class Corpus:
    db: Path | str  # a SQLite file or a postgresql:// URL
    ids: list[int] = field(default_factory=list)
    putin_ids: list[int] = field(default_factory=list)  # analyzed, quote by Putin
    unnamed_ids: list[int] = field(default_factory=list)  # analyzed, quote by an unnamed source
    flagged_id: int = 0
    untranslated_id: int = 0
    articles: dict[int, Article] = field(default_factory=dict)


def read_pairs(data_dir: Path, limit: int) -> list[tuple[str, str]]:
    base = data_dir / "wmt_ru_en"
    ru = (base / "newstest2019.ru-en.ru").read_text(encoding="utf-8").splitlines()
    en = (base / "newstest2019.ru-en.en").read_text(encoding="utf-8").splitlines()
    assert len(ru) == len(en) >= limit, "newstest2019 ru-en is missing or not line-aligned"
    return [(r.strip(), e.strip()) for r, e in zip(ru[:limit], en[:limit], strict=True)]


def translation_of(chunk: list[tuple[str, str]], flagged: bool = False) -> Translation:
    title_pair, body = chunk[0], chunk[1:]
    blocks = [body[i : i + 2] for i in range(0, len(body), 2)]
    return Translation(
        engine="reference",
        model_id=MODEL_ID,
        translated_at=datetime(2022, 2, 1, tzinfo=UTC),
        title=TranslatedSegment("title", 0, [SentencePair(*title_pair)]),
        blocks=[
            TranslatedSegment(
                "block",
                i,
                [SentencePair(r, e, ["length_ratio"] if flagged and j == 0 else []) for j, (r, e) in enumerate(b)],
            )
            for i, b in enumerate(blocks)
        ],
    )


def article_of(chunk: list[tuple[str, str]], n: int) -> Article:
    outlet, outlet_name, rubric = OUTLETS[n % len(OUTLETS)]
    body = chunk[1:]
    blocks = [body[i : i + 2] for i in range(0, len(body), 2)]
    start = datetime(2022, 1, 1, 6, 30, tzinfo=UTC)
    return Article(
        url=f"https://{outlet}/news/{1000 + n}",
        title=chunk[0][0],
        blocks=[Block(BlockKind.PARAGRAPH, " ".join(r for r, _ in b)) for b in blocks],
        outlet=outlet,
        outlet_name=outlet_name,
        rubric=rubric,
        published_at=start + timedelta(days=n % 24, hours=n % 5),
        timezone="Europe/Moscow",
        authors=["Екатерина Постникова"] if n % 2 == 0 else [],
        fetched_at=start + timedelta(days=30),
        extractor_version="test-corpus/1",
    )


def article_chunks(data_dir: Path, count: int) -> list[list[tuple[str, str]]]:
    pairs = read_pairs(data_dir, 200 * SENTENCES_PER_ARTICLE)
    chunks = [pairs[i : i + SENTENCES_PER_ARTICLE] for i in range(0, len(pairs), SENTENCES_PER_ARTICLE)]
    chunks.sort(key=lambda c: not any(PUTIN.search(r) for r, _ in c))  # articles about Putin first
    return chunks[:count]


def build_corpus(db: Path | str, data_dir: Path, n_articles: int = 30) -> Corpus:
    corpus = Corpus(db)
    store = open_store(db)
    for n, chunk in enumerate(article_chunks(data_dir, n_articles)):
        article = article_of(chunk, n)
        result = store.ingest(article)
        corpus.ids.append(result.article_id)
        corpus.articles[result.article_id] = article
        if n == n_articles - 1:
            corpus.untranslated_id = result.article_id  # one Russian article stays untranslated
            continue
        translation = translation_of(chunk, flagged=n == 3)
        translation.rubric = RUBRICS_EN[article.rubric or ""]
        store.save_translation(result.revision_id, translation)
        article.translation = translation
        if n == 3:
            corpus.flagged_id = result.article_id
        analysis = analysis_for(chunk, article, unnamed=n % 3 == 1)
        if analysis is not None:
            store.save_analysis(result.revision_id, analysis, "test-analysis/1")
            article.analysis = analysis
            (corpus.unnamed_ids if n % 3 == 1 else corpus.putin_ids).append(result.article_id)
    store.close()
    return corpus


def analysis_for(sentences: list[tuple[str, str]], article: Article, *, unnamed: bool) -> dict[str, Any] | None:
    """An analysis record shaped like the analyze stage's, for articles that mention Putin."""
    mentions = []
    for i, (ru, _en) in enumerate(sentences):
        text = " ".join(ru.split())
        mentions.extend(
            {"entity": "Q7747", "type": "PER", "text": m.group(), "normal": "Путин", "sentence": i,
             "start": m.start(), "stop": m.end(), "source": "registry", "kind": "name"}
            for m in PUTIN.finditer(text)
        )  # fmt: skip
    if not mentions:
        return None
    first = mentions[0]["sentence"]
    ru, en = sentences[first]
    day = article.published_at.date().isoformat() if article.published_at else None
    entities = [
        {"key": "Q7747", "name": "Vladimir Putin", "type": "PER", "ru": "Владимир Путин", "wikidata": "Q7747",
         "country": "Russia", "mentions": len(mentions)},
        {"key": "ORG:нато", "name": "NATO", "type": "ORG", "ru": "НАТО", "mentions": 1},
    ]  # fmt: skip
    quote = {
        "speaker": "источник" if unnamed else "Путин",
        "speaker_entity": None if unnamed else "Q7747",
        "verb": "сообщил" if unnamed else "заявил",
        "text": " ".join(ru.split()),
        "text_en": en,
        "sentence": first,
        "kind": "indirect",
        "unnamed": unnamed,
        "source_type": "informed_source" if unnamed else None,
        "unnamed_source": "informed_source" if unnamed else None,
    }
    event = {
        "type": "MEET",
        "actor": {"entity": "Q7747", "name": "Vladimir Putin", "state": "Russia"},
        "target": {"entity": "ORG:нато", "name": "NATO", "state": None},
        "date": {"value": day, "begin": day, "precision": "day"},
        "status": "happened",
        "evidence": {"ru": ru, "en": en},
        "sentence": first,
    }
    return {
        "analyzer_version": "test-analysis/1",
        "entities": entities,
        "mentions": mentions,
        "quotes": [quote],
        "events": [event],
        "unnamed_sources": int(unnamed),
    }


TOKEN = "test-token-5b1f"


def asgi_client_class() -> Any:
    """Starlette's TestClient; its import warns that it prefers the httpx2 package, which we do not use."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from fastapi.testclient import TestClient
    return TestClient


def on_postgres(corpus: Corpus) -> bool:
    return str(corpus.db).startswith(("postgresql://", "postgres://"))
