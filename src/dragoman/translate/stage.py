"""The translate stage's work on records: Russian articles in, sentence-aligned English ``Translation`` records out.

Sentences of many articles are pooled so the engine sees full, length-sorted batches; repeated sentences
come from the translation memory; glossary names are protected; every English sentence is checked and
flagged. No store here: ``pipeline.translate`` picks the stored articles, hands them over in groups and
saves each translation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from dragoman.article import Article, SentencePair, TranslatedSegment, Translation, attributes
from dragoman.errors import TranslateError
from dragoman.names.glossary import Glossary, default_glossary, expected_terms, protect, restore
from dragoman.names.outlets import english_outlet_name, table_rubric
from dragoman.names.personal import transliterate_name
from dragoman.report import StageReport
from dragoman.translate import quality
from dragoman.translate.batching import DEFAULT_BATCH_TOKENS, translate_texts
from dragoman.translate.engine import Engine, create_engine
from dragoman.translate.segment import article_units, join_pieces, normalize_sentence, split_long

DEFAULT_MAX_SENTENCE_TOKENS = 200  # longer sentences are cut at clause boundaries


@dataclass(slots=True)
class TranslateReport(StageReport):
    """A translate run: outcomes ``stored`` (translations saved); skips (english, story_copy) and failures by
    reason; the sentences, the memory's share and the engine's speed."""

    engine: str = ""
    model_id: str = ""
    sentences: int = 0
    memory_hits: int = 0  # sentences not sent to the engine: found in the memory or repeated in the run
    engine_sentences: int = 0
    flags: Counter[str] = field(default_factory=Counter)
    flagged_sentences: int = 0
    source_tokens: int = 0
    target_tokens: int = 0
    engine_seconds: float = 0.0

    @property
    def articles(self) -> int:
        """Articles translated and saved."""
        return self.stored

    @property
    def hit_rate(self) -> float:
        return self.memory_hits / self.sentences if self.sentences else 0.0

    @property
    def tokens_per_second(self) -> float:
        return self.target_tokens / self.engine_seconds if self.engine_seconds else 0.0

    @property
    def articles_per_minute(self) -> float:
        return 60 * self.articles / self.elapsed if self.elapsed else 0.0

    def details(self) -> dict[str, Any]:
        return {
            **attributes(self, "engine model_id articles sentences memory_hits"),
            "hit_rate": round(self.hit_rate, 4),
            "engine_sentences": self.engine_sentences,
            "flags": dict(self.flags),
            **attributes(self, "flagged_sentences source_tokens target_tokens"),
            "tokens_per_second": round(self.tokens_per_second, 1),
        }

    def summary_parts(self) -> list[str]:
        return [f"translated {self.articles} articles with {self.engine} {self.model_id}"]

    def summary_lines(self) -> list[str]:
        """The common one-line summary, then the figures particular to translation."""
        lines = [
            self.summary(),
            f"sentences: {self.sentences}, from memory: {self.memory_hits} ({self.hit_rate:.0%}),"
            f" sent to the engine: {self.engine_sentences}",
            f"speed: {self.tokens_per_second:,.0f} target tokens/s, {self.articles_per_minute:,.1f} articles/min",
        ]
        if self.flags:
            kinds = ", ".join(f"{k} {v}" for k, v in self.flags.most_common())
            lines.append(f"flagged sentences: {self.flagged_sentences} ({kinds})")
        return lines


class SentenceMemory(Protocol):
    """Finished English sentences by normalized Russian sentence (the store's translation memory)."""

    def get_many(self, sources: Iterable[str]) -> dict[str, str]: ...

    def put_many(self, pairs: Mapping[str, str]) -> None: ...


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
        memory: SentenceMemory | None = None,
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
            rubric=table_rubric(article),
            authors=[transliterate_name(a, self.glossary) for a in article.authors],
            outlet_name=english_outlet_name(article),
            source_sha256=article.content_sha256 or article.compute_content_hash(),
        )


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
