"""Event extraction against a hand-made gold timeline of 22 real BSNLP articles (bench/gold/timeline_bsnlp.jsonl).

Gold: the events of our types that a named party takes part in, with type, actor, target (lists of acceptable
names: canonical English, state, or the Russian name) and date (ISO at its precision; null when the text does
not state one). A predicted event matches a gold one (one to one) when the type is the same and each party the
gold gives matches the prediction's name, state or Russian name; "+ date" also needs the date value to match
where the gold has one. Precision counts every predicted event, so it is a lower bound: the gold lists the
salient events, not every trigger word.

    .venv/bin/python bench/events_eval.py [--show]
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from dragoman.analyze import analyze_article
from dragoman.article import Article, Block
from dragoman.names.registry import fold

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data" / "bsnlp_ru"
GOLD = ROOT / "bench" / "gold" / "timeline_bsnlp.jsonl"


def load_article(relative: str) -> Article:
    lines = (DATA / relative).read_text(encoding="utf-8").splitlines()
    return Article(
        url=f"{lines[3].strip()}#{Path(relative).name}",
        title=lines[4].strip(),
        blocks=[Block("paragraph", line.strip()) for line in lines[5:] if line.strip()],
        published_at=datetime.fromisoformat(lines[2].strip()[:10]).replace(tzinfo=UTC),
        timezone="Europe/Moscow",
    )


def party_matches(gold: list[str] | None, predicted: dict[str, Any] | None) -> bool:
    if not gold:
        return True
    if not predicted:
        return False
    names = {fold(str(predicted.get(k) or "")) for k in ("name", "state", "text")}
    key = str(predicted.get("entity") or "")
    names.add(fold(key.split(":", 1)[1]) if ":" in key else fold(key))
    return any(fold(g) in names for g in gold)


def event_matches(gold: dict[str, Any], pred: dict[str, Any], with_date: bool) -> bool:
    if gold["type"] != pred["type"]:
        return False
    if not (
        party_matches(gold.get("actor"), pred.get("actor")) and party_matches(gold.get("target"), pred.get("target"))
    ):
        return False
    if with_date and gold.get("date"):
        value = (pred.get("date") or {}).get("value") or ""
        return value == gold["date"] or value.startswith(gold["date"] + "/")
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--show", action="store_true", help="Print gold and predicted events per article.")
    args = parser.parse_args()
    rows = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    totals = {False: [0, 0], True: [0, 0]}  # with_date -> [matched_gold, matched_pred]
    n_gold = n_pred = 0
    for row in rows:
        analysis = analyze_article(load_article(row["file"]))
        predicted = analysis["events"]
        n_gold += len(row["events"])
        n_pred += len(predicted)
        for with_date in (False, True):
            used: set[int] = set()
            for g in row["events"]:
                hit = next(
                    (i for i, p in enumerate(predicted) if i not in used and event_matches(g, p, with_date)), None
                )
                if hit is not None:
                    used.add(hit)
            totals[with_date][0] += len(used)
            totals[with_date][1] += len(used)
        if args.show:
            print("##", row["file"])
            for g in row["events"]:
                print("  gold", g)
            for p in predicted:
                actor, target = p.get("actor") or {}, p.get("target") or {}
                print("  pred", p["type"], p["mode"], actor.get("name"), "->", target.get("name"),
                      (p.get("date") or {}).get("value"), p["status"])  # fmt: skip
    print("| articles | gold events | predicted | match | precision | recall | F1 |")
    print("|---|---|---|---|---|---|---|")
    for with_date, label in ((False, "type + actor + target"), (True, "type + actor + target + date")):
        matched = totals[with_date][0]
        p = matched / n_pred if n_pred else 0.0
        r = matched / n_gold if n_gold else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        print(f"| {len(rows)} | {n_gold} | {n_pred} | {label} | {p:.3f} | {r:.3f} | {f:.3f} |")


if __name__ == "__main__":
    main()
