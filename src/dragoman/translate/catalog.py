"""The model catalog: ready CTranslate2 models dragoman can download, each file with its size and SHA-256.

Shipped as ``dragoman/data/models.toml``; the ``model_catalog`` setting (``DRAGOMAN_MODEL_CATALOG``) names
another file (an organization's own list, or a test's). A mirror (``model_mirror``) serves every file as
``MIRROR/<model name>/<file name>``, from a web server or a directory.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from dragoman.errors import ConfigError
from dragoman.urls import check_url

FORMATS = ("argosmodel", "tar", "files")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_FILE_NAME = re.compile(r"[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*")


@dataclass(frozen=True, slots=True)
class CatalogFile:
    name: str  # the file's name (a path inside the model directory for format "files")
    urls: tuple[str, ...]
    size: int
    sha256: str
    sha256_source: str = ""


@dataclass(frozen=True, slots=True)
class CatalogModel:
    name: str
    description: str
    format: str
    source: str
    target: str
    license: str
    files: tuple[CatalogFile, ...]
    quality: tuple[dict[str, str], ...] = ()
    homepage: str = ""

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


@dataclass(frozen=True, slots=True)
class Catalog:
    models: tuple[CatalogModel, ...]
    defaults: dict[str, str]
    path: str

    def get(self, name: str) -> CatalogModel:
        for model in self.models:
            if model.name == name:
                return model
        known = ", ".join(m.name for m in self.models) or "none"
        raise ConfigError(f"model {name!r} is not in the catalog ({self.path}); known: {known}")

    def default_for(self, pair: str = "ru-en") -> CatalogModel | None:
        name = self.defaults.get(pair)
        return self.get(name) if name else None

    def file_named(self, file_name: str) -> tuple[CatalogModel, CatalogFile] | None:
        """The catalog entry whose single download file is called ``file_name`` (for `models install FILE`)."""
        for model in self.models:
            if model.format != "files" and len(model.files) == 1 and model.files[0].name == file_name:
                return model, model.files[0]
        return None


def load_catalog(settings: Any = None) -> Catalog:
    """The catalog named by the ``model_catalog`` setting, else the one shipped with dragoman."""
    override = str(getattr(settings, "model_catalog", "") or "")
    if override:
        path = Path(override).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read model catalog {path}: {exc.strerror}") from exc
        where = str(path)
    else:
        text = resources.files("dragoman").joinpath("data/models.toml").read_text(encoding="utf-8")
        where = "dragoman/data/models.toml"
    return parse_catalog(text, where)


def parse_catalog(text: str, where: str = "catalog") -> Catalog:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"model catalog {where} is not valid TOML: {exc}") from exc
    models = tuple(_parse_model(entry, where) for entry in data.get("model", []))
    names = [m.name for m in models]
    if len(set(names)) != len(names):
        raise ConfigError(f"model catalog {where}: a model name appears twice")
    defaults = {str(k): str(v) for k, v in (data.get("defaults") or {}).items()}
    for pair, name in defaults.items():
        if name not in names:
            raise ConfigError(f"model catalog {where}: default for {pair} is {name!r}, which is not in the catalog")
    return Catalog(models, defaults, where)


def _parse_model(entry: dict[str, Any], where: str) -> CatalogModel:
    name = str(entry.get("name", ""))
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
        raise ConfigError(f"model catalog {where}: invalid model name {name!r}")
    fmt = entry.get("format")
    if fmt not in FORMATS:
        raise ConfigError(f"model catalog {where}: {name}: format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    files = []
    for raw in entry.get("file", []):
        file_name = str(raw.get("name", ""))
        if not _FILE_NAME.fullmatch(file_name) or ".." in file_name.split("/"):
            raise ConfigError(f"model catalog {where}: {name}: invalid file name {file_name!r}")
        sha256 = str(raw.get("sha256", "")).lower()
        if not _SHA256.fullmatch(sha256):
            raise ConfigError(f"model catalog {where}: {name}/{file_name}: sha256 must be 64 hex digits")
        size = raw.get("size")
        if not isinstance(size, int) or size <= 0:
            raise ConfigError(f"model catalog {where}: {name}/{file_name}: size must be a positive number of bytes")
        try:
            urls = tuple(check_url(u, field="url") for u in raw.get("urls", []))
        except ValueError as exc:
            raise ConfigError(f"model catalog {where}: {name}/{file_name}: {exc}") from exc
        files.append(CatalogFile(file_name, urls, size, sha256, str(raw.get("sha256_source", ""))))
    if not files:
        raise ConfigError(f"model catalog {where}: {name} lists no files")
    if fmt != "files" and len(files) != 1:
        raise ConfigError(f"model catalog {where}: {name}: format {fmt} is one archive file")
    return CatalogModel(
        name=name,
        description=str(entry.get("description", "")),
        format=str(fmt),
        source=str(entry.get("source", "")),
        target=str(entry.get("target", "")),
        license=str(entry.get("license", "unknown")),
        files=tuple(files),
        quality=tuple({str(k): str(v) for k, v in q.items()} for q in entry.get("quality", [])),
        homepage=str(entry.get("homepage", "")),
    )


def human_size(size: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}" if size < 10 * scale else f"{size / scale:.0f} {unit}"
    return f"{size} B"
