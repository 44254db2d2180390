"""Same-story decisions of the near-duplicate detector on tgcontest's labelled pairs (precision, recall, F1).

Thresholds (and the shingle size) are tuned on ru_train_pool only; exam and honey are reported untouched.
Each pair goes through the real path: the first article is stored, the second is assigned by StoryIndex
(exact hash, then MinHash LSH candidates verified by exact Jaccard); "same story" = same story id.

    .venv/bin/python bench/dedupe_eval.py [--shingles 1 2 3] [--signals]

--signals also studies meaning-based signals on top of the lexical one (navec word vectors shipped in natasha,
capitalised names, numbers, title words), combined by a logistic regression fit on train only.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from pathlib import Path

from dragoman.acquire.dedupe import (
    DEFAULT_MAX_WORDS,
    DEFAULT_SHINGLE_SIZE,
    DEFAULT_THRESHOLD,
    StoryIndex,
    jaccard,
    shingles,
)
from dragoman.article import Article, Block, BlockKind
from dragoman.store import SQLiteStore

PAIRS_DIR = (
    Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "tgcontest_ru" / "toloka" / "clustering_pairs"
)


def load_pool(name: str) -> list[tuple[Article, Article, bool]]:
    csv.field_size_limit(sys.maxsize)
    pairs = []
    with (PAIRS_DIR / f"ru_{name}_pool.tsv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            first = _article(row["INPUT:first_url"], row["INPUT:first_title"], row["INPUT:first_text"])
            second = _article(row["INPUT:second_url"], row["INPUT:second_title"], row["INPUT:second_text"])
            pairs.append((first, second, row["GOLDEN:quality"] == "OK"))
    return pairs


def _article(url: str, title: str, text: str) -> Article:
    article = Article(url=url, title=title, blocks=[Block(BlockKind.PARAGRAPH, p) for p in text.split("\n") if p])
    article.content_sha256 = article.compute_content_hash()
    return article


def scores(pairs: list[tuple[Article, Article, bool]], predictions: list[bool]) -> dict[str, float]:
    tp = sum(1 for (_, _, gold), p in zip(pairs, predictions, strict=True) if gold and p)
    fp = sum(1 for (_, _, gold), p in zip(pairs, predictions, strict=True) if not gold and p)
    fn = sum(1 for (_, _, gold), p in zip(pairs, predictions, strict=True) if gold and not p)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "pairs": len(pairs)}


def predict_via_store(pairs, threshold: float, size: int, max_words: int | None) -> list[bool]:
    """Each pair in a fresh database: store the first, assign both, compare story ids (the real path)."""
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, (first, second, _) in enumerate(pairs):
            with SQLiteStore(Path(tmp) / f"{n}.db") as store:
                index = StoryIndex(store, threshold=threshold, shingle_size=size, max_words=max_words)
                a = index.assign(store.ingest(first).article_id, first)
                b = index.assign(store.ingest(second).article_id, second)
                out.append(a.story_id == b.story_id)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shingles", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--max-words", type=int, nargs="+", default=[50, 80, 120, 200, 0], help="0: whole text")
    parser.add_argument("--signals", action="store_true", help="also study meaning-based signals (needs natasha)")
    args = parser.parse_args()
    pools = {name: load_pool(name) for name in ("train", "exam", "honey")}
    print("pairs:", {k: f"{len(v)} ({sum(g for *_, g in v)} same story)" for k, v in pools.items()})
    # Tuning on train only: estimated Jaccard for every pair, then a grid over thresholds.
    best = (-1.0, 0.0, 0, 0)
    for size in args.shingles:
        for max_words in args.max_words:
            limit = max_words or None
            sims = [
                jaccard(shingles(f"{a.title}\n{a.text}", size, limit), shingles(f"{b.title}\n{b.text}", size, limit))
                for a, b, _ in pools["train"]
            ]
            for step in range(2, 80):
                threshold = step / 100
                f1 = scores(pools["train"], [s >= threshold for s in sims])["f1"]
                if f1 > best[0]:  # ties keep the first found: smaller shingles, shorter window, lower threshold
                    best = (f1, threshold, size, max_words)
            print(f"train, shingle size {size}, first {max_words or 'all'} words: best F1 so far {best[0]:.3f}")
    _, threshold, size, max_words = best
    print(
        f"chosen on train: shingle size {size}, first {max_words or 'all'} words, threshold {threshold:.2f} "
        f"(library defaults: size {DEFAULT_SHINGLE_SIZE}, {DEFAULT_MAX_WORDS} words, threshold {DEFAULT_THRESHOLD})"
    )
    for name in ("train", "exam", "honey"):
        started = time.perf_counter()
        result = scores(pools[name], predict_via_store(pools[name], threshold, size, max_words or None))
        elapsed = time.perf_counter() - started
        print(
            f"{name:6s} P {result['precision']:.3f}  R {result['recall']:.3f}  F1 {result['f1']:.3f}"
            f"  ({result['pairs']} pairs, {elapsed:.1f}s through StoryIndex + SQLite)"
        )
    if args.signals:
        study_signals(pools)


def study_signals(pools: dict[str, list[tuple[Article, Article, bool]]]) -> None:
    """Each signal alone (threshold fit on train) and logistic regressions over pairs of them, fit on train."""
    import itertools
    import re

    import numpy as np
    from natasha import NewsEmbedding

    from dragoman.acquire.dedupe import content_words

    embedding = NewsEmbedding()
    word = re.compile(r"[а-яёa-z]+", re.IGNORECASE)
    name = re.compile(r"(?<![.!?]\s)\b[А-ЯЁA-Z][а-яёa-z-]{2,}")

    def mean_vector(text: str, limit: int = 60) -> np.ndarray:
        words = [w for w in word.findall(text.lower().replace("ё", "е")) if len(w) > 2 and w in embedding][:limit]
        if not words:
            return np.zeros(300)
        vector = np.mean([embedding[w] for w in words], axis=0)
        return vector / (np.linalg.norm(vector) + 1e-9)

    def lead(text: str, limit: int = 150) -> str:
        return " ".join(text.split()[:limit])

    def names_in(text: str) -> set[str]:
        return set(content_words(" ".join(name.findall(lead(text)))))

    def features(a: Article, b: Article) -> list[float]:
        ta, tb = f"{a.title}\n{a.text}", f"{b.title}\n{b.text}"
        return [
            jaccard(shingles(ta), shingles(tb)),
            float(mean_vector(ta) @ mean_vector(tb)),
            float(mean_vector(a.title) @ mean_vector(b.title)),
            jaccard(
                set(content_words(" ".join(name.findall(lead(ta))))),
                set(content_words(" ".join(name.findall(lead(tb))))),
            ),
            jaccard(set(re.findall(r"\d+", lead(ta))), set(re.findall(r"\d+", lead(tb)))),
            jaccard(set(content_words(a.title)), set(content_words(b.title))),
        ]

    names = ["lexical Jaccard", "navec text", "navec title", "names", "numbers", "title words"]
    data = {k: (np.array([features(a, b) for a, b, _ in v]), np.array([g for *_, g in v])) for k, v in pools.items()}

    def f1(predicted: np.ndarray, gold: np.ndarray) -> float:
        tp, fp, fn = (predicted & gold).sum(), (predicted & ~gold).sum(), (~predicted & gold).sum()
        return float(2 * tp / (2 * tp + fp + fn)) if tp else 0.0

    def fit(x: np.ndarray, y: np.ndarray, l2: float = 1.0) -> object:
        mu, sd = x.mean(0), x.std(0) + 1e-9
        z = np.column_stack([(x - mu) / sd, np.ones(len(x))])
        w = np.zeros(z.shape[1])
        for _ in range(3000):
            p = 1 / (1 + np.exp(-z @ w))
            w -= 0.5 * (z.T @ (p - y) / len(y) + l2 * np.r_[w[:-1], 0] / len(y))
        return lambda q: 1 / (1 + np.exp(-np.column_stack([(q - mu) / sd, np.ones(len(q))]) @ w)) >= 0.5

    x_train, y_train = data["train"]
    for i, label in enumerate(names):
        threshold = max(np.unique(x_train[:, i]), key=lambda t: f1(x_train[:, i] >= t, y_train))
        row = "  ".join(f"{k} {f1(x[:, i] >= threshold, y):.3f}" for k, (x, y) in data.items())
        print(f"signal {label:16s} (>= {threshold:.3f} on train): F1 {row}")
    for combo in itertools.combinations(range(len(names)), 2):
        model = fit(x_train[:, combo], y_train.astype(float))
        row = "  ".join(f"{k} {f1(model(x[:, combo]), y):.3f}" for k, (x, y) in data.items())
        print(f"logistic regression {' + '.join(names[i] for i in combo):32s}: F1 {row}")


if __name__ == "__main__":
    main()
