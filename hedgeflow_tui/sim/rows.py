"""A simulated session as the store's rows at a bar size (bars are exact sums of 30 s samples)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Protocol

import numpy as np

from hedgeflow_tui.engine.store import Row
from hedgeflow_tui.sim.market import SAMPLE_SECONDS


class SampledSession(Protocol):
    """Per-sample flows, prices and dealer gamma of one session (a SessionPath, or a cached copy
    of one)."""

    @property
    def open(self) -> datetime: ...
    @property
    def calls(self) -> np.ndarray: ...
    @property
    def puts(self) -> np.ndarray: ...
    @property
    def spot(self) -> np.ndarray: ...
    @property
    def net_gex(self) -> np.ndarray: ...
    @property
    def gamma_flip(self) -> np.ndarray: ...  # NaN where there is none


def rows_at(session: SampledSession, bar_seconds: int) -> list[Row]:
    """The session as the store derives it at `bar_seconds`: flows summed; spot, net GEX and the
    gamma flip at bucket close (as the series endpoint serves them)."""
    per = bar_seconds // SAMPLE_SECONDS
    calls = session.calls.reshape(-1, per).sum(axis=1)
    puts = session.puts.reshape(-1, per).sum(axis=1)
    spot = session.spot[per - 1 :: per]
    net_gex = session.net_gex[per - 1 :: per]
    flip = session.gamma_flip[per - 1 :: per]
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
            net_gex=float(net_gex[i]),
            gamma_flip=None if math.isnan(flip[i]) else float(flip[i]),
        )
        for i in range(len(calls))
    ]
