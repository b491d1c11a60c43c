"""How long after a bucket's close its first poll waits: learnt from the answers themselves.

FlashAlpha does not publish how late a closed bucket appears in its answers, and its `data_as_of`
feed times are delivery times (about now), so lateness is judged by the bars and `as_of` alone:
an answer computed `s` seconds after a close either holds the bucket (its lag was <= s) or not
(> s). A close whose first answer lacked the bucket gives the lag it took, as the offset of the
first answer that held it (an upper bound, to within a catch-up's spacing); one that nobody
resolved before the next close gives the last offset that lacked it, plus a step.

The settle is the lag that all but a small share of the recent closes fitted under: it rises at
once to a late lag seen (so the first closes of a run teach it, not a slow climb that overshoots)
and falls a little after each close the first poll caught.
"""

from __future__ import annotations

from collections import deque

INITIAL_SETTLE = 2.0  # market seconds: before any close is seen
MIN_SETTLE, MAX_SETTLE = 1.0, 20.0
QUANTILE = 0.98  # the share of closes the first poll should catch
MEMORY = 100  # closes remembered
STEP_DOWN = 0.05  # market seconds less after a close that fitted
UNRESOLVED_STEP = 1.0  # beyond the last offset that lacked a bucket nobody brought in time
LEARNING_CLOSES = 10  # closes seen before the settle counts as learnt


class SettleLearner:
    def __init__(self, initial: float = INITIAL_SETTLE) -> None:
        self.settle = initial
        self._closes: deque[float | None] = deque(maxlen=MEMORY)  # a late close's lag, or None

    @property
    def learning(self) -> bool:
        """Too few closes seen yet: a late bucket is worth a catch-up even when the quota plan
        has none to spare (the lag it measures sets the settle for the rest of the run)."""
        return len(self._closes) < LEARNING_CLOSES

    def fitted(self) -> None:
        """The first poll after a close held its bucket."""
        self._closes.append(None)
        self._update()

    def late(self, lag: float) -> None:
        """The first poll after a close lacked its bucket; it took `lag` seconds after the close."""
        self._closes.append(max(0.0, lag))
        self._update()

    def unresolved(self, last_lacking: float) -> None:
        """No answer held the bucket before the next close; the last that lacked it came
        `last_lacking` seconds after its close."""
        self.late(last_lacking + UNRESOLVED_STEP)

    def _update(self) -> None:
        allowed = int((1 - QUANTILE) * len(self._closes))  # late closes the settle may leave out
        lags = sorted((lag for lag in self._closes if lag is not None), reverse=True)
        target = lags[allowed] if len(lags) > allowed else None
        if target is not None and target >= self.settle:
            self.settle = target
        else:
            self.settle = max(target or MIN_SETTLE, self.settle - STEP_DOWN)
        self.settle = min(MAX_SETTLE, max(MIN_SETTLE, self.settle))
