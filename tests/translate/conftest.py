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
    # Not the real package's file name: `models install` checks a file the shipped catalog names against its
    # SHA-256, and this one holds random weights.
    archive = root / "tiny-translate-ru_en.argosmodel"
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


# -- a model server on 127.0.0.1: catalog files with HTTP Range, and a connection cut on demand -----------------


class ModelServer:
    """Serves bytes by path with Range support; ``cut_once[path] = n`` sends n bytes of the first answer to
    that path (announcing the full length) and closes the connection, as a dropped download does."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.files: dict[str, bytes] = {}
        self.cut_once: dict[str, int] = {}
        self.requests: list[tuple[str, str]] = []  # (path, Range header)
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                with server.lock:
                    server.requests.append((self.path, self.headers.get("Range", "")))
                    body = server.files.get(self.path)
                    cut = server.cut_once.pop(self.path, None)
                if body is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                start = 0
                wanted = self.headers.get("Range", "")
                if wanted.startswith("bytes=") and wanted.endswith("-"):
                    start = int(wanted[6:-1])
                    if start >= len(body):
                        self.send_response(416)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body) - start))
                self.end_headers()
                try:
                    if cut is not None:
                        self.wfile.write(body[start : start + cut])
                        self.wfile.flush()
                        self.close_connection = True
                        return
                    self.wfile.write(body[start:])
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def model_server() -> Iterator[ModelServer]:
    srv = ModelServer()
    yield srv
    srv.close()


@pytest.fixture(scope="session")
def tiny_tar(tmp_path_factory: pytest.TempPathFactory, tiny_model: Path) -> Path:
    """The tiny CTranslate2 model directory as a .tar.gz with one top folder (how such models are shipped)."""
    import tarfile

    archive = tmp_path_factory.mktemp("tar") / "tiny-ct2.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tiny_model, arcname="tiny-ct2")
    return archive


def catalog_entry(name: str, fmt: str, file_name: str, data: bytes, urls: list[str], *, sha256: str = "") -> str:
    """One [[model]] of a catalog TOML for ``data`` served at ``urls``."""
    import hashlib

    digest = sha256 or hashlib.sha256(data).hexdigest()
    quoted = ", ".join(f'"{u}"' for u in urls)
    return (
        f'[[model]]\nname = "{name}"\ndescription = "tiny random-weight test model"\nformat = "{fmt}"\n'
        f'source = "ru"\ntarget = "en"\nlicense = "test-licence"\n\n'
        f'[[model.file]]\nname = "{file_name}"\nurls = [{quoted}]\nsize = {len(data)}\nsha256 = "{digest}"\n'
        f'sha256_source = "computed by the test"\n\n'
    )


@pytest.fixture
def store_settings(settings: Settings, store_url: str) -> Settings:
    """``settings`` with the database on each backend in turn (a SQLite file, a PostgreSQL database)."""
    return dataclasses.replace(settings, db=store_url)


@pytest.fixture
def installed_store(installed: Settings, store_url: str) -> Settings:
    """``installed`` with the database on each backend in turn."""
    return dataclasses.replace(installed, db=store_url)
