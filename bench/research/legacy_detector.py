"""The previous release's squeeze detector (and the article's plain rule), frozen for the
scorecard's side-by-side comparison. Not used by the app.

Rules (the article's reading of hedge flow, made precise), on the `all` series:

- A run is the streak of same-signed bars ending at the latest bar. An unknown bar (None) or a
  zero bar ends a run: unknown is never treated as 0.
- BUILDING: the last N bars of the run (N = `squeeze_bars`) do not shrink in magnitude and each
  exceeds `noise_floor` x the session's typical bar (the median |bar| so far).
- CONFIRMED: building, and the underlying's price moved the same way over those N bars.
- The article's plain rule (`PLAIN_RULE`) has no noise floor and no price confirmation: it only
  ever reports BUILDING.
- Reversal: the latest bar's sign is opposite to a run of at least N bars that ended just before.
- Attribution: the share of a run's (or the session's) flow from the call leg: >= 65% call-driven
  (upside call chasing), <= 35% put-driven (downside protection hedging), otherwise mixed.

`AlertTracker` turns readings into edge-triggered alerts, one per episode edge.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from statistics import median

from hedgeflow_tui.engine.store import Row

CALL_DRIVEN = 0.65
PUT_DRIVEN = 0.35
WEAK_BARS_TO_END = 2  # consecutive bars under the noise floor that end an episode


@dataclass(frozen=True, slots=True)
class DetectorConfig:
    squeeze_bars: int = 5  # N: the run of same-signed bars that makes a squeeze
    noise_floor: float = 0.5  # each bar of the run must exceed this x the session's median |bar|
    confirm_with_price: bool = True  # CONFIRMED needs price moving the same way over the run


PLAIN_RULE = DetectorConfig(noise_floor=0.0, confirm_with_price=False)


@dataclass(frozen=True, slots=True)
class Attribution:
    calls: float  # delta-dollars from the call leg
    puts: float  # delta-dollars from the put leg
    call_share: float | None  # |calls| / (|calls| + |puts|), None when both are 0
    label: str  # "call-driven" | "put-driven" | "mixed" | "none"


@dataclass(frozen=True, slots=True)
class Signal:
    """The detector's reading of the latest bars."""

    state: str  # "quiet" | "building" | "confirmed"
    direction: str | None  # "up" (dealers buying) | "down" (dealers selling) | None
    bars: int  # length of the current same-signed run
    run_flow: float  # sum of `all` over the run, delta-dollars
    attribution: Attribution  # of the run
    price_move: float | None  # spot change over the run
    price_confirms: bool
    start: datetime | None  # first bucket of the run
    end: datetime | None  # last bucket of the run
    reversal: bool  # the last bar flipped sign after a run of at least N bars


@dataclass(frozen=True, slots=True)
class Alert:
    """One edge of an episode: never one per bar."""

    symbol: str
    kind: str  # "squeeze_building" | "squeeze_confirmed" | "squeeze_ended" | "reversal"
    direction: str  # "up" | "down"
    bars: int
    run_flow: float
    attribution: str  # attribution label of the run
    price_confirms: bool
    cum_all: float | None
    t: datetime  # bucket that triggered it


def attribution(calls: float, puts: float) -> Attribution:
    total = abs(calls) + abs(puts)
    if total == 0:
        return Attribution(calls, puts, None, "none")
    share = abs(calls) / total
    label = (
        "call-driven" if share >= CALL_DRIVEN else "put-driven" if share <= PUT_DRIVEN else "mixed"
    )
    return Attribution(calls, puts, share, label)


NO_ATTRIBUTION = Attribution(0.0, 0.0, None, "none")
QUIET = Signal("quiet", None, 0, 0.0, NO_ATTRIBUTION, None, False, None, None, False)


def session_attribution(rows: Sequence[Row]) -> Attribution:
    """Attribution of the session's cumulative: the last known calls and puts cumulatives."""
    calls = next((r.cum_calls for r in reversed(rows) if r.cum_calls is not None), None)
    puts = next((r.cum_puts for r in reversed(rows) if r.cum_puts is not None), None)
    if calls is None and puts is None:
        return NO_ATTRIBUTION
    return attribution(calls or 0.0, puts or 0.0)


def typical_bar(rows: Sequence[Row], end: int | None = None) -> float:
    """Median |all| over the known bars up to index `end` (inclusive); 0.0 with none."""
    sizes = [abs(r.all) for r in rows[: None if end is None else end + 1] if r.all is not None]
    return median(sizes) if sizes else 0.0


def _sign(value: float | None) -> int:
    if value is None or value == 0:
        return 0
    return 1 if value > 0 else -1


def _size(row: Row) -> float:
    """|all| of a bar inside a run (where it is known: an unknown bar ends a run)."""
    return abs(row.all or 0.0)


def _run_start(rows: Sequence[Row], end: int) -> int:
    """Index of the first bar of the same-signed run ending at `end`."""
    sign = _sign(rows[end].all)
    start = end
    while start > 0 and _sign(rows[start - 1].all) == sign:
        start -= 1
    return start


def evaluate(
    rows: Sequence[Row],
    config: DetectorConfig,
    end: int | None = None,
    typical: float | None = None,
) -> Signal:
    """The reading at row `end` (default: the last row), from rows up to it only."""
    if not rows:
        return QUIET
    end = len(rows) - 1 if end is None else end
    sign = _sign(rows[end].all)
    if sign == 0:
        return QUIET
    start = _run_start(rows, end)
    run = rows[start : end + 1]
    n = config.squeeze_bars
    typical = typical_bar(rows, end) if typical is None else typical
    window = run[-n:]
    floor = config.noise_floor * typical
    building = (
        len(run) >= n
        and all(_size(b) >= _size(a) for a, b in itertools.pairwise(window))
        and all(_size(r) > floor for r in window)
    )
    before = end - len(window)
    has_before = before >= 0 and rows[before].spot is not None
    first_spot = rows[before].spot if has_before else window[0].spot
    last_spot = rows[end].spot
    price_move = (
        last_spot - first_spot if last_spot is not None and first_spot is not None else None
    )
    price_confirms = _sign(price_move) == sign
    previous_run = 0
    if start > 0 and _sign(rows[start - 1].all) == -sign:
        previous_run = start - _run_start(rows, start - 1)
    state = "quiet"
    if building:
        state = "confirmed" if config.confirm_with_price and price_confirms else "building"
    return Signal(
        state=state,
        direction="up" if sign > 0 else "down",
        bars=len(run),
        run_flow=sum(r.all or 0.0 for r in run),
        attribution=attribution(sum(r.calls or 0.0 for r in run), sum(r.puts or 0.0 for r in run)),
        price_move=price_move,
        price_confirms=price_confirms,
        start=run[0].t,
        end=run[-1].t,
        reversal=end == start and previous_run >= n,
    )


class AlertTracker:
    """Edge-triggered alerts for one symbol: fed the whole session after every change.

    An episode starts when a run reads BUILDING or CONFIRMED, may step up to CONFIRMED once, and
    ends on a sign flip (`reversal`), an unknown or zero bar, or two bars in a row under the noise
    floor (`squeeze_ended`). A shrinking bar inside the run does not end it. The first update
    reports only the episode in progress, if any, so opening mid-session replays no history.
    """

    def __init__(self, symbol: str, config: DetectorConfig) -> None:
        self.symbol = symbol
        self.config = config
        self.signal: Signal | None = None
        self.alerts: list[Alert] = []
        self._last_t: datetime | None = None
        self._episode: Signal | None = None  # the latest reading of the episode in progress
        self._weak = 0
        self._spent_run: datetime | None = None  # start of the run whose episode ended

    def update(self, rows: Sequence[Row]) -> list[Alert]:
        if not rows:
            return []
        if self._last_t is None:
            todo = [len(rows) - 1]
        else:
            todo = [i for i in range(len(rows) - 1, -1, -1) if rows[i].t > self._last_t][::-1]
        fired: list[Alert] = []
        for index in todo:
            fired.extend(self._step(rows, index))
        if todo:
            self._last_t = rows[-1].t
        self.signal = evaluate(rows, self.config)
        self.alerts.extend(fired)
        return fired

    def _step(self, rows: Sequence[Row], index: int) -> list[Alert]:
        typical = typical_bar(rows, index)
        signal = evaluate(rows, self.config, index, typical)
        row = rows[index]
        fired = []
        episode = self._episode
        if episode is not None:
            sign = _sign(row.all)
            if sign == 0:
                fired.append(self._alert("squeeze_ended", episode, row))
            elif signal.direction != episode.direction:
                fired.append(self._alert("reversal", episode, row))
            elif _size(row) <= self.config.noise_floor * typical:
                self._weak += 1
                if self._weak >= WEAK_BARS_TO_END:
                    fired.append(self._alert("squeeze_ended", signal, row))
            else:
                self._weak = 0
                if episode.state == "building" and signal.state == "confirmed":
                    fired.append(self._alert("squeeze_confirmed", signal, row))
            if fired and fired[-1].kind in ("squeeze_ended", "reversal"):
                self._spent_run = episode.start
                self._episode = None
            else:  # the run goes on: keep its latest figures and the highest state reached
                self._episode = replace(signal, state=max_state(episode, signal))
            return fired
        if signal.state != "quiet" and signal.start != self._spent_run:
            self._episode = signal
            self._weak = 0
            kind = "squeeze_confirmed" if signal.state == "confirmed" else "squeeze_building"
            fired.append(self._alert(kind, signal, row))
        return fired

    def _alert(self, kind: str, signal: Signal, row: Row) -> Alert:
        return Alert(
            symbol=self.symbol,
            kind=kind,
            direction=signal.direction or "up",
            bars=signal.bars,
            run_flow=signal.run_flow,
            attribution=signal.attribution.label,
            price_confirms=signal.price_confirms,
            cum_all=row.cum_all,
            t=row.t,
        )


_RANK = {"quiet": 0, "building": 1, "confirmed": 2}


def max_state(a: Signal, b: Signal) -> str:
    """The higher state an episode has reached: it never steps back from CONFIRMED."""
    return a.state if _RANK[a.state] >= _RANK[b.state] else b.state
