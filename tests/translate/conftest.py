"""Fixtures for the translate stage: a real SentencePiece model trained here on Russian news and real
CTranslate2 models with random weights (no model can be downloaded in tests)."""

from __future__ import annotations

import dataclasses
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from dragoman.settings import Settings
from dragoman.translate.random_model import build_random_marian_model, russian_sentences, train_sentencepiece


@pytest.fixture(scope="session")
def russian_news(data_dir: Path) -> list[str]:
    """Real Russian news sentences (WMT newstest2019 and 2020 sources)."""
    paths = [data_dir / "wmt_ru_en" / "newstest2019.ru-en.ru", data_dir / "wmt_ru_en" / "newstest2020.ru-en.ru"]
    return russian_sentences(paths, limit=4000)


@pytest.fixture(scope="session")
def spm_path(tmp_path_factory: pytest.TempPathFactory, russian_news: list[str]) -> Path:
    return train_sentencepiece(russian_news, tmp_path_factory.mktemp("spm") / "ru", vocab_size=800)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory, spm_path: Path) -> Path:
    """A Marian-layout (OPUS-MT) CTranslate2 model directory with random weights."""
    return build_random_marian_model(tmp_path_factory.mktemp("models") / "tiny-opus", spm_path, seed=1)


@pytest.fixture(scope="session")
def argos_package(tmp_path_factory: pytest.TempPathFactory, spm_path: Path) -> Path:
    """An Argos Translate .argosmodel: a zip with one top directory holding model/ and sentencepiece.model."""
    root = tmp_path_factory.mktemp("argos")
    package_dir = build_random_marian_model(root / "translate-ru_en-1_9", spm_path, seed=2, layout="argos")
    archive = root / "translate-ru_en-1_9.argosmodel"
    with zipfile.ZipFile(archive, "w") as zf:
        for file in sorted(package_dir.rglob("*")):
            if file.is_file():
                zf.write(file, file.relative_to(root).as_posix())
    shutil.rmtree(package_dir)
    return archive


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.delenv("DRAGOMAN_MODELS", raising=False)
    monkeypatch.delenv("DRAGOMAN_GLOSSARY", raising=False)
    return Settings(db=str(tmp_path / "dragoman.db"), models_dir=tmp_path / "models", device="cpu")


@pytest.fixture
def installed(settings: Settings, tiny_model: Path) -> Iterator[Settings]:
    """Settings whose models directory holds the tiny model as an installed "tiny-opus"."""
    from dragoman.translate.models import install_model

    install_model(settings, tiny_model, name="tiny-opus", validate=False)
    yield settings


@pytest.fixture
def store_settings(settings: Settings, store_url: str) -> Settings:
    """``settings`` with the database on each backend in turn (a SQLite file, a PostgreSQL database)."""
    return dataclasses.replace(settings, db=store_url)


@pytest.fixture
def installed_store(installed: Settings, store_url: str) -> Settings:
    """``installed`` with the database on each backend in turn."""
    return dataclasses.replace(installed, db=store_url)
