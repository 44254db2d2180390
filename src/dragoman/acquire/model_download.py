"""`dragoman models download`: fetch a catalog model, verify it, install it atomically. No extra dependencies.

Each file is streamed into ``MODELS/.downloads/<name>/`` as ``<file>.part`` through the project's HTTP client
(its address checks, pinned connections and timeouts); an interrupted download resumes with an HTTP Range
request, failures are retried with backoff, and a finished file is renamed from ``.part`` only once its size
and SHA-256 match the catalog. A mismatch deletes the file. The model is then installed by
:func:`dragoman.translate.models.install_model`: unpacked with its safety rules beside its final place,
loaded, made to translate a sentence, and renamed into place. The ``.downloads`` and ``.install-*`` folders
start with a dot, so `models list` never shows a half model, whenever the process is killed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from dragoman.errors import DragomanError, FetchError, TranslateError
from dragoman.translate.catalog import Catalog, CatalogFile, CatalogModel, human_size, load_catalog
from dragoman.translate.models import InstalledModel, install_model, list_models, models_dir

Progress = Callable[[int, int], None]  # (bytes done, bytes in all) for the whole model
DOWNLOADS = ".downloads"
DEFAULT_RETRIES = 5
_CHUNK = 1 << 16
_RETRYABLE = frozenset({"timeout", "connection", "server_error"})
# Unpacking needs about the download's size again (model weights barely compress), plus some room.
_UNPACK_FACTOR = 1.25
_SPARE_BYTES = 50_000_000


class ChecksumMismatch(TranslateError):
    reason = "checksum_mismatch"


class NotEnoughSpace(TranslateError):
    reason = "disk_full"


@dataclass(frozen=True, slots=True)
class Source:
    """Where one file comes from: a web URL or a local file (a mirror directory or a file:// URL)."""

    location: str
    is_local: bool


def sources_for(model: CatalogModel, file: CatalogFile, mirror: str = "") -> list[Source]:
    """The catalog's URLs, or (with a mirror) MIRROR/<model name>/<file name> only: an air-gapped site must
    never fall back to the internet."""
    if mirror:
        if mirror.startswith(("http://", "https://")):
            return [Source(urljoin(mirror.rstrip("/") + "/", f"{model.name}/{file.name}"), False)]
        base = Path(unquote(urlsplit(mirror).path)) if mirror.startswith("file://") else Path(mirror).expanduser()
        return [Source(str(base / model.name / file.name), True)]
    out = []
    for url in file.urls:
        if url.startswith("file://"):
            out.append(Source(unquote(urlsplit(url).path), True))
        else:
            out.append(Source(url, False))
    return out


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_file(path: Path, file: CatalogFile, source: str) -> None:
    """Size and SHA-256 against the catalog; on a mismatch the file is deleted and ChecksumMismatch raised."""
    size = path.stat().st_size
    actual = sha256_of(path) if size == file.size else ""
    if size != file.size or actual != file.sha256:
        path.unlink(missing_ok=True)
        got = f"sha256 {actual[:16]}..." if actual else f"{size:,} bytes"
        raise ChecksumMismatch(
            f"{file.name} from {source} does not match the catalog (expected sha256 {file.sha256[:16]}..., "
            f"{file.size:,} bytes; got {got}): deleted, nothing installed"
        )


def download_model_files(
    settings: Any,
    model: CatalogModel,
    *,
    mirror: str = "",
    progress: Progress | None = None,
    retries: int = DEFAULT_RETRIES,
    retry_base: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Path:
    """Fetch and verify every file of ``model`` into its download folder; returns the archive or directory."""
    root = models_dir(settings)
    folder = root / DOWNLOADS / model.name
    folder.mkdir(parents=True, exist_ok=True)
    targets = [
        (file, folder / "files" / file.name if model.format == "files" else folder / file.name) for file in model.files
    ]
    have = sum(_present_bytes(path) for _file, path in targets)
    check_free_space(root, model.size - have + int(model.size * _UNPACK_FACTOR) + _SPARE_BYTES)
    done = have
    if progress:
        progress(done, model.size)

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if progress:
            progress(done, model.size)

    fetcher = _fetcher(settings, mirror)
    try:
        for file, path in targets:
            if path.is_file() and path.stat().st_size == file.size:
                continue  # verified before it was renamed from .part
            path.parent.mkdir(parents=True, exist_ok=True)
            part = path.with_name(path.name + ".part")
            error: DragomanError | None = None
            for source in sources_for(model, file, mirror):
                try:
                    if source.is_local:
                        _copy_local(Path(source.location), part, file, advance)
                    else:
                        _fetch_http(fetcher, source.location, part, file, advance, retries, retry_base, sleep)
                    verify_file(part, file, source.location)
                except ChecksumMismatch:
                    raise
                except DragomanError as exc:
                    done = sum(_present_bytes(p) for _f, p in targets)  # what a failed source left on disk
                    error = exc
                    continue
                part.rename(path)
                error = None
                break
            if error is not None:
                raise error
            if not path.is_file():
                raise TranslateError(f"{model.name}: no source for {file.name} (the catalog lists no URL)")
    finally:
        if fetcher is not None:
            fetcher.close()
    return folder / "files" if model.format == "files" else targets[0][1]


def _present_bytes(path: Path) -> int:
    for candidate in (path, path.with_name(path.name + ".part")):
        try:
            return candidate.stat().st_size
        except FileNotFoundError:
            continue
    return 0


def check_free_space(folder: Path, needed: int) -> None:
    free = shutil.disk_usage(folder).free
    if needed > free:
        raise NotEnoughSpace(
            f"not enough disk space in {folder}: the download and install need about {human_size(needed)}, "
            f"{human_size(free)} free (DRAGOMAN_MODELS puts models elsewhere)"
        )


def _fetcher(settings: Any, mirror: str) -> Any:
    from dragoman.acquire.http import Fetcher

    if mirror.startswith(("http://", "https://")):
        # The user named this server: it may be on their own network without --allow-private.
        host = urlsplit(mirror).hostname or ""
        allowed = ",".join(filter(None, [getattr(settings, "allow_networks", ""), host]))
        settings = settings.with_overrides(allow_networks=allowed)
    return Fetcher(settings)


def _copy_local(source: Path, part: Path, file: CatalogFile, advance: Callable[[int], None]) -> None:
    if not source.is_file():
        raise TranslateError(f"{source} not found in the mirror (expected MIRROR/<model name>/{file.name})")
    with source.open("rb") as reader, part.open("wb") as out:
        written = 0
        while block := reader.read(_CHUNK):
            written += len(block)
            if written > file.size:
                break  # the checksum check says so in one line
            out.write(block)
            advance(len(block))


def _fetch_http(
    fetcher: Any,
    url: str,
    part: Path,
    file: CatalogFile,
    advance: Callable[[int], None],
    retries: int,
    retry_base: float,
    sleep: Callable[[float], None],
) -> None:
    """Stream ``url`` into ``part``, resuming from what ``part`` holds; retried with backoff when cut."""
    from dragoman.acquire.http import backoff_delay

    attempt = 0
    while True:
        have = part.stat().st_size if part.exists() else 0
        if have > file.size:
            part.unlink()
            have = 0
        if have == file.size:
            return
        try:
            _stream_once(fetcher, url, part, have, file, advance)
        except FetchError as exc:
            if exc.reason not in _RETRYABLE or attempt >= retries:
                raise
            sleep(backoff_delay(attempt, retry_base))
            attempt += 1


def _stream_once(
    fetcher: Any, url: str, part: Path, have: int, file: CatalogFile, advance: Callable[[int], None]
) -> None:
    import httpx

    current = url
    for _hop in range(fetcher.settings.max_redirects + 1):
        fetcher.check_url(current)  # every hop: public address (or allowed), pinned for the connection
        headers = {"Accept-Encoding": "identity"}
        if have:
            headers["Range"] = f"bytes={have}-"
        try:
            with fetcher.client.stream("GET", current, headers=headers) as response:
                status = response.status_code
                if status in (301, 302, 303, 307, 308):
                    location = response.headers.get("location")
                    if not location:
                        raise FetchError(
                            f"HTTP {status} without a Location header", reason=f"http_{status}", source=current
                        )
                    current = urljoin(current, location)
                    continue
                if status == 416:  # our partial file does not fit the server's: start again
                    part.unlink(missing_ok=True)
                    raise FetchError(
                        "the server refused to resume; starting again", reason="connection", source=current
                    )
                if status >= 500 or status == 429:
                    raise FetchError(f"HTTP {status}", reason="server_error", source=current)
                if status >= 400 or status not in (200, 206):
                    raise FetchError(f"HTTP {status}", reason=f"http_{status}", source=current)
                start = _range_start(response.headers.get("content-range")) if status == 206 else 0
                if start not in (0, have):
                    part.unlink(missing_ok=True)
                    raise FetchError("the server resumed at the wrong place", reason="connection", source=current)
                written = start
                with part.open("ab" if start else "wb") as out:
                    for chunk in response.iter_raw():  # as received: a cut loses no buffered bytes
                        written += len(chunk)
                        if written > file.size:
                            raise FetchError(
                                f"the server sent more than the catalog's {file.size:,} bytes",
                                reason="too_large",
                                source=current,
                            )
                        out.write(chunk)
                        advance(len(chunk))
                if written < file.size:
                    raise FetchError(
                        f"connection closed after {written:,} of {file.size:,} bytes",
                        reason="connection",
                        source=current,
                    )
                return
        except httpx.TimeoutException as exc:
            raise FetchError(f"timed out ({type(exc).__name__})", reason="timeout", source=current) from exc
        except httpx.HTTPError as exc:
            raise FetchError(f"connection failed: {exc}", reason="connection", source=current) from exc
    raise FetchError(f"more than {fetcher.settings.max_redirects} redirects", reason="too_many_redirects", source=url)


def _range_start(content_range: str | None) -> int:
    """``bytes 100-199/200`` -> 100; -1 when absent or unreadable."""
    try:
        unit, _, spec = (content_range or "").partition(" ")
        return int(spec.split("-", 1)[0]) if unit == "bytes" else -1
    except ValueError:
        return -1


def download_catalog_model(
    settings: Any,
    name: str | None = None,
    *,
    mirror: str | None = None,
    progress: Progress | None = None,
    catalog: Catalog | None = None,
    retries: int = DEFAULT_RETRIES,
    retry_base: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> InstalledModel:
    """Download, verify and install a catalog model (``None``: the catalog's ru->en default)."""
    catalog = catalog or load_catalog(settings)
    model = catalog.get(name) if name else catalog.default_for("ru-en")
    if model is None:
        raise TranslateError(f"the catalog {catalog.path} names no default ru-en model; pass a model name")
    mirror = mirror if mirror is not None else str(getattr(settings, "model_mirror", "") or "")
    fetched = download_model_files(
        settings, model, mirror=mirror, progress=progress, retries=retries, retry_base=retry_base, sleep=sleep
    )
    installed = install_model(
        settings,
        fetched,
        name=model.name,
        manifest_extra={
            "catalog": model.name,
            "license": model.license,
            "downloaded_from": mirror or (model.files[0].urls[0] if model.files[0].urls else ""),
            "download_sha256": {f.name: f.sha256 for f in model.files},
        },
    )
    shutil.rmtree(models_dir(settings) / DOWNLOADS / model.name, ignore_errors=True)
    return installed


def install_checked(settings: Any, path: Path, *, name: str | None = None) -> InstalledModel:
    """`models install FILE`: a file the catalog knows (by name, or by file name) must match its checksum."""
    catalog = load_catalog(settings)
    entry: tuple[CatalogModel, CatalogFile] | None = None
    if name and any(m.name == name for m in catalog.models):
        model = catalog.get(name)
        if model.format != "files":
            entry = (model, model.files[0])
    if entry is None and path.is_file():
        entry = catalog.file_named(path.name)
    manifest_extra: dict[str, Any] = {}
    if entry is not None and path.is_file():
        model, file = entry
        actual = sha256_of(path)
        if actual != file.sha256:
            raise ChecksumMismatch(
                f"{path} does not match the catalog's {model.name} (expected sha256 {file.sha256[:16]}..., "
                f"got {actual[:16]}...): not installed"
            )
        name = name or model.name
        manifest_extra = {"catalog": model.name, "license": model.license, "download_sha256": {file.name: actual}}
    return install_model(settings, path, name=name, manifest_extra=manifest_extra)


def has_installed_model(settings: Any) -> bool:
    return bool(list_models(settings))


def downloads_allowed() -> bool:
    return os.environ.get("DRAGOMAN_NO_DOWNLOAD", "").strip().lower() not in ("1", "true", "yes", "on")
