"""Checks of values a user types: one `Rule` per setting, applied the same way whether the value
arrives as text (a flag, the environment) or as a TOML value (the config file), so every way in
refuses the same values with the same words. Shared with `hedgeflow-sim`."""

from __future__ import annotations

import argparse
import ipaddress
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
SYMBOL = re.compile(r"^[A-Za-z0-9.^-]{1,10}$")


def _anything(value: Any) -> bool:
    return True


def _number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _truth(text: str) -> bool:
    if text.lower() not in ("true", "false"):
        raise ValueError(text)
    return text.lower() == "true"


FROM_TEXT: dict[type, Callable[[str], Any]] = {str: str, int: int, float: _number, bool: _truth}


@dataclass(frozen=True)
class Rule:
    """What one setting accepts. `test` returns whether a value (already of `kind`) is allowed,
    or raises ValueError saying what is wrong with it."""

    kind: type  # str, int, float or bool (an int is accepted where a float is asked)
    what: str  # what is allowed, e.g. "a whole number from 1 to 390"
    test: Callable[[Any], bool] = _anything
    secret: bool = False  # never echo the value (the API key)

    def from_text(self, text: str) -> Any:
        """The value of a flag or an environment variable."""
        try:
            value = FROM_TEXT[self.kind](text)
        except ValueError:
            raise self.refusal(text) from None
        return self._checked(value, text)

    def from_value(self, value: object) -> Any:
        """The value of a config file key (TOML types)."""
        if self.kind is float:  # an int will do; a bool will not
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise self.refusal(value)
            if not math.isfinite(value):
                raise self.refusal(value)
            return self._checked(float(value), value)
        if isinstance(value, bool) != (self.kind is bool) or not isinstance(value, self.kind):
            raise self.refusal(value)
        return self._checked(value, value)

    def _checked(self, value: Any, shown: object) -> Any:
        if not self.test(value):
            raise self.refusal(shown)
        return value

    def refusal(self, shown: object) -> ValueError:
        got = "" if self.secret else f", got {shown!r}"
        return ValueError(f"must be {self.what}{got}")


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost: a host only this machine can reach."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def is_base_url(url: str) -> bool:
    """https anywhere; plain http only to a loopback host; no query, no credentials."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"must be an http(s) URL, got {url!r}")
    if parts.query or parts.username or parts.password:
        raise ValueError("must not carry a query or credentials")
    try:
        parts.port  # noqa: B018 (urlsplit checks the port only when asked for it)
    except ValueError:
        raise ValueError(f"must have a port from 1 to 65535, got {url!r}") from None
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ValueError(
            "must use https: plain http:// is allowed only to 127.0.0.1, ::1 or localhost"
        )
    return True


def is_api_key(text: str) -> bool:
    """Something that can travel in an HTTP header: printable ASCII, no spaces."""
    return bool(text) and text.isascii() and text.isprintable() and " " not in text


MAX_SPEED = 100_000.0  # simulated seconds per real second: a whole session in a quarter second
MAX_SEED = 2**32 - 1  # what the simulator's generator takes
DATE_YEARS = (2000, 2100)


def is_session_date(text: str) -> bool:
    return is_date(text) and DATE_YEARS[0] <= int(text[:4]) <= DATE_YEARS[1]


def is_recording_path(text: str) -> bool:
    """A file that can be appended to, or created in a folder that exists and can be written:
    checked with the flags, before the source's modules load (opening the file stays the guard
    against a symlink or a FIFO)."""
    path = Path(text)
    if path.is_dir():
        raise ValueError(f"must be a file, not a folder, got {text!r}")
    if path.exists():
        if not os.access(path, os.W_OK):
            raise ValueError(f"must be a file you can write to, got {text!r}")
        return True
    if not path.parent.is_dir():
        raise ValueError(f"must be in a folder that exists, got {text!r}")
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise ValueError(f"must be in a folder you can write to, got {text!r}")
    return True


HHMM_RULE = Rule(str, "HH:MM (ET)", lambda v: bool(HHMM.match(v)))
SPEED_RULE = Rule(float, f"a positive number up to {MAX_SPEED:g}", lambda v: 0 < v <= MAX_SPEED)
SEED_RULE = Rule(int, f"a whole number from 0 to {MAX_SEED}", lambda v: 0 <= v <= MAX_SEED)
DATE_RULE = Rule(str, f"YYYY-MM-DD in {DATE_YEARS[0]}..{DATE_YEARS[1]}", is_session_date)
SYMBOL_RULE = Rule(str, "1-10 letters, digits, '.', '^' or '-'", lambda v: bool(SYMBOL.match(v)))
RECORD_RULE = Rule(str, "a file that can be written", is_recording_path)


def flag_error(message: str) -> str:
    """argparse's "argument --minutes: must be ..." as "--minutes must be ..."."""
    return re.sub(r"^argument ([^:]+): must ", r"\1 must ", message)


def flag_type(rule: Rule, normal: Callable[[Any], Any] = lambda v: v) -> Callable[[str], Any]:
    """An argparse `type` checking a flag's text by `rule` (argparse names the flag)."""

    def parse(text: str) -> Any:
        try:
            return normal(rule.from_text(text))
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return parse
