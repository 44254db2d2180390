"""Date detection against NEREL's DATE spans (test split by default; --split dev for tuning).

Spans found by dragoman's date patterns (dragoman.analyze.dates) are compared with gold DATE entities:
exact and overlap precision/recall/F1. NEREL also tags durations and ages as DATE ("несколько лет",
"пятилетний"), which we do not try to find: recall counts them as misses. Resolution needs a publication
date NEREL does not give; it is tested on cases from the issue in tests/analyze/test_dates.py.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from razdel import sentenize

from dragoman.analyze.dates import extract_dates

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "nerel" / "NEREL-v1.1"


def gold_dates(ann: Path) -> list[tuple[int, int]]:
    spans = []
    for line in ann.read_text(encoding="utf-8").splitlines():
        if line.startswith("T") and "\tDATE " in line:
            nums = [int(x) for x in line.split("\t")[1].replace(";", " ").split()[1:]]
            spans.append((min(nums), max(nums)))
    return sorted(set(spans))


def predicted_dates(text: str) -> list[tuple[int, int]]:
    out = []
    for i, s in enumerate(sentenize(text)):
        for d in extract_dates(s.text, date(2020, 1, 1), i):
            out.append((s.start + d.start, s.start + d.stop))
    return out


def prf(tp_p: int, n_p: int, tp_g: int, n_g: int) -> tuple[float, float, float]:
    p = tp_p / n_p if n_p else 0.0
    r = tp_g / n_g if n_g else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=["test", "dev"], default="test")
    args = parser.parse_args()
    n_gold = n_pred = exact = ov_pred = ov_gold = 0
    docs = sorted((DATA / args.split).glob("*.txt"))
    for txt in docs:
        text = txt.read_text(encoding="utf-8")
        gold = gold_dates(txt.with_suffix(".ann"))
        pred = predicted_dates(text)
        n_gold += len(gold)
        n_pred += len(pred)
        exact += len(set(gold) & set(pred))
        ov_pred += sum(any(a < d and c < b for c, d in gold) for a, b in pred)
        ov_gold += sum(any(a < d and c < b for a, b in pred) for c, d in gold)
    ep, er, ef = prf(exact, n_pred, exact, n_gold)
    op, orr, of = prf(ov_pred, n_pred, ov_gold, n_gold)
    print("| set | gold DATE | predicted | exact P | exact R | exact F1 | overlap P | overlap R | overlap F1 |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(
        f"| NEREL {args.split} ({len(docs)} docs) | {n_gold} | {n_pred} | {ep:.3f} | {er:.3f} | {ef:.3f} |"
        f" {op:.3f} | {orr:.3f} | {of:.3f} |"
    )


if __name__ == "__main__":
    main()
