"""The store: merge rule, derived flows, sessions, gaps and notifications."""

# mypy: disable-error-code="union-attr"
# (the tests use `store.session(...)` and `apply(...)` results directly: a None there fails the
# test with an AttributeError, which is the assertion; narrowing each first would only add noise)

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from hedgeflow_tui.api.model import (
    FlowBar,
    HedgeFlowResponse,
    Response,
    SeriesBar,
    SeriesResponse,
    Side,
)
from hedgeflow_tui.engine.store import Change, Store, _Session
from hedgeflow_tui.market.clock import session_bounds

DAY = date(2026, 6, 12)
OPEN = session_bounds(DAY)[0]
MINUTE = timedelta(minutes=1)


def at(minute: int) -> datetime:
    return OPEN + minute * MINUTE


def flow(
    side: Side,
    cums: Mapping[int, float | None],
    as_of_minute: float = 100,
    *,
    expiration: date = DAY,
    bars: dict[int, float | None] | None = None,
) -> HedgeFlowResponse:
    """A hedge-flow answer holding the given bucket → cumulative values."""
    items = []
    for minute in sorted(cums):
        bar = (bars or {}).get(minute)
        items.append(FlowBar(t=at(minute), bar=bar, cumulative=cums[minute]))
    return HedgeFlowResponse(
        symbol="SPY",
        expiration=expiration,
        as_of=OPEN + timedelta(minutes=as_of_minute),
        side=side,
        bar_size="1m",
        bars=tuple(items),
    )


def prices(spots: dict[int, float], as_of_minute: float = 100) -> SeriesResponse:
    return SeriesResponse(
        symbol="SPY",
        expiration=DAY,
        as_of=OPEN + timedelta(minutes=as_of_minute),
        bar_size="1m",
        bars=tuple(SeriesBar(t=at(m), spot=s, gamma_flip=s - 1) for m, s in sorted(spots.items())),
    )


def test_flows_come_from_consecutive_cumulatives_and_all_needs_both_legs():
    store = Store()
    store.apply(
        [
            flow("calls", {0: 10.0, 1: 25.0, 2: 22.0}, bars={1: 999.0}),
            flow("puts", {0: -4.0, 1: -6.0}),
            prices({0: 500.0, 2: 501.0}),
        ]
    )
    rows = store.session("SPY", "1m").rows
    assert [r.calls for r in rows] == [10.0, 15.0, -3.0]
    assert [r.puts for r in rows] == [-4.0, -2.0, None]
    assert [r.all for r in rows] == [6.0, 13.0, None]
    assert [r.cum_all for r in rows] == [6.0, 19.0, None]
    assert [r.spot for r in rows] == [500.0, None, 501.0]
    assert store.session("SPY", "1m").regime.spot == 501.0


def test_rows_carry_each_buckets_dealer_gamma_from_the_series():
    store = Store()
    gamma = SeriesResponse(
        symbol="SPY",
        expiration=DAY,
        as_of=at(100),
        bar_size="1m",
        bars=(
            SeriesBar(t=at(0), spot=500.0, net_gex=2e8, gamma_flip=495.0),
            SeriesBar(t=at(1), spot=499.0, net_gex=-5e7, gamma_flip=None),
        ),
    )
    store.apply([flow("calls", {0: 1.0, 1: 2.0, 2: 3.0}), flow("puts", {0: 1.0, 1: 2.0}), gamma])
    rows = store.session("SPY", "1m").rows
    assert [(r.net_gex, r.gamma_flip) for r in rows] == [(2e8, 495.0), (-5e7, None), (None, None)]


def test_the_api_bar_is_used_only_where_the_previous_bucket_is_unknown():
    store = Store()
    store.apply(
        [
            flow("calls", {5: 50.0, 6: 58.0}, bars={5: 7.0, 6: 123.0}),
            flow("puts", {5: 1.0, 6: 2.0}, bars={5: 1.0, 6: 1.0}),
        ]
    )
    rows = store.session("SPY", "1m").rows
    assert [r.calls for r in rows] == [7.0, 8.0]


def test_a_revised_last_bar_wins_by_as_of_not_by_arrival():
    store = Store()
    newer = flow("calls", {0: 10.0, 1: 30.0}, as_of_minute=3)
    older = flow("calls", {0: 10.0, 1: 20.0}, as_of_minute=2)
    store.apply([flow("puts", {0: 0.0, 1: 0.0})])
    store.apply([newer])
    assert store.apply([older]) is None
    assert store.session("SPY", "1m").rows[1].cum_calls == 30.0


def test_one_notification_per_batch_with_the_changed_rows_and_none_for_duplicates():
    store = Store()
    seen: list[Change] = []
    unsubscribe = store.subscribe(seen.append)
    batch: list[Response] = [
        flow("calls", {0: 1.0, 1: 2.0}),
        flow("puts", {0: 1.0, 1: 3.0}),
        prices({0: 5.0}),
    ]
    store.apply(batch)
    assert len(seen) == 1 and [r.t for r in seen[0].rows] == [at(0), at(1)]
    store.apply(batch)
    assert len(seen) == 1
    store.apply([flow("calls", {1: 2.0, 2: 4.0}, as_of_minute=101), flow("puts", {1: 3.0, 2: 3.0})])
    assert len(seen) == 2 and [r.t for r in seen[1].rows] == [at(2)]
    unsubscribe()
    store.apply([flow("calls", {3: 9.0}, as_of_minute=102)])
    assert len(seen) == 2


def test_an_older_expiration_is_ignored_and_a_newer_one_starts_a_new_session():
    store = Store()
    seen: list[Change] = []
    store.subscribe(seen.append)
    store.apply([flow("calls", {0: 1.0}), flow("puts", {0: 1.0})])
    yesterday = DAY - timedelta(days=1)
    assert store.apply([flow("calls", {0: 9.0}, expiration=yesterday)]) is None
    tomorrow = DAY + timedelta(days=1)
    change = store.apply(
        [HedgeFlowResponse("SPY", tomorrow, OPEN + timedelta(days=1), "calls", "1m", ())]
    )
    assert change.new_session and change.no_session
    view = store.session("SPY", "1m")
    assert view.rows == () and view.expiration == tomorrow and view.no_session


def test_empty_bars_mean_no_session_only_while_nothing_is_held():
    store = Store()
    change = store.apply([HedgeFlowResponse("SPY", None, OPEN, "calls", "1m", ())])
    assert change.no_session and store.session("SPY", "1m").no_session
    change = store.apply([flow("calls", {0: 1.0}), flow("puts", {0: 1.0})])
    assert not change.no_session
    store.apply([HedgeFlowResponse("SPY", DAY, OPEN + timedelta(hours=7), "calls", "1m", ())])
    assert not store.session("SPY", "1m").no_session


def test_a_gap_is_reported_until_it_is_back_filled():
    store = Store()
    store.apply(
        [flow("calls", {0: 1.0, 1: 2.0, 4: 5.0}), flow("puts", {0: 1.0, 1: 1.0, 3: 1.0, 4: 1.0})]
    )
    assert store.session("SPY", "1m").backfill_from == at(2)
    store.apply(
        [
            flow("calls", {2: 3.0, 3: 4.0}, as_of_minute=101),
            flow("puts", {2: 1.0}, as_of_minute=101),
        ]
    )
    view = store.session("SPY", "1m")
    assert view.backfill_from is None
    assert [r.calls for r in view.rows] == [1.0, 1.0, 1.0, 1.0, 1.0]


def test_clear_forgets_one_bar_size_and_keeps_the_others():
    store = Store()
    one_minute = flow("calls", {0: 1.0})
    for symbol in ("SPY", "QQQ"):
        for bar_size in ("1m", "5m"):
            store.apply([replace(one_minute, symbol=symbol, bar_size=bar_size)])
    store.clear(bar_size="1m")
    assert store.session("SPY", "1m") is None and store.session("QQQ", "1m") is None
    assert store.session("SPY", "5m") is not None and store.session("QQQ", "5m") is not None
    store.clear("SPY", "5m")
    assert store.session("SPY", "5m") is None and store.session("QQQ", "5m") is not None


# --- the property: any split, duplication and reordering converges to the same series --------


def session_answers(rng: random.Random, buckets: int) -> list[Response]:
    """Overlapping windows of a session polled bucket by bucket, the last bar revised once."""
    cum: dict[Side, float] = {"calls": 0.0, "puts": 0.0}
    truth: dict[Side, dict[int, float]] = {"calls": {}, "puts": {}}
    spots: dict[int, float] = {}
    answers: list[Response] = []
    for minute in range(buckets):
        for leg, held in truth.items():
            cum[leg] += float(rng.randint(-50, 50))
            held[minute] = cum[leg]
        spots[minute] = 500.0 + rng.randint(-20, 20) / 4
        first = max(0, minute - rng.randint(0, 3))
        window = range(first, minute + 1)
        for leg in cum:
            seen = {m: truth[leg][m] for m in window}
            if rng.random() < 0.3:  # a provisional last bar, revised by the next poll
                provisional = dict(seen)
                provisional[minute] += 7.0
                answers.append(flow(leg, provisional, as_of_minute=minute + 0.5))
            answers.append(flow(leg, seen, as_of_minute=minute + 1))
        answers.append(prices({m: spots[m] for m in window}, as_of_minute=minute + 1))
    return answers


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), buckets=st.integers(1, 30), data=st.data())
def test_any_split_duplication_and_order_gives_the_same_series(seed, buckets, data):
    answers = session_answers(random.Random(seed), buckets)
    in_order = Store()
    for answer in answers:
        in_order.apply([answer])
    expected = in_order.session("SPY", "1m").rows

    shuffled = data.draw(st.permutations(answers))
    extra = data.draw(st.lists(st.sampled_from(answers), max_size=10))
    jumbled = list(shuffled) + extra
    cuts = sorted(data.draw(st.lists(st.integers(0, len(jumbled)), max_size=6)))
    other = Store()
    start = 0
    for cut in [*cuts, len(jumbled)]:
        other.apply(jumbled[start:cut])
        start = cut
    assert other.session("SPY", "1m").rows == expected
    assert other.session("SPY", "1m").backfill_from is None
    assert len(expected) == buckets
    assert all(row.all == (row.calls or 0.0) + (row.puts or 0.0) for row in expected)
    assert all(row.calls is not None and row.puts is not None for row in expected)


def test_a_hole_in_the_price_series_is_a_gap_but_a_trailing_price_is_not():
    store = Store()
    legs = [
        flow("calls", {m: float(m) for m in range(5)}),
        flow("puts", dict.fromkeys(range(5), 1.0)),
    ]
    store.apply([*legs, prices({0: 1.0, 1: 1.0})])
    assert store.session("SPY", "1m").backfill_from is None  # price lags the legs: not a gap
    store.apply([prices({4: 2.0}, as_of_minute=101)])
    assert store.session("SPY", "1m").backfill_from == at(2)
    store.apply([prices({2: 2.0, 3: 2.0}, as_of_minute=102)])
    assert store.session("SPY", "1m").backfill_from is None


def series_with_flow(
    cums: dict[int, tuple[float | None, float | None]], as_of_minute: float = 100
) -> SeriesResponse:
    """A series answer carrying (call, put) cumulatives per bucket next to a price."""
    return SeriesResponse(
        symbol="SPY",
        expiration=DAY,
        as_of=OPEN + timedelta(minutes=as_of_minute),
        bar_size="1m",
        bars=tuple(
            SeriesBar(t=at(m), spot=500.0 + m, cum_calls=c, cum_puts=p)
            for m, (c, p) in sorted(cums.items())
        ),
    )


def test_the_series_alone_carries_flow_and_price():
    store = Store()
    store.apply([series_with_flow({0: (10.0, -5.0), 1: (25.0, -9.0), 2: (20.0, -9.0)})])
    view = store.session("SPY", "1m")
    assert [(r.calls, r.puts, r.all, r.spot) for r in view.rows] == [
        (10.0, -5.0, 5.0, 500.0),
        (15.0, -4.0, 11.0, 501.0),
        (-5.0, 0.0, -5.0, 502.0),
    ]
    assert view.backfill_from is None and view.flow_gap_from is None and view.mismatch is None


def test_series_flow_fields_missing_are_a_gap_never_zero():
    store = Store()
    store.apply([series_with_flow({0: (10.0, -5.0), 1: (None, -9.0), 2: (20.0, -9.0)})])
    view = store.session("SPY", "1m")
    assert view.rows[1].calls is None and view.rows[1].cum_calls is None
    assert view.rows[2].calls is None  # its previous cumulative is unknown
    assert view.flow_gap_from == at(1) and view.backfill_from == at(1)
    store.apply([flow("calls", {1: 25.0})])  # the hedge-flow endpoint fills it
    view = store.session("SPY", "1m")
    assert (view.rows[1].calls, view.rows[2].calls) == (15.0, -5.0)
    assert view.flow_gap_from is None


def test_agreeing_sources_are_used_side_by_side():
    store = Store()
    store.apply([flow("calls", {0: 10.0, 1: 25.0}), flow("puts", {0: -5.0, 1: -9.0})])
    store.apply([series_with_flow({1: (25.4, -9.0), 2: (20.0, -9.0)}, as_of_minute=101)])
    view = store.session("SPY", "1m")
    assert view.mismatch is None  # within rounding
    assert [r.cum_calls for r in view.rows] == [10.0, 25.0, 20.0]  # hedge-flow's where it has one


@settings(max_examples=40, deadline=None)
@given(st.randoms(use_true_random=False))
def test_a_disagreement_drops_the_series_flow_whatever_the_order(rng):
    answers: list[Response] = [
        series_with_flow({0: (10.0, -5.0), 1: (25.0, -9.0), 2: (20.0, -9.0)}),
        series_with_flow({2: (20.0, -9.0), 3: (30.0, -8.0)}, as_of_minute=101),
        flow("calls", {2: 70.0, 3: 80.0}, as_of_minute=101),
        flow("puts", {2: -9.0, 3: -8.0}, as_of_minute=101),
    ]
    rng.shuffle(answers)
    store = Store()
    for answer in answers:
        store.apply([answer])
    view = store.session("SPY", "1m")
    assert view.mismatch is not None and view.mismatch.leg == "calls"
    assert (view.mismatch.hedge_flow, view.mismatch.series) == (70.0, 20.0)
    assert [r.cum_calls for r in view.rows] == [None, None, 70.0, 80.0]
    assert [r.cum_puts for r in view.rows] == [None, None, -9.0, -8.0]
    assert view.flow_gap_from == at(0)  # the buckets only the series had are back-filled
    assert [r.spot for r in view.rows] == [500.0, 501.0, 502.0, 503.0]


# --- gaps are kept incrementally: after every merge they equal a full scan of the session ------


def scanned_gap(rows, *, flow_only: bool = False) -> datetime | None:
    """The earliest gap by a full scan of the rows (spots are never None in these answers);
    `flow_only`: the earliest bucket lacking a leg's cumulative."""
    if not rows:
        return None
    by_t = {row.t: row for row in rows}
    priced = [row.t for row in rows if row.spot is not None]
    t = rows[0].t
    while t <= rows[-1].t:
        row = by_t.get(t)
        if row is None or row.cum_calls is None or row.cum_puts is None:
            return t
        if not flow_only and priced and priced[0] <= t <= priced[-1] and row.spot is None:
            return t
        t += MINUTE
    return None


answer_specs = st.lists(
    st.tuples(
        st.sampled_from(["calls", "puts", "price"]),
        st.integers(0, 40),  # first bucket
        st.integers(1, 6),  # buckets
        st.sets(st.integers(0, 5), max_size=2),  # holes in the window
        st.booleans(),  # the last bucket's cumulative unknown
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=150, deadline=None)
@given(specs=answer_specs)
def test_the_gap_after_every_merge_equals_a_full_scan(specs):
    store = Store()
    for as_of, (series, first, count, holes, unknown_last) in enumerate(specs):
        minutes = [first + k for k in range(count) if k not in holes]
        answer: Response
        if series == "price":
            answer = prices({m: 500.0 + m for m in minutes}, as_of_minute=as_of)
        else:
            cums: dict[int, float | None] = {m: float(m) for m in minutes}
            if unknown_last and minutes:
                cums[minutes[-1]] = None
            answer = flow(series, cums, as_of_minute=as_of)
        store.apply([answer])
        view = store.session("SPY", "1m")
        assert view.backfill_from == scanned_gap(view.rows)
        assert view.flow_gap_from == scanned_gap(view.rows, flow_only=True)


def test_a_lasting_price_gap_does_not_make_every_poll_rescan_the_session(monkeypatch):
    """A price bucket that never comes (the API left it out) is a gap for the whole session;
    the search for a flow gap after it must still look at a poll's new buckets only."""
    store = Store()
    store.apply([flow("calls", {0: 0.0}), flow("puts", {0: 0.0}), prices({0: 500.0})])
    looked_at: list[datetime] = []
    lacks_flow = _Session._lacks_flow

    def counted(self: _Session, t: datetime) -> bool:
        looked_at.append(t)
        return lacks_flow(self, t)

    monkeypatch.setattr(_Session, "_lacks_flow", counted)
    for minute in range(1, 300):
        window = {m: float(m) for m in (minute - 1, minute)}
        spots = {m: 500.0 + m for m in window if m != 5}  # bucket 5 never has a price
        store.apply([flow("calls", window), flow("puts", window), prices(spots)])
        view = store.session("SPY", "1m")
        assert view.backfill_from == (at(5) if minute > 5 else None)
        assert view.flow_gap_from is None
    assert len(looked_at) < 6 * 300  # a full rescan per poll would be ~45,000
