"""Event extraction against NEREL's event annotation and a hand-made gold timeline of 22 BSNLP articles.

NEREL (``--nerel test``; train/dev for tuning): gold EVENT mentions and their AGENT, PARTICIPANT_IN,
POINT_IN_TIME and TAKES_PLACE_IN relations. A predicted event matches a gold EVENT when its trigger overlaps the
gold span. An argument counts when its event matched and the party's words overlap the gold argument's span or
name the same entity (same Wikidata link or the same words elsewhere in the document). Roles: actor -> AGENT,
target and other participants -> PARTICIPANT_IN, date -> POINT_IN_TIME, place -> TAKES_PLACE_IN; "parties"
pools AGENT and PARTICIPANT_IN (NEREL calls the one who dies or is arrested a participant, we may call them the
target or, for intransitive verbs, the actor). Recall is reported twice: against every gold argument, and
against the arguments of the gold events whose trigger we found ("given trigger").

Timeline (bench/gold/timeline_bsnlp.jsonl):

Gold: the events of our types that a named party takes part in, with type, actor, target (lists of acceptable
names: canonical English, state, or the Russian name) and date (ISO at its precision; null when the text does
not state one). A predicted event matches a gold one (one to one) when the type is the same and each party the
gold gives matches the prediction's name, state or Russian name; "+ date" also needs the date value to match
where the gold has one. Precision counts every predicted event, so it is a lower bound: the gold lists the
salient events, not every trigger word.

    .venv/bin/python bench/events_eval.py [--show] [--nerel test|dev|train] [--docs N] [--no-timeline]
"""

from __future__ import annotations

import argparse
import json
import os
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
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


NEREL = ROOT / ".." / "shared" / "data" / "nerel" / "NEREL-v1.1"
ROLES = ("AGENT", "PARTICIPANT_IN", "POINT_IN_TIME", "TAKES_PLACE_IN", "parties")


@dataclass
class NerelDoc:
    text: str
    spans: dict[str, tuple[int, int, str, str]]  # T id -> (start, stop, type, text)
    events: list[str]  # T ids of EVENT mentions
    args: dict[str, dict[str, set[str]]]  # event T id -> role -> argument T ids
    same: dict[str, set[str]]  # T id -> folded texts naming the same entity


def load_nerel(path: Path) -> NerelDoc:
    text = path.with_suffix(".txt").read_text(encoding="utf-8")
    spans: dict[str, tuple[int, int, str, str]] = {}
    links: dict[str, str] = {}
    rels: list[tuple[str, str, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if line.startswith("T") and len(parts) >= 3:
            head = parts[1].split(";")[0].split()
            spans[parts[0]] = (int(head[1]), int(head[2]), head[0], parts[2])
        elif line.startswith("R") and len(parts) >= 2:
            kind, a1, a2 = parts[1].split()
            rels.append((kind, a1.split(":", 1)[1], a2.split(":", 1)[1]))
        elif line.startswith("N") and len(parts) >= 2:
            _, tid, ref = parts[1].split()
            links[tid] = ref
    events = [t for t, v in spans.items() if v[2] == "EVENT"]
    args: dict[str, dict[str, set[str]]] = {e: {r: set() for r in ROLES} for e in events}
    for kind, a1, a2 in rels:
        if kind in ("AGENT", "PARTICIPANT_IN") and a2 in args:
            args[a2][kind].add(a1)
            args[a2]["parties"].add(a1)
        elif kind in ("POINT_IN_TIME", "TAKES_PLACE_IN") and a1 in args:
            args[a1][kind].add(a2)
    by_link: dict[str, set[str]] = {}
    for tid, ref in links.items():
        if tid not in spans:
            continue
        by_link.setdefault(ref, set()).add(fold(spans[tid][3]))
    same = {}
    for tid, (_, _, _, words) in spans.items():
        names = {fold(words)}
        if tid in links and links[tid] in by_link:
            names |= by_link[links[tid]]
        same[tid] = names
    return NerelDoc(text, spans, events, args, same)


def nerel_article(doc: NerelDoc, name: str) -> tuple[Article, list[int]]:
    """The document as an article (first line the title, each further line a paragraph) and where each line starts."""
    lines, starts, pos = [], [], 0
    for raw in doc.text.split("\n"):
        if raw.strip():
            lines.append(raw)
            starts.append(pos)
        pos += len(raw) + 1
    article = Article(
        url=f"nerel:{name}", title=lines[0].strip(), blocks=[Block("paragraph", x.strip()) for x in lines[1:]]
    )
    return article, starts


def sentence_offsets(doc: NerelDoc, sentences: list[dict[str, Any]]) -> list[int]:
    """Where each analyzed sentence starts in the NEREL file (sentences are in reading order)."""
    out, cursor = [], 0
    for sent in sentences:
        at = doc.text.find(sent["text"], cursor)
        out.append(at if at >= 0 else -1)
        if at >= 0:
            cursor = at + len(sent["text"])
    return out


def _span_in(sentence: str, base: int, part: dict[str, Any] | None, key: str = "text") -> tuple[int, int] | None:
    if not part or base < 0:
        return None
    if isinstance(part.get("start"), int) and isinstance(part.get("stop"), int):
        return base + part["start"], base + part["stop"]
    words = part.get(key) or ""
    at = sentence.find(words) if words else -1
    return (base + at, base + at + len(words)) if at >= 0 else None


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def predicted_arguments(
    ev: dict[str, Any], sentence: str, base: int
) -> dict[str, list[tuple[tuple[int, int] | None, str]]]:
    out: dict[str, list[tuple[tuple[int, int] | None, str]]] = {r: [] for r in ROLES}

    def add(role: str, part: dict[str, Any] | None) -> None:
        if part:
            out[role].append((_span_in(sentence, base, part), fold(str(part.get("text") or ""))))

    add("AGENT", ev.get("actor"))
    add("PARTICIPANT_IN", ev.get("target"))
    for extra in ev.get("participants") or []:
        add("PARTICIPANT_IN", extra)
    add("POINT_IN_TIME", ev.get("date"))
    add("TAKES_PLACE_IN", ev.get("location") or ev.get("place"))
    out["parties"] = out["AGENT"] + out["PARTICIPANT_IN"]
    return out


def in_scope(doc: NerelDoc, event: str) -> bool:
    """Whether a gold EVENT is of a type we extract: a word of its trigger has a lemma in our lexicon.

    NEREL's EVENT has no subtypes; its trigger words decide. Births, deaths, elections, appointments, awards,
    matches and concerts have no lemma in the lexicon and are out of scope; arrests, sentences, attacks,
    meetings, talks, visits, sanctions, protests, strikes, accusations, agreements are in."""
    from dragoman.analyze.nlp import parse

    words = doc.spans[event][3]
    parsed = parse(words, [(0, len(words))], needs_syntax=lambda _tokens: False)
    return any((t.lemma or t.text).lower().replace("ё", "е") in scope_lexicon() for t in parsed.tokens)


@lru_cache(maxsize=1)
def scope_lexicon() -> frozenset[str]:
    """The Russian trigger lemmas of this checkout's lexicon file, read directly so that a run of older code
    (the "before" figures) is scored against the same scope."""
    raw = tomllib.loads((ROOT / "src" / "dragoman" / "data" / "event_triggers.toml").read_text(encoding="utf-8"))
    return frozenset(lemma for modes in raw["ru"].values() for lemmas in modes.values() for lemma in lemmas)


def _counters() -> dict[str, dict[str, int]]:
    return {r: {"pred": 0, "correct": 0, "gold": 0, "pred_given": 0, "gold_given": 0} for r in ROLES}


def evaluate_nerel(split: str, limit: int | None, show: bool) -> None:
    files = sorted((NEREL / split).glob("*.ann"))[: limit or None]
    n_pred = n_gold = trig_pred_hit = trig_gold_hit = 0
    arg = _counters()
    # the same, counting only gold events of our types and the predictions not matched to another type's event
    scoped = _counters()
    s_pred = s_gold = s_pred_hit = s_gold_hit = 0
    # why an AGENT/PARTICIPANT_IN of an in-scope event whose trigger we found was missed
    why: dict[str, int] = {"other sentence": 0, "not tagged as an entity": 0, "tagged, role not read": 0}
    skipped = 0
    for path in files:
        doc = load_nerel(path)
        article, _ = nerel_article(doc, path.stem)
        try:
            analysis = analyze_article(article)
        except Exception as exc:  # one bad document is counted, not fatal
            skipped += 1
            print(f"skipped {path.name}: {exc}")
            continue
        sents = analysis["sentences"]
        bases = sentence_offsets(doc, sents)
        gold_hit: dict[str, set[str]] = {e: set() for e in doc.events}  # event -> roles' arg ids found
        matched_gold: set[str] = set()
        scope = {e: in_scope(doc, e) for e in doc.events}
        n_gold += len(doc.events)
        s_gold += sum(scope.values())
        for e in doc.events:
            for r in ROLES:
                arg[r]["gold"] += len(doc.args[e][r])
                if scope[e]:
                    scoped[r]["gold"] += len(doc.args[e][r])
        for ev in analysis["events"]:
            n_pred += 1
            sent = sents[ev["sentence"]]["text"]
            base = bases[ev["sentence"]]
            tspan = None
            if base >= 0:
                at = ev.get("trigger_start") if isinstance(ev.get("trigger_start"), int) else sent.find(ev["trigger"])
                tspan = (base + at, base + at + len(ev["trigger"])) if at >= 0 else None
            hits = [e for e in doc.events if tspan and _overlaps(tspan, doc.spans[e][:2])]
            preds = predicted_arguments(ev, sent, base)
            if show:
                print(path.stem, ev["type"], ev["trigger"], "HIT" if hits else "miss",
                      {r: [t for _, t in v] for r, v in preds.items() if v and r != "parties"})  # fmt: skip
            if not hits:
                s_pred += 1
                for r in ROLES:
                    arg[r]["pred"] += len(preds[r])
                    scoped[r]["pred"] += len(preds[r])
                continue
            trig_pred_hit += 1
            g = hits[0]
            matched_gold.add(g)
            if scope[g]:
                s_pred += 1
                s_pred_hit += 1
            for r in ROLES:
                for span, words in preds[r]:
                    arg[r]["pred"] += 1
                    arg[r]["pred_given"] += 1
                    if scope[g]:
                        scoped[r]["pred"] += 1
                        scoped[r]["pred_given"] += 1
                    ok = next(
                        (
                            a
                            for a in doc.args[g][r]
                            if (span and _overlaps(span, doc.spans[a][:2])) or (words and words in doc.same[a])
                        ),
                        None,
                    )
                    if ok is not None and (r, ok) not in gold_hit[g]:
                        gold_hit[g].add((r, ok))  # type: ignore[arg-type]
                        arg[r]["correct"] += 1
                        if scope[g]:
                            scoped[r]["correct"] += 1
        trig_gold_hit += len(matched_gold)
        s_gold_hit += sum(1 for g in matched_gold if scope[g])
        tagged = [
            (bases[m["sentence"]] + m["start"], bases[m["sentence"]] + m["stop"])
            for m in analysis["mentions"]
            if 0 <= m.get("sentence", -1) < len(bases) and bases[m["sentence"]] >= 0
        ]
        for g in matched_gold:
            if not scope[g]:
                continue
            g_sentence = _sentence_at(bases, sents, doc.spans[g][0])
            for r in ("AGENT", "PARTICIPANT_IN"):
                for a in doc.args[g][r]:
                    if (r, a) in gold_hit[g]:
                        continue
                    span = doc.spans[a][:2]
                    if _sentence_at(bases, sents, span[0]) != g_sentence:
                        why["other sentence"] += 1
                    elif not any(_overlaps(span, t) for t in tagged):
                        why["not tagged as an entity"] += 1
                    else:
                        why["tagged, role not read"] += 1
        for g in matched_gold:
            for r in ROLES:
                arg[r]["gold_given"] += len(doc.args[g][r])
                if scope[g]:
                    scoped[r]["gold_given"] += len(doc.args[g][r])
    print(f"NEREL {split}: {len(files)} documents ({skipped} skipped), {n_gold} gold events, {n_pred} predicted")
    _print_table(n_pred, n_gold, trig_pred_hit, trig_gold_hit, arg)
    print(
        f"\nNEREL {split}, gold events of our types only (a trigger word's lemma in the lexicon): {s_gold} of "
        f"{n_gold} gold events; {s_pred} predictions not matched to another type's event"
    )
    _print_table(s_pred, s_gold, s_pred_hit, s_gold_hit, scoped)
    print(
        "\nMissed AGENT/PARTICIPANT_IN of in-scope events whose trigger was found: "
        + ", ".join(f"{k} {v}" for k, v in why.items())
    )


def _sentence_at(bases: list[int], sents: list[dict[str, Any]], offset: int) -> int:
    for i, (base, sent) in enumerate(zip(bases, sents, strict=True)):
        if base >= 0 and base <= offset < base + len(sent["text"]):
            return i
    return -1


def _print_table(
    n_pred: int, n_gold: int, trig_pred_hit: int, trig_gold_hit: int, arg: dict[str, dict[str, int]]
) -> None:
    print(
        "| measure | predicted | gold | correct | precision | recall | F1 "
        "| P given trigger | R given trigger | F1 given trigger |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    tp = trig_pred_hit / n_pred if n_pred else 0.0
    tr = trig_gold_hit / n_gold if n_gold else 0.0
    tf = 2 * tp * tr / (tp + tr) if tp + tr else 0.0
    print(f"| trigger | {n_pred} | {n_gold} | {trig_gold_hit} | {tp:.3f} | {tr:.3f} | {tf:.3f} | | | |")
    for r in ROLES:
        a = arg[r]
        p = a["correct"] / a["pred"] if a["pred"] else 0.0
        rec = a["correct"] / a["gold"] if a["gold"] else 0.0
        f = 2 * p * rec / (p + rec) if p + rec else 0.0
        pg = a["correct"] / a["pred_given"] if a["pred_given"] else 0.0
        rg = a["correct"] / a["gold_given"] if a["gold_given"] else 0.0
        fg = 2 * pg * rg / (pg + rg) if pg + rg else 0.0
        print(
            f"| argument {r} | {a['pred']} | {a['gold']} | {a['correct']} | {p:.3f} | {rec:.3f} | {f:.3f}"
            f" | {pg:.3f} | {rg:.3f} | {fg:.3f} |"
        )


def evaluate_timeline(show: bool) -> None:

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
        if show:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--show", action="store_true", help="Print gold and predicted events per article.")
    parser.add_argument("--nerel", choices=("train", "dev", "test"), help="Also score a NEREL split.")
    parser.add_argument("--docs", type=int, help="Only the first N NEREL documents (by name).")
    parser.add_argument("--no-timeline", action="store_true", help="Skip the 22-article gold timeline.")
    args = parser.parse_args()
    if not args.no_timeline:
        evaluate_timeline(args.show)
    if args.nerel:
        evaluate_nerel(args.nerel, args.docs, args.show)


if __name__ == "__main__":
    main()
