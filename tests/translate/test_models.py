"""Model management and the ctranslate2 engine on real (random-weight) models: layouts, install, errors."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from dragoman.errors import ConfigError, ModelNotInstalled, TranslateError
from dragoman.settings import Settings
from dragoman.translate import create_engine
from dragoman.translate.ct2 import CTranslate2Engine
from dragoman.translate.models import (
    detect_layout,
    download_model,
    install_model,
    list_models,
    models_dir,
    resolve_model,
)
from dragoman.translate.random_model import build_random_marian_model


def test_marian_layout_loads_and_translates_in_order(tiny_model: Path, russian_news: list[str]) -> None:
    layout = detect_layout(tiny_model)
    assert layout.family == "marian"
    assert layout.source_spm.name == "source.spm" and layout.target_spm.name == "target.spm"
    assert layout.source_suffix == ()  # config.json says add_source_eos
    engine = CTranslate2Engine(layout, device="cpu")
    sentences = russian_news[:12]
    out = engine.translate_batch(sentences, max_decoding_length=6, min_decoding_length=6)
    assert len(out.targets) == len(sentences)
    assert out.target_tokens == 6 * len(sentences)
    assert all(isinstance(t, str) and t for t in out.targets)
    # Same input, same place: the batch result equals the one-by-one result (greedy is deterministic).
    singles = [engine.translate_batch([s], max_decoding_length=6, min_decoding_length=6).targets[0] for s in sentences]
    # A misplaced output would match almost nothing; allow one numeric tie between batched and single kernels.
    assert sum(a == b for a, b in zip(out.targets, singles, strict=True)) >= len(sentences) - 1
    counts = engine.count_tokens(sentences)
    assert all(c > 1 for c in counts) and len(counts) == len(sentences)


def test_nllb_layout_uses_language_tokens(tmp_path: Path, spm_path: Path, russian_news: list[str]) -> None:
    model = build_random_marian_model(
        tmp_path / "nllb-tiny", spm_path, layout="nllb", extra_tokens=["rus_Cyrl", "eng_Latn"], seed=3
    )
    layout = detect_layout(model)
    assert layout.family == "nllb"
    assert layout.source_prefix == ("rus_Cyrl",) and layout.target_prefix == ("eng_Latn",)
    assert layout.source_suffix == ("</s>",)
    engine = CTranslate2Engine(layout, device="cpu")
    out = engine.translate_batch(russian_news[:3], max_decoding_length=5, min_decoding_length=5)
    assert len(out.targets) == 3
    assert all("eng_Latn" not in t for t in out.targets)
    assert engine.count_tokens(["Привет"])[0] == len(engine.source_sp.encode("Привет")) + 3


def test_m2m_layout_detected(tmp_path: Path, spm_path: Path) -> None:
    model = build_random_marian_model(
        tmp_path / "m2m-tiny", spm_path, layout="nllb", extra_tokens=["__ru__", "__en__"], seed=4
    )
    layout = detect_layout(model)
    assert (layout.family, layout.source_prefix, layout.target_prefix) == ("m2m100", ("__ru__",), ("__en__",))


def test_install_directory_then_list_and_resolve(settings: Settings, tiny_model: Path) -> None:
    installed = install_model(settings, tiny_model, name="opus-mt-ru-en")
    assert installed.path == settings.models_dir / "opus-mt-ru-en"
    assert (installed.path / "model.bin").is_file()
    manifest = json.loads((installed.path / "dragoman-model.json").read_text())
    assert manifest["family"] == "marian" and len(manifest["checksum"]) == 64
    assert [m.name for m in list_models(settings)] == ["opus-mt-ru-en"]
    layout = resolve_model(settings)
    assert layout.model_id == f"opus-mt-ru-en@{manifest['checksum'][:12]}"
    assert resolve_model(settings, "opus-mt-ru-en").root == installed.path


def test_install_argos_package(settings: Settings, argos_package: Path, russian_news: list[str]) -> None:
    installed = install_model(settings, argos_package)
    assert installed.name == "argos-ru-en-0.0"
    assert installed.family == "argos"
    layout = detect_layout(installed.path)
    assert layout.ct2_dir == installed.path / "model"
    assert layout.source_suffix == ()
    engine = create_engine("ctranslate2", settings, model="argos-ru-en-0.0")
    out = engine.translate_batch(russian_news[:4], max_decoding_length=5, min_decoding_length=5)
    assert len(out.targets) == 4


def test_models_env_overrides_settings(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRAGOMAN_MODELS", str(tmp_path / "elsewhere"))
    assert models_dir(settings) == tmp_path / "elsewhere"


def test_no_model_installed_is_one_line_with_the_install_command(settings: Settings) -> None:
    with pytest.raises(ModelNotInstalled) as info:
        create_engine("ctranslate2", settings)
    message = str(info.value)
    assert "\n" not in message
    assert "dragoman models install" in message


def test_unknown_model_name_lists_installed(installed: Settings) -> None:
    with pytest.raises(ModelNotInstalled, match=r"'nope' is not installed \(installed: tiny-opus\)"):
        create_engine("ctranslate2", installed, model="nope")


def test_corrupt_model_is_a_clear_error(tmp_path: Path, tiny_model: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(tiny_model, broken)
    data = (broken / "model.bin").read_bytes()
    (broken / "model.bin").write_bytes(data[: len(data) // 3])
    with pytest.raises(TranslateError) as info:
        CTranslate2Engine(detect_layout(broken), device="cpu")
    assert "cannot load model" in str(info.value) and "\n" not in str(info.value)


def test_failed_install_leaves_nothing(settings: Settings, tmp_path: Path, tiny_model: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(tiny_model, broken)
    (broken / "model.bin").write_bytes(b"not a model")
    with pytest.raises(TranslateError):
        install_model(settings, broken)
    assert list_models(settings) == []
    assert [p.name for p in settings.models_dir.iterdir()] == []


def test_not_a_model(settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(TranslateError, match=r"no model\.bin"):
        install_model(settings, tmp_path / "empty")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(TranslateError, match=r"not a model directory, \.argosmodel \(zip\) or \.tar\.gz"):
        install_model(settings, tmp_path / "notes.txt")


def test_argos_archive_with_unsafe_paths_is_refused(settings: Settings, tmp_path: Path) -> None:
    archive = tmp_path / "evil.argosmodel"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../../escaped.txt", "x")
    with pytest.raises(TranslateError, match="unsafe path"):
        install_model(settings, archive)
    assert not (tmp_path / "escaped.txt").exists()


def test_download_without_convert_extra_or_network_is_one_line(settings: Settings) -> None:
    with pytest.raises((ConfigError, TranslateError)) as info:
        download_model(settings, "opus-mt-ru-en")
    assert "\n" not in str(info.value)
    assert "convert" in str(info.value) or "offline" in str(info.value)
    with pytest.raises(ConfigError, match="unknown model"):
        download_model(settings, "gpt-17")


def test_cuda_requested_without_gpu(tiny_model: Path) -> None:
    import ctranslate2

    if ctranslate2.get_cuda_device_count() > 0:
        pytest.skip("a CUDA GPU is present")
    with pytest.raises(ConfigError, match="no CUDA GPU"):
        CTranslate2Engine(detect_layout(tiny_model), device="cuda")


def test_unknown_engine(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="ctranslate2, openai"):
        create_engine("babelfish", settings)
