"""The translate stage over the store: pick the stored articles to translate, pool their sentences into groups
for the engine (``translate.ArticleTranslator``, pure work on records), save each translation as its group is
done.

An interrupted run resumes where it stopped (``only_missing``) and the memory keeps the sentences already
translated; one article's failure is counted and listed, and the run goes on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from dragoman.article import Article
from dragoman.errors import DragomanError, StoreError
from dragoman.names.glossary import Glossary
from dragoman.store import ArticleFilter
from dragoman.translate.batching import DEFAULT_BATCH_TOKENS
from dragoman.translate.engine import Engine, create_engine
from dragoman.translate.memory import TranslationMemory
from dragoman.translate.stage import ArticleTranslator, TranslateReport

DEFAULT_GROUP_SENTENCES = 2000  # sentences pooled per group before its articles are saved

ProgressCallback = Callable[[int, int], None]  # (articles finished, sentences finished), cumulative


def translate_store(
    store: Any,
    settings: Any,
    *,
    model: str | None = None,
    engine: str | Engine = "ctranslate2",
    only_missing: bool = True,
    since: datetime | None = None,
    outlets: Sequence[str] | None = None,
    progress: ProgressCallback | None = None,
    device: str | None = None,
    beam_size: int | None = None,
    batch_tokens: int = DEFAULT_BATCH_TOKENS,
    group_sentences: int = DEFAULT_GROUP_SENTENCES,
    glossary: Glossary | None = None,
    limit: int | None = None,
    use_memory: bool = True,
) -> TranslateReport:
    """Translate the store's articles (by default those this model has not translated yet).

    Raises ModelNotInstalled (one line, with the install command) when no model is available, and
    TranslateError when the engine fails on everything (e.g. the endpoint is down).
    """
    from dragoman.store.stories import processed_story_member, story_id_of

    started = time.perf_counter()
    if isinstance(engine, str):
        options: dict[str, Any] = {}
        if device is not None:
            options["device"] = device
        if beam_size is not None:
            options["beam_size"] = beam_size
        engine_instance = create_engine(engine, settings, model=model, **options)
        owns_engine = True
    else:
        engine_instance, owns_engine = engine, False
    try:
        memory = TranslationMemory(store, engine_instance.model_id)
        translator = ArticleTranslator(
            engine_instance, memory=memory, glossary=glossary, batch_tokens=batch_tokens, read_memory=use_memory
        )
        where = ArticleFilter(
            outlets=list(outlets) if outlets else None,
            since=since,
            without_translation_by=engine_instance.model_id if only_missing else None,
            limit=limit,
        )
        group: list[Any] = []
        group_size = 0
        texts_in_run: set[tuple[int, str]] = set()

        def unreadable(article_id: int, exc: StoreError) -> None:
            # A record stored before records were checked fails alone; the batch goes on.
            translator.report.record_failure(exc.reason, source=f"article {article_id}", message=exc.message)

        for stored in store.iter_articles(where, on_unreadable=unreadable):
            if stored.article.language == "en":
                # Published in English (an outlet's English site, an imported English document): nothing to
                # translate, and a Russian-to-English model would only garble it.
                translator.report.record_skip("english")
                continue
            # A copy of a story with the same text as a member translated already, or queued in this run, is
            # not translated again: that member's translation is this text's. Rewrites are translated, the
            # translation memory serving the sentences they share with the story.
            story_id = story_id_of(store, stored.id)
            if story_id is not None:
                text_key = (story_id, stored.article.content_sha256)
                if text_key in texts_in_run or processed_story_member(
                    store, stored.id, translated_by=engine_instance.model_id
                ):
                    translator.report.record_skip("story_copy")
                    continue
                texts_in_run.add(text_key)
            group.append(stored)
            group_size += _sentence_estimate(stored.article)
            if group_size >= group_sentences:
                _run_group(store, translator, group, progress)
                group, group_size = [], 0
        if group:
            _run_group(store, translator, group, progress)
        report = translator.report
    finally:
        if owns_engine:
            engine_instance.close()
    report.elapsed = time.perf_counter() - started
    return report


def _sentence_estimate(article: Article) -> int:
    text = " ".join([article.title, article.lead or "", *(b.text for b in article.blocks)])
    return max(1, text.count(". ") + text.count("! ") + text.count("? ") + 1 + len(article.blocks))


def _run_group(store: Any, translator: ArticleTranslator, group: list[Any], progress: ProgressCallback | None) -> None:
    report = translator.report
    results = translator.translate_group([stored.article for stored in group])
    errors = [r for r in results if isinstance(r, Exception)]
    if (
        group
        and len(errors) == len(group)
        and report.engine_sentences
        and all(getattr(e, "reason", "") == "endpoint" for e in errors)
    ):
        raise errors[0]  # the endpoint is down: every article would fail alike
    for stored, result in zip(group, results, strict=True):
        try:
            if isinstance(result, DragomanError):
                raise result
            store.save_translation(stored.revision_id, result)
        except DragomanError as exc:
            # One article's failure is counted and reported; the run goes on.
            report.record_failure(exc.reason, source=stored.article.url or f"article {stored.id}", message=str(exc))
            continue
        report.outcomes["stored"] += 1
    if progress is not None:
        progress(report.articles + report.total_failed, report.sentences)
