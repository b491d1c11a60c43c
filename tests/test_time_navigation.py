"""Moving through the session under `App.run_test`: `w` rolling windows, `z` zoom, the cursor
(arrows, end/esc, a click) and its readout, in live mode and in replay, at 80x24 and 120x40."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
from dashboard import run_dashboard
from stepped_clock import stepped_clock
from test_app import make_app, until
from textual import events
from textual_parts import toasts

from hedgeflow_tui.config.settings import ConfigError, Settings, load_file
from hedgeflow_tui.engine.sources import open_source
from hedgeflow_tui.engine.store import Row
from hedgeflow_tui.market.clock import session_bounds
from hedgeflow_tui.output.format import et_time
from hedgeflow_tui.output.headless import run_headless
from hedgeflow_tui.storage.recording.index import RecordingIndex
from hedgeflow_tui.ui.chart.canvas import CURSOR_GLYPH, ChartData
from hedgeflow_tui.ui.chart.view import nearest_bucket, rolling_flows
from hedgeflow_tui.ui.replay_app import ReplayApp
from hedgeflow_tui.ui.widgets import CursorReadout, FlowChart, FlowSparkline
from hedgeflow_tui.ui.widgets.alert_log import LABELS

SIZES = [(80, 24), (120, 40)]
OPEN, _ = session_bounds(date(2026, 6, 12))


def chart(app) -> FlowChart:
    return app.query_one(FlowChart)


def shown(app) -> ChartData:
    data = chart(app).data
    assert data is not None and data.x_range is not None
    return data


def x_range(app) -> tuple[datetime, datetime]:
    data = shown(app)
    assert data.x_range is not None
    return data.x_range


def cursor(app) -> datetime:
    assert app.chart_view.cursor is not None
    return app.chart_view.cursor


def held_rows(app) -> tuple[Row, ...]:
    view = app.store.session("SPY", app.bar_size)
    assert view is not None
    return view.rows


def legend(app) -> str:
    return chart(app).picture().text().splitlines()[0]


def readout(app) -> CursorReadout:
    return app.query_one(CursorReadout)


async def ready(pilot) -> None:
    await until(pilot, lambda: (d := chart(pilot.app).data) is not None and len(d.all) > 30)
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
async def test_w_cycles_rolling_windows_of_the_per_bar_flow(size):
    app, _ = make_app()
    async with run_dashboard(app, size=size) as pilot:
        await ready(pilot)
        assert legend(app).startswith("cumulative")
        rows = [r for r in held_rows(app) if r.cum_all is not None]
        for window, minutes in (("5m", 5), ("15m", 15), ("30m", 30), ("1h", 60)):
            await pilot.press("w")
            await pilot.pause()
            assert app.chart_view.window == window
            assert legend(app).startswith(f"rolling {window}"), legend(app)
            expected = rolling_flows(rows, timedelta(minutes=1), timedelta(minutes=minutes), OPEN)
            assert shown(app).all == expected.all
            assert shown(app).calls == expected.calls
        await pilot.press("w")
        await pilot.pause()
        assert app.chart_view.window == "cumulative" and legend(app).startswith("cumulative")


async def test_w_offers_only_windows_longer_than_the_bar():
    app, _ = make_app(bar="15m")
    async with run_dashboard(app, size=(120, 40)) as pilot:
        await until(pilot, lambda: (d := chart(app).data) is not None and len(d.all) > 3)
        seen = []
        for _ in range(3):
            await pilot.press("w")
            seen.append(app.chart_view.window)
        assert seen == ["30m", "1h", "cumulative"]


@pytest.mark.parametrize("size", SIZES)
async def test_z_zooms_the_chart_and_the_sparkline_to_the_last_hours(size):
    app, _ = make_app()
    async with run_dashboard(app, size=size) as pilot:
        await ready(pilot)
        whole = shown(app)
        last_end = whole.times[-1] + whole.bar
        whole_low = min(v for v in whole.all if v is not None)
        for zoom, span in (("2h", 120), ("1h", 60), ("30m", 30)):
            await pilot.press("z")
            await pilot.pause()
            data = shown(app)
            start, end = x_range(app)
            assert (start, end) == (last_end - timedelta(minutes=span), last_end)
            assert all(start < t + data.bar <= end for t in data.times)
            assert len(data.times) == span
            assert f"last {zoom}" in legend(app)
            # the flow axis spans what is shown, not the whole session
            assert min(v for v in data.all if v is not None) >= whole_low
            sparkline = app.query_one(FlowSparkline)
            assert len(sparkline.values) == span
            upper = str(sparkline.render()).splitlines()[0]
            prefix, columns = upper[:15].strip(), len(upper.split("  last")[0]) - 15
            per = 1 if prefix == "per-bar flow" else int(prefix.split("-")[1])
            assert columns * per >= span > (columns - 1) * per  # the whole range, summed to fit
            time_labels = chart(app).picture().text().splitlines()[-1].split()
            assert len(time_labels) >= 2, time_labels  # the axis is labelled at this zoom too
        await pilot.press("z")
        await pilot.pause()
        assert x_range(app)[0] <= OPEN and app.chart_view.zoom == "session"


@pytest.mark.parametrize("size", SIZES)
async def test_arrows_park_a_cursor_with_a_readout_and_end_or_esc_go_back_live(size):
    app, _ = make_app()
    async with run_dashboard(app, size=size) as pilot:
        await ready(pilot)
        assert not readout(app).display
        newest = shown(app).times[-1]
        await pilot.press("left")
        await pilot.pause()
        assert app.chart_view.cursor == newest
        for _ in range(3):
            await pilot.press("left")
        await pilot.press("right")
        await pilot.pause()
        parked = newest - timedelta(minutes=2)
        assert app.chart_view.cursor == parked
        picture = chart(app).picture()
        assert picture.cursor_col is not None
        top, _, bottom, _ = picture.plot
        column = [picture.chars[row][picture.cursor_col] for row in range(top, bottom + 1)]
        assert CURSOR_GLYPH in column  # under the lines, visible between them
        assert picture.chars[bottom + 1][picture.cursor_col] == "┴"  # marked on the time axis
        row = next(r for r in held_rows(app) if r.t == parked)
        text = str(readout(app).render())
        assert readout(app).display
        assert et_time(parked) in text
        assert f"{row.spot:,.2f}" in text
        assert all(leg in text for leg in ("call", "put", "all"))  # "calls" at 120 columns
        assert app.check_action("live_edge", ())  # offered while parked
        await pilot.press("end")
        await pilot.pause()
        assert app.chart_view.cursor is None and not readout(app).display
        await pilot.press("left", "escape")
        await pilot.pause()
        assert app.chart_view.cursor is None and not readout(app).display


async def test_data_keeps_arriving_while_the_cursor_is_parked():
    app, clock = make_app()
    async with run_dashboard(app, size=(120, 40)) as pilot:
        await ready(pilot)
        before = len(shown(app).times)
        await pilot.press("left", "left")
        parked = app.chart_view.cursor
        text = str(readout(app).render())
        clock.advance(180)
        await pilot.press("r")  # poll now: three more bars
        await until(pilot, lambda: len(shown(app).times) >= before + 3)
        assert app.chart_view.cursor == parked
        assert str(readout(app).render()) == text
        assert chart(app).picture().cursor_col is not None


async def test_the_readout_names_an_alert_at_the_parked_bar():
    from test_app import first_squeeze

    app, _ = make_app(at=first_squeeze() + timedelta(minutes=5, seconds=30))
    async with run_dashboard(app, size=(120, 40)) as pilot:
        await ready(pilot)
        await until(pilot, lambda: bool(app.trackers.alerts("SPY")))
        alert = app.trackers.alerts("SPY")[0]
        while app.chart_view.cursor != alert.t:
            await pilot.press("left")
        await pilot.pause()
        arrow = "▲" if alert.direction == "up" else "▼"
        assert f"{arrow} {LABELS[alert.kind]}" in str(readout(app).render())


@pytest.mark.parametrize("size", SIZES)
async def test_a_click_on_the_chart_parks_the_cursor_there(size):
    app, _ = make_app()
    async with run_dashboard(app, size=size) as pilot:
        await ready(pilot)
        picture = chart(app).picture()
        top, left, bottom, right = picture.plot
        col = (left + right) // 2
        await pilot.click(FlowChart, offset=(col, (top + bottom) // 2))
        await pilot.pause()
        assert picture.x_range is not None
        start, end = picture.x_range
        clicked = start + (end - start) * ((col - left) / (right - left))
        data = shown(app)
        assert app.chart_view.cursor == nearest_bucket(data.times, clicked, data.bar)
        assert readout(app).display and chart(app).picture().cursor_col is not None


async def test_views_combine_and_the_cursor_pans_a_zoom():
    app, _ = make_app(level_alerts=False)  # the title in full: no alerts in the legend
    async with run_dashboard(app, size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("w", "w", "z", "z", "z")  # rolling 15m, last 30m
        await pilot.pause()
        assert legend(app).startswith("rolling 15m dealer hedge flow (delta-$, ET) · last 30m")
        for _ in range(45):  # queued together: pilot.press would wait for idle after each
            app.post_message(events.Key("left", None))
        await pilot.pause()
        data = shown(app)
        start, end = x_range(app)
        assert start <= cursor(app) + data.bar <= end  # the range followed the cursor
        assert "15m" in str(readout(app).render())


async def test_the_window_flag_sets_the_first_view():
    app, _ = make_app(window="30m")
    async with run_dashboard(app, size=(120, 40)) as pilot:
        await ready(pilot)
        assert legend(app).startswith("rolling 30m")


async def test_a_new_bar_size_drops_a_window_it_cannot_show():
    app, _ = make_app(bar="1m", window="5m")
    async with run_dashboard(app, size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("b", "b")  # 5m, then 15m bars
        assert app.bar_size == "15m" and app.chart_view.window == "cumulative"


async def test_the_palette_offers_window_zoom_and_cursor():
    app, _ = make_app()
    async with run_dashboard(app, size=(120, 40)) as pilot:
        await ready(pilot)
        names = {command.title for command in app.get_system_commands(app.screen)}
        assert {"Window", "Zoom", "Cursor back", "Cursor forward"} <= names
        await pilot.press("question_mark")
        await pilot.pause()
        await pilot.press("left")  # the help screen keeps the arrows
        assert app.chart_view.cursor is None


async def record(path, bar: str):
    day = date(2026, 6, 12)
    settings = Settings(
        symbols=["SPY"], bar=bar, headless=True, seed=1, date=day.isoformat(), start="15:00"
    )
    settings.record = path
    source = open_source(settings, clock=stepped_clock(day, "15:00"))
    assert await run_headless(settings, source, io.StringIO()) == 0
    return RecordingIndex(path)


@pytest.fixture
async def recording(tmp_path):
    with await record(tmp_path / "session.jsonl", "1m") as index:
        yield index


async def test_replay_moves_the_cursor_with_shift_arrows_and_keeps_its_own_arrows(recording):
    app = ReplayApp(Settings(symbols=["SPY"], speed=1e6, window="15m"), recording)
    async with run_dashboard(app, size=(80, 24)) as pilot:
        await pilot.press("end")  # the recording's end at once, rather than played through
        assert app.driver.at_end
        await pilot.pause()
        assert legend(app).startswith("rolling 15m")
        newest = shown(app).times[-1]
        await pilot.press("shift+left", "shift+left")
        await pilot.pause()
        assert app.chart_view.cursor == newest - timedelta(minutes=1)
        assert readout(app).display
        await pilot.press("left")  # one poll back: the cursor stays where it was parked
        assert app.driver.position == app.driver.total - 1
        assert app.chart_view.cursor == newest - timedelta(minutes=1)
        await pilot.press("end")  # end of the recording, and the cursor back to the edge
        await pilot.pause()
        assert app.chart_view.cursor is None and not readout(app).display
        await pilot.press("z", "shift+left", "escape")
        await pilot.pause()
        assert app.chart_view.zoom == "2h" and app.chart_view.cursor is None


async def test_a_replay_window_no_longer_than_its_bar_falls_back_to_the_cumulative(tmp_path):
    with await record(tmp_path / "five.jsonl", "5m") as recording:
        app = ReplayApp(Settings(symbols=["SPY"], speed=1e6, window="5m"), recording)
        async with run_dashboard(app, size=(80, 24), notifications=True) as pilot:
            await until(pilot, lambda: app.driver.at_end)
            await pilot.pause()
            assert app.chart_view.window == "cumulative" and legend(app).startswith("cumulative")
            assert any("not longer than the 5m bar" in str(toast.render()) for toast in toasts(app))
            await pilot.press("w")
            assert app.chart_view.window == "15m"


async def test_headless_output_is_the_same_with_any_window():
    day = date(2026, 6, 12)
    outputs = []
    for window in ("cumulative", "15m"):
        settings = Settings(
            symbols=["SPY"],
            bar="1m",
            headless=True,
            seed=1,
            date=day.isoformat(),
            start="15:00",
            window=window,
        )
        out = io.StringIO()
        source = open_source(settings, clock=stepped_clock(day, "15:00"))
        assert await run_headless(settings, source, out) == 0
        outputs.append(out.getvalue())
    assert outputs[0] == outputs[1] and '"type":"bar"' in outputs[0]


def test_the_config_file_window_is_checked_by_the_flags_rule(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('window = "1h"\n')
    assert load_file(path) == {"window": "1h"}
    path.write_text('window = "2h"\n')
    with pytest.raises(ConfigError, match="window must be one of cumulative, 5m, 15m, 30m, 1h"):
        load_file(path)
