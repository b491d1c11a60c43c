"""Squeeze detection over a session's bars: scaled flow, accumulated evidence, edge alerts.

Evidence (from what the live API gives, nothing else): each bar's hedge flow, of both legs
together (and of each leg on its own where `legs` is set), divided by that series' own robust
flow size this session: an EWMA of |flow|, winsorised so a squeeze does not inflate its own
yardstick, so SPX and SPY (10x apart in dollars) read alike. The scaled flow (capped at `max_z`
a bar) is accumulated over bars, so a run with one small bar is not lost: as an EWMA over
`ewma_bars` bars (the tuned choice), or as a CUSUM `S = max(0, S + z - allowance)` per direction.

- BUILDING: the evidence in one direction reaches `threshold`, or (where a config sets it) a
  share of it while the dealers are short gamma (net GEX below 0; where the series has no net
  GEX, spot below the gamma flip: their hedging chases price) or while price moves with the run.
- CONFIRMED: building, and the underlying's price moved the same way since the run began.
- `squeeze_ended`: the episode's evidence fell under `end_level` x threshold. The alert's run is
  the episode up to its peak; the bars after it are its fade, stated apart.
- `reversal`: during an episode the opposite evidence reached `reversal_level` x threshold, or
  the episode faded on a bar that ran hard the other way, or, within `calm_after` bars of its
  end, the flow turned hard against it. The alert carries the *new* direction. In that window
  no new squeeze opens: the unwind after a squeeze is not one (with `calm_both_ways` off, only
  the ended episode's own direction is held back; the tuning seeds keep it on).
- A direction's evidence comes from the strongest series (both legs, or one leg where `legs` is
  set) whose run the whole flow follows: one leg buying while the other sells more is no
  evidence of buying, so a squeeze or reversal alert's run flow has its direction's sign.
- Attribution reads the sign of each leg: call-driven buying (upside call chasing) is not
  call-driven selling.

`AlertTracker` keeps one symbol's evidence incrementally (constant work a bar), fed the whole
session after every change; alerts on bars older than the newest `LIVE_BARS` of an update (a
back-fill, a catch-up) are `history`: logged, never announced. Sensitivity scales the threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
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
WATCH_LEVEL = 0.5  # quiet, but evidence at this share of the threshold is a run worth naming
SERIES = ("all", "calls", "puts")
SENSITIVITY_FACTOR = {"low": 1.4, "normal": 1.0, "high": 0.7}  # x the tuned threshold
OPENING = ("squeeze_building", "squeeze_confirmed")


@dataclass(frozen=True, slots=True)
class DetectorConfig:
    threshold: float  # evidence (in session flow sizes) that makes a squeeze
    allowance: float = 0.5  # CUSUM: subtracted per bar, so ordinary flow does not accumulate
    ewma_bars: float = 0.0  # > 0: evidence is an EWMA of scaled flow over this many bars instead
    end_level: float = 0.3  # the episode ends when its evidence falls under this x threshold
    reversal_level: float = 0.5  # opposite evidence at this x threshold reverses the episode
    scale_bars: float = 60.0  # EWMA window of the session's flow size, in bars
    winsor: float = 3.0  # a bar adds at most this x the flow size to the flow size
    max_z: float = 6.0  # a single bar adds at most this much evidence
    warmup_bars: int = 3  # no alert before this many bars have set the flow size
    calm_after: int = 0  # bars after an episode ends in which it does not open again
    calm_both_ways: bool = True  # ... nor one the other way (that is its reversal, said once)
    legs: bool = True  # each leg's own evidence counts, not only both legs' sum
    price_gate: bool = False  # an episode opens only while price moves with the flow
    confirmed_opens_at: float = 1.0  # x threshold: where an episode opens while price moves with it
    short_gamma_opens_at: float = 1.0  # x threshold: where it opens while dealers are short gamma


# Tuned per bar size on the tuning seeds (bench/research/scorecard.py --tune), never on the
# held-out ones: the best recall within a false-alert budget a session: the plain rule's own
# rate at 30s and 1m, 0.5 at 5m and 15m, where the plain rule hardly alerts (--trade-off shows
# what each budget costs). Time-like settings are ~20 (size), ~15 (warm-up) and 30 minutes
# (quiet after).
TUNED: dict[str, DetectorConfig] = {
    "30s": DetectorConfig(
        threshold=2.0, ewma_bars=8, scale_bars=40, warmup_bars=30, calm_after=60, legs=True
    ),
    "1m": DetectorConfig(
        threshold=2.0, ewma_bars=8, scale_bars=20, warmup_bars=15, calm_after=30, legs=True
    ),
    "5m": DetectorConfig(
        threshold=3.0,
        ewma_bars=2,
        scale_bars=6,
        warmup_bars=3,
        calm_after=6,
        legs=False,
        price_gate=True,
    ),
    "15m": DetectorConfig(
        threshold=8.0,
        allowance=1.0,
        scale_bars=6,
        warmup_bars=2,
        calm_after=2,
        legs=False,
        price_gate=True,
    ),
}


def detector_config(bar_size: str, sensitivity: str = "normal") -> DetectorConfig:
    """The tuned detector for `bar_size`, its threshold scaled by the user's sensitivity."""
    if sensitivity not in SENSITIVITY_FACTOR:
        raise ValueError(f"sensitivity must be one of {', '.join(SENSITIVITIES)}")
    tuned = TUNED[bar_size]
    return replace(tuned, threshold=tuned.threshold * SENSITIVITY_FACTOR[sensitivity])


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
    bars: int  # bars since the run's evidence began to accumulate
    run_flow: float  # sum of `all` over the run, delta-dollars
    attribution: Attribution  # of the run
    price_move: float | None  # spot change over the run
    price_confirms: bool
    start: datetime | None  # first bucket of the run
    end: datetime | None  # last bucket of the run
    reversal: bool  # the latest bar reversed an episode (direction: the new one)
    evidence: float = 0.0  # the strongest evidence now, as a share of the alert threshold
    largest: bool = False  # the latest bar is the session's largest |flow| so far
    last_flow: float | None = None  # the latest bar's `all`


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


@dataclass(slots=True)
class _Cusum:
    """One series' evidence of buying (`up`) and of selling (`down`), and where each began."""

    up: float = 0.0
    down: float = 0.0
    up_since: int = 0
    down_since: int = 0

    def add(self, z: float, allowance: float, index: int) -> None:
        if self.up == 0.0:
            self.up_since = index
        if self.down == 0.0:
            self.down_since = index
        self.up = max(0.0, self.up + z - allowance)
        self.down = max(0.0, self.down - z - allowance)

    def average(self, z: float, weight: float, index: int) -> None:
        """EWMA of z: `up` holds its positive part, `down` its negative part."""
        mean = self.up - self.down
        if mean <= 0.0:
            self.up_since = index
        if mean >= 0.0:
            self.down_since = index
        mean += weight * (z - mean)
        self.up, self.down = max(0.0, mean), max(0.0, -mean)

    def level(self, direction: str) -> tuple[float, int]:
        return (self.up, self.up_since) if direction == "up" else (self.down, self.down_since)


@dataclass(slots=True)
class _Series:
    """A series' robust flow size (winsorised EWMA of |flow|) and its evidence."""

    size: float = 0.0
    seen: int = 0
    last_z: float = 0.0  # the latest bar's scaled flow
    cusum: _Cusum = field(default_factory=_Cusum)

    def add(self, flow: float, config: DetectorConfig, index: int) -> None:
        if self.seen and self.size > 0:
            z = self.last_z = max(-config.max_z, min(config.max_z, flow / self.size))
            if config.ewma_bars:
                self.cusum.average(z, 1.0 / config.ewma_bars, index)
            else:
                self.cusum.add(z, config.allowance, index)
        magnitude = abs(flow) if self.seen == 0 else min(abs(flow), config.winsor * self.size)
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
        self._series = {name: _Series() for name in SERIES}
        self._episode: _Episode | None = None
        self._ended_at = -(10**9)  # index of the bar that ended the last episode
        self._ended: _Episode | None = None  # the last episode that ended
        self._turn_said = False  # a reversal of it was alerted (or ended it)
        self._bars = 0
        self._largest = 0.0
        # running sums since the session's first bar: run sums are differences of these
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
                    alert = _as_history(alert)
                fired.append(alert)
        if start < len(rows):
            self._last_t = rows[-1].t
        self.alerts.extend(fired)
        return fired

    # --- one bar ------------------------------------------------------------------------------

    def _step(self, row: Row) -> Alert | None:
        index = self._bars
        self._bars += 1
        self._sum_all.append((self._sum_all[-1] if index else 0.0) + (row.all or 0.0))
        self._sum_calls.append((self._sum_calls[-1] if index else 0.0) + (row.calls or 0.0))
        self._sum_puts.append((self._sum_puts[-1] if index else 0.0) + (row.puts or 0.0))
        self._spots.append(row.spot)
        self._times.append(row.t)
        for name in SERIES if self.config.legs else ("all",):
            value = getattr(row, name)
            if value is not None:
                self._series[name].add(value, self.config, index)
        flow = abs(row.all) if row.all is not None else 0.0
        largest = flow > self._largest  # in the warm-up too: never "quiet" on the largest bar
        if largest:
            self._largest = flow
        alert = self._transition(row, index)
        self.signal = self._reading(row, index, largest, alert)
        return alert

    def _strongest(self, direction: Direction) -> tuple[float, int]:
        """The direction's evidence, as a share of the threshold, and where its run began: the
        strongest series whose run the whole flow follows (one leg buying while the other sells
        more is no evidence of buying)."""
        index = self._bars - 1
        sign = 1.0 if direction == "up" else -1.0
        level, since = 0.0, index
        for series in self._series.values():
            value, start = series.cusum.level(direction)
            if value > level and sign * _total(self._sum_all, start, index) > 0:
                level, since = value, start
        return level / self.config.threshold, since

    def _leading(self) -> tuple[Direction, tuple[float, int]]:
        """The direction with the stronger evidence, and its `_strongest` reading."""
        up, down = self._strongest("up"), self._strongest("down")
        return ("up", up) if up[0] >= down[0] else ("down", down)

    def _transition(self, row: Row, index: int) -> Alert | None:
        config = self.config
        episode = self._episode
        if index < config.warmup_bars:
            return None
        if episode is None:
            direction, (level, since) = self._leading()
            if level < self._opening_level(direction, since, index, row):
                return None
            ended = self._ended
            if ended is not None and index - self._ended_at <= config.calm_after:
                # the tail of the episode that just ended is not a new squeeze; with
                # `calm_both_ways` neither is its unwind: hedging turning hard against it is
                # its reversal, said once
                if direction == ended.direction:
                    return None
                if config.calm_both_ways:
                    if self._turn_said:
                        return None
                    self._turn_said = True
                    return self._alert("reversal", direction, since, index, row)
            confirms = self._price_confirms(direction, since, index)
            if config.price_gate and not confirms:
                return None
            self._episode = _Episode(direction, "confirmed" if confirms else "building", since)
            kind: AlertKind = "squeeze_confirmed" if confirms else "squeeze_building"
            return self._alert(kind, direction, since, index, row)
        opposite: Direction = "down" if episode.direction == "up" else "up"
        fading = self._strongest(episode.direction)[0] < config.end_level
        turned = self._series["all"].last_z * (1 if opposite == "up" else -1) >= config.threshold
        if self._strongest(opposite)[0] >= config.reversal_level or (fading and turned):
            self._episode, self._ended_at, self._ended = None, index, episode
            self._turn_said = True
            since = min(index, self._strongest(opposite)[1])  # the new run, not the old one
            return self._alert("reversal", opposite, since, index, row)
        if fading:
            self._episode, self._ended_at, self._ended = None, index, episode
            self._turn_said = False
            return self._ended_alert(episode, index, row)
        if episode.state == "building" and self._price_confirms(
            episode.direction, episode.since, index
        ):
            episode.state = "confirmed"
            return self._alert("squeeze_confirmed", episode.direction, episode.since, index, row)
        return None

    def _opening_level(self, direction: Direction, since: int, index: int, row: Row) -> float:
        """The evidence (share of the threshold) that opens an episode now: lower where price
        moves with the run, or where the dealers are short gamma (their hedging chases price)."""
        level = 1.0
        if self.config.confirmed_opens_at < 1.0 and self._price_confirms(direction, since, index):
            level *= self.config.confirmed_opens_at
        if self.config.short_gamma_opens_at < 1.0 and _short_gamma(row):
            level *= self.config.short_gamma_opens_at
        return level

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
        self, kind: AlertKind, direction: Direction, since: int, index: int, row: Row
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

    def _reading(self, row: Row, index: int, largest: bool, alert: Alert | None) -> Signal:
        episode = self._episode
        state: SignalState = "quiet"
        if episode is not None:
            direction, since, state = episode.direction, episode.since, episode.state
            evidence = self._strongest(direction)[0]
        else:
            direction, (evidence, since) = self._leading()
            if alert is not None and alert.kind == "reversal":
                direction, since = alert.direction, index - alert.bars + 1
            elif (largest or evidence < WATCH_LEVEL) and row.all:
                direction, since = ("up" if row.all > 0 else "down"), index  # just this bar
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
            evidence=evidence,
            largest=largest,
            last_flow=row.all,
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


def _as_history(alert: Alert) -> Alert:
    return replace(alert, history=True)
