"""The reactive state: every answer merged per symbol and bar size, `all` derived, observers told.

Merge rule: for each series (calls, puts, price) and bucket the value from the answer with the
latest `as_of` wins; answers with the same `as_of` are ordered by their values, never by arrival.
So overlapping windows, duplicates, out-of-order answers and a revised last bar all converge to
one state. `side=all` answers are ignored: `all` is always calls + puts.

Per bucket, a leg's flow is the difference of consecutive cumulatives (the first bucket of the
session: its cumulative), falling back to the API's `bar` where the previous bucket is unknown.
A leg's cumulative comes from the hedge-flow endpoint where it answered for that bucket, else from
the series endpoint's `hedge_flow_*_cumulative` fields (one request then carries flow and price).
Where both cover a bucket they are compared: a difference beyond rounding is kept as the session's
`mismatch`, and from then on the series' flow fields are ignored for the whole session (its rows
rebuilt from the hedge-flow answers alone, the buckets only the series had becoming gaps). The
check depends only on what was merged, not on the order, so a replay reaches the same decision.
A bucket missing for a leg (or for the price series) between two held buckets is a gap:
`backfill_from` names the earliest, and the poller widens its next window to it.
Plain Python: no Textual, no HTTP.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Generic, NamedTuple, TypeVar

from hedgeflow_tui.api.model import (
    LEGS,
    NO_EXTRAS,
    FlowBar,
    HedgeFlowResponse,
    Leg,
    Response,
    SeriesBar,
    SeriesExtras,
    SeriesResponse,
    StrikeFlowResponse,
)
from hedgeflow_tui.engine.strikes import StrikeBook
from hedgeflow_tui.market.bars import bar_delta
from hedgeflow_tui.market.clock import session_bounds

ROUNDING = 1.0  # delta-dollars: cumulatives are whole dollars; a larger difference is a mismatch


@dataclass(frozen=True, slots=True)
class Row:
    """One bucket as the screens and headless lines show it. None = not known (never 0)."""

    t: datetime
    calls: float | None
    puts: float | None
    all: float | None
    cum_calls: float | None
    cum_puts: float | None
    cum_all: float | None
    spot: float | None
    net_gex: float | None = None  # dealers' net GEX at the bucket, from the series endpoint
    gamma_flip: float | None = None  # the gamma flip level at the bucket (None: none or unknown)
    call_wall: float | None = None  # the walls at the bucket, from the series endpoint
    put_wall: float | None = None
    extras: SeriesExtras = NO_EXTRAS  # the series' other metrics at the bucket


@dataclass(frozen=True, slots=True)
class Regime:
    """The latest regime metrics from the series endpoint."""

    t: datetime
    spot: float | None
    gamma_flip: float | None
    call_wall: float | None
    put_wall: float | None
    net_gex: float | None
    regime: str | None
    extras: SeriesExtras = NO_EXTRAS


@dataclass(frozen=True, slots=True)
class Change:
    """What one `Store.apply` changed for one symbol and bar size."""

    symbol: str
    bar_size: str
    rows: tuple[Row, ...]  # new or revised rows, ascending by t
    new_session: bool  # a new expiration replaced the previous session's data
    no_session: bool  # the source answered with empty bars: no 0DTE session now


Observer = Callable[[Change], None]


@dataclass(frozen=True, slots=True)
class FlowMismatch:
    """The first bucket where the series' flow fields disagree with the hedge-flow endpoint."""

    t: datetime
    leg: Leg
    hedge_flow: float  # the hedge-flow endpoint's cumulative
    series: float  # the series endpoint's cumulative


@dataclass(frozen=True, slots=True)
class SessionView:
    """A read-only picture of one symbol and bar size."""

    symbol: str
    bar_size: str
    expiration: date | None
    as_of: datetime | None
    rows: tuple[Row, ...]  # ascending by t
    regime: Regime | None  # from the newest price-series bucket
    no_session: bool  # "no 0DTE session now", and no bars held
    backfill_from: datetime | None  # earliest bucket of a gap, None when continuous
    last_t: datetime | None  # newest bucket held
    flow_gap_from: datetime | None = None  # earliest bucket lacking a leg's cumulative
    mismatch: FlowMismatch | None = None  # series flow disagreed: only hedge-flow is used


B = TypeVar("B", FlowBar, SeriesBar)


class _Held(NamedTuple, Generic[B]):
    """One bucket's winning value and what it won on: the newest `as_of`, then the rank."""

    as_of: datetime
    rank: tuple[Any, ...]
    bar: B


def _flow_rank(bar: FlowBar) -> tuple[Any, ...]:
    return (bar.cumulative is not None, bar.cumulative or 0.0, bar.bar is not None, bar.bar or 0.0)


def _series_rank(bar: SeriesBar) -> tuple[Any, ...]:
    levels = (
        bar.spot,
        bar.net_gex,
        bar.gamma_flip,
        bar.call_wall,
        bar.put_wall,
        bar.cum_calls,
        bar.cum_puts,
    )
    return (*((value is not None, value or 0.0) for value in levels), bar.regime or "")


@dataclass
class _GapScan:
    """The earliest bucket failing a test, found incrementally: a scan starts where the session
    was last known whole, so a poll looks at one or two buckets, not the whole session."""

    whole_until: datetime | None = None  # every bucket up to here passed
    gap: datetime | None = None  # the earliest bucket after `whole_until` that failed, once found

    def recheck_from(self, t: datetime, step: timedelta) -> None:
        """Bucket `t` changed: what was known of it and every later bucket is void."""
        if self.whole_until is not None and t <= self.whole_until:
            self.whole_until = t - step
        if self.gap is not None and t <= self.gap:
            self.gap = None

    def find(
        self, first: datetime, last: datetime, step: timedelta, lacks: Callable[[datetime], bool]
    ) -> datetime | None:
        """The earliest bucket from `first` to `last` for which `lacks` holds; None if none."""
        if self.gap is not None:
            return self.gap
        t = first if self.whole_until is None else max(first, self.whole_until + step)
        while t <= last:
            if lacks(t):
                self.gap, self.whole_until = t, t - step
                return t
            t += step
        self.whole_until = last
        return None


@dataclass
class _Session:
    """Everything held for one (symbol, bar_size).

    Kept incrementally, so a poll costs the same early and late in the session: the sorted
    bucket times (a new bucket is nearly always the last), the price series' first and last
    bucket, and the two gap scans (anything missing; a leg's flow missing), each knowing how far
    the session is whole, which only a changed bucket at or before that can move back."""

    symbol: str
    bar_size: str
    expiration: date | None = None
    as_of: datetime | None = None
    said_empty: bool = False
    legs: dict[Leg, dict[datetime, _Held[FlowBar]]] = field(
        default_factory=lambda: {leg: {} for leg in LEGS}
    )
    series_legs: dict[Leg, dict[datetime, _Held[FlowBar]]] = field(
        default_factory=lambda: {leg: {} for leg in LEGS}
    )  # the series' flow fields, as flow bars without `bar`
    prices: dict[datetime, _Held[SeriesBar]] = field(default_factory=dict)
    mismatch: FlowMismatch | None = None
    times: list[datetime] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    view: SessionView | None = None
    priced: tuple[datetime, datetime] | None = None  # first and last bucket of the price series
    _gaps: _GapScan = field(default_factory=_GapScan)  # any series missing
    _flow_gaps: _GapScan = field(default_factory=_GapScan)  # a leg's flow missing
    step: timedelta = field(init=False)  # one bucket

    def __post_init__(self) -> None:
        self.step = bar_delta(self.bar_size)

    def holds_bars(self) -> bool:
        return bool(self.times)

    def merge(self, response: HedgeFlowResponse | SeriesResponse) -> datetime | None:
        """Merge one answer; return the earliest bucket whose stored value changed."""
        if response.as_of is not None and (self.as_of is None or response.as_of > self.as_of):
            self.as_of = response.as_of
        if not response.bars:
            self.said_empty = True
        bars = self._closed(response)
        if isinstance(response, HedgeFlowResponse):
            leg = response.side
            if leg == "all":  # never held: `all` is always calls + puts (`apply` passes none)
                return None
            held: dict = self.legs[leg]
            earliest = _merge_into(held, response.as_of, bars, _flow_rank, self._add)
        else:
            earliest = _merge_into(self.prices, response.as_of, bars, _series_rank, self._add_price)
            for leg in LEGS:
                flows = [
                    FlowBar(bar.t, None, getattr(bar, f"cum_{leg}"))
                    for bar in bars
                    if getattr(bar, f"cum_{leg}") is not None
                ]
                changed = _merge_into(
                    self.series_legs[leg], response.as_of, flows, _flow_rank, self._add
                )
                earliest = _earliest(earliest, changed)
        if self.mismatch is None and self._cross_check(bar.t for bar in bars):
            earliest = _earliest(self.times[0] if self.times else None, earliest)
        if earliest is not None:
            self._recheck_from(earliest)
        return earliest

    def _closed(self, response: HedgeFlowResponse | SeriesResponse) -> Sequence[Any]:
        """The answer's bars of buckets closed by its `as_of`. Whether the bucket still open is
        served is not documented; if it is, its partial values are set aside: never held as a
        closed bar (the detector scores only what is held), never compared across endpoints,
        and the bucket is taken from a later answer once it has closed."""
        bars = response.bars
        if bars and bars[-1].t + self.step > response.as_of:
            return [bar for bar in bars if bar.t + self.step <= response.as_of]
        return bars

    def _cross_check(self, buckets: Iterable[datetime]) -> bool:
        """Compare both sources' cumulatives on these buckets; True on a first mismatch."""
        for t in sorted(set(buckets)):
            for leg in LEGS:
                held, series = self.legs[leg].get(t), self.series_legs[leg].get(t)
                if held is None or series is None:
                    continue
                a, b = held.bar.cumulative, series.bar.cumulative
                if a is not None and b is not None and abs(a - b) > ROUNDING:
                    self.mismatch = FlowMismatch(t, leg, a, b)
                    return True
        return False

    def cumulative(self, leg: Leg, t: datetime) -> float | None:
        """The leg's cumulative at bucket t: the hedge-flow endpoint's, else the series'."""
        held = self.legs[leg].get(t)
        if held is not None and held.bar.cumulative is not None:
            return held.bar.cumulative
        if self.mismatch is None:
            series = self.series_legs[leg].get(t)
            if series is not None:
                return series.bar.cumulative
        return None

    def _add(self, t: datetime) -> None:
        """A bucket new to one series: a new bucket of the session unless another holds it."""
        if t in self.prices or t in self.legs["calls"] or t in self.legs["puts"]:
            return
        if not self.times or t > self.times[-1]:
            self.times.append(t)
        else:
            insort(self.times, t)

    def _add_price(self, t: datetime) -> None:
        self._add(t)
        if self.priced is None:
            self.priced = (t, t)
        elif t > self.priced[1]:
            # the buckets between the previous last price and this one now need a price too
            self._recheck_from(self.priced[1] + self.step)
            self.priced = (self.priced[0], t)
        elif t < self.priced[0]:
            self.priced = (t, self.priced[1])

    def _recheck_from(self, t: datetime) -> None:
        """Bucket `t` changed: whatever was known whole from it on must be checked again."""
        self._gaps.recheck_from(t, self.step)
        self._flow_gaps.recheck_from(t, self.step)

    def rebuild(self, since: datetime) -> list[Row]:
        """Recompute rows from bucket `since` on; return the rows that are new or differ."""
        start = bisect_left(self.times, since)
        old = {row.t: row for row in self.rows[start:]}
        first_bucket = session_bounds(self.expiration)[0] if self.expiration else None
        fresh = [self._row(t, first_bucket) for t in self.times[start:]]
        self.rows[start:] = fresh
        return [row for row in fresh if old.get(row.t) != row]

    def _row(self, t: datetime, first_bucket: datetime | None) -> Row:
        calls, cum_calls = self._leg("calls", t, first_bucket)
        puts, cum_puts = self._leg("puts", t, first_bucket)
        price = self.prices.get(t)
        return Row(
            t=t,
            calls=calls,
            puts=puts,
            all=calls + puts if calls is not None and puts is not None else None,
            cum_calls=cum_calls,
            cum_puts=cum_puts,
            cum_all=cum_calls + cum_puts
            if cum_calls is not None and cum_puts is not None
            else None,
            spot=price.bar.spot if price else None,
            net_gex=price.bar.net_gex if price else None,
            gamma_flip=price.bar.gamma_flip if price else None,
            call_wall=price.bar.call_wall if price else None,
            put_wall=price.bar.put_wall if price else None,
            extras=price.bar.extras if price else NO_EXTRAS,
        )

    def _leg(
        self, leg: Leg, t: datetime, first_bucket: datetime | None
    ) -> tuple[float | None, float | None]:
        """(flow, cumulative) of one leg in bucket `t`."""
        held = self.legs[leg].get(t)
        cumulative = self.cumulative(leg, t)
        if cumulative is not None and t == first_bucket:
            return cumulative, cumulative
        previous_cum = self.cumulative(leg, t - self.step)
        if cumulative is not None and previous_cum is not None:
            return cumulative - previous_cum, cumulative
        return (held.bar.bar if held else None), cumulative

    def gap_start(self) -> datetime | None:
        """The earliest bucket a leg lacks between the first and the last bucket held, or the
        price series lacks between its own first and last (it may trail the legs when thinned)."""
        if not self.times:
            return None
        return self._gaps.find(self.times[0], self.times[-1], self.step, self._lacks)

    def _lacks(self, t: datetime) -> bool:
        if self._lacks_flow(t):
            return True
        priced = self.priced
        return priced is not None and priced[0] <= t <= priced[1] and t not in self.prices

    def _lacks_flow(self, t: datetime) -> bool:
        return any(self.cumulative(leg, t) is None for leg in LEGS)

    def flow_gap_start(self, gap: datetime | None) -> datetime | None:
        """The earliest bucket lacking a leg's cumulative, at or after the earliest gap (a gap
        of the price series alone, which may last, does not make every poll rescan the rest)."""
        if gap is None or not self.times:
            return None
        return self._flow_gaps.find(gap, self.times[-1], self.step, self._lacks_flow)

    def make_view(self) -> SessionView:
        if self.view is None:
            gap = self.gap_start()
            regime = None
            if self.priced is not None:
                newest = self.prices[self.priced[1]].bar
                regime = Regime(
                    t=newest.t,
                    spot=newest.spot,
                    gamma_flip=newest.gamma_flip,
                    call_wall=newest.call_wall,
                    put_wall=newest.put_wall,
                    net_gex=newest.net_gex,
                    regime=newest.regime,
                    extras=newest.extras,
                )
            self.view = SessionView(
                symbol=self.symbol,
                bar_size=self.bar_size,
                expiration=self.expiration,
                as_of=self.as_of,
                rows=tuple(self.rows),
                regime=regime,
                no_session=self.said_empty and not self.holds_bars(),
                backfill_from=gap,
                last_t=self.times[-1] if self.times else None,
                flow_gap_from=self.flow_gap_start(gap),
                mismatch=self.mismatch,
            )
        return self.view


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _merge_into(
    held: dict[datetime, _Held[B]],
    as_of: datetime,
    bars: Iterable[B],
    rank: Callable[[B], tuple[Any, ...]],
    on_new: Callable[[datetime], None],
) -> datetime | None:
    """Merge `bars` into `held` by the merge rule; `on_new(t)` before a bucket new to `held`."""
    earliest = None
    for bar in bars:
        candidate = _Held(as_of, rank(bar), bar)
        current = held.get(bar.t)
        if current is None:
            on_new(bar.t)
        if current is None or candidate[:2] > current[:2]:
            if current is None or current.bar != bar:
                earliest = bar.t if earliest is None or bar.t < earliest else earliest
            held[bar.t] = candidate
    return earliest


class Store:
    """Holds every session; `apply` merges one poll's answers and tells observers what changed."""

    def __init__(self) -> None:
        self._sessions: dict[tuple[str, str], _Session] = {}
        self._observers: list[Observer] = []
        self.strikes = StrikeBook()  # the Alpha plan's per-strike flow, kept apart

    def subscribe(self, observer: Observer) -> Callable[[], None]:
        self._observers.append(observer)
        return lambda: self._observers.remove(observer) if observer in self._observers else None

    def session(self, symbol: str, bar_size: str) -> SessionView | None:
        held = self._sessions.get((symbol, bar_size))
        return held.make_view() if held is not None else None

    def symbols_with_bars(self, expiration: date) -> set[str]:
        """The symbols holding bars of the session expiring on this day (any bar size)."""
        return {
            key[0]
            for key, held in self._sessions.items()
            if held.expiration == expiration and held.holds_bars()
        }

    def clear(self, symbol: str | None = None, bar_size: str | None = None) -> None:
        for key in [
            k for k in self._sessions if symbol in (None, k[0]) and bar_size in (None, k[1])
        ]:
            del self._sessions[key]
        if symbol is None and bar_size is None:
            self.strikes.clear()

    def apply(self, responses: Iterable[Response]) -> Change | None:
        """Merge one batch; notify each observer once per symbol and bar size that changed."""
        touched: dict[tuple[str, str], list[HedgeFlowResponse | SeriesResponse]] = {}
        for response in responses:
            if isinstance(response, StrikeFlowResponse):
                self.strikes.merge(response)  # shown with the poll's other answers' change
                continue
            if isinstance(response, HedgeFlowResponse) and response.side not in LEGS:
                continue
            if not isinstance(response, (HedgeFlowResponse, SeriesResponse)):
                continue
            touched.setdefault((response.symbol, response.bar_size), []).append(response)
        last_change = None
        for key, answers in touched.items():
            change = self._apply_to(key, answers)
            if change is not None:
                last_change = change
                for observer in list(self._observers):
                    observer(change)
        return last_change

    def _apply_to(
        self, key: tuple[str, str], answers: list[HedgeFlowResponse | SeriesResponse]
    ) -> Change | None:
        held = self._sessions.get(key)
        before_no_session = held.make_view().no_session if held else False
        new_session = False
        # The newest expiration in the batch decides; older sessions' answers are dropped.
        expirations = [a.expiration for a in answers if a.expiration is not None]
        newest = max(expirations, default=None)
        if held is None or (
            newest is not None and held.expiration is not None and newest > held.expiration
        ):
            new_session = held is not None
            held = self._sessions[key] = _Session(*key)
        if held.expiration is None:
            held.expiration = newest
        earliest: datetime | None = None
        for answer in answers:
            if answer.expiration is not None and answer.expiration != held.expiration:
                continue
            changed = held.merge(answer)
            if changed is not None and (earliest is None or changed < earliest):
                earliest = changed
        rows: list[Row] = []
        if earliest is not None:
            # the bucket after a changed one derives its flow from it: rebuild from there on
            rows = held.rebuild(earliest)
        held.view = None
        no_session = held.make_view().no_session
        if not rows and not new_session and no_session == before_no_session:
            return None
        return Change(
            symbol=key[0],
            bar_size=key[1],
            rows=tuple(rows),
            new_session=new_session,
            no_session=no_session,
        )
