"""The quota planner thins the price series first, then the flow, to fit what remains."""

from datetime import UTC, datetime

from hedgeflow_tui.quota import QuotaPlanner, polls_left


def planner(symbols, remaining, plan="growth"):
    p = QuotaPlanner()
    for symbol in symbols:
        p.register(symbol)
    p.plan, p.limit, p.remaining = plan, 2500, remaining
    return p


def test_full_cadence_when_the_session_fits():
    view = planner(["SPY"], 2500).replan(polls_left_in_session(60))
    assert (view.flow_every, view.series_every, view.projected, view.note) == (1, 1, 1170, "ok")


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
    assert p.should_fetch(0) == (True, True)
    assert p.should_fetch(1) == (False, False)


def test_unlimited_plan_never_slows():
    p = planner(["SPY", "QQQ", "SPX"], None, plan="alpha")
    view = p.replan(polls_left_in_session(30))
    assert (view.flow_every, view.series_every, view.note) == (1, 1, "unlimited")


def polls_left_in_session(bar_seconds):
    open_ = datetime(2026, 6, 12, 13, 30, tzinfo=UTC)
    close = datetime(2026, 6, 12, 20, 0, tzinfo=UTC)
    return polls_left(open_, close, bar_seconds)
