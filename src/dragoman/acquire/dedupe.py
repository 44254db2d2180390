"""Duplicates and stories: every stored article points to a story; copies share their first article's story.

Exact copies: the same canonical URL is one article already (the store's key); the same content hash under
another URL joins that article's story. Near copies (wire copy across outlets, lightly edited reposts): MinHash
LSH over shingles of Snowball-stemmed Russian content words finds candidates (datasketch's band layout for a
looser threshold; the band keys are rows of the indexed ``story_bands`` table, so memory does not grow with the
articles kept), and the exact Jaccard similarity of the shingle sets, recomputed from the stored candidates,
decides: the 128-permutation estimate alone is noisy enough near the threshold to cost about 0.05 F1.
Thresholds are tuned in bench/dedupe_eval.py on the train pool only.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import numpy as np
from datasketch import MinHash, MinHashLSH

from dragoman.article import Article
from dragoman.errors import StoreError
from dragoman.store.base import IngestResult

NUM_PERM = 128
# Stored signatures are only comparable under the same hashing scheme, so it is fixed, not left to defaults.
MINHASH_SCHEME = "affine32"
# Tuned on ru_train_pool only (bench/dedupe_eval.py): unigram "shingles" of stemmed content words keep
# rewrites of one story together, where longer shingles only catch verbatim copies.
DEFAULT_SHINGLE_SIZE = 1
DEFAULT_THRESHOLD = 0.17
# LSH only proposes candidates; a looser band threshold keeps pairs whose estimate falls below the true value.
CANDIDATE_FACTOR = 0.7
# Exact verification reads each candidate back from the store: the best few by estimate are enough.
MAX_VERIFIED_CANDIDATES = 8
# Candidates per article: the newest members of each matching band, then those sharing the most bands.
NEWEST_PER_BAND = 16
MAX_LSH_CANDIDATES = 64
# News is written top-down: the title and lead carry the story, later paragraphs drift into background
# that same-topic but different stories share. Only the first words are compared (tuned on train as well).
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


@dataclass(frozen=True, slots=True)
class StoryAssignment:
    article_id: int
    story_id: int
    kind: str  # first | exact_hash | near
    similarity: float


class StoryIndex:
    """Assigns each stored article to a story; the LSH bands live in the database, not in memory.

    Use it as an intake hook: ``StoryIndex(store)(article_id, article, result)``. Assigning an article
    that already has a story returns the stored assignment, so a rerun after a crash changes nothing.
    Memory stays flat however many articles arrive: each article's LSH band keys are rows of
    ``story_bands`` (indexed), candidates are looked up there, and only articles inside the window count.
    """

    def __init__(
        self,
        store: Any,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        shingle_size: int = DEFAULT_SHINGLE_SIZE,
        max_words: int | None = DEFAULT_MAX_WORDS,
        num_perm: int = NUM_PERM,
        window_days: float | None = DEFAULT_WINDOW_DAYS,
    ) -> None:
        self.store = store
        self.conn = store.connection
        self.threshold = threshold
        self.shingle_size = shingle_size
        self.max_words = max_words
        self.num_perm = num_perm
        self.window = window_days * 86400.0 if window_days else None
        # datasketch picks the bands (b) and rows per band (r) that fit the candidate threshold best.
        layout = MinHashLSH(threshold=max(0.05, threshold * CANDIDATE_FACTOR), num_perm=num_perm)
        self.bands, self.rows = int(layout.b), int(layout.r)
        self._next_prune = 0.0
        self._backfill()

    def _backfill(self) -> None:
        """Band keys for members inside the window that have none (a database from before story_bands)."""
        rows = self.conn.execute(
            "SELECT m.article_id, m.minhash FROM story_members m WHERE m.added_at >= ?"
            " AND NOT EXISTS (SELECT 1 FROM story_bands b WHERE b.article_id = m.article_id)",
            (self._cutoff(),),
        ).fetchall()
        if not rows:
            return
        with self.store.transaction() as conn:
            for article_id, blob in rows:
                hashvalues = np.frombuffer(blob, dtype=np.uint64)
                if not _is_empty(hashvalues):
                    conn.executemany(
                        "INSERT INTO story_bands (key, article_id) VALUES (?, ?)",
                        [(key, int(article_id)) for key in self._band_keys(hashvalues)],
                    )

    def _band_keys(self, hashvalues: np.ndarray) -> list[int]:
        """One 64-bit key per band (the band's number is hashed in, so one index serves all bands)."""
        keys = []
        for band in range(self.bands):
            chunk = hashvalues[band * self.rows : (band + 1) * self.rows].astype(np.uint64).tobytes()
            digest = hashlib.blake2b(band.to_bytes(2, "little") + chunk, digest_size=8).digest()
            keys.append(int.from_bytes(digest, "little", signed=True))
        return keys

    def _cutoff(self) -> str:
        return "" if self.window is None else _iso_ago(self.window)

    def _prune(self, now: float) -> None:
        """Drop band keys of articles older than the window, at most hourly: the table stays a window's size."""
        if self.window is None or now < self._next_prune:
            return
        self._next_prune = now + min(3600.0, self.window)
        with self.store.transaction() as conn:
            conn.execute(
                "DELETE FROM story_bands WHERE article_id IN (SELECT article_id FROM story_members WHERE added_at < ?)",
                (self._cutoff(),),
            )

    def __len__(self) -> int:
        """Articles that can be matched as near copies now (inside the window, with a non-empty signature)."""
        row = self.conn.execute(
            "SELECT count(DISTINCT b.article_id) FROM story_bands b JOIN story_members m ON m.article_id = b.article_id"
            " WHERE m.added_at >= ?",
            (self._cutoff(),),
        ).fetchone()
        return int(row[0])

    def __call__(self, article_id: int, article: Article, result: IngestResult) -> None:
        self.assign(article_id, article)

    def _recorded(self, article_id: int) -> StoryAssignment | None:
        row = self.conn.execute(
            "SELECT story_id, kind, similarity FROM story_members WHERE article_id = ?", (article_id,)
        ).fetchone()
        return None if row is None else StoryAssignment(article_id, int(row[0]), row[1], float(row[2]))

    def assign(self, article_id: int, article: Article) -> StoryAssignment:
        recorded = self._recorded(article_id)
        if recorded is not None:
            return recorded
        content_hash = article.content_sha256 or article.compute_content_hash()
        signature = minhash_of(
            article_text(article), size=self.shingle_size, num_perm=self.num_perm, max_words=self.max_words
        )
        hashvalues = signature.hashvalues.astype(np.uint64)
        keys = [] if signature.is_empty() else self._band_keys(hashvalues)
        story_id, kind, similarity = self._match(content_hash, hashvalues, keys, article)
        now = datetime.now(UTC).isoformat()
        try:
            with self.store.transaction() as conn:
                # Another watcher may have recorded this article since the check above (two processes can
                # fetch the same item): its record stands, this one adds nothing.
                recorded = self._recorded(article_id)
                if recorded is not None:
                    return recorded
                if story_id is None:
                    cur = conn.execute(
                        "INSERT INTO stories (first_article_id, title, created_at) VALUES (?,?,?)",
                        (article_id, article.title, now),
                    )
                    story_id = int(cur.lastrowid or 0)
                else:
                    conn.execute("UPDATE stories SET article_count = article_count + 1 WHERE id = ?", (story_id,))
                conn.execute(
                    "INSERT INTO story_members (article_id, story_id, kind, similarity, content_sha256, minhash,"
                    " added_at) VALUES (?,?,?,?,?,?,?)",
                    (article_id, story_id, kind, similarity, content_hash, hashvalues.tobytes(), now),
                )
                conn.executemany(
                    "INSERT INTO story_bands (key, article_id) VALUES (?, ?)", [(key, article_id) for key in keys]
                )
        except sqlite3.IntegrityError as exc:
            # Two PostgreSQL transactions can both pass the re-check; the loser finds the winner's record.
            recorded = self._recorded(article_id)
            if recorded is None:
                raise StoreError(f"cannot record the story of article {article_id}: {exc}") from exc
            return recorded
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot record the story of article {article_id}: {exc}") from exc
        self._prune(datetime.fromisoformat(now).timestamp())
        return StoryAssignment(article_id, story_id, kind, similarity)

    def _candidates(self, hashvalues: np.ndarray, keys: list[int]) -> list[tuple[float, int, int]]:
        """(estimated Jaccard, article id, story id) of members inside the window sharing a band, best first."""
        # Per band only its newest members: any member stands for its story, so a story with thousands of
        # copies (a wire story, a template) costs a bounded lookup per article, not one growing with the story.
        shared: Counter[int] = Counter()
        for key in keys:
            shared.update(
                int(row[0])
                for row in self.conn.execute(
                    "SELECT article_id FROM story_bands WHERE key = ? ORDER BY article_id DESC LIMIT ?",
                    (key, NEWEST_PER_BAND),
                )
            )
        best_ids = [article_id for article_id, _ in shared.most_common(MAX_LSH_CANDIDATES)]
        if not best_ids:
            return []
        rows = self.conn.execute(
            "SELECT article_id, story_id, minhash FROM story_members"
            f" WHERE article_id IN ({','.join('?' * len(best_ids))}) AND added_at >= ?",
            (*best_ids, self._cutoff()),
        ).fetchall()
        found = [
            (
                float(np.count_nonzero(hashvalues == np.frombuffer(blob, dtype=np.uint64))) / self.num_perm,
                int(a),
                int(s),
            )
            for a, s, blob in rows
        ]
        return sorted(found, reverse=True)[:MAX_VERIFIED_CANDIDATES]

    def _match(
        self, content_hash: str, hashvalues: np.ndarray, keys: list[int], article: Article
    ) -> tuple[int | None, str, float]:
        row = self.conn.execute(
            "SELECT story_id FROM story_members WHERE content_sha256 = ? LIMIT 1", (content_hash,)
        ).fetchone()
        if row is not None:
            return int(row[0]), "exact_hash", 1.0
        if not keys:
            return None, "first", 1.0
        candidates = self._candidates(hashvalues, keys)
        if not candidates:
            return None, "first", 1.0
        tokens = shingles(article_text(article), self.shingle_size, self.max_words)
        best_story, best = None, 0.0
        for _, candidate, story_id in candidates:
            stored = self.store.get(candidate)
            if stored is None:
                continue
            similarity = jaccard(tokens, shingles(article_text(stored.article), self.shingle_size, self.max_words))
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


def story_of(store: Any, article_id: int) -> dict[str, Any] | None:
    """The story an article belongs to, with its members (id, url, outlet, kind, similarity)."""
    conn = store.connection
    row = conn.execute(
        "SELECT s.id, s.first_article_id, s.title, s.article_count FROM story_members m"
        " JOIN stories s ON s.id = m.story_id WHERE m.article_id = ?",
        (article_id,),
    ).fetchone()
    if row is None:
        return None
    members = conn.execute(
        "SELECT m.article_id, a.url, a.outlet, m.kind, m.similarity FROM story_members m"
        " JOIN articles a ON a.id = m.article_id WHERE m.story_id = ? ORDER BY m.article_id",
        (row[0],),
    ).fetchall()
    return {
        "story_id": row[0],
        "first_article_id": row[1],
        "title": row[2],
        "article_count": row[3],
        "members": [
            {"article_id": m[0], "url": m[1], "outlet": m[2], "kind": m[3], "similarity": m[4]} for m in members
        ],
    }


def is_story_copy(store: Any, article_id: int) -> bool:
    """True when the article is a copy of an earlier one (translate and analyze its story's first article)."""
    row = store.connection.execute(
        "SELECT s.first_article_id FROM story_members m JOIN stories s ON s.id = m.story_id WHERE m.article_id = ?",
        (article_id,),
    ).fetchone()
    return row is not None and int(row[0]) != article_id


def story_id_of(store: Any, article_id: int) -> int | None:
    """The story id of an article, or None (no story yet, or a database without the stories tables)."""
    try:
        row = store.connection.execute(
            "SELECT story_id FROM story_members WHERE article_id = ?", (article_id,)
        ).fetchone()
    except sqlite3.OperationalError:  # the acquire tables are not there: nothing is a copy
        return None
    return int(row[0]) if row is not None else None


def processed_story_member(
    store: Any, article_id: int, *, translated_by: str | None = None, analyzed_by: str | None = None
) -> int | None:
    """Another member of the article's story already translated by this model (or analyzed by this version).

    The translate and analyze stages skip the article then: a copy points to its story, whose processed
    member carries the translation and analysis.
    """
    story_id = story_id_of(store, article_id)
    if story_id is None:
        return None
    if translated_by is not None:
        sql = (
            "SELECT m.article_id FROM story_members m JOIN articles a ON a.id = m.article_id"
            " JOIN translations t ON t.revision_id = a.current_revision_id"
            " WHERE m.story_id = ? AND m.article_id != ? AND t.model_id = ? ORDER BY m.article_id LIMIT 1"
        )
        value = translated_by
    elif analyzed_by is not None:
        sql = (
            "SELECT m.article_id FROM story_members m JOIN articles a ON a.id = m.article_id"
            " JOIN analyses n ON n.revision_id = a.current_revision_id"
            " WHERE m.story_id = ? AND m.article_id != ? AND n.analyzer_version = ? ORDER BY m.article_id LIMIT 1"
        )
        value = analyzed_by
    else:
        raise ValueError("processed_story_member needs translated_by or analyzed_by")
    row = store.connection.execute(sql, (story_id, article_id, value)).fetchone()
    return int(row[0]) if row is not None else None


def story_translation(store: Any, article_id: int) -> tuple[int, Any] | None:
    """(member id, Translation) of the article itself or, for a copy, of its story's translated member."""
    stored = store.get(article_id)
    if stored is not None and stored.article.translation is not None:
        return article_id, stored.article.translation
    story_id = story_id_of(store, article_id)
    if story_id is None:
        return None
    rows = store.connection.execute(
        "SELECT article_id FROM story_members WHERE story_id = ? AND article_id != ? ORDER BY article_id",
        (story_id, article_id),
    ).fetchall()
    for row in rows:
        member = store.get(int(row[0]))
        if member is not None and member.article.translation is not None:
            return member.id, member.article.translation
    return None
