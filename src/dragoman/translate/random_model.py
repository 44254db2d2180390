"""Write real CTranslate2 translation models with random weights, for tests and benchmarks.

No model can be downloaded in CI, so tests and benchmarks build one: the same files, loader and decoder a
real OPUS-MT model uses, only the weights are noise (so the output is nonsense of a known length).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Helsinki-NLP/opus-mt-ru-en: Marian transformer-base, post-norm, swish FFN, tied embeddings.
OPUS_MT_RU_EN_ARCHITECTURE = {"layers": (6, 6), "heads": 8, "d_model": 512, "ffn": 2048, "vocab": 62_518}


@dataclass(frozen=True, slots=True)
class RandomModelShape:
    layers: tuple[int, int] = (2, 2)
    heads: int = 4
    d_model: int = 64
    ffn: int = 128
    vocab: int | None = None  # pad the SentencePiece vocabulary up to this size (None: exactly the pieces)
    positions: int = 1024  # rows of the position-encoding table: the longest input and output the model takes


def train_sentencepiece(sentences: Iterable[str], model_prefix: Path, *, vocab_size: int = 800) -> Path:
    """Train a small real SentencePiece (unigram) model on ``sentences``; returns the .model path."""
    import io

    import sentencepiece as spm

    data = "\n".join(s.strip() for s in sentences if s.strip())
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(data.splitlines()),
        model_writer=model,
        vocab_size=vocab_size,
        model_type="unigram",
        character_coverage=1.0,
        num_threads=2,
        minloglevel=2,
        hard_vocab_limit=False,
        bos_id=-1,
        unk_id=1,
        eos_id=0,
        pad_id=-1,
    )
    path = Path(f"{model_prefix}.model")
    path.write_bytes(model.getvalue())
    return path


def sentencepiece_vocabulary(spm_path: Path) -> list[str]:
    import sentencepiece as spm

    processor = spm.SentencePieceProcessor(model_file=str(spm_path))
    return [processor.id_to_piece(i) for i in range(processor.get_piece_size())]


def build_random_marian_model(
    output_dir: Path,
    spm_path: Path,
    *,
    shape: RandomModelShape | None = None,
    seed: int = 0,
    quantization: str = "int8",
    layout: str = "marian",
    extra_tokens: Sequence[str] = (),
) -> Path:
    """Write a Marian-style CTranslate2 model (random weights) plus its SentencePiece files to ``output_dir``.

    ``layout`` "marian" writes source.spm/target.spm like a converted OPUS-MT model; "argos" writes the
    directory layout of an Argos Translate package (model/, sentencepiece.model, metadata.json); "nllb"
    writes one sentencepiece.bpe.model and expects language tokens in ``extra_tokens``.
    """
    from ctranslate2.specs import attention_spec, common_spec, transformer_spec

    shape = shape or RandomModelShape()
    vocab = sentencepiece_vocabulary(spm_path)
    if "<pad>" not in vocab:
        vocab.append("<pad>")
    vocab.extend(t for t in extra_tokens if t not in vocab)
    if shape.vocab is not None:
        if shape.vocab < len(vocab):
            raise ValueError(f"vocabulary of {shape.vocab} is smaller than the {len(vocab)} SentencePiece pieces")
        vocab.extend(f"<extra_{i}>" for i in range(shape.vocab - len(vocab)))
    rng = np.random.default_rng(seed)
    d, ffn, v = shape.d_model, shape.ffn, len(vocab)

    # Scales chosen so that different inputs give different outputs (a misplaced result shows in tests).
    def dense(rows: int, cols: int) -> np.ndarray:
        return (rng.standard_normal((rows, cols), dtype=np.float32) * 2.0 / np.sqrt(cols)).astype(np.float32)

    def bias(n: int) -> np.ndarray:
        return np.zeros(n, dtype=np.float32)

    def norm(spec: common_spec.LayerNormSpec) -> None:
        spec.gamma = np.ones(d, dtype=np.float32)
        spec.beta = np.zeros(d, dtype=np.float32)

    def linear(spec: common_spec.LinearSpec, rows: int, cols: int) -> None:
        spec.weight = dense(rows, cols)
        spec.bias = bias(rows)

    # Encoder and decoder layers share these two blocks; weights are drawn in the order the layers list them.
    def self_attention(block: attention_spec.MultiHeadAttentionSpec) -> None:
        linear(block.linear[0], 3 * d, d)
        linear(block.linear[1], d, d)
        norm(block.layer_norm)

    def feed_forward(block: transformer_spec.FeedForwardSpec) -> None:
        linear(block.linear_0, ffn, d)
        linear(block.linear_1, d, ffn)
        norm(block.layer_norm)

    spec = transformer_spec.TransformerSpec.from_config(
        shape.layers, shape.heads, pre_norm=False, activation=common_spec.Activation.SWISH
    )
    embeddings = (rng.standard_normal((v, d), dtype=np.float32) * 0.5).astype(np.float32)
    positions = _sinusoidal_positions(d, shape.positions)
    spec.encoder.embeddings[0].weight = embeddings
    spec.encoder.position_encodings.encodings = positions
    for layer in spec.encoder.layer:
        self_attention(layer.self_attention)
        feed_forward(layer.ffn)
    spec.decoder.embeddings.weight = embeddings
    spec.decoder.position_encodings.encodings = positions
    spec.decoder.start_from_zero_embedding = True
    spec.decoder.projection.weight = embeddings  # tied, as in Marian
    spec.decoder.projection.bias = bias(v)
    for layer in spec.decoder.layer:
        self_attention(layer.self_attention)
        linear(layer.attention.linear[0], d, d)  # attention to the encoder: query, then key and value together
        linear(layer.attention.linear[1], 2 * d, d)
        linear(layer.attention.linear[2], d, d)
        norm(layer.attention.layer_norm)
        feed_forward(layer.ffn)
    spec.register_source_vocabulary(vocab)
    spec.register_target_vocabulary(vocab)
    spec.config.add_source_eos = layout != "nllb"
    spec.config.decoder_start_token = "</s>"
    spec.config.bos_token = "<s>"
    spec.validate()
    spec.optimize(quantization=quantization)

    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    if layout == "marian":
        spec.save(str(output_dir))
        spm_bytes = spm_path.read_bytes()
        (output_dir / "source.spm").write_bytes(spm_bytes)
        (output_dir / "target.spm").write_bytes(spm_bytes)
    elif layout == "nllb":
        spec.save(str(output_dir))
        (output_dir / "sentencepiece.bpe.model").write_bytes(spm_path.read_bytes())
    elif layout == "argos":
        (output_dir / "model").mkdir(exist_ok=True)
        spec.save(str(output_dir / "model"))
        (output_dir / "sentencepiece.model").write_bytes(spm_path.read_bytes())
        metadata = {
            "package_version": "0.0",
            "argos_version": "1.9.0",
            "from_code": "ru",
            "from_name": "Russian",
            "to_code": "en",
            "to_name": "English",
        }
        (output_dir / "metadata.json").write_text(json.dumps(metadata), encoding="utf-8")
    else:
        raise ValueError(f"unknown layout {layout!r}")
    return output_dir


def _sinusoidal_positions(dim: int, num_positions: int = 1024) -> np.ndarray:
    positions = np.arange(num_positions)[:, None]
    timescales = np.power(10000, 2 * (np.arange(dim) // 2) / dim)[None, :]
    angles = positions / timescales
    table = np.zeros_like(angles)
    table[:, : dim // 2] = np.sin(angles[:, 0::2])
    table[:, dim // 2 :] = np.cos(angles[:, 1::2])
    return table.astype(np.float32)


def russian_sentences(paths: Sequence[Path], limit: int = 5000) -> list[str]:
    """Up to ``limit`` non-empty lines from the given Russian text files."""
    out: list[str] = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(line.strip())
                if len(out) >= limit:
                    return out
    return out
