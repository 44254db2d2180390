"""NER evaluation: dragoman's analyze stage vs plain natasha on factRuEval-2016 and NEREL (PER/ORG/LOC).

Gold mentions are flattened: each gold object becomes one span (first to last character of its parts) with
its type mapped to PER/ORG/LOC, and spans nested inside another gold span are dropped, because both systems
tag flat spans. Scores: exact-span F1, overlap F1 (a prediction matches a gold span of the same type that it
overlaps, one-to-one) and token F1 (the figure natasha publishes). Tune only on --split dev.

    .venv/bin/python bench/ner_eval.py                 # test splits (report these)
    .venv/bin/python bench/ner_eval.py --split dev     # factRuEval devset, NEREL dev (for tuning)
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from razdel import sentenize

from dragoman.analyze.entities import extract_entities
from dragoman.analyze.nlp import load_models, parse
from dragoman.analyze.sentences import Sentence
from dragoman.names.registry import load_registry

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
TYPES = ("PER", "ORG", "LOC")
FACTRU_TYPES = {"Person": "PER", "Org": "ORG", "Location": "LOC", "LocOrg": "LOC"}
NEREL_TYPES = {
    "PERSON": "PER",
    "ORGANIZATION": "ORG",
    "COUNTRY": "LOC",
    "CITY": "LOC",
    "STATE_OR_PROVINCE": "LOC",
    "LOCATION": "LOC",
    "DISTRICT": "LOC",
}
Span = tuple[int, int, str]


def _outermost(spans: list[Span]) -> list[Span]:
    # type breaks ties (one span annotated with two types): set order alone made the choice vary per run
    spans = sorted(set(spans), key=lambda s: (s[0], -(s[1] - s[0]), s[2]))
    out: list[Span] = []
    for s in spans:
        if any(o[0] <= s[0] and s[1] <= o[1] and o != s for o in out):
            continue
        out.append(s)
    return out


def _filter_overlapping(spans: list[Span]) -> list[Span]:
    """naeval's rule: in start order, drop a span that overlaps the last one kept."""
    out: list[Span] = []
    for s in sorted(spans, key=lambda s: (s[0], s[1])):
        if out and s[0] < out[-1][1]:
            continue
        out.append(s)
    return out


def load_factru(split: str, convention: str = "names") -> Iterator[tuple[str, str, list[Span]]]:
    """Gold spans of factRuEval-2016.

    ``names`` is naeval's convention, behind natasha's published scores: a Person is its whole object, an Org
    only its org_name parts, a Location/LocOrg only its loc_name parts ("МИД России" is ORG "МИД" + LOC
    "России"). ``objects`` takes every object whole (first to last character: "МИД России" is one ORG), the
    reading the issue asks for; nested objects are dropped.
    """
    folder = DATA / "factRuEval-2016" / ("testset" if split == "test" else "devset")
    for txt in sorted(folder.glob("*.txt")):
        if not txt.with_suffix(".spans").exists():
            continue  # list.txt: an index, not a document
        text = txt.read_text(encoding="utf-8")
        spans: dict[str, tuple[int, int, str]] = {}
        for line in txt.with_suffix(".spans").read_text(encoding="utf-8").splitlines():
            parts = line.split("#")[0].split()
            if len(parts) >= 4:
                spans[parts[0]] = (int(parts[2]), int(parts[2]) + int(parts[3]), parts[1])
        gold: list[Span] = []
        for line in txt.with_suffix(".objects").read_text(encoding="utf-8").splitlines():
            parts = line.split("#")[0].split()
            if len(parts) < 3 or parts[1] not in FACTRU_TYPES:
                continue
            kind, type_ = parts[1], FACTRU_TYPES[parts[1]]
            parts_spans = [spans[i] for i in parts[2:] if i in spans]
            if not parts_spans:
                continue
            if convention == "objects" or kind == "Person":
                gold.append((min(a for a, _, _ in parts_spans), max(b for _, b, _ in parts_spans), type_))
            else:
                wanted = "org_name" if kind == "Org" else "loc_name"
                named = [(a, b, type_) for a, b, t in parts_spans if t == wanted]
                gold.extend(_filter_overlapping(named))
        yield txt.stem, text, (_outermost(gold) if convention == "objects" else _filter_overlapping(gold))


def load_nerel(split: str) -> Iterator[tuple[str, str, list[Span]]]:
    folder = DATA / "nerel" / "NEREL-v1.1" / split
    for txt in sorted(folder.glob("*.txt")):
        text = txt.read_text(encoding="utf-8")
        gold: list[Span] = []
        for line in txt.with_suffix(".ann").read_text(encoding="utf-8").splitlines():
            if not line.startswith("T"):
                continue
            _, info, _ = line.split("\t", 2)
            type_, *offsets = info.replace(";", " ").split()
            if type_ in NEREL_TYPES:
                nums = [int(x) for x in offsets]
                gold.append((min(nums), max(nums), NEREL_TYPES[type_]))
        yield txt.stem, text, _outermost(gold)


def sentences_of(text: str) -> list[Sentence]:
    return [Sentence(i, "block", 0, s.text, None, s.start) for i, s in enumerate(sentenize(text))]


def predict_dragoman(text: str, *, parts: bool = False) -> list[Span]:
    """Our name mentions; with ``parts``, a joined name as its named parts ("МИД России": ORG "МИД", LOC "России")."""
    sents = sentences_of(text)
    doc = parse(text, [(s.start, s.stop) for s in sents], syntax=True)
    mentions, _ = extract_entities(doc, sents, load_registry(), morph_vocab=load_models().morph_vocab)
    out: list[Span] = []
    for m in mentions:
        if m.kind == "name":
            out.extend(m.parts if parts and m.parts else [(m.start, m.stop, m.type)])
    return out


def predict_natasha(text: str) -> list[Span]:
    from natasha import Doc

    models = load_models()
    doc = Doc(text)
    doc.segment(models.segmenter)
    doc.tag_ner(models.ner_tagger)
    return [(s.start, s.stop, s.type) for s in doc.spans]


_TOKEN = re.compile(r"\w+|[^\w\s]")


def score(gold: list[Span], pred: list[Span], text: str, counts: dict[str, Counter[str]]) -> None:
    for t in TYPES:
        g = [s for s in gold if s[2] == t]
        p = [s for s in pred if s[2] == t]
        c = counts[t]
        exact = len(set(g) & set(p))
        c["exact_tp"] += exact
        used: set[Span] = set()
        overlap = 0
        for ps in p:
            hit = next((gs for gs in g if gs not in used and gs[0] < ps[1] and ps[0] < gs[1]), None)
            if hit is not None:
                used.add(hit)
                overlap += 1
        c["overlap_tp"] += overlap
        c["gold"] += len(g)
        c["pred"] += len(p)
        for m in _TOKEN.finditer(text):
            in_g = any(a <= m.start() < b for a, b, _ in g)
            in_p = any(a <= m.start() < b for a, b, _ in p)
            c["tok_tp"] += in_g and in_p
            c["tok_gold"] += in_g
            c["tok_pred"] += in_p


def f1(tp: int, gold: int, pred: int) -> float:
    return 2 * tp / (gold + pred) if gold + pred else 0.0


def evaluate(
    name: str, docs: list[tuple[str, str, list[Span]]], *, parts: bool = False
) -> dict[str, dict[str, dict[str, float]]]:
    results: dict[str, dict[str, dict[str, float]]] = {}
    systems: list[tuple[str, Callable[[str], list[Span]]]] = [
        ("natasha", predict_natasha),
        ("dragoman", lambda text: predict_dragoman(text, parts=parts)),
    ]
    for system, predict in systems:
        counts: dict[str, Counter[str]] = {t: Counter() for t in TYPES}
        started = time.perf_counter()
        for _doc_id, text, gold in docs:
            score(gold, predict(text), text, counts)
        results[system] = {
            t: {
                "exact": f1(c["exact_tp"], c["gold"], c["pred"]),
                "overlap": f1(c["overlap_tp"], c["gold"], c["pred"]),
                "token": f1(c["tok_tp"], c["tok_gold"], c["tok_pred"]),
                "gold": c["gold"],
                "pred": c["pred"],
            }
            for t, c in counts.items()
        }
        print(f"{name} {system}: {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=["test", "dev"], default="test")
    parser.add_argument("--limit", type=int, help="Only the first N documents of each set.")
    args = parser.parse_args()
    load_models()
    factru = "testset" if args.split == "test" else "devset"
    sets = {
        f"factRuEval-2016 {factru}, names (naeval)": list(load_factru(args.split, "names")),
        f"factRuEval-2016 {factru}, objects": list(load_factru(args.split, "objects")),
        f"NEREL {args.split}": list(load_nerel(args.split)),
    }
    print("| set | system | type | exact F1 | overlap F1 | token F1 | gold | predicted |")
    print("|---|---|---|---|---|---|---|---|")
    for name, docs in sets.items():
        docs = docs[: args.limit] if args.limit else docs
        # naeval's convention splits an org into its name parts; score our joined names by their parts there
        res = evaluate(name, docs, parts="naeval" in name)
        for system, per_type in res.items():
            for t, r in per_type.items():
                print(
                    f"| {name} ({len(docs)} docs) | {system} | {t} | {r['exact']:.3f} | {r['overlap']:.3f} |"
                    f" {r['token']:.3f} | {r['gold']} | {r['pred']} |"
                )


if __name__ == "__main__":
    main()
