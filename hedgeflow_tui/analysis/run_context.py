"""How today's run compares with history: the detector's context for the banner.

For a run of k bars moving `run_flow` delta-dollars, each of the last 30 stored sessions (same
symbol, bar size and market) gives its largest k-bar run in the same direction; the run "beats"
a session when it is larger than that session's largest. "largest 5-bar run in 30 sessions" when
it beats them all. A separate input to the banner, so the detector itself stays pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from hedgeflow_tui.analysis.detector import Signal
from hedgeflow_tui.storage.history import History

SESSIONS = 30
MIN_SESSIONS = 5


@dataclass(frozen=True, slots=True)
class RunContext:
    bars: int
    sessions: int  # past sessions compared
    beaten: int  # sessions whose largest same-direction run of `bars` bars is smaller

    @property
    def percentile(self) -> float:
        return 100.0 * self.beaten / self.sessions

    @property
    def text(self) -> str:
        if self.beaten == self.sessions:
            return f"largest {self.bars}-bar run in {self.sessions} sessions"
        return f"{self.bars}-bar run beats {self.beaten} of {self.sessions} sessions' largest"


def largest_run(flows: list[float | None], bars: int, sign: int) -> float:
    """The largest sum of `bars` consecutive flows, signed by `sign` (unknown flows count 0)."""
    values = [sign * (v or 0.0) for v in flows]
    if len(values) < bars:
        return sum(values)
    window = sum(values[:bars])
    best = window
    for i in range(bars, len(values)):
        window += values[i] - values[i - bars]
        best = max(best, window)
    return best


class RunHistory:
    """The past sessions' flows, read once per (symbol, bar size, market, day, sessions)."""

    def __init__(self, history: History) -> None:
        self.history = history
        self._flows: dict[tuple, list[list[float | None]]] = {}
        self._largest: dict[tuple, list[float]] = {}

    def context(
        self, symbol: str, bar_size: str, market: str, day: date, signal: Signal | None
    ) -> RunContext | None:
        """The run's context, for a building or confirmed squeeze with 5+ sessions stored."""
        if signal is None or signal.state == "quiet" or not signal.bars:
            return None
        past = self.history.past_days(symbol, bar_size, market, day, SESSIONS)
        if len(past) < MIN_SESSIONS:
            return None
        key = (symbol, bar_size, market, day, tuple(sid for sid, _ in past))
        if key not in self._flows:
            self._flows = {key: self.history.flows([sid for sid, _ in past])}
            self._largest = {}
        sign = 1 if signal.direction == "up" else -1
        wanted = (*key, signal.bars, sign)
        if wanted not in self._largest:
            flows = self._flows[key]
            self._largest[wanted] = [largest_run(f, signal.bars, sign) for f in flows]
        runs = self._largest[wanted]
        flow = sign * signal.run_flow
        return RunContext(signal.bars, len(runs), sum(flow > run for run in runs))
