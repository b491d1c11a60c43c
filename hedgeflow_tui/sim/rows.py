"""A simulated session as the store's rows at a bar size (bars are exact sums of 30 s samples)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

import numpy as np

from hedgeflow_tui.sim.market import SAMPLE_SECONDS
from hedgeflow_tui.store import Row


class SampledSession(Protocol):
    """Per-sample flows and prices of one session (a SessionPath, or a cached copy of one)."""

    @property
    def open(self) -> datetime: ...
    @property
    def calls(self) -> np.ndarray: ...
    @property
    def puts(self) -> np.ndarray: ...
    @property
    def spot(self) -> np.ndarray: ...


def rows_at(session: SampledSession, bar_seconds: int) -> list[Row]:
    """The session as the store derives it at `bar_seconds`: flows summed, spot at bucket close."""
    per = bar_seconds // SAMPLE_SECONDS
    calls = session.calls.reshape(-1, per).sum(axis=1)
    puts = session.puts.reshape(-1, per).sum(axis=1)
    spot = session.spot[per - 1 :: per]
    cum_calls, cum_puts = np.cumsum(calls), np.cumsum(puts)
    step = timedelta(seconds=bar_seconds)
    return [
        Row(
            t=session.open + step * i,
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
