"""translate_store end to end on a real SQLite store with a real (random-weight) CTranslate2 model."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from dragoman.article import Article, Block, BlockKind
from dragoman.errors import ModelNotInstalled
from dragoman.pipeline.translate import translate_store
from dragoman.settings import Settings
from dragoman.translate import create_engine
from dragoman.translate.engine import BatchOutput, Engine
from dragoman.translate.segment import split_sentences


def wmt_articles(data_dir: Path, count: int, *, outlet_url: str = "https://iz.ru") -> list[Article]:
    """Real Russian news documents from WMT general test 2022 (news domain), one article per doc id."""
    docs: dict[str, list[str]] = {}
    path = data_dir / "wmt_ru_en" / "generaltest2022.ru-en.docs.jsonl"
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row.get("domain") == "news":
            docs.setdefault(row["docid"], []).append(row["src"])
    articles = []
    for i, (docid, segments) in enumerate(sorted(docs.items())[:count]):
        body = segments[1:] or ["Текст статьи."]
        blocks = [Block(BlockKind.PARAGRAPH, " ".join(body[j : j + 2])) for j in range(0, len(body), 2)]
        if len(blocks) > 2:
            blocks[1] = Block(BlockKind.SUBHEADING, blocks[1].text)
        articles.append(
            Article(
                url=f"{outlet_url}/{i}/{docid}",
                title=segments[0],
                lead="Москва не будет восстанавливать дипмиссию при НАТО, сообщил Сергей Рябков.",
                blocks=blocks,
                outlet="iz.ru",
                rubric="Мир",
                authors=["Екатерина Постникова", "Татьяна Байкова"],
                published_at=datetime(2022, 1, 26, tzinfo=UTC),
            )
        )
    return articles


class CountingEngine:
    """Passes batches to a real engine; counts the sentences it was asked for; can crash after N batches."""

    def __init__(self, inner: Engine, crash_after: int | None = None) -> None:
        self.inner = inner
        self.name = inner.name
        self.model_id = inner.model_id
        self.parallelism = 1
        self.sentences: list[str] = []
        self.crash_after = crash_after

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.inner.count_tokens(texts)

    def translate_batch(self, texts: Sequence[str]) -> BatchOutput:
        if self.crash_after is not None and len(self.sentences) >= self.crash_after:
            raise KeyboardInterrupt  # the process dies mid-run
        self.sentences.extend(texts)
        return self.inner.translate_batch(texts)

    def close(self) -> None:
        self.inner.close()


def test_translate_store_fills_the_translation_record(installed_store: Settings, data_dir: Path, open_db: Any) -> None:
    store = open_db(installed_store.db)
    articles = wmt_articles(data_dir, 6)
    for article in articles:
        store.ingest(article)
    progress_calls: list[tuple[int, int]] = []
    report = translate_store(store, installed_store, progress=lambda a, s: progress_calls.append((a, s)))
    assert report.articles == 6 and report.total_failed == 0
    assert progress_calls and progress_calls[-1][0] == 6
    assert report.engine == "ctranslate2" and report.model_id.startswith("tiny-opus@")
    assert report.tokens_per_second > 0 and report.target_tokens > 0
    for stored_article in store.iter_articles():
        article = stored_article.article
        tr = article.translation
        assert tr is not None
        assert tr.engine == "ctranslate2" and tr.model_id == report.model_id
        assert tr.rubric == "World"  # from the outlet table, never from the model
        assert tr.authors == ["Ekaterina Postnikova", "Tatyana Baykova"]
        assert tr.outlet_name == "Izvestia"
        assert tr.source_sha256 == article.content_sha256
        # Block by block, sentence by sentence, each English sentence beside its Russian source.
        assert [s.source for s in tr.title.sentences] == split_sentences(article.title)
        assert tr.lead is not None and [s.source for s in tr.lead.sentences] == split_sentences(article.lead or "")
        assert [b.index for b in tr.blocks] == list(range(len(article.blocks)))
        for block, segment in zip(article.blocks, tr.blocks, strict=True):
            assert [s.source for s in segment.sentences] == split_sentences(block.text)
            assert all(s.target for s in segment.sentences)
    # Random weights make nonsense, and the checks say so.
    assert report.flags["cyrillic"] + report.flags["repetition"] + report.flags["length_ratio"] > 0
    flag_count = store.connection.execute("SELECT sum(flag_count) FROM translations").fetchone()[0]
    assert flag_count == sum(report.flags.values())


def test_repeated_sentences_are_translated_once_and_memory_persists(
    installed_store: Settings, data_dir: Path, open_db: Any
) -> None:
    store = open_db(installed_store.db)
    articles = wmt_articles(data_dir, 4)
    for article in articles:
        store.ingest(article)
    engine = CountingEngine(create_engine("ctranslate2", installed_store))
    first = translate_store(store, installed_store, engine=engine)
    # The same lead in every article: sent once.
    sent = engine.sentences
    assert len(sent) == len(set(sent))
    assert sum("Рябков" in s or "Ryabkov" in s for s in sent) == 1
    assert first.memory_hits == first.sentences - first.engine_sentences >= 3
    rows = store.connection.execute("SELECT count(*) FROM translation_memory").fetchone()[0]
    assert rows == first.engine_sentences
    # A second copy of an article at another URL (wire copy): nothing new for the engine.
    copy = wmt_articles(data_dir, 1, outlet_url="https://lenta.ru")[0]
    store.ingest(copy)
    engine.sentences.clear()
    second = translate_store(store, installed_store, engine=engine)
    assert second.articles == 1
    assert engine.sentences == []
    assert second.hit_rate == 1.0
    # --all --no-memory: everything goes to the engine again (after a glossary change, say).
    third = translate_store(store, installed_store, engine=engine, only_missing=False, use_memory=False)
    assert third.articles == 5 and third.memory_hits == third.sentences - third.engine_sentences
    assert len(engine.sentences) == third.engine_sentences == first.engine_sentences


def test_crash_mid_run_resumes_without_retranslating(installed_store: Settings, data_dir: Path, open_db: Any) -> None:
    store = open_db(installed_store.db)
    for article in wmt_articles(data_dir, 12):
        store.ingest(article)
    # Groups of ~60 sentences in batches of ~8: the crash comes in the middle of the second group.
    options = {"group_sentences": 60, "batch_tokens": 300}
    crashing = CountingEngine(create_engine("ctranslate2", installed_store), crash_after=100)
    with pytest.raises(KeyboardInterrupt):
        translate_store(store, installed_store, engine=crashing, **options)
    done_before = {
        row[0]: row[1] for row in store.connection.execute("SELECT revision_id, translated_at FROM translations")
    }
    assert 0 < len(done_before) < 12
    resumed = CountingEngine(create_engine("ctranslate2", installed_store))
    report = translate_store(store, installed_store, engine=resumed, **options)
    assert report.articles == 12 - len(done_before)
    done_after = {
        row[0]: row[1] for row in store.connection.execute("SELECT revision_id, translated_at FROM translations")
    }
    assert len(done_after) == 12
    assert all(done_after[rev] == stamp for rev, stamp in done_before.items())  # finished ones untouched
    # Nothing translated twice: even the sentences of the interrupted group came back from the memory.
    assert not set(resumed.sentences) & set(crashing.sentences)
    assert report.memory_hits > 0


def test_filters_by_outlet_and_date(installed_store: Settings, data_dir: Path, open_db: Any) -> None:
    store = open_db(installed_store.db)
    iz, lenta = wmt_articles(data_dir, 2)
    lenta.url, lenta.outlet = "https://lenta.ru/news/1", "lenta.ru"
    lenta.published_at = datetime(2020, 5, 1, tzinfo=UTC)
    store.ingest(iz)
    store.ingest(lenta)
    report = translate_store(store, installed_store, outlets=["lenta.ru"])
    assert report.articles == 1
    assert store.get("https://lenta.ru/news/1").article.translation is not None
    assert store.get(iz.url).article.translation is None
    report = translate_store(store, installed_store, since=datetime(2021, 1, 1, tzinfo=UTC))
    assert report.articles == 1 and store.get(iz.url).article.translation is not None


def test_over_long_sentence_is_split_and_rejoined(installed: Settings, russian_news: list[str]) -> None:
    from dragoman.translate.stage import ArticleTranslator

    engine = CountingEngine(create_engine("ctranslate2", installed))
    long_sentence = ", ".join(russian_news[i].rstrip(".") for i in range(8)) + "."
    article = Article(url="https://iz.ru/long", title="Заголовок", blocks=[Block(BlockKind.PARAGRAPH, long_sentence)])
    translator = ArticleTranslator(engine, max_sentence_tokens=60)
    translation = translator.translate(article)
    assert len(translation.blocks[0].sentences) == 1  # still one sentence pair
    pair = translation.blocks[0].sentences[0]
    assert pair.source == long_sentence and pair.target
    pieces = [s for s in engine.sentences if s != "Заголовок"]
    assert len(pieces) >= 3
    assert all(c <= 60 for c in engine.count_tokens(pieces))


def test_no_model_installed_says_how_to_install(store_settings: Settings, data_dir: Path, open_db: Any) -> None:
    store = open_db(store_settings.db)
    store.ingest(wmt_articles(data_dir, 1)[0])
    with pytest.raises(ModelNotInstalled, match="dragoman models install"):
        translate_store(store, store_settings)
    assert store.count() == 1  # ingest and the store still work
