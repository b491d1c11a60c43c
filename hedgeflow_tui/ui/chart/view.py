"""What part of the session the chart shows, and how: the view state behind the `w`, `z` and
cursor keys, and the pure functions it needs.

- window (windows.py): the session's cumulative, or rolling sums of the per-bar flow over the
  last 5m / 15m / 30m / 1h (only windows longer than the bar). A rolling sum needs every bar
  of its window: a bar the store lacks (a missing bucket, or a leg not known) makes it a gap,
  never a guess. Bars before the open count as no flow (there was no session), so the first
  bars of the day sum what the session has so far.
- zoom: the whole session, or the last 2h / 1h / 30m; a cursor parked before that range moves
  the range back with it.
- cursor: None at the live edge, else the start of the parked bucket (so new bars arriving
  never move it).

Plain Python, no Textual: the widgets and the keys use it, the tests call it directly.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from hedgeflow_tui.market.windows import CUMULATIVE, ROLLING_WINDOWS, windows_for

if TYPE_CHECKING:  # the keys' view state is read on the first frame, before the store exists
    from hedgeflow_tui.engine.store import Row

SESSION = "session"
ZOOM_SPANS: dict[str, timedelta] = {
    "2h": timedelta(hours=2),
    "1h": timedelta(hours=1),
    "30m": timedelta(minutes=30),
}
ZOOMS = (SESSION, *ZOOM_SPANS)  # the `z` key's order


@dataclass(frozen=True)
class ChartView:
    window: str = CUMULATIVE
    zoom: str = SESSION
    cursor: datetime | None = None  # the parked bucket's start; None: the live edge

    @property
    def rolling(self) -> timedelta | None:
        return ROLLING_WINDOWS.get(self.window)

    @property
    def span(self) -> timedelta | None:
        return ZOOM_SPANS.get(self.zoom)

    def name(self) -> str:
        """What the chart's title says of the view: `cumulative`, `rolling 15m · last 1h`."""
        what = CUMULATIVE if self.rolling is None else f"rolling {self.window}"
        return what if self.span is None else f"{what} · last {self.zoom}"

    def next_window(self, bar_size: str) -> ChartView:
        windows = windows_for(bar_size)
        now = windows.index(self.window) if self.window in windows else -1
        return replace(self, window=windows[(now + 1) % len(windows)])

    def next_zoom(self) -> ChartView:
        return replace(self, zoom=ZOOMS[(ZOOMS.index(self.zoom) + 1) % len(ZOOMS)])

    def fit_bar(self, bar_size: str) -> ChartView:
        """The view at a new bar size: a window no longer than the bar falls back to the
        cumulative; the cursor goes back to the live edge (its bucket may not exist)."""
        window = self.window if self.window in windows_for(bar_size) else CUMULATIVE
        return replace(self, window=window, cursor=None)


@dataclass(frozen=True)
class Flows:
    """The three flow series the chart draws for a view, one value per row (None: a gap)."""

    calls: tuple[float | None, ...]
    puts: tuple[float | None, ...]
    all: tuple[float | None, ...]


def in_range(rows: Sequence[Row], bar: timedelta, start: datetime, end: datetime) -> slice:
    """The rows (in time order) whose bar ends after `start` and by `end`: a run of them."""
    ends = [r.t + bar for r in rows]
    return slice(bisect_right(ends, start), bisect_right(ends, end))


def cumulative_flows(rows: Sequence[Row]) -> Flows:
    return Flows(
        calls=tuple(r.cum_calls for r in rows),
        puts=tuple(r.cum_puts for r in rows),
        all=tuple(r.cum_all for r in rows),
    )


def rolling_flows(
    rows: Sequence[Row], bar: timedelta, window: timedelta, session_open: datetime
) -> Flows:
    """At each row, the sum of the per-bar flow of the bars of the last `window` ending with
    it; None where any of those bars is unknown (see the module's docstring)."""
    if not rows:
        return Flows((), (), ())
    base = min(session_open, rows[0].t)
    slots = [int((row.t - base) / bar) for row in rows]  # each row's bucket index from `base`
    before_open = int((session_open - base) / bar)  # buckets before the open: no flow
    n = max(1, round(window / bar))
    calls = _rolling([r.calls for r in rows], slots, before_open, n)
    puts = _rolling([r.puts for r in rows], slots, before_open, n)
    return Flows(
        calls=calls,
        puts=puts,
        all=tuple(
            c + p if c is not None and p is not None else None
            for c, p in zip(calls, puts, strict=True)
        ),
    )


def _rolling(
    flows: list[float | None], slots: list[int], before_open: int, n: int
) -> tuple[float | None, ...]:
    """Sums of `n` buckets ending at each row's bucket (`slots`)."""
    known: list[float | None] = [None] * (slots[-1] + 1)  # by bucket index
    for slot, flow in zip(slots, flows, strict=True):
        known[slot] = flow
    for index in range(before_open):
        known[index] = 0.0 if known[index] is None else known[index]
    # prefix sums of the known flows and of the unknown count, so each window is O(1)
    total, unknown = [0.0], [0]
    for value in known:
        total.append(total[-1] + (value or 0.0))
        unknown.append(unknown[-1] + (value is None))
    result = []
    for slot in slots:
        end = slot + 1
        start = max(0, end - n)
        result.append(total[end] - total[start] if unknown[end] == unknown[start] else None)
    return tuple(result)


def shown_range(
    view: ChartView, first: datetime, last_end: datetime, axis_end: datetime, bar: timedelta
) -> tuple[datetime, datetime]:
    """(start, end) of the time axis. `first`: the session's first bucket (or the open, if
    earlier); `last_end`: the end of the newest bar; `axis_end`: where the whole session's
    axis ends. A zoom shows the last `span` up to the newest bar, or, while the cursor is
    parked before that, the `span` centred on the cursor."""
    span = view.span
    if span is None:
        return first, axis_end
    end = max(first + span, last_end)
    if view.cursor is not None and view.cursor + bar <= end - span:
        end = max(first + span, view.cursor + bar + span / 2)
    return end - span, end


def move_cursor(times: Sequence[datetime], cursor: datetime | None, bars: int) -> datetime | None:
    """The cursor `bars` held buckets on (negative: back). From the live edge, the first move
    back parks it on the newest bar; it never leaves the held buckets."""
    if not times:
        return None
    if cursor is None:
        if bars >= 0:
            return None
        return times[max(0, len(times) + bars)]
    index = bisect_left(times, cursor)
    if index == len(times) or times[index] != cursor:
        index -= bars > 0  # a cursor between buckets: the first step lands on a neighbour
    return times[max(0, min(len(times) - 1, index + bars))]


def nearest_bucket(times: Sequence[datetime], t: datetime, bar: timedelta) -> datetime | None:
    """The held bucket whose point (drawn at its end) is nearest to time `t`."""
    if not times:
        return None
    return min(times, key=lambda start: abs((start + bar - t).total_seconds()))
