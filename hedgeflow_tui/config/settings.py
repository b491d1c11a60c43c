"""Settings, layered: command-line flags > environment > config file > defaults.

The config file is TOML in the user's config dir (`hedgeflow-tui/config.toml`), for example::

    api_key = "..."          # or FLASHALPHA_API_KEY in the environment
    bar = "1m"
    window = "15m"           # the chart's flow: cumulative (default), or rolling 5m, 15m, 30m, 1h
    minutes = 390
    sensitivity = "normal"   # squeeze alerts: low, normal or high
    theme = "colorblind"     # or "default"
    requests = "auto"        # or "lean" (no periodic cross-checks), "full" (3 requests a bar)
    bell = true
    record_dir = true        # always record into the user's data dir
    history = false          # do not keep sessions in the history database
    timeout = 10
    level_alerts = false     # no alerts on the gamma flip and the walls (default: on)

    [[alert]]                # a flow alert of your own (config/alert_rules.py), as many as wanted
    flow = "cumulative"      # or "bar"
    side = "calls"           # all, calls or puts
    above = 50e6             # and/or below = -50e6 (delta-dollars)

Every value is checked by the same rule as its command-line flag (`RULES`).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from hedgeflow_tui.config.alert_rules import FlowRule, parse_rules
from hedgeflow_tui.config.checks import (
    DATE_RULE,
    HHMM_RULE,
    SEED_RULE,
    SPEED_RULE,
    SYMBOL_RULE,
    Rule,
    is_api_key,
    is_base_url,
)
from hedgeflow_tui.market.bars import BAR_SIZES
from hedgeflow_tui.market.windows import CUMULATIVE, WINDOWS, windows_for

APP_NAME = "hedgeflow-tui"
KEY_ENV = "FLASHALPHA_API_KEY"
CONFIG_ENV = "HEDGEFLOW_CONFIG"
DATA_ENV = "HEDGEFLOW_DATA_DIR"
CACHE_ENV = "HEDGEFLOW_CACHE_DIR"
THEMES = ("default", "colorblind")
REQUEST_MODES = ("auto", "lean", "full")
SENSITIVITIES = ("low", "normal", "high")  # the detector's, in the order the key cycles them
MAX_CONFIG_BYTES = 64 * 1024
SIM_PLANS = ("free", "basic", "growth", "alpha")  # the simulator's plans (`--plan`)


class ConfigError(ValueError):
    """A setting that cannot be used; the message is one line for the user."""


@dataclass
class Settings:
    symbols: list[str] = field(default_factory=lambda: ["SPY"])
    bar: str = "1m"
    window: str = CUMULATIVE  # the chart's flow: the session's cumulative or a rolling window
    minutes: int = 390
    headless: bool = False
    demo: bool = False
    speed: float | None = None  # None: the source's default (1 live, fast on the simulator)
    seed: int = 7
    plan: str | None = None  # the built-in simulator's plan; None: its default (growth)
    start: str | None = None  # HH:MM ET, simulator only
    date: str | None = None  # YYYY-MM-DD, simulator only
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    sensitivity: str = "normal"  # the squeeze alert's: low | normal | high
    bell: bool = False
    alert_cmd: str | None = None
    theme: str = "default"
    record: Path | None = None
    record_dir: bool = False
    history: bool = True  # keep every session in the history database (--no-history: off)
    replay: Path | None = None
    export: str | None = None
    timeout: float = 10.0
    requests: str = "auto"  # auto | lean | full: see the poller
    max_retries: int | None = None  # failed polls in a row before a symbol stops; None: no end
    level_alerts: bool = True  # alerts on the gamma flip and the walls
    alert_rules: tuple[FlowRule, ...] = ()  # the config file's [[alert]] tables


# How each setting that a user can give is checked (flags and the config file alike).
RULES: dict[str, Rule] = {
    "symbols": SYMBOL_RULE,
    "bar": Rule(str, f"one of {', '.join(BAR_SIZES)}", lambda v: v in BAR_SIZES),
    "window": Rule(str, f"one of {', '.join(WINDOWS)}", lambda v: v in WINDOWS),
    "minutes": Rule(int, "a whole number from 1 to 390", lambda v: 1 <= v <= 390),
    "speed": SPEED_RULE,
    "seed": SEED_RULE,
    "plan": Rule(str, "one of free, basic, growth, alpha", lambda v: v in SIM_PLANS),
    "start": HHMM_RULE,
    "date": DATE_RULE,
    "base_url": Rule(str, "an http(s) URL", is_base_url),
    "api_key": Rule(str, "printable ASCII with no spaces", is_api_key, secret=True),
    "sensitivity": Rule(str, f"one of {', '.join(SENSITIVITIES)}", lambda v: v in SENSITIVITIES),
    "bell": Rule(bool, "true or false"),
    "alert_cmd": Rule(str, "a command", lambda v: bool(v.strip())),
    "theme": Rule(str, f"one of {', '.join(THEMES)}", lambda v: v in THEMES),
    "record_dir": Rule(bool, "true or false"),
    "history": Rule(bool, "true or false"),
    "timeout": Rule(float, "a positive number of seconds", lambda v: v > 0),
    "requests": Rule(str, f"one of {', '.join(REQUEST_MODES)}", lambda v: v in REQUEST_MODES),
    "max_retries": Rule(int, "a whole number from 1", lambda v: v >= 1),
    "level_alerts": Rule(bool, "true or false"),
}
FILE_KEYS = (
    "api_key",
    "bar",
    "window",
    "minutes",
    "sensitivity",
    "bell",
    "alert_cmd",
    "theme",
    "record_dir",
    "history",
    "timeout",
    "base_url",
    "requests",
    "level_alerts",
    "alert",
)


def check_window(settings: Settings) -> None:
    """A rolling window must be longer than the bar (a replay's bar is the recording's: its
    app shows the cumulative instead, and says so)."""
    if settings.replay is None and settings.window not in windows_for(settings.bar):
        raise ConfigError(
            f"window {settings.window} is not longer than the {settings.bar} bar "
            f"(with --bar {settings.bar}: {', '.join(windows_for(settings.bar))})"
        )


def config_path() -> Path:
    override = os.environ.get(CONFIG_ENV)
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def data_dir() -> Path:
    """Recordings and the session history: the user data dir, or `HEDGEFLOW_DATA_DIR`."""
    override = os.environ.get(DATA_ENV)
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir(APP_NAME))


def cache_dir() -> Path:
    """What can be recomputed (the market calendar's years): the user cache dir, or
    `HEDGEFLOW_CACHE_DIR`."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override)
    return Path(platformdirs.user_cache_dir(APP_NAME))


def _read_config(path: Path) -> tuple[bytes, int] | None:
    """(the bytes, the mode) of a regular config file of at most `MAX_CONFIG_BYTES`; None when
    there is none. A FIFO, a device or a directory is refused without reading it."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise ConfigError(f"config file {path}: cannot read it: {error.strerror}") from None
    too_big = f"config file {path}: over {MAX_CONFIG_BYTES // 1024} KiB"
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):  # before fdopen, which refuses a folder with a traceback
            raise ConfigError(f"config file {path}: is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"config file {path}: not a regular file")
        if info.st_size > MAX_CONFIG_BYTES:
            raise ConfigError(too_big)
        handle = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with handle:
        data = handle.read(MAX_CONFIG_BYTES + 1)
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(too_big)
    return data, info.st_mode


def load_file(path: Path, warn: Callable[[str], None] | None = None) -> dict[str, Any]:
    """The config file's settings, each checked by its rule; a missing file is an empty config.
    Any problem is one line naming the file and the key. `warn` is told when the file holds the
    API key and others may read it."""
    read = _read_config(path)
    if read is None:
        return {}
    data, mode = read
    import tomllib  # only with a config file: not before the first frame

    try:
        raw = tomllib.loads(data.decode("utf-8-sig"))  # a byte order mark, as some editors write
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"config file {path}: cannot read it: {error}") from None
    if "api_key" in raw and mode & (stat.S_IRGRP | stat.S_IROTH) and warn is not None:
        warn(f"{path} holds api_key and others can read it: chmod 600 it")
    unknown = sorted(set(raw) - set(FILE_KEYS))
    if unknown:
        raise ConfigError(
            f"config file {path}: unknown key(s) {', '.join(unknown)} "
            f"(known: {', '.join(sorted(FILE_KEYS))})"
        )
    values = {}
    for key, value in raw.items():
        try:
            if key == "alert":
                values["alert_rules"] = parse_rules(value)
                continue
            values[key] = RULES[key].from_value(value)
        except ValueError as error:
            raise ConfigError(f"config file {path}: {key} {error}") from None
    return values


def from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """The settings the environment gives: the API key."""
    key = environ.get(KEY_ENV)
    if not key:
        return {}
    try:
        return {"api_key": RULES["api_key"].from_text(key)}
    except ValueError as error:
        raise ConfigError(f"{KEY_ENV} {error}") from None


def layered(
    flags: dict[str, Any],
    environ: Mapping[str, str] | None = None,
    file_values: dict[str, Any] | None = None,
    warn: Callable[[str], None] | None = None,
) -> Settings:
    """Flags (those not None; already checked by the parser) over environment over file over
    defaults."""
    values: dict[str, Any] = dict(
        file_values if file_values is not None else load_file(config_path(), warn)
    )
    values.update(from_environment(os.environ if environ is None else environ))
    values.update({k: v for k, v in flags.items() if v is not None})
    return Settings(**values)
