"""Today against its past on the chart: the median past session's cumulative and the previous
session's, from a history of 30 simulated sessions; hidden (and said so) with fewer than 5."""

from __future__ import annotations

from datetime import timedelta
from statistics import median

import pytest
from dashboard import run_dashboard
from test_gauge import DAY, make_app, until
from textual_parts import record_notifications

from hedgeflow_tui.analysis.past_curves import MIN_SESSIONS, PastCurves, TooFew, read_past_curves
from hedgeflow_tui.market.clock import session_bounds
from hedgeflow_tui.storage.history import History, history_path, market_of
from hedgeflow_tui.ui.chart.canvas import MEDIAN_GLYPH, YESTERDAY_GLYPH
from hedgeflow_tui.ui.widgets import FlowChart

pytestmark = pytest.mark.xdist_group("past_sessions")  # one worker builds the templates
SEED = 5
MARKET = market_of("SIMULATED", SEED)


def test_the_curves_are_the_median_and_the_newest_of_thirty_sessions(past_sessions):
    past_sessions(SEED, DAY, 30)
    history = History.open(history_path(), write=False)
    curves = read_past_curves(history, "SPY", "1m", MARKET, DAY)
    assert isinstance(curves, PastCurves) and curves.sessions == 30
    assert len(curves.times) == 390 and curves.times[0] == session_bounds(DAY)[0]
    newest = history.past_days("SPY", "1m", MARKET, DAY, 1)[0][1]
    assert curves.yesterday_day == newest and newest < DAY
    for minute in (0, 45, 200, 389):  # against the gauge's own reading of the same time
        points = history.same_time("SPY", "1m", MARKET, DAY, timedelta(minutes=minute), 30)
        values = [p.cum_all for p in points if p.cum_all is not None]
        assert len(values) == 30
        assert curves.median[minute] == pytest.approx(median(values))
        assert curves.yesterday[minute] == points[0].cum_all
    history.close()


def test_fewer_than_five_sessions_make_no_curves(past_sessions):
    past_sessions(SEED, DAY, MIN_SESSIONS - 1)
    history = History.open(history_path(), write=False)
    assert read_past_curves(history, "SPY", "1m", MARKET, DAY) == TooFew(MIN_SESSIONS - 1)
    history.close()


def past_lines(app) -> dict[str, tuple[float | None, ...]]:
    data = app.query_one(FlowChart).data
    return {line.name: line.values for line in data.past} if data is not None else {}


async def test_c_draws_the_past_curves_faint_and_labelled_and_hides_them(past_sessions):
    past_sessions(SEED, DAY, 30)
    app = make_app()
    async with run_dashboard(app, size=(140, 40)) as pilot:
        await until(pilot, lambda: app.query_one(FlowChart).data is not None)
        assert past_lines(app) == {}
        await pilot.press("c")
        await until(pilot, lambda: bool(past_lines(app)))
        lines = past_lines(app)
        data = app.query_one(FlowChart).data
        assert data is not None
        history = History.open(history_path(), write=False)
        curves = read_past_curves(history, "SPY", "1m", MARKET, DAY)
        history.close()
        assert isinstance(curves, PastCurves)
        day = curves.yesterday_day.strftime("%m-%d")
        assert set(lines) == {"median 30d", day}
        at = {t: i for i, t in enumerate(curves.times)}
        assert lines["median 30d"] == tuple(curves.median[at[t]] for t in data.times)
        assert lines[day] == tuple(curves.yesterday[at[t]] for t in data.times)
        text = app.query_one(FlowChart).picture().text()
        legend = text.splitlines()[0]
        assert (
            f"{MEDIAN_GLYPH * 2} median 30d" in legend and f"{YESTERDAY_GLYPH * 2} {day}" in legend
        )
        assert MEDIAN_GLYPH in "".join(text.splitlines()[1:])  # drawn in the plot
        await pilot.press("w")  # a rolling window is no session's cumulative: not drawn
        await pilot.pause()
        assert past_lines(app) == {}
        await pilot.press("w", "w", "w", "w")  # back to the cumulative
        await pilot.pause()
        assert past_lines(app)
        await pilot.press("c")
        await pilot.pause()
        assert past_lines(app) == {}


async def test_with_fewer_than_five_sessions_c_says_so_and_draws_nothing(
    past_sessions, monkeypatch
):
    past_sessions(SEED, DAY, MIN_SESSIONS - 1)
    app = make_app()
    notes = record_notifications(app, monkeypatch)
    async with run_dashboard(app, size=(140, 40)) as pilot:
        await until(pilot, lambda: app.query_one(FlowChart).data is not None)
        await pilot.press("c")
        await pilot.pause()
        said = [m for m, kw in notes if kw.get("title") == "past sessions"]
        assert said == ["the past curves need 5 stored sessions (1m bars): SPY 4 stored"]
        assert past_lines(app) == {}


async def test_without_a_history_c_says_there_is_none(monkeypatch):
    app = make_app(history=False)
    notes: list[str] = []
    monkeypatch.setattr(app, "notify", lambda message, **kw: notes.append(message))
    async with run_dashboard(app, size=(140, 40)) as pilot:
        await until(pilot, lambda: app.query_one(FlowChart).data is not None)
        await pilot.press("c")
        await pilot.pause()
        assert any("no session history" in note for note in notes)
        assert not app.past_shown and past_lines(app) == {}
