"""Shared fixtures: the real data folder beside the repo, temporary databases on both backends.

The stage, serve and store tests that touch a database take ``store_url`` (or ``store``): each runs on a
SQLite file and on a real PostgreSQL server. PostgreSQL comes from ``DRAGOMAN_TEST_POSTGRES`` (a server URL;
CI starts one with .ci/postgres.sh). When it is unset and Debian's server binaries exist, a throwaway server
is started here for the session; without either, the PostgreSQL cases are skipped with the reason shown in
the summary (never passed), or fail under CI=true. Each test gets a database of its own, dropped afterwards.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from glob import glob
from pathlib import Path
from typing import Any

import pytest

from backends import BACKENDS, fresh_postgres_database
from system_packages import missing_system_package

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


POSTGRES_SCRIPT = REPO_ROOT / ".ci" / "postgres.sh"


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a PostgreSQL server's maintenance database (``.../dragoman``)."""
    url = os.environ.get("DRAGOMAN_TEST_POSTGRES")
    if url:
        yield url
        return
    if not glob("/usr/lib/postgresql/*/bin/initdb"):
        missing_system_package("the PostgreSQL test (or set DRAGOMAN_TEST_POSTGRES to a server URL)", "postgresql")
    directory = Path("/tmp") / f"dragoman-test-pg-{uuid.uuid4().hex[:8]}"  # owned by the postgres user as root
    started = subprocess.run(
        [str(POSTGRES_SCRIPT), "start", str(directory)], capture_output=True, text=True, timeout=120
    )
    if started.returncode != 0:
        pytest.fail(f"could not start a throwaway PostgreSQL server: {started.stderr.strip()}")
    try:
        yield started.stdout.strip()
    finally:
        subprocess.run([str(POSTGRES_SCRIPT), "stop", str(directory)], capture_output=True, timeout=120)


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty database on the test server."""
    with fresh_postgres_database(postgres_server) as url:
        yield url


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL for each backend: a SQLite file path, or a fresh PostgreSQL database.

    A test that takes it (or ``store``) runs once per backend; the PostgreSQL run skips, naming why, when no
    server can be had (and fails under CI=true, see system_packages.py).
    """
    if request.param == "sqlite":
        return str(tmp_path / "dragoman.db")
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def store(store_url: str) -> Iterator[Any]:
    from dragoman.store import open_store

    with open_store(store_url) as opened:
        yield opened


@pytest.fixture
def open_db() -> Iterator[Any]:
    """``open_store`` for a test body: every store it opens is closed when the test ends (PostgreSQL warns
    about a connection left open, which the suite turns into an error)."""
    from dragoman.store import open_store

    opened: list[Any] = []

    def open_one(url: Any) -> Any:
        store = open_store(url)
        opened.append(store)
        return store

    yield open_one
    for store in reversed(opened):
        store.close()
