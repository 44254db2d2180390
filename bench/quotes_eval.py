"""Quote attribution on quotes_ru_adaq (208 Russian sentences with gold source, cue and content tokens).

Per sentence, the predicted speaker matches when it overlaps the gold source tokens (speaker P/R/F1); the
quoted text is scored token by token against the gold content (content overlap F1). Also cue (reporting
verb) accuracy where both a gold cue and a prediction exist.

    .venv/bin/python bench/quotes_eval.py [--show-errors]
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from dragoman.analyze.entities import extract_entities
from dragoman.analyze.nlp import load_models, parse
from dragoman.analyze.quotes import extract_quotes
from dragoman.analyze.sentences import Sentence
from dragoman.names.registry import load_registry

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "quotes_ru_adaq"


def load_gold(data: Path = DATA) -> list[dict[str, Any]]:
    """Sentences with token offsets and the gold tag of each token (source | cue | content | None)."""
    with (data / "ru_sentences.tsv").open(encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    texts = {row[1]: row[0] for row in rows[1:] if len(row) >= 2}
    tokens: dict[str, list[tuple[str, str]]] = defaultdict(list)
    with (data / "ru_tokens.tsv").open(encoding="utf-8") as f:
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(reader)
        for row in reader:
            if len(row) >= 5:
                tokens[row[2]].append((row[1], row[4]))
    out = []
    for sid, text in texts.items():
        pos = 0
        spans = []
        for tok, tag in tokens.get(sid, []):
            found = text.find(tok, pos)
            if found < 0:
                continue
            spans.append((found, found + len(tok), tag))
            pos = found + len(tok)
        out.append({"id": sid, "text": text, "tokens": spans})
    return out


def predict(text: str) -> list[Any]:
    sentence = Sentence(0, "block", 0, text, None, 0)
    doc = parse(text, [(0, len(text))])
    mentions, _ = extract_entities(doc, [sentence], load_registry(), morph_vocab=load_models().morph_vocab)
    return extract_quotes(doc, [sentence], mentions)


def _covered(tokens: list[tuple[int, int, str]], spans: list[tuple[int, int]]) -> set[int]:
    return {i for i, (a, b, _) in enumerate(tokens) if any(a < y and x < b for x, y in spans)}


def evaluate(items: list[dict[str, Any]], show_errors: bool = False) -> dict[str, float]:
    tp = fp = fn = 0
    c_tp = c_pred = c_gold = 0
    cue_ok = cue_n = 0
    for item in items:
        toks = item["tokens"]
        gold_src = {i for i, t in enumerate(toks) if t[2] == "source"}
        gold_content = {i for i, t in enumerate(toks) if t[2] == "content"}
        gold_cue = {toks[i][2] and i for i, t in enumerate(toks) if t[2] == "cue"}
        quotes = predict(item["text"])
        pred_src = _covered(toks, [q.speaker_span for q in quotes if q.speaker_span])
        pred_content = _covered(toks, [q.content_span for q in quotes if q.content_span])
        if pred_src and gold_src and pred_src & gold_src:
            tp += 1
        else:
            if pred_src:
                fp += 1
            if gold_src:
                fn += 1
            if show_errors and (pred_src or gold_src):
                gold_words = " ".join(item["text"][toks[i][0] : toks[i][1]] for i in sorted(gold_src))
                pred_words = " ".join(item["text"][toks[i][0] : toks[i][1]] for i in sorted(pred_src))
                print(f"[{gold_words!r} vs {pred_words!r}] {item['text']}", file=sys.stderr)
        c_tp += len(pred_content & gold_content)
        c_pred += len(pred_content)
        c_gold += len(gold_content)
        if gold_cue and quotes:
            cue_n += 1
            cue_words = {item["text"][toks[i][0] : toks[i][1]].lower() for i in gold_cue}
            cue_ok += any(q.verb and any(w.startswith(q.verb[:4]) for w in cue_words) for q in quotes)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    cp = c_tp / c_pred if c_pred else 0.0
    cr = c_tp / c_gold if c_gold else 0.0
    return {
        "sentences": len(items),
        "speaker_p": p,
        "speaker_r": r,
        "speaker_f1": 2 * p * r / (p + r) if p + r else 0.0,
        "content_p": cp,
        "content_r": cr,
        "content_f1": 2 * cp * cr / (cp + cr) if cp + cr else 0.0,
        "cue_accuracy": cue_ok / cue_n if cue_n else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--show-errors", action="store_true")
    args = parser.parse_args()
    load_models()
    res = evaluate(load_gold(), args.show_errors)
    print("| sentences | speaker P | speaker R | speaker F1 | content P | content R | content overlap F1 | cue acc. |")
    print("|---|---|---|---|---|---|---|---|")
    print(
        f"| {res['sentences']} | {res['speaker_p']:.3f} | {res['speaker_r']:.3f} | {res['speaker_f1']:.3f} |"
        f" {res['content_p']:.3f} | {res['content_r']:.3f} | {res['content_f1']:.3f} | {res['cue_accuracy']:.3f} |"
    )


if __name__ == "__main__":
    main()
