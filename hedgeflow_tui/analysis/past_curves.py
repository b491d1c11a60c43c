"""Today against its past, on the chart: the median past session's cumulative flow at each time
of day, and the previous session's (yesterday's) curve, from the stored sessions of the same
symbol, bar size and market (the range gauge's sessions: `History.past_bars`).

A past session's value at a time of day is its last bar at or before it, within two bars
(`PastBars.at`, as the gauge reads it); the median is taken over the sessions that have one.
With fewer than `MIN_SESSIONS` sessions stored there is no median worth drawing: the curves are
not made, and the caller says how many there are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import median

from hedgeflow_tui.market.bars import bar_delta
from hedgeflow_tui.market.clock import session_bounds
from hedgeflow_tui.storage.history import History

MIN_SESSIONS = 5  # fewer stored sessions: no median drawn
SESSIONS = 30  # the median's sessions, newest first


@dataclass(frozen=True, slots=True)
class PastCurves:
    """Both curves on today's time grid (each bucket's start, today), aligned with `times`."""

    times: tuple[datetime, ...]
    median: tuple[float | None, ...]
    yesterday: tuple[float | None, ...]
    yesterday_day: date
    sessions: int  # sessions the median is taken over


@dataclass(frozen=True, slots=True)
class TooFew:
    """Fewer than `MIN_SESSIONS` sessions stored: how many there are."""

    stored: int


def read_past_curves(
    history: History, symbol: str, bar_size: str, market: str, day: date
) -> PastCurves | TooFew:
    """The curves for `day` from the sessions stored before it."""
    open_, close = session_bounds(day)
    length = close - open_
    past = history.past_bars(symbol, bar_size, market, day, timedelta(0), length, SESSIONS)
    if len(past) < MIN_SESSIONS:
        return TooFew(len(past))
    step = bar_delta(bar_size)
    offsets = [step * i for i in range(int(length / step))]
    times = tuple(open_ + offset for offset in offsets)
    medians, newest = [], []
    for offset in offsets:
        values = [bars.at(offset, bar_size).cum_all for bars in past]
        known = [v for v in values if v is not None]
        medians.append(median(known) if len(known) >= MIN_SESSIONS else None)
        newest.append(values[0])
    return PastCurves(times, tuple(medians), tuple(newest), past[0].day, len(past))


class PastCurveCache:
    """The curves of a dashboard, read again only when the sessions stored before the day change
    (one added, or grown: the demo building them) or on another day."""

    def __init__(self, history: History) -> None:
        self.history = history
        self._kept: dict[tuple[str, str, str], tuple[tuple, PastCurves | TooFew]] = {}

    def curves(self, symbol: str, bar_size: str, market: str, day: date) -> PastCurves | TooFew:
        extent = (day, *self.history.past_extent(symbol, bar_size, market, day, SESSIONS))
        kept = self._kept.get((symbol, bar_size, market))
        if kept is None or kept[0] != extent:
            kept = (extent, read_past_curves(self.history, symbol, bar_size, market, day))
            self._kept[(symbol, bar_size, market)] = kept
        return kept[1]
