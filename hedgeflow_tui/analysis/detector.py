"""Squeeze detection over a session's bars: the article's fingerprint of a squeeze, read live.

A squeeze is dealers' hedging chasing price: the dealers are short gamma, their hedge flow runs one
way, and price moves with it. Each bar, from what the live API gives and nothing else:
- its flow z: the bar's hedge flow (both legs) over the session's robust flow s.d. so far (an EWMA
  of |flow|, winsorised so a squeeze does not inflate its own yardstick, x sqrt(pi/2)), so SPX and
  SPY (10x apart in dollars) read alike; its return z: its log return over the session's robust
  return s.d. likewise;
- over each window of the latest k bars (`min_bars` <= k <= `max_bars`): the summed flow z and the
  summed return z over sqrt(k) (in sigma of a window that long), and the share of its bars on
  which the dealers are short gamma (net GEX below 0; where the series has no net GEX, spot below
  the gamma flip).
A window is the fingerprint in direction d when both sums pass their levels in d, the dealers were
short gamma on at least `short_share` of its bars (where `short_gamma` is set) and, where
`accelerating` is set, its later half carries more of the flow than its earlier half. Its
evidence is min(flow / flow_level, price / price_level); the strongest window is the one named.

- BUILDING: a fingerprint window; the alert says why (`short gamma · flow +3.1σ · price +2.7σ
  in 6 bars`).
- CONFIRMED: an episode's evidence reached `confirm_level`.
- `squeeze_ended`: the episode's strongest window (gamma aside) fell under `end_level`. The alert's
  run is the episode up to its peak; the bars after it are its fade, stated apart.
- `reversal`: during an episode the opposite fingerprint appeared. The alert carries the *new*
  direction; it ends the episode, and the new direction may open one from the next bar.
- No episode of the direction that just ended opens again within `calm_after` bars (its tail).
- Attribution reads the sign of each leg: call-driven buying (upside call chasing) is not
  call-driven selling.

`AlertTracker` keeps one symbol's evidence incrementally (constant work a bar), fed the whole
session after every change; alerts on bars older than the newest `LIVE_BARS` of an update (a
back-fill, a catch-up) are `history`: logged, never announced. Sensitivity scales the levels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from hedgeflow_tui.config.settings import SENSITIVITIES
from hedgeflow_tui.engine.store import Row

SignalState = Literal["quiet", "building", "confirmed"]
Direction = Literal["up", "down"]  # dealers buying (upside) or selling (downside)
AlertKind = Literal["squeeze_building", "squeeze_confirmed", "squeeze_ended", "reversal"]
AttributionLabel = Literal[
    "call-driven buying",  # upside call chasing
    "call-driven selling",
    "put-driven buying",
    "put-driven selling",  # downside, protection hedging
    "mixed",
    "none",
]

CALL_DRIVEN = 65  # calls' share of the flow, whole percent, at or above: call-driven
PUT_DRIVEN = 35  # at or below: put-driven
LIVE_BARS = 2  # alerts on the newest bars of an update are news; older ones are history
WATCH_LEVEL = 0.5  # quiet, but evidence at this share of the alert level is a run worth naming
SENSITIVITY_FACTOR = {"low": 1.25, "normal": 1.0, "high": 0.8}  # x the tuned levels
OPENING = ("squeeze_building", "squeeze_confirmed")
MEAN_ABS_TO_SD = math.sqrt(math.pi / 2)  # s.d. of normal noise per mean absolute value


@dataclass(frozen=True, slots=True)
class DetectorConfig:
    flow_level: float  # summed flow z over sqrt(k) that a window must pass, in sigma
    price_level: float  # summed return z over sqrt(k), in sigma
    min_bars: int = 3  # the shortest window
    max_bars: int = 10  # the longest window
    short_gamma: bool = True  # the dealers must be short gamma on `short_share` of the window
    short_share: float = 0.5
    accelerating: bool = False  # the window's later half must carry more flow than its earlier
    confirm_level: float = 1.5  # evidence (x the levels) that confirms an episode
    end_level: float = 0.5  # the episode ends when its evidence falls under this
    scale_bars: float = 60.0  # EWMA window of the session's flow and return sizes, in bars
    winsor: float = 3.0  # a bar adds at most this x the size to the size
    max_z: float = 6.0  # a single bar adds at most this much to a window
    warmup_bars: int = 10  # no alert before this many bars have set the sizes
    calm_after: int = 10  # bars after an episode ends in which its direction does not reopen


# Tuned per bar size on the tuning seeds (bench/research/scorecard.py --tune), never on the
# held-out ones: the best recall of observable squeezes within a false-alert budget a session
# (the plain rule's own at 30s and 1m, 0.4 at 5m and 15m). Windows span ~2-10 minutes.
TUNED: dict[str, DetectorConfig] = {
    "30s": DetectorConfig(
        flow_level=2.0,
        price_level=2.0,
        accelerating=True,
        min_bars=4,
        max_bars=20,
        warmup_bars=20,
        calm_after=20,
    ),
    "1m": DetectorConfig(
        flow_level=2.0,
        price_level=2.5,
        accelerating=True,
        min_bars=3,
        max_bars=10,
        warmup_bars=10,
        calm_after=10,
    ),
    "5m": DetectorConfig(
        flow_level=2.0,
        price_level=2.0,
        min_bars=1,
        max_bars=3,
        scale_bars=12,
        warmup_bars=3,
        calm_after=2,
    ),
    "15m": DetectorConfig(
        flow_level=2.0,
        price_level=2.0,
        min_bars=1,
        max_bars=2,
        scale_bars=6,
        warmup_bars=2,
        calm_after=1,
    ),
}
# The settings --tune tries around the tuned ones.
GRID: dict[str, tuple] = {
    "flow_level": (1.5, 2.0, 2.5),
    "price_level": (1.5, 2.0, 2.5),
    "short_gamma": (True, False),
    "accelerating": (False, True),
}


def detector_config(bar_size: str, sensitivity: str = "normal") -> DetectorConfig:
    """The tuned detector for `bar_size`, its levels scaled by the user's sensitivity."""
    if sensitivity not in SENSITIVITY_FACTOR:
        raise ValueError(f"sensitivity must be one of {', '.join(SENSITIVITIES)}")
    tuned = TUNED[bar_size]
    factor = SENSITIVITY_FACTOR[sensitivity]
    return replace(
        tuned, flow_level=tuned.flow_level * factor, price_level=tuned.price_level * factor
    )


@dataclass(frozen=True, slots=True)
class Attribution:
    calls: float  # delta-dollars from the call leg
    puts: float  # delta-dollars from the put leg
    call_share: float | None  # |calls| / (|calls| + |puts|), None when both are 0
    label: AttributionLabel


@dataclass(frozen=True, slots=True)
class Signal:
    """The detector's reading after the latest bar: what the banner and the tab label show."""

    state: SignalState
    direction: Direction | None
    bars: int  # bars of the run named (the episode so far, or the strongest window)
    run_flow: float  # sum of `all` over the run, delta-dollars
    attribution: Attribution  # of the run
    price_move: float | None  # spot change over the run
    price_confirms: bool
    start: datetime | None  # first bucket of the run
    end: datetime | None  # last bucket of the run
    reversal: bool  # the latest bar reversed an episode (direction: the new one)
    evidence: float = 0.0  # the strongest window's evidence now, as a share of the alert level
    largest: bool = False  # the latest bar is the session's largest |flow| so far
    last_flow: float | None = None  # the latest bar's `all`
    why: str = (
        ""  # the strongest window in words: "short gamma · flow +3.1σ · price +2.7σ in 6 bars"
    )


@dataclass(frozen=True, slots=True)
class Alert:
    """One edge of an episode: never one per bar."""

    symbol: str
    kind: AlertKind
    direction: Direction  # for a reversal, the new direction of the hedging
    bars: int
    run_flow: float
    attribution: AttributionLabel  # of the run
    price_confirms: bool
    cum_all: float | None
    t: datetime  # bucket that triggered it
    history: bool = False  # found while back-filling or catching up: logged, not announced
    # squeeze_ended: the bars after the run's peak and their flow (the run above is up to it)
    fade_bars: int = 0
    fade_flow: float = 0.0
    why: str = ""  # what fired it (opening and reversal alerts): the window in words


def call_percent(share: float) -> int:
    """The calls' share in whole percent, as shown beside the label (35% is put-driven)."""
    return round(share * 100)


def attribution(calls: float, puts: float) -> Attribution:
    """Which leg drives the flow, and which way: the label names the leg and its sign."""
    total = abs(calls) + abs(puts)
    if total == 0:
        return Attribution(calls, puts, None, "none")
    share = abs(calls) / total
    percent = call_percent(share)
    label: AttributionLabel = "mixed"
    if percent >= CALL_DRIVEN:
        label = "call-driven buying" if calls > 0 else "call-driven selling"
    elif percent <= PUT_DRIVEN:
        label = "put-driven buying" if puts > 0 else "put-driven selling"
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


@dataclass(frozen=True, slots=True)
class Window:
    """The strongest window of a direction ending at the latest bar."""

    evidence: float  # min(flow / flow_level, price / price_level)
    bars: int
    flow: float  # summed flow z / sqrt(bars), in the direction's sign
    price: float  # summed return z / sqrt(bars)
    short: bool  # dealers short gamma on at least short_share of its bars
    fingerprint: bool  # passes every test the config sets

    def why(self, direction: Direction) -> str:
        sign = 1 if direction == "up" else -1
        gamma = "short gamma" if self.short else "long gamma"
        return (
            f"{gamma} · flow {sign * self.flow:+.1f}σ · price {sign * self.price:+.1f}σ "
            f"in {self.bars} bars"
        )


NO_WINDOW = Window(0.0, 0, 0.0, 0.0, False, False)


@dataclass(slots=True)
class _Size:
    """A series' robust size: a winsorised EWMA of |value| (its s.d. is MEAN_ABS_TO_SD x it)."""

    size: float = 0.0
    seen: int = 0

    def z(self, value: float, max_z: float) -> float:
        if not self.seen or self.size <= 0:
            return 0.0
        return max(-max_z, min(max_z, value / (self.size * MEAN_ABS_TO_SD)))

    def add(self, value: float, config: DetectorConfig) -> None:
        magnitude = abs(value) if self.seen == 0 else min(abs(value), config.winsor * self.size)
        self.seen += 1
        weight = max(1.0 / self.seen, 1.0 / config.scale_bars)
        self.size += weight * (magnitude - self.size)


@dataclass(slots=True)
class _Episode:
    direction: Direction
    state: SignalState  # "building" | "confirmed"
    since: int  # index of the run's first bar


class AlertTracker:
    """Edge-triggered alerts for one symbol, fed the whole session after every change.

    Only bars newer than the last one seen are read (a revised older bar is not re-read); every
    bar of a first update is read too, so a session opened mid-day gets its past alerts as
    history.
    """

    def __init__(self, symbol: str, config: DetectorConfig) -> None:
        self.symbol = symbol
        self.config = config
        self.signal: Signal = QUIET
        self.alerts: list[Alert] = []
        self._last_t: datetime | None = None
        self._flow_size = _Size()
        self._return_size = _Size()
        self._episode: _Episode | None = None
        self._ended_at = -(10**9)  # index of the bar that ended the last episode
        self._ended: Direction | None = None  # its direction
        self._bars = 0
        self._largest = 0.0
        self._last_spot: float | None = None
        # running sums from the session's first bar (a leading 0): window sums are differences
        self._flow_z: list[float] = [0.0]
        self._return_z: list[float] = [0.0]
        self._short: list[int] = [0]
        self._sum_all: list[float] = []
        self._sum_calls: list[float] = []
        self._sum_puts: list[float] = []
        self._spots: list[float | None] = []
        self._times: list[datetime] = []

    def update(self, rows: Sequence[Row], *, history: bool = False) -> list[Alert]:
        """Read the bars newer than the last one read; `history` marks every alert as history
        (a re-read of bars already shown)."""
        start = len(rows)
        while start > 0 and (self._last_t is None or rows[start - 1].t > self._last_t):
            start -= 1
        fired: list[Alert] = []
        for index in range(start, len(rows)):
            alert = self._step(rows[index])
            if alert is not None:
                if history or index < len(rows) - LIVE_BARS:
                    alert = replace(alert, history=True)
                fired.append(alert)
        if start < len(rows):
            self._last_t = rows[-1].t
        self.alerts.extend(fired)
        return fired

    # --- one bar ------------------------------------------------------------------------------

    def _step(self, row: Row) -> Alert | None:
        index = self._bars
        self._bars += 1
        config = self.config
        flow = row.all or 0.0
        self._sum_all.append((self._sum_all[-1] if index else 0.0) + flow)
        self._sum_calls.append((self._sum_calls[-1] if index else 0.0) + (row.calls or 0.0))
        self._sum_puts.append((self._sum_puts[-1] if index else 0.0) + (row.puts or 0.0))
        self._spots.append(row.spot)
        self._times.append(row.t)
        change = 0.0
        spot = row.spot if row.spot is not None and row.spot > 0 else None
        if spot is not None and self._last_spot is not None:
            change = math.log(spot / self._last_spot)
        if spot is not None:
            self._last_spot = spot
        self._flow_z.append(self._flow_z[-1] + self._flow_size.z(flow, config.max_z))
        self._return_z.append(self._return_z[-1] + self._return_size.z(change, config.max_z))
        self._short.append(self._short[-1] + _short_gamma(row))
        if row.all is not None:
            self._flow_size.add(flow, config)
        if change:
            self._return_size.add(change, config)
        largest = abs(flow) > self._largest  # in the warm-up too: never "quiet" on it
        if largest:
            self._largest = abs(flow)
        windows = {d: self._window(d, index) for d in ("up", "down")}
        alert = self._transition(row, index, windows)
        self.signal = self._reading(row, index, largest, alert, windows)
        return alert

    def _window(self, direction: Direction, index: int) -> Window:
        """The strongest window of `direction` ending at bar `index`; a fingerprint first."""
        config = self.config
        sign = 1.0 if direction == "up" else -1.0
        best = NO_WINDOW
        end = index + 1
        for k in range(config.min_bars, min(config.max_bars, end) + 1):
            flow = sign * (self._flow_z[end] - self._flow_z[end - k]) / math.sqrt(k)
            price = sign * (self._return_z[end] - self._return_z[end - k]) / math.sqrt(k)
            evidence = min(flow / config.flow_level, price / config.price_level)
            short = self._short[end] - self._short[end - k] >= config.short_share * k
            passes = evidence >= 1.0 and (short or not config.short_gamma)
            if passes and config.accelerating and k >= 2:
                half = end - k // 2
                later = sign * (self._flow_z[end] - self._flow_z[half])
                passes = later >= sign * (self._flow_z[half] - self._flow_z[end - k])
            if (passes, evidence) > (best.fingerprint, best.evidence):
                best = Window(evidence, k, flow, price, short, passes)
        return best

    def _transition(self, row: Row, index: int, windows: dict[str, Window]) -> Alert | None:
        config = self.config
        if index < config.warmup_bars:
            return None
        episode = self._episode
        if episode is None:
            both: tuple[Direction, Direction] = ("up", "down")
            opening = [
                d
                for d in both
                if windows[d].fingerprint
                and not (d == self._ended and index - self._ended_at <= config.calm_after)
            ]
            if not opening:
                return None
            direction: Direction = max(opening, key=lambda d: windows[d].evidence)
            window = windows[direction]
            state: SignalState = (
                "confirmed" if window.evidence >= config.confirm_level else "building"
            )
            self._episode = _Episode(direction, state, index - window.bars + 1)
            kind: AlertKind = "squeeze_confirmed" if state == "confirmed" else "squeeze_building"
            return self._alert(kind, direction, index - window.bars + 1, index, row, window)
        opposite: Direction = "down" if episode.direction == "up" else "up"
        if windows[opposite].fingerprint:
            self._end(episode, index)
            self._ended = None  # the new direction may open from the next bar
            window = windows[opposite]
            since = index - window.bars + 1
            return self._alert("reversal", opposite, since, index, row, window)
        own = windows[episode.direction]
        if own.evidence < config.end_level:
            self._end(episode, index)
            return self._ended_alert(episode, index, row)
        if episode.state == "building" and own.evidence >= config.confirm_level:
            episode.state = "confirmed"
            return self._alert(
                "squeeze_confirmed", episode.direction, episode.since, index, row, own
            )
        return None

    def _end(self, episode: _Episode, index: int) -> None:
        self._episode, self._ended_at, self._ended = None, index, episode.direction

    def _price_move(self, since: int, index: int) -> float | None:
        before = self._spots[since - 1] if since > 0 else self._spots[since]
        now = self._spots[index]
        return now - before if now is not None and before is not None else None

    def _price_confirms(self, direction: Direction, since: int, index: int) -> bool:
        move = self._price_move(since, index)
        return move is not None and (move > 0 if direction == "up" else move < 0)

    def _run(self, since: int, index: int) -> tuple[float, Attribution]:
        calls = _total(self._sum_calls, since, index)
        puts = _total(self._sum_puts, since, index)
        return _total(self._sum_all, since, index), attribution(calls, puts)

    def _alert(
        self,
        kind: AlertKind,
        direction: Direction,
        since: int,
        index: int,
        row: Row,
        window: Window | None = None,
    ) -> Alert:
        run_flow, share = self._run(since, index)
        return Alert(
            symbol=self.symbol,
            kind=kind,
            direction=direction,
            bars=index - since + 1,
            run_flow=run_flow,
            attribution=share.label,
            price_confirms=self._price_confirms(direction, since, index),
            cum_all=row.cum_all,
            t=row.t,
            why=window.why(direction) if window is not None else "",
        )

    def _ended_alert(self, episode: _Episode, index: int, row: Row) -> Alert:
        """The run up to its peak (its furthest total its own way), and the fade after it: the
        whole episode's total, fade included, can end against its direction."""
        sign = 1.0 if episode.direction == "up" else -1.0
        peak = max(
            range(episode.since, index + 1),
            key=lambda j: sign * _total(self._sum_all, episode.since, j),
        )
        run = self._alert("squeeze_ended", episode.direction, episode.since, peak, row)
        fade = _total(self._sum_all, peak + 1, index) if peak < index else 0.0
        return replace(run, fade_bars=index - peak, fade_flow=fade)

    def _reading(
        self,
        row: Row,
        index: int,
        largest: bool,
        alert: Alert | None,
        windows: dict[str, Window],
    ) -> Signal:
        episode = self._episode
        state: SignalState = "quiet"
        if episode is not None:
            direction, since, state = episode.direction, episode.since, episode.state
        elif alert is not None and alert.kind == "reversal":
            direction, since = alert.direction, index - alert.bars + 1
        else:
            direction = "up" if windows["up"].evidence >= windows["down"].evidence else "down"
            since = index - max(1, windows[direction].bars) + 1
            if (largest or windows[direction].evidence < WATCH_LEVEL) and row.all:
                direction, since = ("up" if row.all > 0 else "down"), index  # just this bar
        window = windows[direction]
        run_flow, share = self._run(since, index)
        return Signal(
            state=state,
            direction=direction,
            bars=index - since + 1,
            run_flow=run_flow,
            attribution=share,
            price_move=self._price_move(since, index),
            price_confirms=self._price_confirms(direction, since, index),
            start=self._times[since],
            end=row.t,
            reversal=alert is not None and alert.kind == "reversal",
            evidence=max(0.0, window.evidence),
            largest=largest,
            last_flow=row.all,
            why=window.why(direction) if window.bars else "",
        )


def _total(sums: list[float], since: int, index: int) -> float:
    """A series' sum over bars since..index, from its running sums."""
    return sums[index] - (sums[since - 1] if since > 0 else 0.0)


def _short_gamma(row: Row) -> bool:
    """Dealers are short gamma at this bar: net GEX below 0, or (net GEX unknown) spot below
    the gamma flip. Unknown both: not short."""
    if row.net_gex is not None:
        return row.net_gex < 0
    return row.spot is not None and row.gamma_flip is not None and row.spot < row.gamma_flip
