"""Shared fixtures: the real data folder beside the repo, temporary databases."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = (REPO_ROOT / ".." / "shared").resolve()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` beside the repository: real public data for tests (see its README)."""
    if not (SHARED_DIR / "data").is_dir():
        pytest.fail(f"shared data folder not found at {SHARED_DIR}; tests need ../shared beside the repo")
    return SHARED_DIR


@pytest.fixture(scope="session")
def data_dir(shared_dir: Path) -> Path:
    return shared_dir / "data"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "dragoman.db"
