"""Alerts on levels: spot crossing the gamma flip, spot reaching the call or put wall, and the
user's thresholds on cumulative or per-bar flow (`[[alert]]` rules of the config file).

Each is edge-triggered with hysteresis (a Schmitt trigger), so a price hovering on a level fires
once, not every bar: spot is above the flip only once it is `band` over it and below only once
it is `band` under it (in between it keeps the side it was on); a wall is reached at `band`
short of it, re-armed only once spot has backed off `REARM_BANDS` bands from it, and is news
only once it has held its strike `WALL_SETTLED`; a flow threshold re-arms once the flow is back
`FLOW_REARM` of the threshold on the other side. The
band is `BAND` of spot (0.05%: ~$0.30 on SPY, ~3 points on SPX), so it reads alike across
symbols. The first bar seen sets the side of the flip and whether a wall is already reached:
a level spot starts on is no news. Spot is on a side of the flip only where the dealers' net
GEX (where known) agrees: long gamma above it, short below. Where spot sits between two sign
changes of the dealers' gamma, the flip reported is the one nearest to spot and may hop from one
to the other bar to bar: the regime itself has not changed, and no alert fires.

`LevelTracker` reads each bar once, like the squeeze detector's tracker; alerts on bars older
than the newest `LIVE_BARS` of an update (a back-fill, a catch-up) are `history`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

from hedgeflow_tui.analysis.detector import LIVE_BARS, Direction
from hedgeflow_tui.config.alert_rules import FlowRule
from hedgeflow_tui.engine.store import Row

LevelKind = Literal["gamma_flip_cross", "call_wall", "put_wall", "flow_threshold"]
LEVEL_KINDS: tuple[LevelKind, ...] = ("gamma_flip_cross", "call_wall", "put_wall", "flow_threshold")
BAND = 0.0005  # of spot: the hysteresis band around a price level
REARM_BANDS = 4.0  # a wall re-arms once spot is this many bands short of it
WALL_SETTLED = timedelta(minutes=15)  # a wall is one once it has held its strike this long
SPOT_WAITS = 3  # updates a bar without its price is waited for before it is read without one
FLOW_REARM = 0.2  # of the threshold: how far back a flow must come before it fires again


@dataclass(frozen=True, slots=True)
class LevelAlert:
    """One crossing of a level. `direction`: up = crossed above the flip / reached the call
    wall / flow up to `above`; down = the other way."""

    symbol: str
    kind: LevelKind
    direction: Direction
    level: float  # the price level, or the rule's threshold (delta-$)
    value: float  # spot at the bar, or the rule's flow there
    t: datetime  # the bucket that crossed
    cum_all: float | None
    rule: str | None = None  # flow_threshold: the rule's name, or what it watches
    history: bool = False


@dataclass(slots=True)
class _Side:
    """Which side of a level a value is on, with hysteresis: +1 once at or over `upper`, -1
    once at or under `lower`, unchanged in between; 0 until first known."""

    side: int = 0

    def step(self, value: float, upper: float, lower: float) -> int:
        """+1 or -1 when the value crossed to that side on this step; 0 otherwise (the first
        side known is no crossing)."""
        now = 1 if value >= upper else -1 if value <= lower else self.side
        crossed = now if self.side not in (0, now) else 0
        self.side = now
        return crossed


@dataclass(slots=True)
class _Reach:
    """Whether a value has reached a level (at or over `reach`), re-armed once it is back at or
    under `rearm`, remembered per level: a wall that moves to another strike and back is the
    same wall. Only a settled level is news: one that has been the wall for `WALL_SETTLED`
    (a strike becoming the wall as spot runs through the strikes is no wall yet), and not one
    already reached when first seen (the first bar)."""

    reached: dict[float, bool] = field(default_factory=dict)
    level: float | None = None
    since: datetime | None = None  # when `level` became the wall

    def step(self, t: datetime, value: float, level: float, reach: float, rearm: float) -> bool:
        """True when the value reached the level on this step."""
        if level != self.level or self.since is None:
            self.level, self.since = level, t
        was = self.reached.get(level)
        if was is None:
            self.reached[level] = value >= reach
            return False
        if value >= reach and not was:
            self.reached[level] = True
            return t - self.since >= WALL_SETTLED
        if value <= rearm:
            self.reached[level] = False
        return False


class LevelTracker:
    """One symbol's level alerts, fed the whole session after every change."""

    def __init__(self, symbol: str, rules: Sequence[FlowRule] = (), *, levels: bool = True) -> None:
        self.symbol = symbol
        self.levels = levels
        self.rules = [rule for rule in rules if rule.applies_to(symbol)]
        self.alerts: list[LevelAlert] = []
        self._last_t: datetime | None = None
        self._flip = _Side()
        self._call_wall = _Reach()
        self._put_wall = _Reach()
        self._rules = [_Side() for _ in self.rules]
        self._waits = 0  # updates the next bar has been waited for, for its price

    def update(self, rows: Sequence[Row]) -> list[LevelAlert]:
        """Read the bars newer than the last one read, in order. A bar without its price yet
        (the price series may come a poll after the flow: a back-fill, a gap being filled) is
        waited for, up to `SPOT_WAITS` updates, before it is read without one."""
        start = len(rows)
        while start > 0 and (self._last_t is None or rows[start - 1].t > self._last_t):
            start -= 1
        fired: list[LevelAlert] = []
        waited_out = self._waits >= SPOT_WAITS  # this update reads on without prices
        for index in range(start, len(rows)):
            row = rows[index]
            if self.levels and row.spot is None and not waited_out:
                self._waits += 1
                break
            self._waits = 0
            history = index < len(rows) - LIVE_BARS
            for alert in self._step(row):
                fired.append(replace(alert, history=True) if history else alert)
            self._last_t = row.t
        self.alerts.extend(fired)
        return fired

    def _step(self, row: Row) -> list[LevelAlert]:
        fired = []
        if self.levels and row.spot is not None:
            fired += self._prices(row, row.spot)
        for rule, trigger in zip(self.rules, self._rules, strict=True):
            alert = self._flow(row, rule, trigger)
            if alert is not None:
                fired.append(alert)
        return fired

    def _alert(self, row: Row, kind: LevelKind, up: bool, level: float, value: float) -> LevelAlert:
        direction: Direction = "up" if up else "down"
        return LevelAlert(self.symbol, kind, direction, level, value, row.t, row.cum_all)

    def _prices(self, row: Row, spot: float) -> list[LevelAlert]:
        band = BAND * spot
        fired = []
        if row.gamma_flip is not None:
            flip = row.gamma_flip
            # the side the regime agrees with: a flip reported on the far side of a pocket of
            # short (or long) gamma flickers around spot bar to bar, net GEX's sign does not
            gex = row.net_gex
            upper = flip + band if gex is None or gex > 0 else math.inf
            lower = flip - band if gex is None or gex < 0 else -math.inf
            crossed = self._flip.step(spot, upper, lower)
            if crossed:
                fired.append(self._alert(row, "gamma_flip_cross", crossed > 0, flip, spot))
        if row.call_wall is not None:
            wall = row.call_wall
            if self._call_wall.step(row.t, spot, wall, wall - band, wall - REARM_BANDS * band):
                fired.append(self._alert(row, "call_wall", True, wall, spot))
        if row.put_wall is not None:
            wall = row.put_wall
            # mirrored: reaching the put wall is spot coming down to it
            if self._put_wall.step(
                row.t, -spot, wall, -(wall + band), -(wall + REARM_BANDS * band)
            ):
                fired.append(self._alert(row, "put_wall", False, wall, spot))
        return fired

    def _flow(self, row: Row, rule: FlowRule, trigger: _Side) -> LevelAlert | None:
        value = getattr(row, f"cum_{rule.side}" if rule.flow == "cumulative" else rule.side)
        if value is None:
            return None
        big = float("inf")
        upper = rule.above if rule.above is not None else big
        lower = rule.below if rule.below is not None else -big
        # re-armed once the flow is back FLOW_REARM of the threshold
        rearm_up = upper - FLOW_REARM * abs(upper) if rule.above is not None else -big
        rearm_down = lower + FLOW_REARM * abs(lower) if rule.below is not None else big
        crossed = _rule_step(trigger, value, upper, lower, rearm_up, rearm_down)
        if not crossed:
            return None
        level = upper if crossed > 0 else lower
        alert = self._alert(row, "flow_threshold", crossed > 0, level, value)
        return replace(alert, rule=rule.name or rule.text())


def _rule_step(
    trigger: _Side,
    value: float,
    upper: float,
    lower: float,
    rearm_up: float,
    rearm_down: float,
) -> int:
    """A threshold fires from the session's first bar on (a flow starts at zero, not at the
    level); each side re-arms once the flow is back past its re-arm edge."""
    fired = 0
    if value >= upper and trigger.side != 1:
        fired = trigger.side = 1
    elif value <= lower and trigger.side != -1:
        fired = trigger.side = -1
    elif (trigger.side == 1 and value < rearm_up) or (trigger.side == -1 and value > rearm_down):
        trigger.side = 0
    return fired
