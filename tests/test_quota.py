"""The quota planner plans the cheaper cycle first, then thins: cross-checks, then the price
series, then the flow."""

import math
from datetime import UTC, datetime

from hedgeflow_tui.engine.quota import Cycle, QuotaPlanner, polls_left


def planner(symbols, remaining, plan="growth", *, lean=False, check_every=None):
    p = QuotaPlanner()
    for symbol in symbols:
        p.register(symbol, lean=lean, check_every=check_every)
    p.plan, p.limit, p.remaining = plan, 2500, remaining
    return p


def test_full_cadence_when_the_session_fits():
    view = planner(["SPY"], 2500).replan(polls_left_in_session(60))
    assert (view.flow_every, view.series_every, view.projected, view.note) == (1, 1, 1287, "ok")
    assert view.projected == 1170 + 0.1 * 1170  # 3 requests a close, and catch-ups planned


def test_the_price_series_is_slowed_first():
    p = planner(["SPY", "QQQ"], 2000)
    view = p.replan(polls_left_in_session(60))
    assert view.flow_every == 1 and view.series_every > 1
    assert view.projected <= 2000 * 0.95
    assert "price every" in view.note


def test_flow_is_thinned_only_when_the_series_cannot_give_more():
    p = planner(["SPY", "QQQ", "SPX"], 2500)
    view = p.replan(polls_left_in_session(30))
    assert view.series_every == 10 and view.flow_every >= 2
    assert view.projected <= 2500 * 0.95
    assert p.cycle("SPY", 0) == Cycle(series=True, flow=True)
    assert p.cycle("SPY", 1) == Cycle(series=False, flow=False)


def test_unlimited_plan_never_slows():
    p = planner(["SPY", "QQQ", "SPX"], None, plan="alpha")
    view = p.replan(polls_left_in_session(30))
    assert (view.flow_every, view.series_every, view.note) == (1, 1, "unlimited")


def polls_left_in_session(bar_seconds):
    open_ = datetime(2026, 6, 12, 13, 30, tzinfo=UTC)
    close = datetime(2026, 6, 12, 20, 0, tzinfo=UTC)
    return polls_left(open_, close, bar_seconds)


def test_the_lean_cycle_fits_three_symbols_at_30s_with_every_close():
    p = planner(["SPY", "QQQ", "SPX"], 2500, lean=True, check_every=120)
    view = p.replan(polls_left_in_session(30))
    assert view.flow_every == 1 and view.series_every == 1
    assert view.projected <= 2500 * 0.95
    assert view.check_every is None or view.check_every > 120  # catch-ups, cross-checks thinned
    assert not p.catchups and "no catch-up polls" in view.note
    assert p.cycle("SPY", 7) == Cycle(series=True, flow=False)


def test_lean_cross_checks_when_the_quota_allows():
    p = planner(["SPY", "QQQ", "SPX"], 2500, lean=True, check_every=60)
    view = p.replan(polls_left_in_session(60))
    assert (view.flow_every, view.check_every, view.note) == (1, 60, "ok")
    assert view.projected in (1326, 1327)  # 3 x 390 series, 0.1 catch-up each, hourly checks
    assert p.cycle("SPY", 60) == Cycle(series=True, flow=True)
    assert p.cycle("SPY", 61) == Cycle(series=True, flow=False)


def test_lean_thins_whole_closes_only_after_the_cross_checks_are_gone():
    p = planner([f"S{i}" for i in range(8)], 2500, lean=True, check_every=60)
    view = p.replan(polls_left_in_session(30))
    assert view.check_every is None and view.flow_every == 3
    assert view.note == "slowed: one request every 3 bars to fit 2500 left"
    assert p.cycle("S0", 1) == Cycle(series=False, flow=False)


def test_a_symbol_back_on_the_full_cycle_costs_three():
    p = planner(["SPY", "QQQ"], 2500, lean=True)
    p.set_lean("QQQ", False)
    view = p.replan(polls_left_in_session(60))
    assert view.projected == math.ceil(390 * (4 + 0.1 * 4))  # 1 + 3, and catch-ups


def test_catch_ups_go_on_from_the_slack_left_above_a_plan_without_them():
    # 1 symbol at 30s lean: 780 series, no room for the planned 0.1 catch-up per close ...
    p = planner(["SPY"], 830, lean=True)
    p.replan(polls_left_in_session(30))
    assert p.catchup_share == 0 and p.catchups  # ... but > 5 requests spare: catch-ups go on
    p = planner(["SPY"], 826, lean=True)
    p.replan(polls_left_in_session(30))
    assert not p.catchups  # 780 + 1 + 5 > 826 x 0.95 - 2: none
