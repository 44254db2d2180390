"""Every setting once: name, default, help. Precedence: defaults < config file < environment < command line.

The config file is TOML (``$DRAGOMAN_CONFIG`` or ``~/.config/dragoman/config.toml``) with the same names as
below; the environment variable of a setting is ``DRAGOMAN_`` + its name in capitals.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from dragoman.errors import ConfigError

# The cosine of rarity-weighted word vectors from which StoryIndex joins two articles into one story: tuned in
# bench/dedupe_eval.py on crowd-labelled pairs (train + exam pools; held-out honey F1 0.80).
DEFAULT_STORY_THRESHOLD = 0.37
# The largest model `dragoman models install` unpacks: NLLB-200 3.3B in float16 is about 6.6 GB.
DEFAULT_MAX_MODEL_BYTES = 10_000_000_000


Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# What a bare --allow-private (allow_private = true) opens: loopback and private networks, never link-local.
PRIVATE_NETWORKS: tuple[Network, ...] = tuple(
    ipaddress.ip_network(n)
    for n in ("127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)
_HOST_NAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?")


@dataclass(frozen=True, slots=True)
class AllowList:
    networks: tuple[Network, ...] = ()
    hosts: frozenset[str] = frozenset()


def parse_allow_list(text: str) -> AllowList:
    """``"127.0.0.1/8, 10.1.2.3, intranet.example"`` -> networks and host names; ConfigError on anything else."""
    networks: list[Network] = []
    hosts: set[str] = set()
    for entry in (e.strip() for e in text.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            continue
        except ValueError:
            pass
        name = entry.lower()
        if not _HOST_NAME.fullmatch(name) or "/" in name:
            raise ConfigError(f"setting allow_networks: {entry!r} is neither a network (10.0.0.0/8) nor a host name")
        hosts.add(name.rstrip("."))
    return AllowList(tuple(networks), frozenset(hosts))


def _user_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "dragoman"


@dataclass(frozen=True, slots=True)
class Settings:
    db: str = field(default="dragoman.db", metadata={"help": "SQLite file path or postgresql:// URL"})
    user_agent: str = field(
        default="dragoman/0.1 (+https://github.com/dragoman-news/dragoman; news research crawler)",
        metadata={"help": "User-Agent sent with every request"},
    )
    contact_url: str = field(default="", metadata={"help": "contact URL appended to the User-Agent"})
    connect_timeout: float = field(default=10.0, metadata={"help": "seconds to open a connection"})
    read_timeout: float = field(default=30.0, metadata={"help": "seconds to wait for data"})
    max_bytes: int = field(default=10_000_000, metadata={"help": "largest page accepted, in bytes"})
    max_redirects: int = field(default=5, metadata={"help": "redirects followed per request"})
    allow_private: bool = field(
        default=False,
        metadata={
            "help": "allow loopback and private networks (127.0.0.0/8, ::1, 10/8, 172.16/12, 192.168/16, "
            "100.64/10, fc00::/7); never link-local"
        },
    )
    allow_networks: str = field(
        default="",
        metadata={
            "help": "comma-separated networks (127.0.0.1/8, 10.1.2.3) or host names that may be fetched although "
            "not public; link-local (169.254.0.0/16, fe80::/10) only when a network inside it is named"
        },
    )
    fetch_deadline: float = field(
        default=120.0,
        metadata={"help": "seconds one request may take in all, headers and body (read_timeout is per read)"},
    )
    respect_robots: bool = field(default=True, metadata={"help": "obey robots.txt"})
    host_delay: float = field(default=9.0, metadata={"help": "seconds between requests to one host"})
    models_dir: Path = field(
        default_factory=lambda: _user_data_dir() / "models",
        metadata={"help": "where translation models are installed"},
    )
    device: str = field(default="auto", metadata={"help": "translation device: auto, cpu or cuda"})
    read_token: str = field(
        default="",
        repr=False,  # a secret: never in logs or reprs
        metadata={"help": "token every web request must carry (serve); prefer the environment or a file to a flag"},
    )
    allowed_hosts: str = field(
        default="",
        metadata={"help": "extra Host names the web server answers, comma separated (serve)"},
    )
    max_model_bytes: int = field(
        default=DEFAULT_MAX_MODEL_BYTES, metadata={"help": "largest translation model installed, in bytes unpacked"}
    )
    model_mirror: str = field(
        default="",
        metadata={
            "help": "where `models download` fetches catalog files instead of their URLs: an internal web server or "
            "a directory, laid out as MIRROR/<model name>/<file name>"
        },
    )
    model_catalog: str = field(
        default="",
        metadata={"help": "a models.toml to use instead of the catalog shipped with dragoman"},
    )
    story_threshold: float = field(
        default=DEFAULT_STORY_THRESHOLD,
        metadata={"help": "similarity (0-1] from which two articles are one story; higher joins only closer copies"},
    )
    archive_originals: bool = field(
        default=True,
        metadata={"help": "keep the bytes every revision was extracted from (dragoman original, reextract)"},
    )
    archive_max_bytes: int = field(
        default=0,
        metadata={
            "help": "cap on the archive's compressed size in bytes; past it new originals are not kept (0: none)"
        },
    )

    def __post_init__(self) -> None:
        parse_allow_list(self.allow_networks)  # a typo in a network is a usage error now, not a refusal later
        if not self.fetch_deadline > 0:
            raise ConfigError(
                f"setting fetch_deadline: must be a positive number of seconds, not {self.fetch_deadline}"
            )

    @property
    def private_allow_list(self) -> AllowList:
        """What may be fetched although not public: the named networks and hosts, plus the bare flag's set."""
        named = parse_allow_list(self.allow_networks)
        if not self.allow_private:
            return named
        return AllowList(named.networks + PRIVATE_NETWORKS, named.hosts)

    @property
    def full_user_agent(self) -> str:
        if self.contact_url and self.contact_url not in self.user_agent:
            return f"{self.user_agent} {self.contact_url}"
        return self.user_agent

    def with_overrides(self, **overrides: Any) -> Settings:
        """Apply command-line values; ``None`` means the flag was not given."""
        given = {k: v for k, v in overrides.items() if v is not None}
        return replace(self, **_coerce(given)) if given else self


def _coerce(values: dict[str, Any]) -> dict[str, Any]:
    types = {f.name for f in fields(Settings)}
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key not in types:
            raise ConfigError(f"unknown setting {key!r}")
        kind = type(getattr(_DEFAULTS, key))
        try:
            if kind is bool and isinstance(value, str):
                out[key] = value.strip().lower() in {"1", "true", "yes", "on"}
            elif issubclass(kind, Path):
                out[key] = Path(value).expanduser()
            else:
                out[key] = kind(value)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"setting {key}: cannot use {value!r} ({exc})") from exc
    return out


_DEFAULTS = Settings()


def load_settings(config_path: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ) if env is None else env
    values: dict[str, Any] = {}
    path = Path(config_path) if config_path else None
    if path is None and env.get("DRAGOMAN_CONFIG"):
        path = Path(env["DRAGOMAN_CONFIG"])
    if path is None:
        default = Path.home() / ".config" / "dragoman" / "config.toml"
        path = default if default.exists() else None
    if path is not None:
        try:
            values.update(tomllib.loads(path.read_text(encoding="utf-8")))
        except OSError as exc:
            raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
    for f in fields(Settings):
        env_value = env.get(f"DRAGOMAN_{f.name.upper()}")
        if env_value is not None and env_value != "":
            values[f.name] = env_value
    return Settings(**_coerce(values))
