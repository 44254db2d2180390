"""Translation speed: dragoman's translate stage vs the Argos Translate pattern vs Hugging Face generate.

The model has opus-mt-ru-en's exact architecture (Marian transformer-base: 6+6 layers, d_model 512,
8 heads, FFN 2048, vocabulary 62,518) with random weights, converted to CTranslate2 int8; the input is
real Russian news (WMT general test 2022/2023 news documents, one article per document). Every setting
produces exactly ``--output-tokens`` target tokens per sentence (min = max decoding length), so the
figures compare equal work. Each setting runs in its own process so its peak memory is its own.

    python bench/translate_speed.py                      # all settings, 3 rounds: about 15 minutes on 2 cores
    python bench/translate_speed.py --only dragoman-b4 argos-b4
    python bench/translate_speed.py --hf-python /path/to/venv/bin/python   # (b) needs torch + transformers
    python bench/translate_speed.py --soak-articles 10000 --only soak       # memory over a long run
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
WMT = SHARED / "data" / "wmt_ru_en"
SETTINGS = ["dragoman-b1", "dragoman-b2", "dragoman-b4", "argos-b4", "hf-b4"]


# -- inputs ---------------------------------------------------------------------------------------------


def news_documents() -> list[tuple[str, list[str]]]:
    """(doc id, segments) of the news-domain documents of WMT general test 2022 and 2023, in file order."""
    docs: dict[str, list[str]] = {}
    for name in ("generaltest2022.ru-en.docs.jsonl", "generaltest2023.ru-en.docs.jsonl"):
        for line in (WMT / name).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row.get("domain") == "news":
                docs.setdefault(f"{name[:15]}:{row['docid']}", []).append(row["src"])
    return list(docs.items())


def build_articles(count: int) -> list[Any]:
    from dragoman.article import Article, Block, BlockKind

    docs = news_documents()
    articles = []
    for i in range(count):
        docid, segments = docs[i % len(docs)]
        round_ = i // len(docs)
        # Past the first round, a marker makes every sentence new, so the memory does not skip the work.
        mark = "" if round_ == 0 else f" ({round_})"
        body = [s + mark for s in segments[1:]] or ["Текст." + mark]
        blocks = [Block(BlockKind.PARAGRAPH, " ".join(body[j : j + 2])) for j in range(0, len(body), 2)]
        articles.append(Article(url=f"https://example.ru/{i}/{docid}", title=segments[0] + mark, blocks=blocks))
    return articles


def prepare(workdir: Path) -> tuple[Path, Path]:
    """The SentencePiece model (trained on WMT Russian) and the opus-mt-sized random model, cached in workdir."""
    from dragoman.translate.random_model import (
        OPUS_MT_RU_EN_ARCHITECTURE as ARCH,
    )
    from dragoman.translate.random_model import (
        RandomModelShape,
        build_random_marian_model,
        russian_sentences,
        train_sentencepiece,
    )

    workdir.mkdir(parents=True, exist_ok=True)
    spm_path = workdir / "ru16k.model"
    if not spm_path.exists():
        started = time.perf_counter()
        paths = sorted(WMT.glob("newstest201*.ru-en.ru"))
        train_sentencepiece(russian_sentences(paths, limit=30_000), workdir / "ru16k", vocab_size=16_000)
        print(f"trained SentencePiece in {time.perf_counter() - started:.0f}s", file=sys.stderr)
    model_dir = workdir / "opus-mt-ru-en-random"
    if not (model_dir / "model.bin").exists():
        started = time.perf_counter()
        shape = RandomModelShape(
            layers=ARCH["layers"], heads=ARCH["heads"], d_model=ARCH["d_model"], ffn=ARCH["ffn"], vocab=ARCH["vocab"]
        )
        build_random_marian_model(model_dir, spm_path, shape=shape, seed=0)
        print(f"built the random opus-mt-sized model in {time.perf_counter() - started:.0f}s", file=sys.stderr)
    return spm_path, model_dir


# -- workers (each in its own process) ------------------------------------------------------------------


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """User + system CPU time of this process, all threads: the work done, whatever else runs on the machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def current_rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def run_dragoman(args: argparse.Namespace, beam: int) -> dict[str, Any]:
    import tempfile

    from dragoman.pipeline.translate import translate_store
    from dragoman.settings import Settings
    from dragoman.store import open_store
    from dragoman.translate.ct2 import CTranslate2Engine
    from dragoman.translate.models import detect_layout
    from dragoman.translate.segment import article_units

    _, model_dir = prepare(Path(args.workdir))
    articles = build_articles(args.articles)
    sentences = sum(len(u.sentences) for a in articles for u in article_units(a))
    engine = CTranslate2Engine(
        detect_layout(model_dir),
        device=args.device,
        beam_size=beam,
        decoding_length=(args.output_tokens, args.output_tokens),
    )
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "bench.db")
        for article in articles:
            store.ingest(article)
        started, cpu = time.perf_counter(), cpu_seconds()
        report = translate_store(store, Settings(models_dir=Path(tmp)), engine=engine)
        elapsed, cpu = time.perf_counter() - started, cpu_seconds() - cpu
        store.close()
    assert report.total_failed == 0 and report.articles == len(articles), report.to_dict()
    return {
        "sentences": sentences,
        "engine_sentences": report.engine_sentences,
        "articles": report.articles,
        "target_tokens": report.target_tokens,
        "seconds": elapsed,
        "tokens_per_s": report.target_tokens / elapsed,
        "tokens_per_cpu_s": report.target_tokens / cpu,
        "sentences_per_s": sentences / elapsed,
        "articles_per_min": 60 * report.articles / elapsed,
        "memory_hit_rate": report.hit_rate,
        "device": engine.device,
        "compute_type": engine.compute_type,
        "threads": f"inter {engine.parallelism}, intra 1" if engine.device == "cpu" else "inter 1",
    }


def run_argos(args: argparse.Namespace) -> dict[str, Any]:
    """What Argos Translate does per call: the sentences of one paragraph, beam 4, 4 hypotheses."""
    import ctranslate2
    import sentencepiece as spm

    from dragoman.translate.segment import split_sentences

    spm_path, model_dir = prepare(Path(args.workdir))
    sp = spm.SentencePieceProcessor(model_file=str(spm_path))
    translator = ctranslate2.Translator(str(model_dir), device=args.device, inter_threads=1, intra_threads=0)
    paragraphs: list[list[str]] = []
    total = 0
    for article in build_articles(args.articles):
        for text in [article.title, *(b.text for b in article.blocks)]:
            sentences = split_sentences(text)
            paragraphs.append(sentences)
            total += len(sentences)
            if total >= args.argos_sentences:
                break
        if total >= args.argos_sentences:
            break
    tokens = 0
    started, cpu = time.perf_counter(), cpu_seconds()
    for sentences in paragraphs:
        results = translator.translate_batch(
            [sp.encode(s, out_type=str) for s in sentences],
            replace_unknowns=True,
            max_batch_size=32,
            batch_type="tokens",
            beam_size=4,
            num_hypotheses=4,
            length_penalty=0.2,
            return_scores=True,
            min_decoding_length=args.output_tokens,
            max_decoding_length=args.output_tokens,
        )
        tokens += sum(len(r.hypotheses[0]) for r in results)
    elapsed, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    return {
        "sentences": total,
        "target_tokens": tokens,
        "seconds": elapsed,
        "tokens_per_s": tokens / elapsed,
        "tokens_per_cpu_s": tokens / cpu,
        "sentences_per_s": total / elapsed,
        "device": args.device,
    }


def run_hf(args: argparse.Namespace) -> dict[str, Any]:
    """Hugging Face transformers MarianMTModel, same architecture, batch 32, beam 4 (runs in a torch venv)."""
    import sentencepiece as spm
    import torch
    from transformers import MarianConfig, MarianMTModel

    torch.set_num_threads(os.cpu_count() or 1)
    torch.manual_seed(0)
    workdir = Path(args.workdir)
    sp = spm.SentencePieceProcessor(model_file=str(workdir / "ru16k.model"))
    sentences = json.loads((workdir / "hf_sentences.json").read_text(encoding="utf-8"))
    vocab = 62_518
    config = MarianConfig(
        vocab_size=vocab,
        d_model=512,
        encoder_layers=6,
        decoder_layers=6,
        encoder_attention_heads=8,
        decoder_attention_heads=8,
        encoder_ffn_dim=2048,
        decoder_ffn_dim=2048,
        activation_function="swish",
        max_position_embeddings=512,
        pad_token_id=vocab - 1,
        eos_token_id=0,
        decoder_start_token_id=vocab - 1,
        scale_embedding=True,
    )
    model = MarianMTModel(config).eval()
    tokens = 0
    started, cpu = time.perf_counter(), cpu_seconds()
    with torch.inference_mode():
        for start in range(0, len(sentences), 32):
            batch = [[*sp.encode(s), 0] for s in sentences[start : start + 32]]
            longest = max(len(ids) for ids in batch)
            input_ids = torch.full((len(batch), longest), vocab - 1, dtype=torch.long)
            mask = torch.zeros((len(batch), longest), dtype=torch.long)
            for row, ids in enumerate(batch):
                input_ids[row, : len(ids)] = torch.tensor(ids)
                mask[row, : len(ids)] = 1
            out = model.generate(
                input_ids=input_ids,
                attention_mask=mask,
                num_beams=4,
                do_sample=False,
                min_new_tokens=args.output_tokens,
                max_new_tokens=args.output_tokens,
            )
            tokens += (out.shape[1] - 1) * out.shape[0]
    elapsed, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    return {
        "sentences": len(sentences),
        "target_tokens": tokens,
        "seconds": elapsed,
        "tokens_per_s": tokens / elapsed,
        "tokens_per_cpu_s": tokens / cpu,
        "sentences_per_s": len(sentences) / elapsed,
        "torch": torch.__version__,
        "device": "cpu",
        "compute_type": "float32",
    }


def run_soak(args: argparse.Namespace) -> dict[str, Any]:
    """A long run (``--soak-articles``) at greedy, short output: memory must stay flat as articles stream."""
    import tempfile

    from dragoman.pipeline.translate import translate_store
    from dragoman.settings import Settings
    from dragoman.store import open_store
    from dragoman.translate.ct2 import CTranslate2Engine
    from dragoman.translate.models import detect_layout
    from dragoman.translate.random_model import build_random_marian_model

    spm_path, _ = prepare(Path(args.workdir))
    # The stage's own memory (store paging, groups, memory table) is what must stay flat; a small model
    # with the same tokenizer keeps a 10,000-article run within minutes on 2 cores.
    model_dir = Path(args.workdir) / "small-soak"
    if not (model_dir / "model.bin").exists():
        build_random_marian_model(model_dir, spm_path, seed=5)
    engine = CTranslate2Engine(detect_layout(model_dir), device=args.device, beam_size=1, decoding_length=(8, 8))
    samples: list[tuple[int, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "soak.db")
        for article in build_articles(args.soak_articles):
            store.ingest(article)
        started = time.perf_counter()
        report = translate_store(
            store,
            Settings(models_dir=Path(tmp)),
            engine=engine,
            progress=lambda done, _s: samples.append((done, current_rss_mb())),
        )
        elapsed = time.perf_counter() - started
    first = samples[min(2, len(samples) - 1)][1]
    return {
        "articles": report.articles,
        "sentences": report.sentences,
        "seconds": elapsed,
        "rss_mb_after_first_groups": first,
        "rss_mb_max": max(r for _, r in samples),
        "rss_mb_last": samples[-1][1],
        "groups": len(samples),
    }


def worker(args: argparse.Namespace) -> None:
    name = args.worker
    if name.startswith("dragoman-b"):
        result = run_dragoman(args, int(name.removeprefix("dragoman-b")))
    elif name == "argos-b4":
        result = run_argos(args)
    elif name == "hf-b4":
        result = run_hf(args)
    elif name == "soak":
        result = run_soak(args)
    else:
        raise SystemExit(f"unknown setting {name}")
    result["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(result))


# -- parent ---------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", default="/tmp/dragoman-bench-translate")
    parser.add_argument("--articles", type=int, default=24, help="articles for the dragoman settings")
    parser.add_argument("--argos-sentences", type=int, default=40)
    parser.add_argument("--hf-sentences", type=int, default=32)
    parser.add_argument("--output-tokens", type=int, default=35)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--only", nargs="*", help=f"settings to run: {', '.join(SETTINGS)}, soak")
    parser.add_argument("--hf-python", help="a Python with torch and transformers for the hf-b4 setting")
    parser.add_argument("--soak-articles", type=int, default=10_000)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=3, help="runs per setting (medians are reported)")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return

    prepare(Path(args.workdir))
    from dragoman.translate.segment import article_units

    pool = [s for a in build_articles(args.articles) for u in article_units(a) for s in u.sentences]
    hf_sentences = pool[: args.hf_sentences]
    (Path(args.workdir) / "hf_sentences.json").write_text(json.dumps(hf_sentences, ensure_ascii=False))
    settings = args.only or [s for s in SETTINGS if s != "hf-b4" or args.hf_python]
    runs: dict[str, list[dict[str, Any]]] = {}
    for round_ in range(args.rounds):
        # Settings interleaved round by round, so a busy spell on the machine hits all of them alike.
        for name in settings:
            python = args.hf_python if name == "hf-b4" else sys.executable
            if name == "hf-b4" and not python:
                continue
            command = [python, __file__, "--worker", name, *_forward(args)]
            env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
            done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
            if done.returncode != 0:
                print(f"{name}: failed\n{done.stderr[-2000:]}", file=sys.stderr)
                continue
            result = json.loads(done.stdout.strip().splitlines()[-1])
            result["load_average"] = os.getloadavg()[0]
            runs.setdefault(name, []).append(result)
            print(f"round {round_ + 1} {name}: {json.dumps(result)}", file=sys.stderr)
    if "hf-b4" in settings and not args.hf_python:
        print("hf-b4: not measured (pass --hf-python with torch and transformers)", file=sys.stderr)
    results = {name: _median_run(rs) for name, rs in runs.items()}
    print_table(results, args)
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine(), "results": results, "runs": runs}, indent=2))


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median wall-clock speed, plus the median CPU-time speed over all runs."""
    ordered = sorted(runs, key=lambda r: r.get("tokens_per_s", 0))
    chosen = dict(ordered[len(ordered) // 2])
    per_cpu = sorted(r["tokens_per_cpu_s"] for r in runs if "tokens_per_cpu_s" in r)
    if per_cpu:
        chosen["tokens_per_cpu_s"] = per_cpu[len(per_cpu) // 2]
    chosen["rounds"] = len(runs)
    return chosen


def _forward(args: argparse.Namespace) -> list[str]:
    return [
        "--workdir", args.workdir, "--articles", str(args.articles), "--argos-sentences", str(args.argos_sentences),
        "--output-tokens", str(args.output_tokens), "--device", args.device,
        "--soak-articles", str(args.soak_articles),
    ]  # fmt: skip


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores"


def print_table(results: dict[str, Any], args: argparse.Namespace) -> None:
    print(f"\nmachine: {machine()}; output fixed at {args.output_tokens} tokens per sentence; medians of {args.rounds}")
    head = f"{'setting':<14}{'sentences':>10}{'tok/s':>9}{'tok/CPU-s':>11}{'sent/s':>8}{'art/min':>9}"
    print(head + f"{'peak MB':>9}{'load':>6}")
    for name, r in results.items():
        if name == "soak":
            continue
        per_min = f"{r['articles_per_min']:.0f}" if "articles_per_min" in r else "-"
        print(
            f"{name:<14}{r['sentences']:>10}{r['tokens_per_s']:>9.0f}{r['tokens_per_cpu_s']:>11.0f}"
            f"{r['sentences_per_s']:>8.1f}{per_min:>9}{r['peak_rss_mb']:>9.0f}{r['load_average']:>6.1f}"
        )
    base = results.get("argos-b4")
    if base:
        for name, r in results.items():
            if name not in ("argos-b4", "soak"):
                wall = r["tokens_per_s"] / base["tokens_per_s"]
                cpu = r["tokens_per_cpu_s"] / base["tokens_per_cpu_s"]
                print(f"{name} / argos-b4: {wall:.1f}x wall-clock, {cpu:.1f}x per CPU-second")
    if "soak" in results:
        s = results["soak"]
        print(
            f"soak: {s['articles']} articles, {s['sentences']} sentences in {s['seconds']:.0f}s; RSS after the"
            f" first groups {s['rss_mb_after_first_groups']:.0f} MB, max {s['rss_mb_max']:.0f} MB,"
            f" last {s['rss_mb_last']:.0f} MB, peak {s['peak_rss_mb']:.0f} MB"
        )


if __name__ == "__main__":
    main()
