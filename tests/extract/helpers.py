"""Shared helpers for the extract tests: reading saved pages, the benchmark's F1."""

from __future__ import annotations

import gzip
import re
from collections import Counter
from pathlib import Path

KOMMERSANT_URL = "https://www.kommersant.ru/doc/7715044"
PRAVDA_URL = "https://www.pravda.com.ua/rus/articles/2026/01/08/8015225/"
FOOTBALL_URL = "https://football.ua/germany/311510-podolski-zavershil-kareru-v-sbornojj.html"


def read_page(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


_TOKEN = re.compile(r"\w+")


def shingle_f1(true: str, predicted: str, n: int = 4) -> float:
    """Token 4-gram F1 as the article-extraction-benchmark's evaluate.py counts it, for one page."""

    def shingles(text: str) -> Counter[tuple[str, ...]]:
        tokens = _TOKEN.findall(text or "")
        return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n])

    gold, pred = shingles(true), shingles(predicted)
    tp = sum((gold & pred).values())
    if tp == 0:
        return 0.0
    precision = tp / sum(pred.values())
    recall = tp / sum(gold.values())
    return 2 * precision * recall / (precision + recall)
