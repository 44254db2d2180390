"""`dragoman models download` against a real HTTP server on 127.0.0.1 serving a catalog's packages built from
the tiny random-weight model: an Argos .argosmodel (zip) and a CTranslate2 directory .tar.gz.

Covers install, a connection cut halfway and resumed with Range, checksum mismatch, truncated archives,
``..`` and symlink entries, a mirror directory, a mirror server, the private-address guard, and kill -9
during the install (no half model afterwards, and the next run succeeds).
"""

from __future__ import annotations

import io
import itertools
import json
import os
import signal
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from dragoman.acquire.model_download import ChecksumMismatch, download_catalog_model, install_checked
from dragoman.cli import main
from dragoman.errors import FetchError, TranslateError
from dragoman.settings import Settings
from dragoman.translate.catalog import human_size, load_catalog, parse_catalog
from dragoman.translate.ct2 import CTranslate2Engine
from dragoman.translate.models import UnsafeModelError, detect_layout, list_models, models_dir

from .conftest import ModelServer, catalog_entry

REPO = Path(__file__).resolve().parents[2]


def _no_sleep(_seconds: float) -> None:
    pass


def write_catalog(path: Path, entries: list[str], default: str = "") -> Path:
    head = f'[defaults]\nru-en = "{default}"\n\n' if default else ""
    path.write_text(head + "".join(entries), encoding="utf-8")
    return path


@pytest.fixture
def served(
    model_server: ModelServer, argos_package: Path, tiny_tar: Path, tmp_path: Path, settings: Settings
) -> tuple[Settings, ModelServer, dict[str, bytes]]:
    """A catalog of the two tiny packages on the 127.0.0.1 server, and settings that use it."""
    packages = {"tiny-argos": argos_package.read_bytes(), "tiny-ct2": tiny_tar.read_bytes()}
    model_server.files["/p/tiny.argosmodel"] = packages["tiny-argos"]
    model_server.files["/p/tiny-ct2.tar.gz"] = packages["tiny-ct2"]
    catalog = write_catalog(
        tmp_path / "models.toml",
        [
            catalog_entry(
                "tiny-argos",
                "argosmodel",
                "tiny.argosmodel",
                packages["tiny-argos"],
                [model_server.url("/p/tiny.argosmodel")],
            ),
            catalog_entry(
                "tiny-ct2", "tar", "tiny-ct2.tar.gz", packages["tiny-ct2"], [model_server.url("/p/tiny-ct2.tar.gz")]
            ),
        ],
        default="tiny-argos",
    )
    s = settings.with_overrides(model_catalog=str(catalog), allow_private=True, read_timeout=5.0, connect_timeout=2.0)
    return s, model_server, packages


def _no_half_models(root: Path) -> None:
    """Only complete, loadable models are listed; no staging or download folder is visible as a model."""
    for model in list_models(Settings(models_dir=root)):
        detect_layout(model.path)
        assert (model.path / "dragoman-model.json").is_file()


def test_download_installs_argos_package_and_ct2_tarball(
    served: tuple[Settings, ModelServer, dict[str, bytes]],
) -> None:
    settings, server, packages = served
    seen: list[tuple[int, int]] = []
    argos = download_catalog_model(settings, progress=lambda done, total: seen.append((done, total)))  # the default
    ct2 = download_catalog_model(settings, "tiny-ct2")
    assert (argos.name, argos.family) == ("tiny-argos", "argos")
    assert (ct2.name, ct2.family) == ("tiny-ct2", "marian")
    assert [m.name for m in list_models(settings)] == ["tiny-argos", "tiny-ct2"]
    manifest = json.loads((ct2.path / "dragoman-model.json").read_text())
    assert manifest["catalog"] == "tiny-ct2" and manifest["license"] == "test-licence"
    assert manifest["downloaded_from"] == server.url("/p/tiny-ct2.tar.gz")
    # The progress callback saw the whole size, ending at it.
    assert seen[-1] == (len(packages["tiny-argos"]), len(packages["tiny-argos"]))
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(seen))
    # The download folder is gone once installed; the model translates.
    assert not (models_dir(settings) / ".downloads" / "tiny-ct2").exists()
    out = CTranslate2Engine(detect_layout(ct2.path), device="cpu").translate_batch(["Привет."], max_decoding_length=4)
    assert out.targets[0]


def test_cli_download_prints_progress_and_catalog_marks_installed_and_default(
    served: tuple[Settings, ModelServer, dict[str, bytes]],
) -> None:
    settings, _server, _packages = served
    env = {
        "DRAGOMAN_MODELS": str(settings.models_dir),
        "DRAGOMAN_MODEL_CATALOG": settings.model_catalog,
        "DRAGOMAN_ALLOW_PRIVATE": "1",
    }
    runner = CliRunner()
    before = runner.invoke(main, ["models", "catalog"], env=env, catch_exceptions=False)
    assert before.exit_code == 0
    rows = {line.split()[0]: line for line in before.stdout.splitlines()[1:]}
    assert "no" in rows["tiny-argos"].split() and "*" in rows["tiny-argos"].split()
    result = runner.invoke(main, ["models", "download", "tiny-ct2"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "licence test-licence" in result.stderr and "installed tiny-ct2" in result.stderr
    quiet = runner.invoke(main, ["models", "download", "tiny-argos", "--quiet"], env=env, catch_exceptions=False)
    assert quiet.exit_code == 0 and "%" not in quiet.stderr
    after = json.loads(runner.invoke(main, ["models", "catalog", "--json"], env=env).stdout)
    assert {r["name"]: (r["installed"], r["default"]) for r in after} == {
        "tiny-argos": (True, True),
        "tiny-ct2": (True, False),
    }


def test_connection_cut_halfway_is_resumed_with_range(served: tuple[Settings, ModelServer, dict[str, bytes]]) -> None:
    settings, server, packages = served
    size = len(packages["tiny-ct2"])
    server.cut_once["/p/tiny-ct2.tar.gz"] = size // 2
    installed = download_catalog_model(settings, "tiny-ct2", retry_base=0.0, sleep=_no_sleep)
    assert installed.name == "tiny-ct2"
    asked = [r for p, r in server.requests if p == "/p/tiny-ct2.tar.gz"]
    assert asked == ["", f"bytes={size // 2}-"]  # the second request asks only for the missing half


def test_interrupted_download_resumes_in_the_next_run(served: tuple[Settings, ModelServer, dict[str, bytes]]) -> None:
    settings, server, packages = served
    size = len(packages["tiny-argos"])
    server.cut_once["/p/tiny.argosmodel"] = size // 3
    with pytest.raises(FetchError, match="connection"):
        download_catalog_model(settings, "tiny-argos", retries=0)
    part = models_dir(settings) / ".downloads" / "tiny-argos" / "tiny.argosmodel.part"
    assert part.stat().st_size == size // 3
    assert list_models(settings) == []  # a half download is never a model
    download_catalog_model(settings, "tiny-argos")
    assert server.requests[-1] == ("/p/tiny.argosmodel", f"bytes={size // 3}-")
    assert [m.name for m in list_models(settings)] == ["tiny-argos"]


def test_checksum_mismatch_deletes_the_file_and_installs_nothing(
    served: tuple[Settings, ModelServer, dict[str, bytes]], tmp_path: Path
) -> None:
    settings, server, packages = served
    catalog = write_catalog(
        tmp_path / "bad.toml",
        [
            catalog_entry(
                "tiny-argos",
                "argosmodel",
                "tiny.argosmodel",
                packages["tiny-argos"],
                [server.url("/p/tiny.argosmodel")],
                sha256="0" * 64,
            )
        ],
    )
    env = {"DRAGOMAN_MODELS": str(settings.models_dir), "DRAGOMAN_MODEL_CATALOG": str(catalog)}
    result = CliRunner().invoke(main, ["--allow-private", "models", "download", "tiny-argos", "--quiet"], env=env)
    assert result.exit_code == 1
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1 and "does not match the catalog" in error_lines[0] and "deleted" in error_lines[0]
    folder = models_dir(settings) / ".downloads" / "tiny-argos"
    assert not any(folder.iterdir())  # neither the .part nor a renamed file is left
    assert list_models(settings) == []


@pytest.mark.parametrize("kind", ["argosmodel", "tar"])
def test_truncated_archive_installs_nothing(
    kind: str, served: tuple[Settings, ModelServer, dict[str, bytes]], tmp_path: Path
) -> None:
    """A publisher's truncated archive (its checksum matches, so the download passes) fails to unpack."""
    settings, server, packages = served
    data = packages["tiny-argos" if kind == "argosmodel" else "tiny-ct2"]
    cut = data[: len(data) * 2 // 3]
    server.files["/p/cut"] = cut
    catalog = write_catalog(tmp_path / "cut.toml", [catalog_entry("cut", kind, "cut.pkg", cut, [server.url("/p/cut")])])
    with pytest.raises(TranslateError, match=r"corrupt archive|not a model directory"):
        download_catalog_model(settings.with_overrides(model_catalog=str(catalog)), "cut")
    assert list_models(settings) == []
    assert not list(models_dir(settings).glob(".install-*"))  # the staging folder went too


def _zip_with(entries: dict[str, bytes], symlink: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (0o120777 << 16) | 0
            zf.writestr(info, "/etc/passwd")
    return buffer.getvalue()


def _tar_with(entries: dict[str, bytes], symlink: str = "") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        if symlink:
            info = tarfile.TarInfo(symlink)
            info.type = tarfile.SYMTYPE
            info.linkname = "/etc/passwd"
            tar.addfile(info)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("kind", "build", "extra", "symlink", "expected"),
    [
        ("argosmodel", _zip_with, {"pkg/../../escape.txt": b"x"}, "", "unsafe path"),
        ("tar", _tar_with, {"pkg/../../escape.txt": b"x"}, "", "unsafe path"),
        ("argosmodel", _zip_with, {}, "pkg/sentencepiece.model", "regular files only"),
        ("tar", _tar_with, {}, "pkg/sentencepiece.model", "regular files only"),
    ],
)
def test_archive_with_dotdot_or_symlink_is_refused(
    kind: str,
    build: object,
    extra: dict[str, bytes],
    symlink: str,
    expected: str,
    served: tuple[Settings, ModelServer, dict[str, bytes]],
    tmp_path: Path,
) -> None:
    settings, server, _packages = served
    assert callable(build)
    data = build({"pkg/model/model.bin": b"weights", **extra}, symlink)
    server.files["/p/evil"] = data
    catalog = write_catalog(
        tmp_path / "evil.toml", [catalog_entry("evil", kind, "evil.pkg", data, [server.url("/p/evil")])]
    )
    with pytest.raises(UnsafeModelError, match=expected):
        download_catalog_model(settings.with_overrides(model_catalog=str(catalog)), "evil")
    assert list_models(settings) == []
    assert not (tmp_path.parent / "escape.txt").exists() and not (models_dir(settings).parent / "escape.txt").exists()


def test_mirror_directory_is_used_instead_of_the_urls(
    served: tuple[Settings, ModelServer, dict[str, bytes]], tmp_path: Path
) -> None:
    settings, server, packages = served
    mirror = tmp_path / "mirror"
    (mirror / "tiny-ct2").mkdir(parents=True)
    (mirror / "tiny-ct2" / "tiny-ct2.tar.gz").write_bytes(packages["tiny-ct2"])
    installed = download_catalog_model(settings.with_overrides(model_mirror=str(mirror)), "tiny-ct2")
    assert installed.name == "tiny-ct2"
    assert server.requests == []  # not one request to the catalog's URL
    assert json.loads((installed.path / "dragoman-model.json").read_text())["downloaded_from"] == str(mirror)


def test_mirror_server_is_allowed_although_private_and_catalog_urls_are_not(
    served: tuple[Settings, ModelServer, dict[str, bytes]],
) -> None:
    settings, server, packages = served
    guarded = settings.with_overrides(allow_private=False)
    with pytest.raises(FetchError, match="not public"):
        download_catalog_model(guarded, "tiny-argos")
    server.files["/mirror/tiny-argos/tiny.argosmodel"] = packages["tiny-argos"]
    installed = download_catalog_model(guarded, "tiny-argos", mirror=server.url("/mirror/"))
    assert installed.name == "tiny-argos"
    assert server.requests[-1][0] == "/mirror/tiny-argos/tiny.argosmodel"


def test_install_file_is_checked_against_the_catalog(
    served: tuple[Settings, ModelServer, dict[str, bytes]], argos_package: Path, tmp_path: Path
) -> None:
    settings, _server, packages = served
    carried = tmp_path / "tiny.argosmodel"  # the catalog's file name: recognised, installed under its name
    carried.write_bytes(packages["tiny-argos"])
    installed = install_checked(settings, carried)
    assert installed.name == "tiny-argos"
    tampered = tmp_path / "other" / "tiny.argosmodel"
    tampered.parent.mkdir()
    data = bytearray(packages["tiny-argos"])
    data[len(data) // 2] ^= 0xFF  # one byte changed in the middle of the weights
    tampered.write_bytes(bytes(data))
    with pytest.raises(ChecksumMismatch, match="does not match the catalog's tiny-argos"):
        install_checked(settings, tampered)


def test_kill_during_install_leaves_no_half_model_and_a_rerun_succeeds(
    served: tuple[Settings, ModelServer, dict[str, bytes]],
) -> None:
    settings, _server, _packages = served
    root = models_dir(settings)
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO / "src"),
        "DRAGOMAN_MODELS": str(root),
        "DRAGOMAN_MODEL_CATALOG": settings.model_catalog,
        "DRAGOMAN_ALLOW_PRIVATE": "1",
    }
    command = [
        sys.executable,
        "-c",
        "from dragoman.cli import main; main()",
        "models",
        "download",
        "tiny-ct2",
        "--quiet",
    ]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if root.is_dir() and any(root.glob(".install-*")):
            break  # the install step has begun (unpacking, loading the model, renaming)
        time.sleep(0.002)
    assert process.poll() is None, "the download finished before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL
    assert list_models(settings) == []  # neither a half model nor the staging folder shows
    assert not list(root.glob(".install-*"))  # the dead install's staging folder was cleared
    installed = download_catalog_model(settings, "tiny-ct2")
    assert [m.name for m in list_models(settings)] == ["tiny-ct2"] and installed.path.is_dir()
    _no_half_models(root)


def test_old_model_moved_aside_by_a_killed_install_is_put_back(installed: Settings) -> None:
    """Killed between moving the old model aside and renaming the new one in: the next listing restores it."""
    root = models_dir(installed)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    staging = root / f".install-{dead.pid}-abc"
    staging.mkdir()
    (staging / "unpacked").mkdir()
    (staging / "target-name").write_text("tiny-opus")
    (root / "tiny-opus").rename(staging / "replaced")
    assert [m.name for m in list_models(installed)] == ["tiny-opus"]
    assert not staging.exists()


def test_shipped_catalog_is_complete() -> None:
    catalog = load_catalog(None)
    default = catalog.default_for("ru-en")
    assert default is not None and default.format == "argosmodel"
    for model in catalog.models:
        assert model.license and model.quality, model.name
        for file in model.files:
            assert file.urls and file.urls[0].startswith("https://") and file.sha256_source, file.name
    nllb = catalog.get("nllb-200-distilled-600M-int8")
    assert {f.name for f in nllb.files} == {
        "config.json",
        "model.bin",
        "shared_vocabulary.json",
        "sentencepiece.bpe.model",
    }


def test_catalog_refuses_a_file_without_a_valid_checksum() -> None:
    with pytest.raises(Exception, match="sha256 must be 64 hex digits"):
        parse_catalog(
            '[[model]]\nname = "x"\nformat = "tar"\n[[model.file]]\nname = "x.tar.gz"\n'
            'urls = ["https://example.org/x"]\nsize = 1\nsha256 = "abc"\n'
        )


def test_carried_in_file_named_like_the_real_argos_package_must_match_its_checksum(
    settings: Settings, argos_package: Path, tmp_path: Path
) -> None:
    """`models install FILE` with the shipped catalog: this file has the real package's name, not its bytes."""
    carried = tmp_path / "translate-ru_en-1_9.argosmodel"
    carried.write_bytes(argos_package.read_bytes())
    env = {"DRAGOMAN_MODELS": str(settings.models_dir)}
    result = CliRunner().invoke(main, ["models", "install", str(carried)], env=env)
    assert result.exit_code == 1
    assert "does not match the catalog's argos-ru-en-1.9" in result.stderr
    assert list_models(settings) == []


def test_demo_downloads_the_catalog_default_and_prints_english(
    served: tuple[Settings, ModelServer, dict[str, bytes]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`make demo` with no model installed: downloads the default from the (127.0.0.1) catalog, translates, and
    prints a translated document; with DRAGOMAN_NO_DOWNLOAD=1 it asks the server for nothing."""
    from dragoman import demo

    settings, server, packages = served
    monkeypatch.chdir(REPO)  # the demo finds ../shared/data/html_ru from here
    monkeypatch.setenv("DRAGOMAN_MODELS", str(settings.models_dir))
    monkeypatch.setenv("DRAGOMAN_MODEL_CATALOG", settings.model_catalog)
    monkeypatch.setenv("DRAGOMAN_ALLOW_PRIVATE", "1")

    monkeypatch.setenv("DRAGOMAN_NO_DOWNLOAD", "1")
    assert demo.main(["--db", str(tmp_path / "off.db"), "--offline"]) == 0
    offline = capsys.readouterr().out
    assert "DRAGOMAN_NO_DOWNLOAD is set" in offline and "translation skipped" in offline
    assert "original (Russian)" in offline
    assert server.requests == []

    monkeypatch.delenv("DRAGOMAN_NO_DOWNLOAD")
    assert demo.main(["--db", str(tmp_path / "on.db"), "--offline"]) == 0
    printed = capsys.readouterr().out
    size = human_size(len(packages["tiny-argos"]))
    assert f"downloading the default ru->en model tiny-argos: {size}, licence test-licence" in printed
    assert "100% of" in printed
    assert "== installed tiny-argos" in printed and "== translated:" in printed
    assert "one rendered document (translated)" in printed
    assert [m.name for m in list_models(settings)] == ["tiny-argos"]
