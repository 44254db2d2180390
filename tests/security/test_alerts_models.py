"""Issue 13, items 7 (webhook alerts: an outbox off the ingest path, secrets redacted) and 12 (`models install`).

Item 7 runs `dragoman watch --once` against a real feed and a real webhook on 127.0.0.1 and counts the POSTs;
item 12 installs real (random-weight) CTranslate2 models and hostile directories and archives through the CLI.
"""

from __future__ import annotations

import os
import shutil
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from dragoman.cli import main
from dragoman.settings import Settings
from dragoman.translate.ct2 import CTranslate2Engine
from dragoman.translate.models import resolve_model
from dragoman.translate.random_model import build_random_marian_model, russian_sentences, train_sentencepiece

# -- item 12: models install -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model_parts(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> dict[str, Path]:
    """A real tiny Marian model directory and an Argos package directory (random weights)."""
    sentences = russian_sentences([data_dir / "wmt_ru_en" / "newstest2019.ru-en.ru"], limit=2000)
    root = tmp_path_factory.mktemp("models-src")
    spm = train_sentencepiece(sentences, root / "ru", vocab_size=400)
    return {
        "marian": build_random_marian_model(root / "tiny-opus", spm, seed=1),
        "argos": build_random_marian_model(root / "translate-ru_en-1_0", spm, seed=2, layout="argos"),
    }


@pytest.fixture
def models_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.delenv("DRAGOMAN_MAX_MODEL_BYTES", raising=False)
    home = tmp_path / "installed"
    monkeypatch.setenv("DRAGOMAN_MODELS", str(home))
    yield home


def _tree_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _zip_dir(folder: Path, archive: Path, extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                zf.write(file, (Path(folder.name) / file.relative_to(folder)).as_posix())
        for name, data in (extra or {}).items():
            zf.writestr(f"{folder.name}/{name}", data)
    return archive


def _cli(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env)


def _assert_clean_refusal(result: Result, models_home: Path, *, says: str) -> None:
    """One line on stderr, exit 1, no traceback, and nothing (not even a staging folder) in the models dir."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot install") and says in lines[0], result.stderr
    assert "Traceback" not in result.output
    assert not models_home.exists() or list(models_home.iterdir()) == []
    listed = _cli("models", "list", "--json")
    assert listed.exit_code == 0 and listed.stdout.strip() == "[]"


def test_clean_argos_package_still_installs_and_translates(tmp_path: Path, model_parts, models_home: Path) -> None:
    """Item 12: the hardened installer still takes a real package (the positive case)."""
    archive = _zip_dir(model_parts["argos"], tmp_path / "translate-ru_en-1_0.argosmodel")
    result = _cli("models", "install", str(archive))
    assert result.exit_code == 0, result.output
    layout = resolve_model(Settings(models_dir=models_home), "argos-ru-en-0.0")
    out = CTranslate2Engine(layout, device="cpu").translate_batch(["Москва."], max_decoding_length=3)
    assert len(out.targets) == 1
    assert [p.name for p in models_home.iterdir()] == ["argos-ru-en-0.0"]  # no staging folder left


def test_zip_bomb_over_the_size_cap_is_refused_and_keeps_the_installed_model(
    tmp_path: Path, model_parts, models_home: Path
) -> None:
    """Item 12: a small archive that unpacks beyond max_model_bytes is refused from its headers; nothing is
    written, and a model already installed under that name stays in place."""
    cap = _tree_bytes(model_parts["argos"]) + 1_000_000
    bomb = _zip_dir(model_parts["argos"], tmp_path / "bomb.argosmodel", {"padding.bin": bytes(30_000_000)})
    assert bomb.stat().st_size < cap  # small on disk, 30 MB unpacked
    env = {"DRAGOMAN_MAX_MODEL_BYTES": str(cap)}
    result = _cli("models", "install", str(bomb), env=env)
    _assert_clean_refusal(result, models_home, says=f"more than {cap:,} bytes")

    good = _zip_dir(model_parts["argos"], tmp_path / "good.argosmodel")
    assert _cli("models", "install", str(good), "--name", "ru-en", env=env).exit_code == 0
    again = _cli("models", "install", str(bomb), "--name", "ru-en", env=env)
    assert again.exit_code == 1 and "Traceback" not in again.output
    assert sorted(p.name for p in models_home.iterdir()) == ["ru-en"]
    assert _tree_bytes(models_home / "ru-en") < cap
    assert resolve_model(Settings(models_dir=models_home), "ru-en").family == "argos"


def test_model_directory_with_symlink_out_is_refused_without_copying(tmp_path: Path, model_parts, models_home) -> None:
    """Item 12: a symlink to a file outside the model is refused, not followed; the secret is not copied."""
    secret = tmp_path / "secret.txt"
    secret.write_text("PRIVATE-KEY-MATERIAL")
    model = tmp_path / "evil-model"
    shutil.copytree(model_parts["marian"], model)
    (model / "notes.txt").symlink_to(secret)
    result = _cli("models", "install", str(model))
    _assert_clean_refusal(result, models_home, says="notes.txt is a symbolic link")


def test_model_directory_with_symlink_to_root_is_refused_before_copying(
    tmp_path: Path, model_parts, models_home: Path
) -> None:
    """Item 12: a link to `/` inside the model is seen with lstat and refused; no file of the disk is read."""
    model = tmp_path / "root-model"
    shutil.copytree(model_parts["marian"], model)
    (model / "sub").mkdir()
    (model / "sub" / "everything").symlink_to("/")
    result = _cli("models", "install", str(model))
    _assert_clean_refusal(result, models_home, says="everything is a symbolic link")


def test_symlink_loop_and_hard_link_are_refused(tmp_path: Path, model_parts, models_home: Path) -> None:
    """Item 12: a symlink loop gave a raw shutil.Error traceback; a hard link is refused like a symlink."""
    model = tmp_path / "loop-model"
    shutil.copytree(model_parts["marian"], model)
    (model / "loop").symlink_to(model / "loop")
    result = _cli("models", "install", str(model))
    _assert_clean_refusal(result, models_home, says="loop is a symbolic link")
    (model / "loop").unlink()
    os.link(model / "model.bin", model / "weights-copy.bin")
    linked = _cli("models", "install", str(model))
    _assert_clean_refusal(linked, models_home, says="hard link")


@pytest.mark.timeout(60)
def test_fifo_in_model_directory_is_refused_without_hanging(tmp_path: Path, model_parts, models_home) -> None:
    """Item 12: a FIFO inside the directory is refused (never opened, so nothing waits for a writer)."""
    model = tmp_path / "fifo-model"
    shutil.copytree(model_parts["marian"], model)
    os.mkfifo(model / "pipe")
    result = _cli("models", "install", str(model))
    _assert_clean_refusal(result, models_home, says="pipe is a FIFO")


def test_zip_entry_under_a_symlinked_directory_is_refused(tmp_path: Path, models_home: Path) -> None:
    """Item 12: an archive with a symlink entry (`pkg/model -> /tmp`) and a file below it gave a traceback."""
    archive = tmp_path / "link.argosmodel"
    with zipfile.ZipFile(archive, "w") as zf:
        link = zipfile.ZipInfo("pkg/model")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, str(tmp_path))
        zf.writestr("pkg/model/model.bin", b"x" * 10)
    result = _cli("models", "install", str(archive))
    _assert_clean_refusal(result, models_home, says="'pkg/model' is a symbolic link")
    assert not (tmp_path / "model.bin").exists()
