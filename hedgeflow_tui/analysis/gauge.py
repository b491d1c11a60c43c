"""Today's flow against its own past: the range gauge's figures.

For the latest bar of today, two measures: the cumulative flow (signed) and the largest per-bar
flow so far (|bar|), each against the same time of day in the last 5 and 30 stored sessions of
the same symbol, bar size and market: their min-max range, their median, and today's percentile
among them (ties count half). Plain Python over `History.same_time`, or over the past sessions'
bars kept in memory for a dashboard (`GaugeHistory`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import median

from hedgeflow_tui.engine.store import Row
from hedgeflow_tui.market.bars import bar_delta
from hedgeflow_tui.market.clock import session_bounds
from hedgeflow_tui.storage.history import History, PastBars, PastPoint

HORIZONS = (5, 30)
READ_AHEAD = timedelta(hours=1)  # of the past sessions' bars, read at once for a dashboard


@dataclass(frozen=True, slots=True)
class Horizon:
    """One gauge line: today's value among the past sessions' values at the same time."""

    sessions: int  # the horizon asked for: 5 or 30
    past: tuple[float, ...]  # the values of the sessions recorded at this time of day
    today: float | None

    @property
    def label(self) -> str:
        return f"{self.sessions}d"

    @property
    def low(self) -> float:
        return min(self.past)

    @property
    def high(self) -> float:
        return max(self.past)

    @property
    def median(self) -> float:
        return median(self.past)

    @property
    def percentile(self) -> float | None:
        """Share of past values below today's, ties counting half, 0-100."""
        if self.today is None or not self.past:
            return None
        below = sum(v < self.today for v in self.past)
        ties = sum(v == self.today for v in self.past)
        return 100.0 * (below + 0.5 * ties) / len(self.past)


@dataclass(frozen=True, slots=True)
class GaugeReading:
    at: datetime  # today's latest bar (bucket start)
    stored: int  # past sessions stored, up to the longest horizon
    cumulative: tuple[Horizon, ...]  # one per horizon, shortest first
    largest_bar: tuple[Horizon, ...]


def today_figures(rows: Sequence[Row]) -> tuple[datetime, float | None, float | None] | None:
    """(latest bar, its cumulative, largest |bar| so far) of today's rows; None with no rows."""
    if not rows:
        return None
    cumulative = next((r.cum_all for r in reversed(rows) if r.cum_all is not None), None)
    sizes = [abs(r.all) for r in rows if r.all is not None]
    return rows[-1].t, cumulative, max(sizes) if sizes else None


def read_gauge(
    history: History, symbol: str, bar_size: str, market: str, day: date, rows: Sequence[Row]
) -> GaugeReading | None:
    """Today's reading against the stored sessions before `day`; None with no bars today."""
    figures = today_figures(rows)
    if figures is None:
        return None
    offset: timedelta = figures[0] - session_bounds(day)[0]
    points = history.same_time(symbol, bar_size, market, day, offset, limit=max(HORIZONS))
    return _reading(figures, points)


class GaugeHistory:
    """The gauge of a dashboard: the past sessions' bars for the next hour of the day are read
    at once and looked up in memory poll after poll; read again once today moves past that
    hour, or when the sessions stored before the day change (one added, or grown: the demo
    building them), or on another day. The past cannot change during a session, only today
    does; each reading is the one `read_gauge` gives."""

    def __init__(self, history: History) -> None:
        self.history = history
        # per (symbol, bar size, market): the sessions' extent, the span of the day read, its bars
        self._past: dict[tuple[str, str, str], tuple[tuple, timedelta, timedelta, list[PastBars]]]
        self._past = {}

    def reading(
        self, symbol: str, bar_size: str, market: str, day: date, rows: Sequence[Row]
    ) -> GaugeReading | None:
        figures = today_figures(rows)
        if figures is None:
            return None
        offset: timedelta = figures[0] - session_bounds(day)[0]
        past = self._past_bars(symbol, bar_size, market, day, offset)
        return _reading(figures, [bars.at(offset, bar_size) for bars in past])

    def _past_bars(
        self, symbol: str, bar_size: str, market: str, day: date, offset: timedelta
    ) -> list[PastBars]:
        extent = (day, *self.history.past_extent(symbol, bar_size, market, day, max(HORIZONS)))
        first = offset - 2 * bar_delta(bar_size)  # the bars a reading at `offset` looks at
        kept = self._past.get((symbol, bar_size, market))
        if kept is None or kept[0] != extent or not kept[1] <= first <= offset <= kept[2]:
            end = first + READ_AHEAD
            past = self.history.past_bars(
                symbol, bar_size, market, day, first, end, limit=max(HORIZONS)
            )
            kept = (extent, first, end, past)
            self._past[(symbol, bar_size, market)] = kept
        return kept[3]


def _reading(
    figures: tuple[datetime, float | None, float | None], points: list[PastPoint]
) -> GaugeReading:
    at, cumulative, largest = figures
    return GaugeReading(
        at=at,
        stored=len(points),
        cumulative=tuple(_horizon(points[:n], n, "cum_all", cumulative) for n in HORIZONS),
        largest_bar=tuple(_horizon(points[:n], n, "peak", largest) for n in HORIZONS),
    )


def _horizon(points: list[PastPoint], sessions: int, field: str, today: float | None) -> Horizon:
    past = tuple(v for v in (getattr(p, field) for p in points) if v is not None)
    return Horizon(sessions, past, today)
