"""Shared helpers of the benchmark scripts: sessions as rows, tables, medians."""

from __future__ import annotations

import statistics
import sys
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from hedgeflow_tui.sim import simulate_session
from hedgeflow_tui.store import Row

DAY = date(2026, 6, 12)
# the test helpers the benchmarks share (tests/threaded_server.py), which the wheel leaves out
sys.path.append(str(Path(__file__).resolve().parent.parent / "tests"))


def session_rows(symbol: str, seed: int, bar_seconds: int = 60, day: date = DAY) -> list[Row]:
    """A simulated session as the store derives it, one row per bar (bars are exact sums)."""
    path = simulate_session(symbol, day, seed)
    per = bar_seconds // 30
    calls = path.calls.reshape(-1, per).sum(axis=1)
    puts = path.puts.reshape(-1, per).sum(axis=1)
    spot = path.spot[per - 1 :: per]
    cum_calls, cum_puts = np.cumsum(calls), np.cumsum(puts)
    return [
        Row(
            t=path.open + timedelta(seconds=bar_seconds * i),
            calls=float(calls[i]),
            puts=float(puts[i]),
            all=float(calls[i] + puts[i]),
            cum_calls=float(cum_calls[i]),
            cum_puts=float(cum_puts[i]),
            cum_all=float(cum_calls[i] + cum_puts[i]),
            spot=float(spot[i]),
        )
        for i in range(len(calls))
    ]


def median(values) -> float:
    return statistics.median(values)


def table(headers: list[str], rows: list[list]) -> str:
    cells = [headers] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
