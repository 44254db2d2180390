"""Issue 11, section 5: a model's position limit is read from the model, and inputs and the decoding length are
capped by it, so a model with fewer positions than dragoman's defaults never fails a batch."""

from __future__ import annotations

from pathlib import Path

import pytest

from dragoman.errors import TranslateError
from dragoman.translate.ct2 import CTranslate2Engine, model_position_limit
from dragoman.translate.models import detect_layout
from dragoman.translate.random_model import RandomModelShape, build_random_marian_model


@pytest.mark.parametrize(("layout", "extra"), [("marian", ()), ("nllb", ("rus_Cyrl", "eng_Latn"))])
def test_short_position_table_caps_input_and_output(
    layout: str, extra: tuple[str, ...], tmp_path: Path, spm_path: Path, russian_news: list[str]
) -> None:
    model = build_random_marian_model(
        tmp_path / layout, spm_path, shape=RandomModelShape(positions=16), layout=layout, extra_tokens=extra
    )
    assert model_position_limit(model) == 16
    engine = CTranslate2Engine(detect_layout(model), device="cpu")
    assert engine.max_positions == 16
    long_paragraph = " ".join(russian_news[:5])
    assert engine.count_tokens([long_paragraph])[0] > 100  # far past the 16 positions
    out = engine.translate_batch([long_paragraph, russian_news[6]])
    assert len(out.targets) == 2 and all(out.targets)
    assert out.target_tokens <= 2 * 15
    # Even a caller's explicit lengths are held inside the table.
    forced = engine.translate_batch([long_paragraph], max_decoding_length=100, min_decoding_length=100)
    assert 0 < forced.target_tokens <= 15
    # Without the cap this very batch fails the way the issue reports.
    engine.max_positions = None
    with pytest.raises(TranslateError, match="No position encodings are defined for positions >= 16"):
        engine.translate_batch([long_paragraph])


def test_default_table_is_read_from_model_bin(tiny_model: Path) -> None:
    assert model_position_limit(tiny_model) == 1024


def test_config_json_value_wins_and_unreadable_model_bin_means_no_limit(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{"max_position_embeddings": 512}')
    assert model_position_limit(tmp_path) == 512
    other = tmp_path / "other"
    other.mkdir()
    (other / "model.bin").write_bytes(b"\x06\x00")  # cut short
    assert model_position_limit(other) is None
