"""The command line of a headless run on the built-in simulator, started as its own process."""

from __future__ import annotations

import sys
from datetime import date

DAY = date(2026, 6, 12)


def headless_demo(
    *symbols: str, speed: float, start: str, bar: str | None = None, day: date = DAY
) -> list[str]:
    """`python -m hedgeflow_tui SYMBOL... --headless --demo` at `speed` from `start` ET."""
    command = [sys.executable, "-m", "hedgeflow_tui", *symbols, "--headless", "--demo"]
    if bar is not None:
        command += ["--bar", bar]
    return [*command, "--speed", f"{speed:g}", "--date", day.isoformat(), "--start", start]
