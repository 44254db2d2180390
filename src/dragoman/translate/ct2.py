"""The default engine: a CTranslate2 model with SentencePiece, int8 on CPU, float16 on CUDA.

On CPU the translator runs one single-threaded replica per core (``inter_threads`` = cores,
``intra_threads`` = 1): on 2 cores that is 1.6x faster than one two-threaded translator (see
shared/notes/mt-speed.md). The stage feeds it length-sorted batches from several threads at once.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dragoman.errors import ConfigError, TranslateError, first_line
from dragoman.translate.engine import BatchOutput
from dragoman.translate.models import ModelLayout, resolve_model

DEFAULT_BEAM_SIZE = 2
MAX_DECODING_LENGTH = 512
MAX_INPUT_LENGTH = 1024
_POSITION_TABLES = ("encoder/position_encodings/encodings", "decoder/position_encodings/encodings")
_CONFIG_POSITION_KEYS = ("max_position_embeddings", "max_source_positions", "max_length")


def model_position_limit(ct2_dir: Path) -> int | None:
    """How many positions the model has encodings for (inputs and outputs longer fail in CTranslate2 with
    "No position encodings are defined for positions >= N"); None when it has no fixed table.

    Read from config.json when a converter wrote it there, else from the shapes of the position-encoding
    tables in model.bin's header (the weights themselves are skipped, not read).
    """
    try:
        config = json.loads((ct2_dir / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        config = {}
    for key in _CONFIG_POSITION_KEYS:
        value = config.get(key) if isinstance(config, dict) else None
        if isinstance(value, int) and value > 0:
            return value
    try:
        return _position_rows_in_model_bin(ct2_dir / "model.bin")
    except (OSError, struct.error, UnicodeDecodeError, ValueError):
        return None  # an unknown binary layout: CTranslate2 reports its own limit if there is one


def _position_rows_in_model_bin(path: Path) -> int | None:
    """CTranslate2's model.bin (binary version >= 4): version, spec name, revision, then each variable as
    name, rank, dims, dtype, byte count, bytes."""

    def read(handle: Any, fmt: str) -> Any:
        size = struct.calcsize(fmt)
        data = handle.read(size)
        if len(data) != size:
            raise ValueError("model.bin ends early")
        return struct.unpack(fmt, data)[0]

    def read_string(handle: Any) -> str:
        length = read(handle, "<H")
        return handle.read(length)[:-1].decode("utf-8")

    rows: list[int] = []
    with path.open("rb") as handle:
        version = read(handle, "<I")
        if version < 4 or version > 64:
            return None
        read_string(handle)  # spec name
        read(handle, "<I")  # revision
        for _ in range(read(handle, "<I")):
            name = read_string(handle)
            dims = [read(handle, "<I") for _ in range(read(handle, "<B"))]
            read(handle, "<B")  # dtype
            handle.seek(read(handle, "<I"), os.SEEK_CUR)
            if name in _POSITION_TABLES and dims:
                rows.append(dims[0])
    return min(rows) if rows else None


def resolve_device(device: str | None) -> str:
    """``auto`` picks CUDA when CTranslate2 sees a GPU; ``cuda`` without one is a clear error."""
    import ctranslate2

    device = (device or "auto").lower()
    if device not in ("auto", "cpu", "cuda"):
        raise ConfigError(f"unknown device {device!r}; use auto, cpu or cuda")
    cuda_count = ctranslate2.get_cuda_device_count()
    if device == "auto":
        return "cuda" if cuda_count > 0 else "cpu"
    if device == "cuda" and cuda_count == 0:
        raise ConfigError("device cuda requested but CTranslate2 sees no CUDA GPU; use --device cpu")
    return device


class CTranslate2Engine:
    name = "ctranslate2"

    def __init__(
        self,
        layout: ModelLayout,
        *,
        device: str | None = "auto",
        compute_type: str | None = None,
        beam_size: int = DEFAULT_BEAM_SIZE,
        inter_threads: int | None = None,
        intra_threads: int | None = None,
        decoding_length: tuple[int, int] | None = None,
    ) -> None:
        """``decoding_length`` (min, max) fixes the output length; benchmarks use it to compare equal work."""
        try:
            import ctranslate2
            import sentencepiece as spm
        except ImportError as exc:
            raise ConfigError(
                f"the ctranslate2 engine needs the translate extra: pip install 'dragoman[translate]' ({exc.name})"
            ) from exc
        self.layout = layout
        self.model_id = layout.model_id
        self.device = resolve_device(device)
        self.compute_type = compute_type or ("float16" if self.device == "cuda" else "int8")
        self.beam_size = beam_size
        self.decoding_length = decoding_length
        cores = os.cpu_count() or 1
        if self.device == "cpu":
            inter = inter_threads or min(cores, 16)
            intra = intra_threads or 1
        else:
            inter, intra = inter_threads or 1, intra_threads or 0
        self.parallelism = inter
        try:
            self.source_sp = spm.SentencePieceProcessor(model_file=str(layout.source_spm))
            self.target_sp = (
                self.source_sp
                if layout.target_spm == layout.source_spm
                else spm.SentencePieceProcessor(model_file=str(layout.target_spm))
            )
        except (OSError, RuntimeError) as exc:
            raise TranslateError(f"model {layout.root}: cannot load SentencePiece model: {first_line(exc)}") from exc
        try:
            self.translator = ctranslate2.Translator(
                str(layout.ct2_dir),
                device=self.device,
                compute_type=self.compute_type,
                inter_threads=inter,
                intra_threads=intra,
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise TranslateError(
                f"cannot load model {layout.root}: {first_line(exc)} (reinstall it with `dragoman models install`)"
            ) from exc
        self.max_positions = model_position_limit(layout.ct2_dir)
        self._target_pieces = {self.target_sp.id_to_piece(i) for i in range(self.target_sp.get_piece_size())}
        self._special = {"<s>", "</s>", "<pad>", "<unk>", *layout.target_prefix}

    @classmethod
    def from_settings(
        cls, settings: Any, *, model: str | None = None, device: str | None = None, **options: Any
    ) -> CTranslate2Engine:
        layout = resolve_model(settings, model)
        return cls(layout, device=device or getattr(settings, "device", "auto"), **options)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        extra = len(self.layout.source_prefix) + len(self.layout.source_suffix) + 1
        return [len(ids) + extra for ids in self.source_sp.encode(list(texts))]

    def _source_tokens(self, texts: Sequence[str]) -> list[list[str]]:
        prefix, suffix = list(self.layout.source_prefix), list(self.layout.source_suffix)
        return [prefix + pieces + suffix for pieces in self.source_sp.encode(list(texts), out_type=str)]

    def translate_batch(
        self,
        texts: Sequence[str],
        *,
        max_decoding_length: int | None = None,
        min_decoding_length: int | None = None,
    ) -> BatchOutput:
        if not texts:
            return BatchOutput([], 0)
        source = self._source_tokens(texts)
        longest = max(len(tokens) for tokens in source)
        # Cap the output by the input so a looping decoder cannot stall the batch.
        if self.decoding_length is not None:
            min_decoding_length = min_decoding_length or self.decoding_length[0]
            max_decoding_length = max_decoding_length or self.decoding_length[1]
        limit = max_decoding_length or min(MAX_DECODING_LENGTH, int(longest * 2) + 10)
        max_input = MAX_INPUT_LENGTH
        if self.max_positions:
            # Past the model's position table CTranslate2 fails the whole batch: cut the input (a sentence that
            # long is a segmentation failure anyway) and stop decoding before the table ends.
            max_input = min(max_input, self.max_positions)
            limit = min(limit, self.max_positions - len(self.layout.target_prefix) - 1)
            if min_decoding_length:
                min_decoding_length = min(min_decoding_length, limit)
        target_prefix = [list(self.layout.target_prefix)] * len(source) if self.layout.target_prefix else None
        try:
            results = self.translator.translate_batch(
                source,
                target_prefix=target_prefix,
                beam_size=self.beam_size,
                max_decoding_length=limit,
                min_decoding_length=min_decoding_length or 1,
                max_input_length=max_input,
            )
        except (RuntimeError, MemoryError) as exc:
            text = first_line(exc)
            if isinstance(exc, MemoryError) or "out of memory" in text.lower() or "bad_alloc" in text.lower():
                raise TranslateError(
                    f"out of memory translating {len(texts)} sentences on {self.device}; lower --batch-tokens",
                    reason="out_of_memory",
                ) from exc
            raise TranslateError(f"{self.name} failed on a batch of {len(texts)} sentences: {text}") from exc
        targets: list[str] = []
        produced = 0
        skip = len(self.layout.target_prefix)
        for result in results:
            tokens = result.hypotheses[0][skip:] if skip else result.hypotheses[0]
            produced += len(tokens)
            pieces = [t for t in tokens if t in self._target_pieces and t not in self._special]
            targets.append(self.target_sp.decode(pieces).strip())
        return BatchOutput(targets, produced)

    def close(self) -> None:
        translator = getattr(self, "translator", None)
        if translator is not None:
            del self.translator
