"""Checks of values a user types, shared by `hedgeflow-tui` and `hedgeflow-sim`."""

from __future__ import annotations

import argparse
import ipaddress
import re
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost: a host only this machine can reach."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def hhmm(text: str) -> str:
    """A time of day, HH:MM (ET)."""
    if not HHMM.match(text):
        raise ValueError(f"must be HH:MM (ET), got {text!r}")
    return text


def flag_type(flag: str, check: Callable[[str], T]) -> Callable[[str], T]:
    """An argparse `type` that words a check's failure as "FLAG must ..."."""

    def parse(text: str) -> T:
        try:
            return check(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(f"{flag} {error}") from None

    return parse
