"""Translation quality: BLEU and chrF (sacrebleu) on WMT ru-en news, FLORES-200 devtest and NTREX-128.

NTREX-128's Russian is a human translation of English news (newstest2019's English source), so there the
model translates back into the original English: a translationese input, scored against the original.

Two ways of feeding the model are scored against the human references:

- reference segmentation: each test segment goes to the engine as it is (the usual MT evaluation);
- dragoman: each document is rebuilt by doc id as one article and goes through the translate stage
  (razdel sentence splitting, glossary protection, batching); its English is scored per document.

Both are also scored at document level (segments joined per document), so a user with a real model can
check that dragoman's segmentation does not score lower than the reference segmentation.

    python bench/mt_quality.py --model argos-ru-en-1.9 --record   # an installed model, by name or directory
    python bench/mt_quality.py --smoke        # end-to-end on a tiny random-weight model: numbers mean nothing

``--record`` appends the figures with the model id (name@checksum) and the date to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"


def load_sets(limit: int | None) -> dict[str, list[tuple[str, str, str]]]:
    """Test sets as (doc id, Russian, English reference) rows; doc id "" where the set has none."""
    sets: dict[str, list[tuple[str, str, str]]] = {}
    wmt = DATA / "wmt_ru_en"
    for year in ("2019", "2020"):
        ru = (wmt / f"newstest{year}.ru-en.ru").read_text(encoding="utf-8").splitlines()
        en = (wmt / f"newstest{year}.ru-en.en").read_text(encoding="utf-8").splitlines()
        sets[f"newstest{year}"] = [("", r, e) for r, e in zip(ru, en, strict=True)]
    for name in ("generaltest2022", "generaltest2023"):
        rows = []
        for line in (wmt / f"{name}.ru-en.docs.jsonl").read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row.get("domain") != "news":
                continue
            refs = row["refs"]
            ref = refs.get("A") or refs.get("refA") or next(iter(refs.values()))
            rows.append((row["docid"], row["src"], ref))
        sets[f"{name}-news"] = rows
    flores = DATA / "flores200"
    ru = (flores / "rus_Cyrl.devtest").read_text(encoding="utf-8").splitlines()
    en = (flores / "eng_Latn.devtest").read_text(encoding="utf-8").splitlines()
    urls = [line.split("\t")[0] for line in (flores / "metadata_devtest.tsv").read_text().splitlines()[1:]]
    sets["flores200-devtest"] = list(zip(urls, ru, en, strict=True))
    ntrex = DATA / "ntrex128"
    ru = (ntrex / "newstest2019-ref.rus.txt").read_text(encoding="utf-8").splitlines()
    en = (ntrex / "newstest2019-src.eng.txt").read_text(encoding="utf-8").splitlines()
    docs = [line.split("\t")[0] for line in (ntrex / "DOCUMENT_IDS.tsv").read_text(encoding="utf-8").splitlines()]
    sets["ntrex128"] = list(zip(docs, ru, en, strict=True))
    if limit:
        sets = {name: rows[:limit] for name, rows in sets.items()}
    return sets


def score(hypotheses: list[str], references: list[str]) -> dict[str, float]:
    import sacrebleu

    return {
        "bleu": round(sacrebleu.corpus_bleu(hypotheses, [references]).score, 2),
        "chrf": round(sacrebleu.corpus_chrf(hypotheses, [references]).score, 2),
    }


def by_document(rows: list[tuple[str, str, str]], texts: list[str]) -> tuple[list[str], list[str]]:
    """Join segment-level texts and references per doc id (in first-seen order)."""
    hyp: dict[str, list[str]] = {}
    ref: dict[str, list[str]] = {}
    for (doc, _ru, en), text in zip(rows, texts, strict=True):
        hyp.setdefault(doc, []).append(text)
        ref.setdefault(doc, []).append(en)
    return [" ".join(v) for v in hyp.values()], [" ".join(v) for v in ref.values()]


def evaluate(model: Any, *, limit: int | None, beam: int, device: str) -> dict[str, Any]:
    from dragoman.article import Article, Block, BlockKind
    from dragoman.translate.batching import translate_texts
    from dragoman.translate.ct2 import CTranslate2Engine
    from dragoman.translate.models import detect_layout
    from dragoman.translate.stage import ArticleTranslator

    layout = model if not isinstance(model, Path) else detect_layout(model)
    engine = CTranslate2Engine(layout, device=device, beam_size=beam)
    results: dict[str, Any] = {}
    for name, rows in load_sets(limit).items():
        started = time.perf_counter()
        sources = [ru for _doc, ru, _en in rows]
        references = [en for _doc, _ru, en in rows]
        outputs, stats = translate_texts(engine, sources)
        hypotheses = [o or "" for o in outputs]
        entry: dict[str, Any] = {"segments": len(rows), "reference_segmentation": score(hypotheses, references)}
        if rows and rows[0][0]:
            doc_hyp, doc_ref = by_document(rows, hypotheses)
            entry["documents"] = len(doc_ref)
            entry["reference_segmentation_doc"] = score(doc_hyp, doc_ref)
            # dragoman: one article per document, its segments as one paragraph each (as outlets publish them).
            docs: dict[str, list[str]] = {}
            for doc, ru, _en in rows:
                docs.setdefault(doc, []).append(ru)
            articles = [
                Article(url=f"https://test.invalid/{i}", title="", blocks=[Block(BlockKind.PARAGRAPH, s) for s in segs])
                for i, segs in enumerate(docs.values())
            ]
            translations = ArticleTranslator(engine).translate_group(articles)
            dragoman_docs = []
            for translation in translations:
                if isinstance(translation, Exception):
                    raise translation
                dragoman_docs.append(" ".join(b.text for b in translation.blocks))
            entry["dragoman_doc"] = score(dragoman_docs, doc_ref)
        entry["seconds"] = round(time.perf_counter() - started, 1)
        entry["tokens_per_s"] = round(stats.target_tokens / stats.wall_seconds, 1) if stats.wall_seconds else 0
        results[name] = entry
        print(f"{name}: {json.dumps(entry)}", file=sys.stderr)
    return results


def tiny_model(workdir: Path) -> Path:
    from dragoman.translate.random_model import build_random_marian_model, russian_sentences, train_sentencepiece

    sentences = russian_sentences([DATA / "wmt_ru_en" / "newstest2019.ru-en.ru"], limit=3000)
    spm_path = train_sentencepiece(sentences, workdir / "sp", vocab_size=800)
    return build_random_marian_model(workdir / "tiny", spm_path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="installed model name or CTranslate2 model directory")
    parser.add_argument("--smoke", action="store_true", help="build a tiny random model and run on 40 segments a set")
    parser.add_argument("--limit", type=int, help="segments per test set")
    parser.add_argument("--beam", type=int, default=2)
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--record",
        nargs="?",
        const=REPO / "bench" / "RESULTS.md",
        type=Path,
        help="append the figures with the model id to this file (default bench/RESULTS.md)",
    )
    args = parser.parse_args()
    if not args.model and not args.smoke:
        parser.error("pass --model NAME_OR_DIR (or --smoke)")
    from dragoman.settings import load_settings
    from dragoman.translate.models import resolve_model

    with tempfile.TemporaryDirectory() as tmp:
        layout = resolve_model(load_settings(), args.model or str(tiny_model(Path(tmp))))
        limit = args.limit or (40 if args.smoke else None)
        results = evaluate(layout, limit=limit, beam=args.beam, device=args.device)
    model_id = layout.model_id
    note = "" if args.model else " (tiny random-weight model, smoke run: scores are meaningless)"
    print(f"\nmodel: {model_id}{note}")
    print(
        f"{'set':<22}{'segs':>6}{'BLEU':>8}{'chrF':>8}{'docBLEU':>9}{'docchrF':>9}{'drg-docBLEU':>12}{'drg-docchrF':>12}"
    )
    nan = float("nan")
    for name, r in results.items():
        ref = r["reference_segmentation"]
        doc = r.get("reference_segmentation_doc", {})
        drg = r.get("dragoman_doc", {})
        print(
            f"{name:<22}{r['segments']:>6}{ref['bleu']:>8.2f}{ref['chrf']:>8.2f}"
            f"{doc.get('bleu', nan):>9.2f}{doc.get('chrf', nan):>9.2f}"
            f"{drg.get('bleu', nan):>12.2f}{drg.get('chrf', nan):>12.2f}"
        )
    if args.json:
        args.json.write_text(json.dumps({"model_id": model_id, "results": results}, indent=2))
    if args.record:
        record(args.record, model_id + note, results, limit=limit, beam=args.beam)


def record(path: Path, model_id: str, results: dict[str, Any], *, limit: int | None, beam: int) -> None:
    """Append one dated line per run: the model id and each set's BLEU/chrF (reference segmentation)."""
    import platform
    from datetime import date

    figures = ", ".join(
        f"{name} BLEU {r['reference_segmentation']['bleu']:.2f} chrF {r['reference_segmentation']['chrf']:.2f}"
        for name, r in results.items()
    )
    segments = f"first {limit} segments a set" if limit else "full sets"
    line = (
        f"- {date.today().isoformat()} `bench/mt_quality.py` model `{model_id}`, beam {beam}, {segments}, "
        f"{platform.machine()} {os.cpu_count()} cores: {figures}\n"
    )
    with path.open("a", encoding="utf-8") as out:
        out.write(line)
    print(f"recorded in {path}")


if __name__ == "__main__":
    main()
