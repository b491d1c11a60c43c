"""Shared helpers of the benchmark scripts: sessions as rows, tables, medians."""

from __future__ import annotations

import statistics
import sys
from datetime import date
from pathlib import Path

from hedgeflow_tui.sim import simulate_session
from hedgeflow_tui.sim.rows import rows_at
from hedgeflow_tui.store import Row

DAY = date(2026, 6, 12)
# the test helpers the benchmarks share (tests/threaded_server.py), which the wheel leaves out
sys.path.append(str(Path(__file__).resolve().parent.parent / "tests"))


def session_rows(symbol: str, seed: int, bar_seconds: int = 60, day: date = DAY) -> list[Row]:
    """A simulated session as the store derives it, one row per bar (bars are exact sums)."""
    return rows_at(simulate_session(symbol, day, seed), bar_seconds)


def median(values) -> float:
    return statistics.median(values)


def table(headers: list[str], rows: list[list]) -> str:
    cells = [headers] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
