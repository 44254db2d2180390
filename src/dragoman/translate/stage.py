"""The translate stage: stored Russian articles in, sentence-aligned English ``Translation`` records out.

Sentences of many articles are pooled so the engine sees full, length-sorted batches; repeated sentences
come from the translation memory; glossary names are protected; every English sentence is checked and
flagged. Each article's translation is saved as soon as its group is done, so an interrupted run resumes
where it stopped (``only_missing``) and the memory keeps the sentences already translated.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from dragoman.article import Article, SentencePair, TranslatedSegment, Translation
from dragoman.errors import DragomanError, StoreError, TranslateError
from dragoman.names.glossary import Glossary, default_glossary, expected_terms, protect, restore
from dragoman.names.personal import transliterate, transliterate_name
from dragoman.translate import quality
from dragoman.translate.batching import DEFAULT_BATCH_TOKENS, translate_texts
from dragoman.translate.engine import Engine, create_engine
from dragoman.translate.memory import TranslationMemory
from dragoman.translate.segment import article_units, join_pieces, normalize_sentence, split_long

DEFAULT_MAX_SENTENCE_TOKENS = 200  # longer sentences are cut at clause boundaries
DEFAULT_GROUP_SENTENCES = 2000  # sentences pooled per group before its articles are saved

ProgressCallback = Callable[[int, int], None]  # (articles finished, sentences finished), cumulative


@dataclass(slots=True)
class TranslateReport:
    engine: str = ""
    model_id: str = ""
    articles: int = 0
    failed: int = 0
    failures: list[tuple[int, str, str]] = field(default_factory=list)  # (article id, url, message)
    failure_reasons: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)  # reason -> count (story_copy: its story is translated)
    sentences: int = 0
    memory_hits: int = 0  # sentences not sent to the engine: found in the memory or repeated in the run
    engine_sentences: int = 0
    flags: Counter[str] = field(default_factory=Counter)
    flagged_sentences: int = 0
    source_tokens: int = 0
    target_tokens: int = 0
    engine_seconds: float = 0.0
    elapsed_seconds: float = 0.0

    @property
    def hit_rate(self) -> float:
        return self.memory_hits / self.sentences if self.sentences else 0.0

    @property
    def tokens_per_second(self) -> float:
        return self.target_tokens / self.engine_seconds if self.engine_seconds else 0.0

    @property
    def articles_per_minute(self) -> float:
        return 60 * self.articles / self.elapsed_seconds if self.elapsed_seconds else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "model_id": self.model_id,
            "articles": self.articles,
            "failed": self.failed,
            "failure_reasons": dict(self.failure_reasons),
            "failures": [{"id": i, "url": u, "error": m} for i, u, m in self.failures],
            "skipped": dict(self.skipped),
            "sentences": self.sentences,
            "memory_hits": self.memory_hits,
            "hit_rate": round(self.hit_rate, 4),
            "engine_sentences": self.engine_sentences,
            "flags": dict(self.flags),
            "flagged_sentences": self.flagged_sentences,
            "source_tokens": self.source_tokens,
            "target_tokens": self.target_tokens,
            "tokens_per_second": round(self.tokens_per_second, 1),
            "elapsed_seconds": round(self.elapsed_seconds, 2),
        }

    def summary_lines(self) -> list[str]:
        lines = [
            f"translated {self.articles} articles ({self.failed} failed) with {self.engine} {self.model_id}",
            f"sentences: {self.sentences}, from memory: {self.memory_hits} ({self.hit_rate:.0%}),"
            f" sent to the engine: {self.engine_sentences}",
            f"speed: {self.tokens_per_second:,.0f} target tokens/s, {self.articles_per_minute:,.1f} articles/min,"
            f" {self.elapsed_seconds:.1f} s",
        ]
        if self.flags:
            kinds = ", ".join(f"{k} {v}" for k, v in self.flags.most_common())
            lines.append(f"flagged sentences: {self.flagged_sentences} ({kinds})")
        for reason, count in self.skipped.most_common():
            lines.append(f"skipped ({reason}): {count}")
        for reason, count in self.failure_reasons.most_common():
            lines.append(f"failed ({reason}): {count}")
        for article_id, url, message in self.failures[:5]:
            lines.append(f"  article {article_id} {url}: {message}")
        return lines


@dataclass(slots=True)
class _Job:
    """One distinct Russian sentence to translate in a group."""

    key: str
    slots: tuple[Any, ...] = ()
    pieces: list[str] = field(default_factory=list)


class ArticleTranslator:
    """Translates groups of articles with one engine; holds the glossary, memory and limits."""

    def __init__(
        self,
        engine: Engine,
        *,
        memory: TranslationMemory | None = None,
        glossary: Glossary | None = None,
        batch_tokens: int = DEFAULT_BATCH_TOKENS,
        max_sentence_tokens: int = DEFAULT_MAX_SENTENCE_TOKENS,
        placeholder_style: str = "inline",
        read_memory: bool = True,
    ) -> None:
        """``read_memory=False`` translates every sentence again (after a glossary change) and refreshes the memory."""
        self.engine = engine
        self.memory = memory
        self.read_memory = read_memory
        self.glossary = glossary if glossary is not None else default_glossary()
        self.batch_tokens = batch_tokens
        self.max_sentence_tokens = max_sentence_tokens
        self.placeholder_style = placeholder_style
        self.report = TranslateReport(engine=engine.name, model_id=engine.model_id)

    def translate(self, article: Article) -> Translation:
        """One article (raises TranslateError if a sentence could not be translated)."""
        result = self.translate_group([article])[0]
        if isinstance(result, Exception):
            raise result
        return result

    def translate_group(self, articles: Sequence[Article]) -> list[Translation | TranslateError]:
        """Translations of ``articles`` in order, pooling all their sentences into shared batches."""
        units_per_article = [article_units(a) for a in articles]
        keys: list[str] = [
            normalize_sentence(s) for units in units_per_article for unit in units for s in unit.sentences
        ]
        distinct = list(dict.fromkeys(k for k in keys if k))
        known = self.memory.get_many(distinct) if self.memory is not None and self.read_memory else {}
        todo = [k for k in distinct if k not in known]
        report = self.report
        report.sentences += len(keys)
        report.memory_hits += len(keys) - len(todo)
        report.engine_sentences += len(todo)

        translated, failures = self._translate_distinct(todo)
        english = {**known, **translated}

        results: list[Translation | TranslateError] = []
        for article, units in zip(articles, units_per_article, strict=True):
            try:
                results.append(self._assemble(article, units, english, failures))
            except TranslateError as exc:
                results.append(exc)
        return results

    def _translate_distinct(self, keys: list[str]) -> tuple[dict[str, str], dict[str, TranslateError]]:
        if not keys:
            return {}, {}
        engine = self.engine
        jobs = []
        for key in keys:
            masked = protect(key, self.glossary, style=self.placeholder_style)
            jobs.append(_Job(key, masked.slots, [masked.text]))
        lengths = engine.count_tokens([job.pieces[0] for job in jobs])
        cap = self.max_sentence_tokens
        for job, length in zip(jobs, lengths, strict=True):
            if length > cap:
                job.pieces = split_long(job.pieces[0], lambda t: engine.count_tokens([t])[0] > cap)
        piece_texts = list(dict.fromkeys(p for job in jobs for p in job.pieces))
        piece_index = {p: i for i, p in enumerate(piece_texts)}
        jobs_of_piece: dict[int, list[_Job]] = {}
        for job in jobs:
            for piece in job.pieces:
                jobs_of_piece.setdefault(piece_index[piece], []).append(job)
        finished: dict[int, str] = {}
        done: dict[str, str] = {}

        def on_batch(batch: dict[int, str]) -> None:
            # Sentences whose pieces are all back go to the memory now, so a crash loses at most a batch.
            finished.update(batch)
            ready: dict[str, str] = {}
            for index in batch:
                for job in jobs_of_piece[index]:
                    if job.key in done:
                        continue
                    parts = [finished.get(piece_index[p]) for p in job.pieces]
                    if all(part is not None for part in parts):
                        target, _lost = restore(join_pieces([p or "" for p in parts]), job.slots)
                        done[job.key] = ready[job.key] = target
            if self.memory is not None:
                self.memory.put_many(ready)

        # Each beam multiplies the decoder's working set; beyond beam 2, shrink the batch to keep it cache-sized.
        beam = int(getattr(engine, "beam_size", 1) or 1)
        budget = self.batch_tokens if beam <= 2 else self.batch_tokens * 2 // beam
        _outputs, stats = translate_texts(engine, piece_texts, max_tokens=budget, on_batch=on_batch)
        self.report.source_tokens += stats.source_tokens
        self.report.target_tokens += stats.target_tokens
        self.report.engine_seconds += stats.wall_seconds
        failed: dict[str, TranslateError] = {}
        for job in jobs:
            if job.key not in done:
                failed[job.key] = next(
                    stats.failures[piece_index[p]] for p in job.pieces if piece_index[p] not in finished
                )
        return done, failed

    def _assemble(
        self,
        article: Article,
        units: Sequence[Any],
        english: dict[str, str],
        failures: dict[str, TranslateError],
    ) -> Translation:
        segments: list[TranslatedSegment] = []
        for unit in units:
            pairs: list[SentencePair] = []
            for sentence in unit.sentences:
                key = normalize_sentence(sentence)
                if key in failures:
                    raise failures[key]
                target = english.get(key, "")
                wanted = expected_terms(key, self.glossary)
                lost = [t for t in wanted if t.casefold() not in target.casefold()]
                flags = quality.check(sentence, target, lost_terms=lost)
                pairs.append(SentencePair(source=sentence, target=target, flags=flags))
                if flags:
                    self.report.flagged_sentences += 1
                    self.report.flags.update(flags)
            segments.append(TranslatedSegment(role=unit.role, index=unit.index, sentences=pairs))
        title = next(s for s in segments if s.role == "title")
        lead = next((s for s in segments if s.role == "lead"), None)
        return Translation(
            engine=self.engine.name,
            model_id=self.engine.model_id,
            translated_at=datetime.now(UTC),
            title=title,
            lead=lead,
            blocks=[s for s in segments if s.role == "block"],
            rubric=english_rubric(article),
            authors=[transliterate_name(a, self.glossary) for a in article.authors],
            outlet_name=english_outlet_name(article),
            source_sha256=article.content_sha256 or article.compute_content_hash(),
        )


def english_rubric(article: Article) -> str | None:
    """The rubric's English name from the outlet table (never from the model); None when unknown."""
    if not article.rubric:
        return None
    try:
        from dragoman.extract.outlets import registered_domain, translate_rubric
    except ImportError:
        return None
    return translate_rubric(article.outlet or registered_domain(article.url), article.rubric)


def english_outlet_name(article: Article) -> str | None:
    try:
        from dragoman.extract.outlets import lookup_outlet, outlet_by_key
    except ImportError:
        lookup_outlet = outlet_by_key = None  # type: ignore[assignment]
    if lookup_outlet is not None:
        outlet = (outlet_by_key(article.outlet) if article.outlet else None) or lookup_outlet(article.url)
        if outlet is not None:
            return outlet.name
    if article.outlet_name:
        return transliterate(article.outlet_name)
    return None


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
    from dragoman.store import ArticleFilter
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
            translator.report.failed += 1
            translator.report.failures.append((article_id, "", exc.message))
            translator.report.failure_reasons[exc.reason] += 1

        for stored in store.iter_articles(where, on_unreadable=unreadable):
            if stored.article.language == "en":
                # Published in English (an outlet's English site, an imported English document): nothing to
                # translate, and a Russian-to-English model would only garble it.
                translator.report.skipped["english"] += 1
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
                    translator.report.skipped["story_copy"] += 1
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
    report.elapsed_seconds = time.perf_counter() - started
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
            report.failed += 1
            report.failure_reasons[exc.reason] += 1
            if len(report.failures) < 50:
                report.failures.append((stored.id, stored.article.url, str(exc)))
            continue
        report.articles += 1
    if progress is not None:
        progress(report.articles + report.failed, report.sentences)


def translate_articles(
    articles: Iterable[Article], settings: Any, *, model: str | None = None, engine: str = "ctranslate2", **options: Any
) -> list[Translation]:
    """Translate articles that are not in a store (no memory); raises on the first failure."""
    engine_instance = create_engine(engine, settings, model=model, **options)
    try:
        translator = ArticleTranslator(engine_instance)
        out: list[Translation] = []
        for result in translator.translate_group(list(articles)):
            if isinstance(result, Exception):
                raise result
            out.append(result)
        return out
    finally:
        engine_instance.close()
