"""Shared helpers of the benchmark scripts: sessions as rows, tables, medians, a data dir of
the benchmark's own."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from hedgeflow_tui.config.settings import CACHE_ENV, CONFIG_ENV, DATA_ENV
from hedgeflow_tui.engine.store import Row
from hedgeflow_tui.sim import simulate_session
from hedgeflow_tui.sim.rows import rows_at
from hedgeflow_tui.storage import demo_history
from hedgeflow_tui.storage.history import History

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


@contextmanager
def own_data_dir(
    past_sessions: int = 0, symbols: tuple[str, ...] = ("SPY",), cache: Path | None = None
) -> Iterator[Path]:
    """A temporary data dir (the session history, recordings), cache dir (`cache`, else one in
    the data dir) and no config file, for this process and the ones it starts: a benchmark never
    reads or writes the user's files, and measures the same thing every run. With
    `past_sessions`, the demo's past sessions of `symbols` before `DAY` (seed 7) are built into
    its history first (about 1.6 s each), so a dashboard of that day has none left to build
    while it is measured."""
    saved = {name: os.environ.get(name) for name in (DATA_ENV, CONFIG_ENV, CACHE_ENV)}
    with tempfile.TemporaryDirectory(prefix="hedgeflow-bench-") as folder:
        os.environ[DATA_ENV] = folder
        os.environ[CONFIG_ENV] = str(Path(folder) / "no-config.toml")
        os.environ[CACHE_ENV] = str(cache or Path(folder) / "cache")
        try:
            if past_sessions:
                history = History.open()
                try:
                    demo_history.build_past(history, list(symbols), DAY, 7, "normal", past_sessions)
                finally:
                    history.close()
            yield Path(folder)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
