"""Duplicates and stories: every stored article points to a story; copies share their first article's story.

Exact copies: the same canonical URL is one article already (the store's key); the same content hash under
another URL joins that article's story. Near copies (wire copy across outlets, lightly edited reposts): MinHash
LSH over shingles of Snowball-stemmed Russian content words finds candidates (datasketch's band layout for a
loose threshold; the band keys are rows of the indexed ``story_bands`` table, so memory does not grow with the
articles kept), and the cosine similarity of rarity-weighted word vectors, recomputed from the stored candidates,
decides. Rarity comes from a shipped table of Russian word frequencies (``data/ru_stem_frequency.tsv.gz``, built
by scripts/build_stem_frequencies.py from wordfreq), so a shared «Шальке» counts for more than a shared «заявил»
from the first article on. Thresholds are tuned in bench/dedupe_eval.py on the train and exam pools; the honey
pool is held out.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import re
from collections import Counter
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
from datasketch import MinHash, MinHashLSH

from dragoman.article import Article
from dragoman.errors import ConfigError
from dragoman.settings import DEFAULT_STORY_THRESHOLD
from dragoman.store.base import IngestOutcome, IngestResult
from dragoman.store.stories import StoryAssignment

NUM_PERM = 128
# Stored signatures are only comparable under the same hashing scheme, so it is fixed, not left to defaults.
MINHASH_SCHEME = "affine32"
# Unigram "shingles" of stemmed content words keep rewrites of one story together as LSH candidates, where
# longer shingles only catch verbatim copies.
DEFAULT_SHINGLE_SIZE = 1
# LSH only proposes candidates: the Jaccard similarity of the lead's shingle sets from which a pair becomes
# one (datasketch picks bands and rows for it). Loose, so that rewrites reach the weighted comparison.
DEFAULT_CANDIDATE_JACCARD = 0.07
# The decision: cosine of the rarity-weighted vectors of title and text at or above this is the same story.
# Tuned with the title weight and window on ru_train_pool + ru_exam_pool (bench/dedupe_eval.py); a setting.
DEFAULT_THRESHOLD = DEFAULT_STORY_THRESHOLD
DEFAULT_TITLE_WEIGHT = 2.0
DEFAULT_COMPARE_WORDS: int | None = None
# Exact verification reads each candidate back from the store: the best few by estimate are enough.
MAX_VERIFIED_CANDIDATES = 8
# Candidates per article: the newest members of each matching band, then those sharing the most bands.
NEWEST_PER_BAND = 16
MAX_LSH_CANDIDATES = 64
# News is written top-down: the title and lead carry the story, later paragraphs drift into background
# that same-topic but different stories share. The LSH signature covers only the first words.
DEFAULT_MAX_WORDS = 80
# Copies of a story appear within days; older articles stop being near-copy candidates and their band keys
# are deleted (exact-hash matching through the database has no window).
DEFAULT_WINDOW_DAYS = 7.0

_WORD = re.compile(r"[0-9a-zа-яё]+", re.IGNORECASE)
# Function words and newsroom boilerplate carry no story; dropping them sharpens similarity.
_STOPWORD_TEXT = """
    и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее мне было вот
    от меня еще нет о из ему теперь когда даже ну вдруг ли если уже или ни быть был него до вас нибудь опять уж
    вам ведь там потом себя ничего ей может они тут где есть надо ней для мы тебя их чем была сам чтоб без будто
    чего раз тоже себе под будет ж тогда кто этот того потому этого какой совсем ним здесь этом один почти мой
    тем чтобы нее сейчас были куда зачем всех никогда можно при наконец два об другой хоть после над больше тот
    через эти нас про всего них какая много разве три эту моя впрочем хорошо свою этой перед иногда лучше чуть
    том нельзя такой им более всегда конечно всю между это также который которые которая которых которого
    году года сообщает сообщил сообщила заявил заявила словам отметил отметила время также ранее риа новости
    тасс интерфакс"""
RUSSIAN_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("russian")


def content_words(text: str) -> list[str]:
    """Stemmed content words of ``text`` (lower case, ё folded, stopwords and one- or two-letter words out)."""
    words = [w for w in _WORD.findall(text.lower().replace("ё", "е")) if len(w) > 2 and w not in RUSSIAN_STOPWORDS]
    return list(_stemmer().stemWords(words))


# Stems missing from the frequency table (rare words, names, numbers) count as rarer than any listed one.
_UNLISTED_ZIPF = 1.0


@lru_cache(maxsize=1)
def stem_zipf() -> dict[str, float]:
    """Zipf frequency (log10 of occurrences per billion words) of each stemmed Russian word in the shipped table."""
    table = resources.files("dragoman") / "data" / "ru_stem_frequency.tsv.gz"
    zipf: dict[str, float] = {}
    with table.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as lines:
        for line in lines:
            if not line.startswith("#"):
                stem, _, value = line.rstrip("\n").partition("\t")
                zipf[stem] = float(value)
    return zipf


def term_weight(stem: str) -> float:
    """Rarity of a stemmed word: -log10 of its frequency (about 2 for «что», 8 for an unlisted name)."""
    return 9.0 - stem_zipf().get(stem, _UNLISTED_ZIPF)


def weighted_terms(
    title: str, text: str, *, title_weight: float = DEFAULT_TITLE_WEIGHT, max_words: int | None = DEFAULT_COMPARE_WORDS
) -> dict[str, float]:
    """Rarity-weighted bag of stemmed content words (title words count ``title_weight`` times), TF damped by log."""
    counts: Counter[str] = Counter()
    for word in content_words(title):
        counts[word] += title_weight
    counts.update(content_words(text)[:max_words])
    return {word: (1.0 + math.log(count)) * term_weight(word) for word, count in counts.items()}


def cosine(first: dict[str, float], second: dict[str, float]) -> float:
    if len(second) < len(first):
        first, second = second, first
    dot = sum(value * second.get(word, 0.0) for word, value in first.items())
    norms = math.sqrt(sum(v * v for v in first.values())) * math.sqrt(sum(v * v for v in second.values()))
    return dot / norms if norms else 0.0


def story_similarity(first: Article, second: Article, **options: Any) -> float:
    """The same-story score StoryIndex decides on (0..1): cosine of the two rarity-weighted vectors."""
    return cosine(
        weighted_terms(first.title, first.text, **options), weighted_terms(second.title, second.text, **options)
    )


def shingles(text: str, size: int = DEFAULT_SHINGLE_SIZE, max_words: int | None = DEFAULT_MAX_WORDS) -> set[str]:
    words = content_words(text)[:max_words]
    if size <= 1 or len(words) < size:
        return set(words) if size <= 1 else {" ".join(words)} if words else set()
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def article_text(article: Article) -> str:
    return f"{article.title}\n{article.text}"


def minhash_of(
    text: str, *, size: int = DEFAULT_SHINGLE_SIZE, num_perm: int = NUM_PERM, max_words: int | None = DEFAULT_MAX_WORDS
) -> MinHash:
    signature = MinHash(num_perm=num_perm, scheme=MINHASH_SCHEME)
    tokens = shingles(text, size, max_words)
    if tokens:
        signature.update_batch([t.encode("utf-8") for t in tokens])
    return signature


class StoryIndex:
    """Assigns each stored article to a story; the LSH bands live in the database, not in memory.

    Use it as an intake hook: ``StoryIndex(store)(article_id, article, result)``. Assigning an article
    that already has a story returns the stored assignment, so a rerun after a crash changes nothing.
    Memory stays flat however many articles arrive: each article's LSH band keys are rows of
    ``story_bands`` (indexed), candidates are looked up there, and only articles inside the window count.
    The SQL is the store's (``store.stories``); this class computes signatures and decides.
    """

    def __init__(
        self,
        store: Any,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        candidate_jaccard: float = DEFAULT_CANDIDATE_JACCARD,
        title_weight: float = DEFAULT_TITLE_WEIGHT,
        compare_words: int | None = DEFAULT_COMPARE_WORDS,
        shingle_size: int = DEFAULT_SHINGLE_SIZE,
        max_words: int | None = DEFAULT_MAX_WORDS,
        num_perm: int = NUM_PERM,
        window_days: float | None = DEFAULT_WINDOW_DAYS,
    ) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ConfigError(f"story threshold must be in (0, 1], not {threshold}")
        self.store = store
        self.stories = store.stories
        self.threshold = threshold
        self.compare = {"title_weight": title_weight, "max_words": compare_words}
        self.shingle_size = shingle_size
        self.max_words = max_words
        self.num_perm = num_perm
        self.window = window_days * 86400.0 if window_days else None
        # datasketch picks the bands (b) and rows per band (r) that fit the candidate threshold best.
        layout = MinHashLSH(threshold=max(0.05, candidate_jaccard), num_perm=num_perm)
        self.bands, self.rows = int(layout.b), int(layout.r)
        self._next_prune = 0.0
        self._check_layout()
        self._backfill()

    def _check_layout(self) -> None:
        """Drop band keys computed with another band layout (an upgrade, or another candidate threshold)."""
        layout = f"{self.bands}x{self.rows}"
        if self.stories.band_layout() != layout:
            self.stories.reset_bands(layout)  # _backfill recomputes them from the stored signatures

    def _backfill(self) -> None:
        """Band keys for members inside the window that have none (a database from before story_bands)."""
        bands: list[tuple[int, int]] = []
        for article_id, blob in self.stories.members_without_bands(self._cutoff()):
            hashvalues = np.frombuffer(blob, dtype=np.uint64)
            if not _is_empty(hashvalues):
                bands.extend((key, article_id) for key in self._band_keys(hashvalues))
        self.stories.add_bands(bands)

    def _band_keys(self, hashvalues: np.ndarray) -> list[int]:
        """One 64-bit key per band (the band's number is hashed in, so one index serves all bands)."""
        keys = []
        for band in range(self.bands):
            chunk = hashvalues[band * self.rows : (band + 1) * self.rows].astype(np.uint64).tobytes()
            digest = hashlib.blake2b(band.to_bytes(2, "little") + chunk, digest_size=8).digest()
            keys.append(int.from_bytes(digest, "little", signed=True))
        return keys

    def _signature(self, article: Article) -> tuple[str, np.ndarray, list[int]]:
        """(content hash, MinHash values, LSH band keys) of an article's text."""
        signature = minhash_of(
            article_text(article), size=self.shingle_size, num_perm=self.num_perm, max_words=self.max_words
        )
        hashvalues = signature.hashvalues.astype(np.uint64)
        keys = [] if signature.is_empty() else self._band_keys(hashvalues)
        return article.content_sha256 or article.compute_content_hash(), hashvalues, keys

    def _cutoff(self) -> str:
        return "" if self.window is None else _iso_ago(self.window)

    def _prune(self, now: float) -> None:
        """Drop band keys of articles older than the window, at most hourly: the table stays a window's size."""
        if self.window is None or now < self._next_prune:
            return
        self._next_prune = now + min(3600.0, self.window)
        self.stories.prune_bands(self._cutoff())

    def __len__(self) -> int:
        """Articles that can be matched as near copies now (inside the window, with a non-empty signature)."""
        return self.stories.matchable_count(self._cutoff())

    def __call__(self, article_id: int, article: Article, result: IngestResult) -> None:
        if result.outcome == IngestOutcome.REVISED:
            self.revise(article_id, article)
        else:
            self.assign(article_id, article)

    def revise(self, article_id: int, article: Article) -> StoryAssignment:
        """A stored article changed: it stays in its story, and copies of the new text now match it.

        Its content hash, signature and band keys become the new revision's; an article without a story yet
        is assigned as usual.
        """
        recorded = self.stories.recorded(article_id)
        if recorded is None:
            return self.assign(article_id, article)
        content_hash, hashvalues, keys = self._signature(article)
        self.stories.revise(article_id, content_sha256=content_hash, minhash=hashvalues.tobytes(), band_keys=keys)
        return recorded

    def assign(self, article_id: int, article: Article) -> StoryAssignment:
        recorded = self.stories.recorded(article_id)
        if recorded is not None:
            return recorded
        content_hash, hashvalues, keys = self._signature(article)
        story_id, kind, similarity = self._match(content_hash, hashvalues, keys, article)
        now = datetime.now(UTC).isoformat()
        # Another watcher may record this article meanwhile (two processes can fetch the same item): its
        # record stands, and is what comes back.
        assignment = self.stories.record(
            article_id,
            story_id,
            kind=kind,
            similarity=similarity,
            title=article.title,
            content_sha256=content_hash,
            minhash=hashvalues.tobytes(),
            band_keys=keys,
            now=now,
        )
        self._prune(datetime.fromisoformat(now).timestamp())
        return assignment

    def _candidates(self, hashvalues: np.ndarray, keys: list[int]) -> list[tuple[float, int, int]]:
        """(estimated Jaccard, article id, story id) of members inside the window sharing a band, best first."""
        # Per band only its newest members: any member stands for its story, so a story with thousands of
        # copies (a wire story, a template) costs a bounded lookup per article, not one growing with the story.
        shared: Counter[int] = Counter()
        for key in keys:
            shared.update(self.stories.newest_in_band(key, NEWEST_PER_BAND))
        best_ids = [article_id for article_id, _ in shared.most_common(MAX_LSH_CANDIDATES)]
        found = [
            (
                float(np.count_nonzero(hashvalues == np.frombuffer(member.minhash, dtype=np.uint64))) / self.num_perm,
                member.article_id,
                member.story_id,
            )
            for member in self.stories.signatures(best_ids, self._cutoff())
        ]
        return sorted(found, reverse=True)[:MAX_VERIFIED_CANDIDATES]

    def _match(
        self, content_hash: str, hashvalues: np.ndarray, keys: list[int], article: Article
    ) -> tuple[int | None, str, float]:
        exact = self.stories.story_with_content(content_hash)
        if exact is not None:
            return exact, "exact_hash", 1.0
        if not keys:
            return None, "first", 1.0
        candidates = self._candidates(hashvalues, keys)
        if not candidates:
            return None, "first", 1.0
        terms = weighted_terms(article.title, article.text, **self.compare)
        best_story, best = None, 0.0
        for _, candidate, story_id in candidates:
            stored = self.store.get(candidate)
            if stored is None:
                continue
            similarity = cosine(terms, weighted_terms(stored.article.title, stored.article.text, **self.compare))
            if similarity > best:
                best_story, best = story_id, similarity
        if best_story is not None and best >= self.threshold:
            return best_story, "near", round(best, 4)
        return None, "first", 1.0


def _is_empty(hashvalues: np.ndarray) -> bool:
    # datasketch fills an empty signature with its maximum hash value.
    return bool(np.all(hashvalues == np.uint64(MinHash(num_perm=1, scheme=MINHASH_SCHEME).hashvalues[0])))


def jaccard(first: set[str], second: set[str]) -> float:
    union = len(first | second)
    return len(first & second) / union if union else 0.0


def _iso_ago(seconds: float) -> str:
    return datetime.fromtimestamp(datetime.now(UTC).timestamp() - seconds, UTC).isoformat()
