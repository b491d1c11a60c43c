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
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import platformdirs

APP_NAME = "hedgeflow-tui"
KEY_ENV = "FLASHALPHA_API_KEY"
CONFIG_ENV = "HEDGEFLOW_CONFIG"
THEMES = ("default", "colorblind")


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


def load_file(path: Path) -> dict[str, Any]:
    """The config file's known keys; a missing file is an empty config."""
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"cannot read config file {path.name}: {error}") from None
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
) -> Settings:
    """Flags (those not None) over environment over file over defaults."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = dict(
        file_values if file_values is not None else load_file(config_path())
    )
    if environ.get(KEY_ENV):
        values["api_key"] = environ[KEY_ENV]
    values.update({k: v for k, v in flags.items() if v is not None})
    settings = Settings(**values)
    if settings.theme not in THEMES:
        raise ConfigError(f"theme must be one of {', '.join(THEMES)}")
    return settings
