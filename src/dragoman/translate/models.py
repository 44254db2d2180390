"""Translation models on disk: recognize a layout, install, list, download.

A model is a CTranslate2 directory plus SentencePiece model(s), in one of these layouts:

- OPUS-MT / Marian (``ct2-opus-mt-converter`` or ``ct2-transformers-converter``): model.bin,
  source.spm and target.spm, shared_vocabulary or source/target vocabularies;
- NLLB-200 and M2M-100: one ``sentencepiece.bpe.model`` and language tokens (rus_Cyrl -> eng_Latn,
  __ru__ -> __en__) in the vocabulary;
- an Argos Translate package (``.argosmodel``, a zip): model/ with the CTranslate2 model,
  sentencepiece.model and metadata.json;
- any of these as a ``.tar.gz`` of the model directory.

Installed models live in ``settings.models_dir`` (``$DRAGOMAN_MODELS`` overrides), one directory each,
with a ``dragoman-model.json`` that records the name, layout, checksum and origin.

A model may come from anyone, so installing one copies regular files only: symlinks, hardlinks, devices and
FIFOs (in a directory or an archive) are refused rather than followed, paths may not leave the model, and the
unpacked size is capped (``settings.max_model_bytes``) both from the archive's headers and while writing.
The model is unpacked beside its final place and renamed into it, so a failed install leaves nothing behind;
an install killed while it swaps an old model for a new one is finished or undone by the next command that
lists or installs models (the staging folder records what it was doing).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import lzma
import os
import shutil
import stat
import tarfile
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from dragoman.errors import ConfigError, ModelNotInstalled, TranslateError, first_line
from dragoman.settings import DEFAULT_MAX_MODEL_BYTES

INSTALL_HINT = (
    "download one with `dragoman models download` (the catalog's default; `dragoman models catalog` lists them)"
    " or install one with `dragoman models install PATH` (a CTranslate2 model directory, .argosmodel or .tar.gz)"
)
MANIFEST = "dragoman-model.json"
_SPM_NAMES = ("sentencepiece.bpe.model", "sentencepiece.model", "spm.model", "source.spm")
# Real models have a few dozen files; an install of more is an inode bomb, not a model.
MAX_MODEL_FILES = 10_000
# A model directory nested deeper than this is not a model layout we know.
MAX_MODEL_DEPTH = 16
_COPY_CHUNK = 1 << 20

# Models `dragoman models download` knows: name -> Hugging Face repository and the files to copy.
DOWNLOADABLE = {
    "opus-mt-ru-en": ("Helsinki-NLP/opus-mt-ru-en", ["source.spm", "target.spm"]),
    "nllb-200-distilled-600M": ("facebook/nllb-200-distilled-600M", ["sentencepiece.bpe.model"]),
    "m2m100_418M": ("facebook/m2m100_418M", ["sentencepiece.bpe.model"]),
}


@dataclass(frozen=True, slots=True)
class ModelLayout:
    """Where the parts of a model are and how its inputs are framed."""

    root: Path  # the directory the user installed (or named)
    ct2_dir: Path  # the directory holding model.bin
    source_spm: Path
    target_spm: Path
    family: str  # marian | nllb | m2m100 | argos
    source_prefix: tuple[str, ...] = ()
    source_suffix: tuple[str, ...] = ()
    target_prefix: tuple[str, ...] = ()
    name: str = ""
    checksum: str = ""
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def model_id(self) -> str:
        """What is recorded with every translation: the model name and a checksum of its weights."""
        return f"{self.name}@{self.checksum[:12]}" if self.checksum else self.name


class UnsafeModelError(TranslateError):
    """A model to install holds something we refuse to copy: a link, a device, a path out, too many bytes."""

    reason = "unsafe_model"


def max_model_bytes(settings: Any) -> int:
    return int(getattr(settings, "max_model_bytes", DEFAULT_MAX_MODEL_BYTES))


def models_dir(settings: Any) -> Path:
    env = os.environ.get("DRAGOMAN_MODELS")
    return Path(env).expanduser() if env else Path(settings.models_dir).expanduser()


def detect_layout(path: Path, *, name: str | None = None) -> ModelLayout:
    """Recognize the model layout in ``path``; TranslateError (one line) if it is not a usable model."""
    path = Path(path)
    if not path.exists():
        raise ModelNotInstalled(f"model {path} not found; {INSTALL_HINT}")
    if path.is_file():
        raise TranslateError(f"{path} is a file; install .argosmodel packages with `dragoman models install {path}`")
    manifest: dict[str, Any] = {}
    if (path / MANIFEST).is_file():
        try:
            manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise TranslateError(f"model {path}: unreadable {MANIFEST}: {exc}") from exc
    name = name or manifest.get("name") or path.name
    checksum = manifest.get("checksum", "")

    if (path / "model" / "model.bin").is_file() and (path / "sentencepiece.model").is_file():
        spm = path / "sentencepiece.model"
        return ModelLayout(path, path / "model", spm, spm, "argos", name=name, checksum=checksum, manifest=manifest)

    if not (path / "model.bin").is_file():
        raise TranslateError(
            f"{path} is not a CTranslate2 model (no model.bin); convert it with ct2-transformers-converter"
            " or install an .argosmodel"
        )
    if (path / "source.spm").is_file():
        source_spm = path / "source.spm"
        target_spm = path / "target.spm" if (path / "target.spm").is_file() else source_spm
    else:
        found = next((path / n for n in _SPM_NAMES if (path / n).is_file()), None)
        if found is None:
            raise TranslateError(f"model {path} has no SentencePiece model (source.spm, sentencepiece.bpe.model ...)")
        source_spm = target_spm = found
    vocabulary = _read_vocabulary(path)
    config = _read_config(path)
    suffix: tuple[str, ...] = () if config.get("add_source_eos") else ("</s>",)
    if "eng_Latn" in vocabulary and "rus_Cyrl" in vocabulary:
        family, prefix, target_prefix = "nllb", ("rus_Cyrl",), ("eng_Latn",)
    elif "__en__" in vocabulary and "__ru__" in vocabulary:
        family, prefix, target_prefix = "m2m100", ("__ru__",), ("__en__",)
    else:
        family, prefix, target_prefix = "marian", (), ()
    return ModelLayout(
        path,
        path,
        source_spm,
        target_spm,
        family,
        source_prefix=prefix,
        source_suffix=suffix,
        target_prefix=target_prefix,
        name=name,
        checksum=checksum,
        manifest=manifest,
    )


def _read_vocabulary(path: Path) -> set[str]:
    tokens: set[str] = set()
    for stem in ("shared_vocabulary", "source_vocabulary", "target_vocabulary"):
        json_path, txt_path = path / f"{stem}.json", path / f"{stem}.txt"
        try:
            if json_path.is_file():
                tokens.update(json.loads(json_path.read_text(encoding="utf-8")))
            elif txt_path.is_file():
                tokens.update(txt_path.read_text(encoding="utf-8").splitlines())
        except (OSError, ValueError) as exc:
            raise TranslateError(f"model {path}: unreadable vocabulary {stem}: {exc}") from exc
    return tokens


def _read_config(path: Path) -> dict[str, Any]:
    try:
        return json.loads((path / "config.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise TranslateError(f"model {path}: unreadable config.json: {exc}") from exc


def checksum_of(ct2_dir: Path) -> str:
    digest = hashlib.sha256()
    with (ct2_dir / "model.bin").open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# -- installed models -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InstalledModel:
    name: str
    path: Path
    family: str
    model_id: str
    size_bytes: int
    installed_at: str


def list_models(settings: Any) -> list[InstalledModel]:
    root = models_dir(settings)
    if not root.is_dir():
        return []
    recover_interrupted_installs(root)
    out: list[InstalledModel] = []
    for child in sorted(root.iterdir()):
        if not child.is_dir() or child.name.startswith("."):
            continue
        try:
            layout = detect_layout(child)
        except TranslateError:
            continue
        size = sum(f.stat().st_size for f in child.rglob("*") if f.is_file())
        out.append(
            InstalledModel(
                layout.name, child, layout.family, layout.model_id, size, layout.manifest.get("installed_at", "")
            )
        )
    return out


def resolve_model(settings: Any, model: str | None = None) -> ModelLayout:
    """The model to use: a path, an installed name, or (None) the only or first installed one."""
    if model:
        candidate = Path(model).expanduser()
        if candidate.exists():
            layout = detect_layout(candidate)
            if not layout.checksum:
                layout = _with_checksum(layout)
            return layout
        installed = models_dir(settings) / model
        if installed.is_dir():
            return detect_layout(installed)
        names = ", ".join(m.name for m in list_models(settings)) or "none"
        raise ModelNotInstalled(f"translation model {model!r} is not installed (installed: {names}); {INSTALL_HINT}")
    models = list_models(settings)
    if not models:
        raise ModelNotInstalled(f"no translation model installed; {INSTALL_HINT}")
    preferred = next((m for m in models if m.name.startswith("opus-mt-ru-en")), models[0])
    return detect_layout(preferred.path)


def _with_checksum(layout: ModelLayout) -> ModelLayout:
    from dataclasses import replace

    return replace(layout, checksum=checksum_of(layout.ct2_dir))


def install_model(
    settings: Any,
    source: Path,
    *,
    name: str | None = None,
    validate: bool = True,
    manifest_extra: dict[str, Any] | None = None,
) -> InstalledModel:
    """Copy a model directory or unpack an .argosmodel or .tar.gz into the models directory, after checking that
    it loads and translates a sentence.

    Only regular files are copied; links, devices, FIFOs, paths out of the model and more than
    ``settings.max_model_bytes`` are refused with :class:`UnsafeModelError`, and nothing is left installed.
    """
    source = Path(source).expanduser()
    try:
        source_mode = source.lstat().st_mode
    except OSError as exc:
        raise TranslateError(f"cannot install {source}: {exc.strerror or 'no such file or directory'}") from exc
    if stat.S_ISLNK(source_mode):
        # The path the user named may be a link (a shared models folder); what it points to is checked below.
        try:
            source = source.resolve(strict=True)
        except (OSError, RuntimeError) as exc:  # a link loop or a dangling link
            raise UnsafeModelError(f"cannot install {source}: a symbolic link that leads nowhere ({exc})") from exc
        source_mode = source.lstat().st_mode
    limit = max_model_bytes(settings)
    root = models_dir(settings)
    root.mkdir(parents=True, exist_ok=True)
    recover_interrupted_installs(root)
    # Unpacked beside the target (same file system), so the final step is one rename. The process id in the
    # name tells a later run whether the install is still going on or was killed.
    staging = Path(tempfile.mkdtemp(prefix=f"{_STAGING_PREFIX}{os.getpid()}-", dir=root))
    try:
        unpacked = staging / "unpacked"
        if stat.S_ISREG(source_mode):
            if zipfile.is_zipfile(source):
                unpacked = _unpack_argos(source, unpacked, limit)
                default_name = _argos_name(unpacked) or source.stem
            elif _is_tar(source):
                unpacked = _unpack_tar(source, unpacked, limit)
                default_name = _argos_name(unpacked) or source.name.split(".", 1)[0]
            else:
                raise TranslateError(
                    f"cannot install {source}: not a model directory, .argosmodel (zip) or .tar.gz archive"
                )
        elif stat.S_ISDIR(source_mode):
            _copy_model_dir(source, unpacked, limit)
            default_name = source.name
        else:
            raise UnsafeModelError(f"cannot install {source}: not a directory or a regular file ({_kind(source_mode)})")
        name = name or default_name
        _check_name(name)
        layout = detect_layout(unpacked, name=name)
        if validate:
            from dragoman.translate.ct2 import CTranslate2Engine

            CTranslate2Engine(layout, device="cpu").translate_batch(["Проверка."], max_decoding_length=4)
        manifest = {
            "name": name,
            "family": layout.family,
            "checksum": checksum_of(layout.ct2_dir),
            "installed_from": str(source),
            "installed_at": datetime.now(UTC).isoformat(),
            **(manifest_extra or {}),
        }
        (unpacked / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        target = root / name
        replaced = staging / "replaced"
        # Written before anything is moved: a later run that finds "replaced" and no target puts it back.
        (staging / _STAGING_TARGET).write_text(name, encoding="utf-8")
        if target.exists() or target.is_symlink():
            # Move the old model aside first: at every moment `name` is either the old model or the new one.
            target.rename(replaced)
        try:
            unpacked.rename(target)
        except OSError:
            if replaced.exists():
                replaced.rename(target)  # put the old model back before the staging folder is removed
            raise
    except OSError as exc:
        raise TranslateError(f"cannot install {source}: {exc.strerror or exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return next(m for m in list_models(settings) if m.path == target)


_STAGING_PREFIX = ".install-"
_STAGING_TARGET = "target-name"


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def recover_interrupted_installs(root: Path) -> list[str]:
    """Finish what an install killed mid-way left: an old model moved aside goes back, staging folders go.

    An install moves the old model into its staging folder and then renames the new one into place; killed
    between the two, the model's name is missing and the old model is in ``.install-PID-*/replaced``. Returns
    the names of the models put back.
    """
    restored: list[str] = []
    for staging in root.glob(f"{_STAGING_PREFIX}*"):
        try:
            pid = int(staging.name[len(_STAGING_PREFIX) :].split("-", 1)[0])
        except ValueError:
            continue
        if _pid_alive(pid):
            continue
        replaced, marker = staging / "replaced", staging / _STAGING_TARGET
        try:
            if replaced.is_dir() and marker.is_file():
                name = marker.read_text(encoding="utf-8").strip()
                _check_name(name)
                target = root / name
                if not target.exists():
                    replaced.rename(target)
                    restored.append(name)
        except (OSError, ConfigError):
            continue  # left for the user to see; never deleted with an old model inside
        if not replaced.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return restored


def _check_name(name: str) -> None:
    if not name or name.startswith(".") or "/" in name or "\\" in name or name in ("..",):
        raise ConfigError(f"invalid model name {name!r}")


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device file"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


class _Budget:
    """Bytes and files an install may still write; counted as they are written, not as they are declared."""

    def __init__(self, source: Path, max_bytes: int) -> None:
        self.source = source
        self.max_bytes = max_bytes
        self.bytes = 0
        self.files = 0

    def add_file(self) -> None:
        self.files += 1
        if self.files > MAX_MODEL_FILES:
            raise UnsafeModelError(f"cannot install {self.source}: more than {MAX_MODEL_FILES} files")

    def add_bytes(self, count: int) -> None:
        self.bytes += count
        if self.bytes > self.max_bytes:
            raise UnsafeModelError(
                f"cannot install {self.source}: it unpacks to more than {self.max_bytes:,} bytes"
                " (the max_model_bytes setting, DRAGOMAN_MAX_MODEL_BYTES, raises the limit)"
            )

    def copy(self, reader: BinaryIO, target: Path) -> None:
        """Write ``reader`` to a new file ``target`` (never through an existing file or link)."""
        self.add_file()
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        with os.fdopen(os.open(target, flags, 0o644), "wb") as out:
            while block := reader.read(_COPY_CHUNK):
                self.add_bytes(len(block))
                out.write(block)


def _copy_model_dir(source: Path, destination: Path, max_bytes: int) -> None:
    """Copy the regular files and directories under ``source``; any link, device or FIFO is refused.

    Walks with lstat (``follow_symlinks=False``), so a link to ``/`` or a link loop is never entered.
    """
    budget = _Budget(source, max_bytes)
    planned = 0
    # First pass: refuse anything but files and directories, and add up the sizes before writing a byte.
    stack: list[tuple[Path, int]] = [(source, 0)]
    while stack:
        folder, depth = stack.pop()
        if depth > MAX_MODEL_DEPTH:
            raise UnsafeModelError(f"cannot install {source}: directories nested deeper than {MAX_MODEL_DEPTH}")
        with os.scandir(folder) as entries:
            for entry in entries:
                info = entry.stat(follow_symlinks=False)
                relative = Path(entry.path).relative_to(source)
                if stat.S_ISDIR(info.st_mode):
                    stack.append((Path(entry.path), depth + 1))
                elif not stat.S_ISREG(info.st_mode):
                    what = _kind(info.st_mode)
                    raise UnsafeModelError(
                        f"cannot install {source}: {relative} is {what}; a model holds regular files only"
                    )
                elif info.st_nlink > 1:
                    raise UnsafeModelError(
                        f"cannot install {source}: {relative} is a hard link; copy the model with `cp -r` first"
                    )
                else:
                    planned += info.st_size
    if planned > max_bytes:
        budget.add_bytes(planned)  # raises with the limit in the message
    # Second pass: copy. Files are opened without following links and re-checked, since the folder may change.
    destination.mkdir()
    for folder, subfolders, files in os.walk(source, followlinks=False):
        here = destination / Path(folder).relative_to(source)
        for sub in subfolders:
            (here / sub).mkdir()
        for file in files:
            path = Path(folder) / file
            relative = path.relative_to(source)
            flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
            try:
                fd = os.open(path, flags)
            except OSError as exc:
                raise UnsafeModelError(
                    f"cannot install {source}: cannot open {path.relative_to(source)} safely"
                ) from exc
            with os.fdopen(fd, "rb") as reader:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    raise UnsafeModelError(f"cannot install {source}: {relative} is not a regular file")
                budget.copy(reader, here / file)


def _unpack_argos(archive: Path, destination: Path, max_bytes: int) -> Path:
    """Unpack an Argos package safely (regular files only, no paths outside ``destination``, size capped);
    returns its package directory."""
    destination.mkdir(parents=True)
    budget = _Budget(archive, max_bytes)
    try:
        with zipfile.ZipFile(archive) as package:
            members = package.infolist()
            if len(members) > MAX_MODEL_FILES:
                raise UnsafeModelError(f"cannot install {archive}: more than {MAX_MODEL_FILES} entries")
            declared = 0
            for member in members:
                _check_member(archive, member)
                declared += member.file_size
            if declared > max_bytes:
                budget.add_bytes(declared)  # refused from the headers, before anything is written
            for member in members:
                target = _entry_target(destination, member.filename, member.is_dir())
                if target is None:
                    continue
                # Headers can lie about sizes; the budget counts the bytes actually decompressed.
                with package.open(member) as reader:
                    budget.copy(reader, target)
    except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise TranslateError(f"cannot install {archive}: corrupt archive ({exc})") from exc
    except (RuntimeError, NotImplementedError) as exc:  # zipfile's words for encrypted entries, unknown methods
        raise TranslateError(f"cannot install {archive}: unreadable archive ({exc})") from exc
    except (FileExistsError, NotADirectoryError) as exc:
        raise UnsafeModelError(f"cannot install {archive}: an entry collides with another ({exc.filename})") from exc
    children = [c for c in destination.iterdir() if not c.name.startswith("__MACOSX")]
    if len(children) == 1 and children[0].is_dir():
        return children[0]
    return destination


def _entry_target(destination: Path, name: str, is_dir: bool) -> Path | None:
    """Where an archive entry (its name already checked) is written, its directories made; None for a
    directory entry, which has nothing more to write."""
    target = destination.joinpath(*PurePosixPath(name).parts)
    if is_dir:
        target.mkdir(parents=True, exist_ok=True)
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def _is_tar(path: Path) -> bool:
    try:
        return tarfile.is_tarfile(path)
    except (OSError, tarfile.TarError, EOFError, zlib.error):
        return False


def _unpack_tar(archive: Path, destination: Path, max_bytes: int) -> Path:
    """Unpack a (gzip, bzip2, xz) tar of a model directory with the same rules as :func:`_unpack_argos`."""
    destination.mkdir(parents=True)
    budget = _Budget(archive, max_bytes)
    try:
        with tarfile.open(archive, mode="r:*") as package:
            members: list[tarfile.TarInfo] = []
            declared = 0
            for member in package:  # headers only; refused before a byte is written
                if len(members) >= MAX_MODEL_FILES:
                    raise UnsafeModelError(f"cannot install {archive}: more than {MAX_MODEL_FILES} entries")
                _check_path(archive, member.name)
                if not (member.isreg() or member.isdir()):
                    what = "a link" if member.issym() or member.islnk() else "a device, FIFO or other special file"
                    raise UnsafeModelError(
                        f"cannot install {archive}: entry {member.name!r} is {what}; a model holds regular files only"
                    )
                declared += member.size if member.isreg() else 0
                members.append(member)
            if declared > max_bytes:
                budget.add_bytes(declared)
            for member in members:
                target = _entry_target(destination, member.name, member.isdir())
                if target is None:
                    continue
                reader = package.extractfile(member)
                if reader is None:
                    raise UnsafeModelError(f"cannot install {archive}: entry {member.name!r} is not a regular file")
                with reader:
                    budget.copy(reader, target)
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile, lzma.LZMAError) as exc:
        raise TranslateError(f"cannot install {archive}: corrupt archive ({exc})") from exc
    except (FileExistsError, NotADirectoryError) as exc:
        raise UnsafeModelError(f"cannot install {archive}: an entry collides with another ({exc.filename})") from exc
    children = list(destination.iterdir())
    if len(children) == 1 and children[0].is_dir():
        return children[0]
    return destination


def _check_member(archive: Path, member: zipfile.ZipInfo) -> None:
    """Refuse an archive entry that is not a plain file or directory inside the package."""
    name = member.filename
    _check_path(archive, name)
    mode = member.external_attr >> 16  # Unix mode, when the archiver recorded one (file type bits 0: none)
    if stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise UnsafeModelError(
            f"cannot install {archive}: entry {name!r} is {_kind(mode)}; a model holds regular files only"
        )


def _check_path(archive: Path, name: str) -> None:
    """Refuse an archive path that is absolute, climbs out (``..``) or is spelled to confuse."""
    parts = PurePosixPath(name).parts
    if (
        not parts
        or name.startswith(("/", "\\"))
        or "\\" in name
        or "\x00" in name
        or any(part in ("..", ".") for part in parts)
        or (len(parts[0]) >= 2 and parts[0][1] == ":")
    ):
        raise UnsafeModelError(f"cannot install {archive}: unsafe path {name!r} in the archive")


def _argos_name(package_dir: Path) -> str | None:
    try:
        meta = json.loads((package_dir / "metadata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    source, target = meta.get("from_code"), meta.get("to_code")
    if not source or not target:
        return None
    version = str(meta.get("package_version", "")).strip()
    return f"argos-{source}-{target}" + (f"-{version}" if version else "")


def remove_model(settings: Any, name: str) -> None:
    _check_name(name)
    target = models_dir(settings) / name
    if not target.is_dir():
        raise ModelNotInstalled(f"translation model {name!r} is not installed")
    shutil.rmtree(target)


def download_model(settings: Any, name: str, *, quantization: str = "int8") -> InstalledModel:
    """Fetch a known model from the Hugging Face hub and convert it (needs the ``convert`` extra)."""
    if name not in DOWNLOADABLE:
        raise ConfigError(f"unknown model {name!r}; downloadable: {', '.join(DOWNLOADABLE)}")
    try:
        import transformers  # noqa: F401
        from ctranslate2.converters import TransformersConverter
    except ImportError as exc:
        raise ConfigError(
            f"`dragoman models download` needs the convert extra: pip install 'dragoman[convert]' ({exc.name} missing)"
        ) from exc
    repo, copy_files = DOWNLOADABLE[name]
    with tempfile.TemporaryDirectory(prefix="dragoman-convert-") as tmp:
        output = Path(tmp) / name
        try:
            TransformersConverter(repo, copy_files=copy_files).convert(str(output), quantization=quantization)
        except Exception as exc:  # the hub client raises many kinds; all mean "could not fetch or convert"
            raise TranslateError(
                f"cannot download {repo} from the Hugging Face hub (offline?): {first_line(exc)}"
            ) from exc
        return install_model(settings, output, name=name)
