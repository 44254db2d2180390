"""Duplicates and stories: every stored article points to a story; copies share their first article's story.

Exact copies: the same canonical URL is one article already (the store's key); the same content hash under
another URL joins that article's story. Near copies (wire copy across outlets, lightly edited reposts): MinHash
LSH (datasketch) over shingles of Snowball-stemmed Russian content words finds candidates, and the estimated
Jaccard similarity decides. Thresholds are tuned in bench/dedupe_eval.py on the train pool only.
"""

from __future__ import annotations

import re
import sqlite3
from collections import deque
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
DEFAULT_THRESHOLD = 0.18
# News is written top-down: the title and lead carry the story, later paragraphs drift into background
# that same-topic but different stories share. Only the first words are compared (tuned on train as well).
DEFAULT_MAX_WORDS = 120
# Copies of a story appear within days; older articles leave the in-memory LSH index (exact-hash matching
# through the database has no window).
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
    """Assigns each stored article to a story; the LSH index is rebuilt from the database when opened.

    Use it as an intake hook: ``StoryIndex(store)(article_id, article, result)``. Assigning an article
    that already has a story returns the stored assignment, so a rerun after a crash changes nothing.
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
        self.lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        # Only the hash values are kept (a MinHash object also carries 2 KB of permutations).
        self._hashvalues: dict[int, np.ndarray] = {}
        self._story_of: dict[int, int] = {}
        self._in_lsh: set[int] = set()
        self._order: deque[tuple[float, int]] = deque()  # (added, article id), oldest first, for eviction
        cutoff = "" if self.window is None else _iso_ago(self.window)
        rows = self.conn.execute(
            "SELECT article_id, story_id, minhash, added_at FROM story_members WHERE added_at >= ? ORDER BY added_at",
            (cutoff,),
        )
        for row in rows:
            signature = MinHash(
                num_perm=num_perm, hashvalues=np.frombuffer(row[2], dtype=np.uint64), scheme=MINHASH_SCHEME
            )
            self._add(int(row[0]), int(row[1]), signature, datetime.fromisoformat(row[3]).timestamp())

    def _add(self, article_id: int, story_id: int, signature: MinHash, added: float) -> None:
        self._hashvalues[article_id] = signature.hashvalues
        self._story_of[article_id] = story_id
        self._order.append((added, article_id))
        if not signature.is_empty():
            self.lsh.insert(article_id, signature, check_duplication=False)
            self._in_lsh.add(article_id)

    def _evict(self, now: float) -> None:
        """Forget articles older than the window: memory stays bounded however long the monitor runs."""
        if self.window is None:
            return
        while self._order and self._order[0][0] < now - self.window:
            _, article_id = self._order.popleft()
            if article_id in self._in_lsh:
                self.lsh.remove(article_id)
                self._in_lsh.discard(article_id)
            self._hashvalues.pop(article_id, None)
            self._story_of.pop(article_id, None)

    def __len__(self) -> int:
        return len(self._hashvalues)

    def __call__(self, article_id: int, article: Article, result: IngestResult) -> None:
        self.assign(article_id, article)

    def assign(self, article_id: int, article: Article) -> StoryAssignment:
        row = self.conn.execute(
            "SELECT story_id, kind, similarity FROM story_members WHERE article_id = ?", (article_id,)
        ).fetchone()
        if row is not None:
            return StoryAssignment(article_id, int(row[0]), row[1], float(row[2]))
        content_hash = article.content_sha256 or article.compute_content_hash()
        signature = minhash_of(
            article_text(article), size=self.shingle_size, num_perm=self.num_perm, max_words=self.max_words
        )
        story_id, kind, similarity = self._match(content_hash, signature)
        now = datetime.now(UTC).isoformat()
        try:
            with self.store.transaction() as conn:
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
                    (
                        article_id,
                        story_id,
                        kind,
                        similarity,
                        content_hash,
                        signature.hashvalues.astype(np.uint64).tobytes(),
                        now,
                    ),
                )
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot record the story of article {article_id}: {exc}") from exc
        added = datetime.fromisoformat(now).timestamp()
        self._add(article_id, story_id, signature, added)
        self._evict(added)
        return StoryAssignment(article_id, story_id, kind, similarity)

    def _match(self, content_hash: str, signature: MinHash) -> tuple[int | None, str, float]:
        row = self.conn.execute(
            "SELECT story_id FROM story_members WHERE content_sha256 = ? LIMIT 1", (content_hash,)
        ).fetchone()
        if row is not None:
            return int(row[0]), "exact_hash", 1.0
        if signature.is_empty():
            return None, "first", 1.0
        best_id, best = None, 0.0
        for candidate in self.lsh.query(signature):
            similarity = float(np.count_nonzero(signature.hashvalues == self._hashvalues[candidate])) / self.num_perm
            if similarity > best:
                best_id, best = candidate, similarity
        if best_id is not None and best >= self.threshold:
            return self._story_of[best_id], "near", round(best, 4)
        return None, "first", 1.0


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
