from __future__ import annotations

from pathlib import Path

import pytest

from dragoman.errors import ConfigError
from dragoman.settings import Settings, load_settings


def test_precedence_defaults_file_env_flags(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('db = "from-file.db"\nhost_delay = 3\nmax_bytes = 1000\n', encoding="utf-8")
    settings = load_settings(config, env={"DRAGOMAN_HOST_DELAY": "4.5", "DRAGOMAN_ALLOW_PRIVATE": "1"})
    assert settings.db == "from-file.db"
    assert settings.host_delay == 4.5
    assert settings.max_bytes == 1000
    assert settings.allow_private is True
    assert settings.with_overrides(db="flag.db", host_delay=None).db == "flag.db"
    assert Settings().max_bytes == 10_000_000
    assert load_settings(None, env={"DRAGOMAN_STORY_THRESHOLD": "0.5"}).story_threshold == 0.5


def test_bad_config_is_a_config_error(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("db = [", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(config, env={})
    with pytest.raises(ConfigError, match="host_delay"):
        load_settings(None, env={"DRAGOMAN_HOST_DELAY": "soon"})
    with pytest.raises(ConfigError, match="unknown setting"):
        Settings().with_overrides(colour="red")
