"""The range gauge: today's figures against the same time in past sessions, on the dashboard,
and the demo's past sessions built in the background."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from dashboard import run_dashboard

from hedgeflow_tui.analysis.gauge import GaugeReading, Horizon, read_gauge
from hedgeflow_tui.config.settings import Settings
from hedgeflow_tui.engine.sources import open_source
from hedgeflow_tui.engine.store import Row, SessionView
from hedgeflow_tui.market.clock import FrozenClock
from hedgeflow_tui.storage import demo_history
from hedgeflow_tui.storage.history import History, HistoryFeed
from hedgeflow_tui.ui.live_app import LiveApp
from hedgeflow_tui.ui.widgets import FlowChart, RangeGauge

DAY = date(2026, 6, 12)
AT = datetime(2026, 6, 12, 19, 33, 30, tzinfo=UTC)  # seed 5: 15:32 ET is the last closed bar


def _view(day: date, flows: list[float]) -> SessionView:
    opened = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=13, minutes=30)
    rows, cum = [], 0.0
    for i, flow in enumerate(flows):
        cum += flow
        rows.append(Row(opened + timedelta(minutes=i), flow, 0.0, flow, cum, 0.0, cum, 1.0))
    return SessionView("SPY", "1m", day, None, tuple(rows), None, False, None, rows[-1].t)


def _store_past(history: History, market: str, sessions: list[list[float]]) -> None:
    feed = HistoryFeed(history, market)
    for back, flows in enumerate(sessions, start=1):
        view = _view(DAY - timedelta(days=back), flows)
        feed.record(view, view.rows, [])


def test_percentile_counts_ties_half():
    horizon = Horizon(5, (1.0, 2.0, 3.0, 4.0), 3.0)
    assert horizon.percentile == 62.5
    assert (horizon.low, horizon.high, horizon.median) == (1.0, 4.0, 2.5)
    assert Horizon(5, (1.0,), None).percentile is None


def test_today_against_the_same_time_in_the_last_5_and_30_sessions():
    history = History.open()
    # 40 past sessions; session k (k days back) has bars k, -1, 10k, 999: at the third bar its
    # cumulative is 11k - 1 and its largest bar 10k; the later 999 must not count
    _store_past(history, "live", [[k, -1.0, k * 10.0, 999.0] for k in range(1, 41)])
    _store_past(history, "sim:7", [[1e9, 1e9, 1e9, 1e9]] * 40)  # never mixed in
    today = _view(DAY, [3.0, 1.0, 30.5])  # at its third bar: cumulative 34.5, largest bar 30.5
    reading = read_gauge(history, "SPY", "1m", "live", DAY, today.rows)
    assert reading is not None and reading.stored == 30
    five, thirty = reading.cumulative
    assert sorted(five.past) == [10.0, 21.0, 32.0, 43.0, 54.0]
    assert five.today == 34.5 and five.percentile == 60.0 and five.median == 32.0
    assert len(thirty.past) == 30 and (thirty.low, thirty.high) == (10.0, 329.0)
    assert thirty.percentile == pytest.approx(10.0)
    big_five, big_thirty = reading.largest_bar
    assert sorted(big_five.past) == [10.0, 20.0, 30.0, 40.0, 50.0]
    assert big_five.today == 30.5 and big_five.percentile == 60.0
    assert big_thirty.high == 300.0 and big_thirty.percentile == pytest.approx(10.0)
    history.close()


def test_fewer_than_five_sessions_says_how_many():
    history = History.open()
    _store_past(history, "live", [[1.0, 2.0, 3.0]] * 3)
    reading = read_gauge(history, "SPY", "1m", "live", DAY, _view(DAY, [1.0, 1.0, 1.0]).rows)
    assert reading is not None and reading.stored == 3
    from hedgeflow_tui.ui.widgets.range_gauge import gauge_lines

    lines = [str(line) for line in gauge_lines(reading, 100)]
    assert len(lines) == 4
    assert all("3 past sessions stored: the gauge needs 5" in line for line in lines)
    assert [line.split()[:2] for line in lines[:2]] == [["cumulative", "5d"], ["cumulative", "30d"]]
    history.close()


def test_the_dashboards_gauge_reads_its_past_sessions_once_and_again_when_they_change():
    from hedgeflow_tui.analysis.gauge import GaugeHistory
    from hedgeflow_tui.storage.history import running_peaks

    history = History.open()
    _store_past(history, "live", [[k, -2.0 * k, 1.5, k * 3.0, -1.0, 4.0] for k in range(1, 7)])
    # a session recorded for a while only, with a gap: no point where no bar is within 2 bars
    partial = _view(DAY - timedelta(days=7), [5.0, 1.0, -3.0, 2.0, 8.0, -1.0]).rows
    history.write(
        "SPY", partial[0].t.date(), "1m", "live", running_peaks(partial[:1] + partial[3:4])
    )
    reads: list[tuple] = []
    past_bars = history.past_bars

    def counted(*args, **kwargs):
        reads.append(args)
        return past_bars(*args, **kwargs)

    history.past_bars = counted  # type: ignore[method-assign]
    gauge = GaugeHistory(history)

    def same_as_the_query(day: date, rows: list[Row]) -> GaugeReading | None:
        reading = gauge.reading("SPY", "1m", "live", day, rows)
        assert reading == read_gauge(history, "SPY", "1m", "live", day, rows)
        return reading

    today = list(_view(DAY, [3.0, -1.0, 30.5, -7.0, 2.0, 0.5, 9.0, 1.0]).rows)  # beyond the past
    readings = [same_as_the_query(DAY, today[:end]) for end in range(1, len(today) + 1)]
    assert [r.stored for r in readings if r is not None] == [7] * len(today)
    assert len(reads) == 1  # read once for all those polls
    history.write("SPY", partial[0].t.date(), "1m", "live", running_peaks(partial))  # it grows
    grown = same_as_the_query(DAY, today[:6])
    assert grown != readings[5] and len(reads) == 2
    _store_past(history, "live", [[1.0] * 6] * 8)  # an eighth session (and the others rewritten)
    newer = same_as_the_query(DAY, today[:6])
    assert newer is not None and newer.stored == 8 and len(reads) == 3
    same_as_the_query(DAY, today[:7])
    assert len(reads) == 3
    later = list(_view(DAY, [1.0] * 75).rows)  # today moves past the hour of the day read
    same_as_the_query(DAY, later[:61])
    assert len(reads) == 3
    same_as_the_query(DAY, later)
    assert len(reads) == 4
    before = DAY - timedelta(days=3)  # another day: the sessions before it
    older = same_as_the_query(before, list(_view(before, [1.0, 2.0, 3.0]).rows))
    assert older is not None and older.stored == 5 and len(reads) == 5
    history.close()


def make_app(**overrides) -> LiveApp:
    settings = Settings(symbols=["SPY"], bar="1m", seed=5, date=DAY.isoformat(), **overrides)
    return LiveApp(settings, open_source(settings, clock=FrozenClock(AT)))


async def until(pilot, condition, timeout: float = 30.0) -> None:  # noqa: ASYNC109
    waited = 0.0
    while not condition():
        assert waited < timeout, "condition not reached"
        await pilot.pause(0.05)
        waited += 0.05


def gauge_text(app: LiveApp) -> str:
    return str(app.query_one(RangeGauge).render())


@pytest.mark.xdist_group("past_sessions")  # the template of test_snapshots' quiet session
async def test_the_dashboard_shows_today_against_stored_sessions(past_sessions):
    past_sessions(5, DAY, 5)
    app = make_app()
    async with run_dashboard(app, size=(120, 40)) as pilot:
        gauge = app.query_one(RangeGauge)
        await until(pilot, lambda: "5d" in gauge_text(app) and gauge.size.width > 0)  # laid out
        text = gauge_text(app)
        lines = text.splitlines()
        assert "15:32 ET" in lines[0] and "simulated, seed 5" in lines[0] and "5 stored" in lines[0]
        assert [line.split()[:2] for line in lines[1:]] == [
            ["cumulative", "5d"],
            ["cumulative", "30d"],
            ["largest", "bar"],
            ["largest", "bar"],
        ]
        assert "├" in lines[1] and "┤" in lines[1] and "●" in lines[1] and "med" in lines[1]
        assert "(5 sessions)" in lines[2]  # the 30d line has only 5 of its 30
        await pilot.resize_terminal(80, 40)
        await pilot.pause()
        narrow = gauge_text(app).splitlines()
        assert len(narrow) == 5 and all(len(line) <= 78 for line in narrow[1:])
        assert "med" not in narrow[1] and "●" in narrow[1]  # the median is left to the ┼ mark
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert not app.query_one(RangeGauge).display  # a short terminal keeps the chart's rows


async def test_no_history_hides_the_gauge_and_writes_nothing():
    from hedgeflow_tui.storage.history import history_path

    app = make_app(history=False)
    async with run_dashboard(app, size=(120, 40)) as pilot:
        await until(pilot, lambda: app.query_one(FlowChart).data is not None)
        assert not app.query_one(RangeGauge).display
    assert not history_path().exists()


class NotesBuildStart(LiveApp):
    """Notes the first poll's status and the chart's data when the past starts building."""

    at_build: tuple[str, bool] | None = None

    def _start_building_past(self) -> None:
        self.at_build = (self.statuses["SPY"].state, self.query_one(FlowChart).data is not None)
        super()._start_building_past()


async def test_demo_builds_past_sessions_in_the_background_after_the_first_frame(monkeypatch):
    monkeypatch.setattr(demo_history, "PAST_SESSIONS", 2)
    settings = Settings(symbols=["SPY"], bar="1m", seed=5, date=DAY.isoformat(), start="11:32")
    app = NotesBuildStart(settings)  # as the command line starts it: the app opens the source
    async with run_dashboard(app, size=(120, 40)) as pilot:
        await until(pilot, lambda: app.query_one(FlowChart).data is not None)
        await until(pilot, lambda: app.at_build is not None)
        assert app.at_build == ("ok", True)  # after the first poll, its data on the chart
        assert "0 stored" in gauge_text(app)
        await until(pilot, lambda: "building past sessions" in gauge_text(app))
        await until(pilot, lambda: app.building is None and "2 stored" in gauge_text(app), 120)
        assert "2 past sessions stored: the gauge needs 5" in gauge_text(app)
    history = History.open(write=False)
    stored = history.sessions(market="sim")
    assert {(s.day, s.market) for s in stored} == {
        (date(2026, 6, 11), "sim:5"),
        (date(2026, 6, 10), "sim:5"),
        (DAY, "sim:5"),  # today's own session, as it ran
    }
    assert {s.bar_size for s in stored if s.day != DAY} == {"30s", "1m", "5m", "15m"}
    assert all(s.bars in (780, 390, 78, 26) for s in stored if s.day != DAY)
    # the same sessions the simulator serves for that day
    (june_11,) = [s for s in stored if s.day == date(2026, 6, 11) and s.bar_size == "1m"]
    expected = demo_history.simulated_sessions("SPY", date(2026, 6, 11), 5, "normal")
    assert tuple(history.rows(june_11.id)) == next(s.rows for s in expected if s.bar_size == "1m")
    history.close()


def test_run_context_compares_the_run_with_each_sessions_largest_run_of_its_length():
    from hedgeflow_tui.analysis.detector import NO_ATTRIBUTION, Signal
    from hedgeflow_tui.analysis.run_context import RunHistory, largest_run

    assert largest_run([1.0, 5.0, None, 4.0, -9.0], 2, 1) == 6.0
    assert largest_run([1.0, 5.0, None, 4.0, -9.0], 2, -1) == 5.0  # -(4 - 9)
    history = History.open()
    # session k: a 3-bar run of k each way, among small bars
    _store_past(history, "live", [[1.0, k, k, k, 1.0, -k, -k, -k] for k in range(1, 31)])
    _store_past(history, "sim:7", [[1e12] * 8] * 30)  # never compared with live runs

    def signal(direction: str, bars: int, flow: float) -> Signal:
        state = "confirmed"
        return Signal(state, direction, bars, flow, NO_ATTRIBUTION, None, True, None, None, False)  # type: ignore[arg-type]

    runs = RunHistory(history)
    top = runs.context("SPY", "1m", "live", DAY, signal("up", 3, 95.0))
    assert top is not None and top.text == "largest 3-bar run in 30 sessions"
    mid = runs.context("SPY", "1m", "live", DAY, signal("down", 3, -45.5))
    assert mid is not None and (mid.beaten, mid.sessions) == (15, 30)  # 3k < 45.5 for k <= 15
    assert mid.text == "3-bar run beats 15 of 30 sessions' largest" and mid.percentile == 50.0
    quiet = Signal("quiet", "up", 3, 95.0, NO_ATTRIBUTION, None, True, None, None, False)
    assert runs.context("SPY", "1m", "live", DAY, quiet) is None
    assert runs.context("SPY", "1m", "live", DAY - timedelta(days=27), signal("up", 3, 9.0)) is None
    history.close()
