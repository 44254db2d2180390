"""Build ``src/dragoman/data/ru_stem_frequency.tsv.gz``: how common each stemmed Russian word is.

The near-duplicate detector weighs words by rarity (a shared «Шальке» says more than a shared «заявил»).
Weights come from wordfreq's Russian list (word frequencies over subtitles, Wikipedia, news, web text and
social media), folded onto the same Snowball stems the detector uses, so the weights exist from the first
article on and do not depend on what a particular database happens to hold.

wordfreq is needed only to rebuild the table (``pip install wordfreq``), not at run time. Its data is
CC BY-SA 4.0 (https://github.com/rspeer/wordfreq); the table carries that notice in its header lines.

    .venv/bin/python scripts/build_stem_frequencies.py
"""

from __future__ import annotations

import gzip
import math
import re
from collections import defaultdict
from importlib.metadata import version
from pathlib import Path

import Stemmer
import wordfreq

OUTPUT = Path(__file__).resolve().parents[1] / "src" / "dragoman" / "data" / "ru_stem_frequency.tsv.gz"
# Rarer words than this all get the floor weight anyway; leaving them out keeps the table small.
MIN_FREQUENCY = 1e-7
_WORD = re.compile(r"[0-9a-zа-я]{3,}")


def main() -> None:
    stemmer = Stemmer.Stemmer("russian")
    words = {
        word.replace("ё", "е"): frequency
        for word, frequency in wordfreq.get_frequency_dict("ru").items()
        if frequency >= MIN_FREQUENCY
    }
    words = {w: f for w, f in words.items() if _WORD.fullmatch(w)}
    by_stem: dict[str, float] = defaultdict(float)
    for word, stem in zip(words, stemmer.stemWords(list(words)), strict=True):
        by_stem[stem] += words[word]
    with gzip.open(OUTPUT, "wt", encoding="utf-8", compresslevel=9) as out:
        out.write(f"# Russian word frequencies from wordfreq {version('wordfreq')} (CC BY-SA 4.0,\n")
        out.write("# https://github.com/rspeer/wordfreq), folded onto Snowball Russian stems.\n")
        out.write("# stem<TAB>Zipf frequency (log10 of occurrences per billion words)\n")
        for stem, frequency in sorted(by_stem.items(), key=lambda item: -item[1]):
            out.write(f"{stem}\t{math.log10(frequency * 1e9):.2f}\n")
    print(f"{len(by_stem)} stems from {len(words)} words -> {OUTPUT} ({OUTPUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
