"""The bar sizes the API serves, and their lengths (light: the command line and the first frame
need them before the API's vocabulary in model.py)."""

from __future__ import annotations

from datetime import timedelta

BAR_SECONDS: dict[str, int] = {"30s": 30, "1m": 60, "5m": 300, "15m": 900}
BAR_SIZES: tuple[str, ...] = tuple(BAR_SECONDS)


def bar_delta(bar_size: str) -> timedelta:
    return timedelta(seconds=BAR_SECONDS[bar_size])
