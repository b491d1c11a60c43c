"""Settings, layered: command-line flags > environment > config file > defaults.

The config file is TOML in the user's config dir (`hedgeflow-tui/config.toml`), for example::

    api_key = "..."          # or FLASHALPHA_API_KEY in the environment
    bar = "1m"
    squeeze_bars = 5
    noise_floor = 0.5
    theme = "colorblind"     # or "default"
    bell = true
    record_dir = true        # always record into the user's data dir
"""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import platformdirs

APP_NAME = "hedgeflow-tui"
KEY_ENV = "FLASHALPHA_API_KEY"
CONFIG_ENV = "HEDGEFLOW_CONFIG"
THEMES = ("default", "colorblind")
MAX_CONFIG_BYTES = 64 * 1024


class ConfigError(ValueError):
    """A setting that cannot be used; the message is one line for the user."""


@dataclass
class Settings:
    symbols: list[str] = field(default_factory=lambda: ["SPY"])
    bar: str = "1m"
    minutes: int = 390
    headless: bool = False
    demo: bool = False
    speed: float | None = None  # None: the source's default (1 live, fast on the simulator)
    seed: int = 7
    start: str | None = None  # HH:MM ET, simulator only
    date: str | None = None  # YYYY-MM-DD, simulator only
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    squeeze_bars: int = 5
    noise_floor: float = 0.5
    bell: bool = False
    alert_cmd: str | None = None
    theme: str = "default"
    record: Path | None = None
    record_dir: bool = False
    replay: Path | None = None
    export: str | None = None
    timeout: float = 10.0


FILE_KEYS = {
    "api_key",
    "bar",
    "minutes",
    "squeeze_bars",
    "noise_floor",
    "bell",
    "alert_cmd",
    "theme",
    "record_dir",
    "timeout",
    "base_url",
}


def config_path() -> Path:
    override = os.environ.get(CONFIG_ENV)
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME))


def _read_config(path: Path) -> tuple[bytes, int] | None:
    """(the bytes, the mode) of a regular config file of at most `MAX_CONFIG_BYTES`; None when
    there is none. A FIFO, a device or a directory is refused without reading it."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise ConfigError(f"cannot read config file {path.name}: {error.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"config file {path.name} is not a regular file")
        if info.st_size > MAX_CONFIG_BYTES:
            raise ConfigError(f"config file {path.name} is over {MAX_CONFIG_BYTES // 1024} KiB")
        data = handle.read(MAX_CONFIG_BYTES + 1)
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"config file {path.name} is over {MAX_CONFIG_BYTES // 1024} KiB")
    return data, info.st_mode


def load_file(path: Path, warn: Callable[[str], None] | None = None) -> dict[str, Any]:
    """The config file's known keys; a missing file is an empty config. `warn` is told when the
    file holds the API key and others may read it."""
    read = _read_config(path)
    if read is None:
        return {}
    data, mode = read
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"cannot read config file {path.name}: {error}") from None
    if "api_key" in raw and mode & (stat.S_IRGRP | stat.S_IROTH) and warn is not None:
        warn(f"{path} holds api_key and others can read it: chmod 600 it")
    unknown = sorted(set(raw) - FILE_KEYS)
    if unknown:
        raise ConfigError(f"unknown key(s) in {path.name}: {', '.join(unknown)}")
    types = {f.name: f.type for f in fields(Settings)}
    for key, value in raw.items():
        kinds: dict[str, type | tuple[type, ...]] = {
            "bool": bool,
            "int": int,
            "float": (int, float),
        }
        expected = kinds.get(str(types[key]), str)
        if (isinstance(value, bool) and expected is not bool) or not isinstance(value, expected):
            raise ConfigError(f"config key '{key}' has the wrong type in {path.name}")
    return raw


def layered(
    flags: dict[str, Any],
    environ: Mapping[str, str] | None = None,
    file_values: dict[str, Any] | None = None,
    warn: Callable[[str], None] | None = None,
) -> Settings:
    """Flags (those not None) over environment over file over defaults."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = dict(
        file_values if file_values is not None else load_file(config_path(), warn)
    )
    if environ.get(KEY_ENV):
        values["api_key"] = environ[KEY_ENV]
    values.update({k: v for k, v in flags.items() if v is not None})
    settings = Settings(**values)
    if settings.theme not in THEMES:
        raise ConfigError(f"theme must be one of {', '.join(THEMES)}")
    return settings
