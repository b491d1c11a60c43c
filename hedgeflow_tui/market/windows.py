"""The chart's flow windows: the session's cumulative, or a rolling sum of the per-bar flow over
the last 5m / 15m / 30m / 1h. A rolling window must be longer than one bar."""

from __future__ import annotations

from datetime import timedelta

from hedgeflow_tui.market.bars import bar_delta

CUMULATIVE = "cumulative"
ROLLING_WINDOWS: dict[str, timedelta] = {
    "5m": timedelta(minutes=5),
    "15m": timedelta(minutes=15),
    "30m": timedelta(minutes=30),
    "1h": timedelta(hours=1),
}
WINDOWS = (CUMULATIVE, *ROLLING_WINDOWS)  # the `w` key's order; also the --window values


def windows_for(bar_size: str) -> tuple[str, ...]:
    """The windows `w` cycles through at this bar size: the cumulative, then every rolling
    window longer than one bar."""
    bar = bar_delta(bar_size)
    return (CUMULATIVE, *(name for name, span in ROLLING_WINDOWS.items() if span > bar))
