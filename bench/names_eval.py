"""English names: does the English name dragoman gives an entity appear in a human English translation?

Over the sentence-aligned WMT ru-en test sets in ``../shared/data/wmt_ru_en``: every entity found in a
Russian sentence (each entity once per sentence) is looked up in the human reference of that sentence.

People count by surname (the last word of the name), places and organizations by the whole name or its
acronym (a leading nationality word may be left out: "Russian Justice Ministry" in "the Justice
Ministry"); a registry entity's other English forms count too (United States: "US", "U.S."), and a
subdivision's unit word is any of Oblast, Krai, region, territory, province ("Tver region"). A word of
the name may carry an English suffix in the reference ("Russia" in "Russian", "Putin" in "Putin's"): the
translator's adjective still names the place. Beside it, plain transliteration of the
same mentions (BGN/PCGN of the Russian normal form) is scored on the same mentions.

The analysis runs as it would on an untranslated article: no English side is given to it (the reference is
the answer key). Tune on ``--split tune`` (newstest2012-2016), report ``--split heldout`` (the news domain
of generaltest2022 and generaltest2023, and newstest2019-2020): a sample of whole documents (newstest has no
document ids: runs of 10 consecutive lines stand for one) of about ``--sentences`` sentences per split.

    .venv/bin/python bench/names_eval.py --split heldout --sentences 600
    .venv/bin/python bench/names_eval.py --split tune --misses 40     # print misses to look at
    .venv/bin/python bench/names_eval.py --split translated --sentences 991 --translation
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from dragoman.analyze.entities import extract_entities, names_from_translation
from dragoman.analyze.nlp import load_models, parse
from dragoman.analyze.sentences import Sentence
from dragoman.names.registry import load_registry
from dragoman.names.translit import transliterate

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "wmt_ru_en"
TYPES = ("PER", "LOC", "ORG")
SPLITS = {
    "tune": ["newstest2012", "newstest2013", "newstest2014", "newstest2015", "newstest2016"],
    "heldout": ["generaltest2022", "generaltest2023", "newstest2019", "newstest2020"],
    # newstest2020 has a second, independent human translation (newstestB2020): with --translation it
    # stands in for the article's English translation, and reference A stays the answer key
    "translated": ["newstest2020"],
}
_PSEUDO_DOC = 10
_NATIONALITY_WORDS = {"russian", "us", "u.s.", "american", "british", "ukrainian", "german", "french", "chinese"}
_STOP = {"of", "the", "and", "for", "in", "on", "de", "la"}

Doc = list[tuple[str, str, str | None]]  # (russian, reference, translation or None) sentences of one document


def load_set(name: str) -> list[Doc]:
    """Documents of one WMT set: generaltest by document id (news domain only), newstest by runs of lines."""
    docs_file = DATA / f"{name}.ru-en.docs.jsonl"
    if docs_file.exists():
        by_doc: dict[str, Doc] = {}
        for line in docs_file.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row.get("domain") == "news" and row.get("origlang", "ru") == "ru":
                by_doc.setdefault(row["docid"], []).append((row["src"], next(iter(row["refs"].values())), None))
        return list(by_doc.values())
    ru = (DATA / f"{name}.ru-en.ru").read_text(encoding="utf-8").splitlines()
    en = (DATA / f"{name}.ru-en.en").read_text(encoding="utf-8").splitlines()
    if len(ru) != len(en):
        raise SystemExit(f"{name}: {len(ru)} Russian lines but {len(en)} English ones")
    second = DATA / f"{name.replace('newstest', 'newstestB')}.ru-en.en"
    other: list[str | None] = list(second.read_text(encoding="utf-8").splitlines()) if second.exists() else []
    if len(other) != len(ru):
        other = [None] * len(ru)
    pairs = list(zip(ru, en, other, strict=True))
    return [pairs[i : i + _PSEUDO_DOC] for i in range(0, len(pairs), _PSEUDO_DOC)]


def sample_docs(split: str, sentences: int, seed: int) -> Iterator[tuple[str, Doc]]:
    """Whole documents drawn at random (fixed seed) from each set of the split, about ``sentences`` per set."""
    for name in SPLITS[split]:
        docs = load_set(name)
        random.Random(f"{seed}:{name}").shuffle(docs)
        taken = 0
        for doc in docs:
            if taken >= sentences // len(SPLITS[split]):
                break
            taken += len(doc)
            yield name, doc


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("’", "'").replace("‘", "'").replace("-", " ").replace("–", " ").casefold()
    # "Tver Oblast" is "the Tver region" in a translation: the name is the same
    return re.sub(r"\b(?:oblast|krai|kray|territory|province)\b", "region", text)


def _word_pattern(word: str) -> str:
    # "Russia" also in "Russian", "Ukraine" in "Ukrainian", "Putin" in "Putin's": a final vowel may change
    stem = word[:-1] if len(word) > 4 and word[-1] in "aeiouy" else word
    return re.escape(stem) + r"[\w']*"


def acronym(name: str) -> str | None:
    words = [w for w in re.split(r"[\s-]+", name) if w and w.lower() not in _STOP]
    if len(words) < 2 or not all(w[:1].isupper() for w in words):
        return None
    return "".join(w[0] for w in words)


def name_in_reference(name: str, type_: str, reference: str) -> bool:
    """The English name (a person's surname) in the reference sentence, by whole words."""
    if not name:
        return False
    words = _norm(name).split()
    if type_ == "PER":
        words = words[-1:]
    if not words:
        return False
    if type_ != "PER" and len(words) >= 3 and words[0] in _NATIONALITY_WORDS:
        words = words[1:]  # "Russian Justice Ministry" is named in "the Justice Ministry"
    pattern = r"(?<!\w)" + r"\s+".join(_word_pattern(w) for w in words)
    if re.search(pattern, _norm(reference)):
        return True
    abbr = acronym(name) if type_ != "PER" else None
    return abbr is not None and re.search(rf"(?<!\w){re.escape(abbr)}(?!\w)", reference) is not None


def plain_transliteration(normal: str, type_: str) -> str:
    return " ".join(transliterate(w) for w in normal.split()) if type_ == "PER" else transliterate(normal)


def evaluate(split: str, sentences: int, seed: int, misses: int, translation: bool = False) -> dict[str, Counter[str]]:
    registry = load_registry()
    vocab = load_models().morph_vocab
    hits: dict[str, Counter[str]] = {"dragoman": Counter(), "transliteration": Counter()}
    total: Counter[str] = Counter()
    sources: Counter[str] = Counter()
    shown: list[str] = []
    n_sentences = 0
    for set_name, doc in sample_docs(split, sentences, seed):
        sents: list[Sentence] = []
        offset = 0
        for i, (ru, _reference, translated) in enumerate(doc):
            text = " ".join(ru.split())
            sents.append(Sentence(i, "block", 0, text, translated if translation else None, offset))
            offset += len(text) + 1
        n_sentences += len(sents)
        parsed = parse("\n".join(s.text for s in sents), [(s.start, s.stop) for s in sents], syntax=False)
        mentions, entities = extract_entities(parsed, sents, registry, morph_vocab=vocab)
        if translation:
            names_from_translation(mentions, entities, sents)
        seen: set[tuple[int, str]] = set()
        for m in mentions:
            if m.kind != "name" or (m.sentence, m.entity) in seen or m.type not in TYPES:
                continue
            seen.add((m.sentence, m.entity))
            info = entities[m.entity]
            reference = doc[m.sentence][1]
            ours = str(info.get("name") or "")
            # the registry's other English forms of the same entity count (United States: "US", "U.S.")
            entry = registry.lookup_en(ours) if info.get("source") == "registry" else None
            names = [ours, *(entry.en_aliases if entry else ())]
            total[m.type] += 1
            sources[str(info.get("source"))] += 1
            if any(name_in_reference(name, m.type, reference) for name in names):
                hits["dragoman"][m.type] += 1
            elif len(shown) < misses:
                shown.append(f"{set_name} {m.type} {m.text!r} -> {ours!r} [{info.get('source')}] | {reference}")
            if name_in_reference(plain_transliteration(m.normal, m.type), m.type, reference):
                hits["transliteration"][m.type] += 1
    for line in shown:
        print("MISS", line)
    given = "the second reference (newstestB) as the article's translation" if translation else "no translation"
    print(f"split {split}: {', '.join(SPLITS[split])}; {n_sentences} sentences, seed {seed}; {given}")
    print(f"name sources: {dict(sources)}")
    print(f"{'type':<6}{'entities':>9}{'dragoman':>10}{'translit':>10}")
    for type_ in (*TYPES, "all"):
        n = sum(total.values()) if type_ == "all" else total[type_]
        ours = sum(hits["dragoman"].values()) if type_ == "all" else hits["dragoman"][type_]
        plain = sum(hits["transliteration"].values()) if type_ == "all" else hits["transliteration"][type_]
        print(f"{type_:<6}{n:>9}{ours / max(n, 1):>10.1%}{plain / max(n, 1):>10.1%}")
    total["all"] = sum(total.values())
    return {"total": total, **hits}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", choices=sorted(SPLITS), default="heldout")
    parser.add_argument("--sentences", type=int, default=600, help="about this many sentences per split")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--misses", type=int, default=0, help="print this many misses")
    parser.add_argument(
        "--translation", action="store_true", help="give the analysis the second human translation (--split translated)"
    )
    args = parser.parse_args(argv)
    if args.translation and args.split != "translated":
        parser.error("--translation needs --split translated (the only set with a second translation)")
    started = time.perf_counter()
    evaluate(args.split, args.sentences, args.seed, args.misses, args.translation)
    print(f"{time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
