"""Data you can trust: explicit staleness, a robust sparkline scale, honest panels, the day's
summary after the close, and a quota note that never claims "unlimited" too early."""

from __future__ import annotations

import re
import socket
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from dashboard import run_dashboard
from rich.cells import cell_len
from test_app import make_app, panel_text, remote_app, rows, until
from textual.widgets import TabbedContent

from hedgeflow_tui.api.client import LIVE_BASE_URL
from hedgeflow_tui.engine.quota import QuotaPlanner
from hedgeflow_tui.engine.sources import LIVE_HOST
from hedgeflow_tui.engine.store import Row
from hedgeflow_tui.ui.widgets import FlowSparkline, SqueezeBanner, StatusBar
from hedgeflow_tui.ui.widgets.sparkline import robust_scale, summed_columns

BEFORE_SQUEEZE = datetime(2026, 6, 12, 19, 33, 30, tzinfo=UTC)  # seed 5: 15:33 ET


def status_line(app) -> str:
    return str(app.query_one(StatusBar).render())


def banner(app) -> SqueezeBanner:
    return app.query_one(SqueezeBanner)


def tab_label(app, symbol: str = "SPY") -> str:
    return str(app.query_one(TabbedContent).get_tab(f"tab-{symbol}").label)


async def test_stale_data_is_said_in_the_status_banner_and_tab_until_current_again():
    app, clock = make_app(at=BEFORE_SQUEEZE)
    async with run_dashboard(app, size=(120, 40)) as pilot:
        await until(pilot, lambda: rows(app) > 0)
        app.refresh_statuses()
        assert "STALE" not in status_line(app) and "STALE" not in tab_label(app)
        clock.advance(60)  # one bar later: late, not stale
        app.refresh_statuses()
        assert "STALE" not in status_line(app)
        clock.advance(29 * 60)  # the source gone for half an hour
        app.refresh_statuses()
        await pilot.pause()
        line = status_line(app)
        assert re.search(r"STALE 30m \d\ds", line), line
        assert line.rstrip().endswith("last poll ok"), line  # never a bare "ok" beside STALE
        assert banner(app).has_class("-stale")
        assert "STALE since 15:33 ET" in str(banner(app).render())
        assert tab_label(app).endswith("STALE")
        await pilot.press("r")  # the source is back: the gap is back-filled
        await until(pilot, lambda: rows(app) > 363 + 25)
        app.refresh_statuses()
        await pilot.pause()
        assert "STALE" not in status_line(app) and not banner(app).has_class("-stale")
        assert "STALE" not in tab_label(app) and "STALE" not in str(banner(app).render())


@pytest.mark.parametrize("width", [120, 80])
async def test_the_stale_banner_fits_its_line_and_the_overdue_poll_is_not_in_0s(width):
    app, clock = make_app(at=BEFORE_SQUEEZE)
    async with run_dashboard(app, size=(width, 40)) as pilot:
        await until(pilot, lambda: rows(app) > 0)
        clock.advance(21 * 60)  # the source silent since: the poll due at 15:34 never came
        app.refresh_statuses()
        await pilot.pause()
        shown = banner(app)
        text = str(shown.render())
        assert text.startswith("STALE since 15:33 ET (no new bars) · was: "), text
        assert cell_len(text) <= shown.size.width, (text, shown.size.width)
        was = text.split(" · was: ")[1]
        if width == 80:  # the headline only: "No squeeze", "▲ UPSIDE SQUEEZE CONFIRMED"
            assert was and ":" not in was and "·" not in was, text
        else:  # the whole of it
            assert ":" in was, text
        line = status_line(app)
        assert "next poll in 0s" not in line and re.search(r"poll due 15:34:\d\d ET", line), line


async def test_after_the_close_the_banner_sums_up_the_day():
    app, _ = make_app(at=datetime(2026, 6, 12, 20, 10, tzinfo=UTC))  # 16:10 ET
    async with run_dashboard(app, size=(120, 40)) as pilot:
        await until(pilot, lambda: app.statuses["SPY"].state == "closed")
        await until(pilot, lambda: rows(app) > 0)
        app.refresh_statuses()
        await pilot.pause()
        text = str(banner(app).render())
        assert text.startswith("Session closed · net flow ") and "quiet" not in text
        assert re.search(
            r"(call-driven|put-driven|mixed)[^·]* · (no squeeze today|\d+ squeeze)", text
        )
        assert "session needs" not in status_line(app)


async def test_on_a_weekend_at_80x24_the_status_lines_hold_the_next_session():
    app, _ = make_app(at=datetime(2026, 6, 13, 16, 0, tzinfo=UTC), date="2026-06-13")  # Sat
    async with run_dashboard(app, size=(80, 24)) as pilot:
        await until(pilot, lambda: app.statuses["SPY"].state == "no_session")
        app.refresh_statuses()
        await pilot.pause()
        line = status_line(app)
        assert line.endswith("next session Mon 2026-06-15 09:30 ET"), line
        assert "SPY no 0DTE today ·" in line and "2026-06-13" not in line, line
        assert cell_len(line) <= 2 * app.query_one(StatusBar).size.width, line
        assert "session needs 0" not in line


async def two_status_rows(size: tuple[int, int]) -> tuple[str, str]:
    """The status line's two rows as drawn in a session, checked to be its whole text broken
    after a field separator."""
    app, _ = make_app()
    async with run_dashboard(app, size=size) as pilot:
        await until(pilot, lambda: rows(app) > 0)
        app.refresh_statuses()
        await pilot.pause()
        bar = app.query_one(StatusBar)
        first, second = (bar.render_line(y).text.rstrip() for y in range(2))
        assert bar.size.height == 2
        assert first.endswith(" ·") and f"{first} {second}" == status_line(app).replace("\n", " ")
        return first, second


@pytest.mark.parametrize("width", [120, 160])
async def test_a_status_on_two_lines_is_broken_between_two_fields(width):
    _, second = await two_status_rows((width, 40))
    assert second.endswith(" · ok"), second  # nothing lost, the connection state last


@pytest.mark.parametrize("width", [80, 100])
async def test_a_narrow_status_line_leaves_out_what_matters_least_never_the_connection(width):
    first, second = await two_status_rows((width, 24))
    assert second.endswith(" · ok"), second  # the connection state, not cut off
    assert "last bar " in first + second and "feed " not in first + second


@pytest.mark.parametrize(
    "day, at, size, expiry",
    [
        ("2026-06-13", datetime(2026, 6, 13, 16, 0, tzinfo=UTC), (120, 40), "no 0DTE today"),
        ("2026-07-03", datetime(2026, 7, 3, 16, 0, tzinfo=UTC), (80, 24), "no 0DTE today"),
        ("2026-07-03", datetime(2026, 7, 3, 16, 0, tzinfo=UTC), (120, 40), "no 0DTE today"),
        ("2026-06-12", datetime(2026, 6, 12, 13, 0, tzinfo=UTC), (80, 24), "0DTE 2026-06-12"),
    ],
    ids=["saturday", "holiday-80x24", "holiday-120x40", "friday-before-the-open"],
)
async def test_the_status_line_names_an_expiry_only_on_a_day_with_a_session(day, at, size, expiry):
    app, _ = make_app(at=at, date=day)
    async with run_dashboard(app, size=size) as pilot:
        await until(pilot, lambda: app.statuses["SPY"].state == "no_session")
        app.refresh_statuses()
        await pilot.pause()
        line = status_line(app)
        assert f" SPY {expiry} · " in line, line  # at 80x24 the bar size gives way (status.py)
        assert (day in line) == (expiry != "no 0DTE today"), line  # no day named as the expiry


async def test_before_the_open_the_simulator_says_how_to_start_elsewhere_in_the_day():
    app, _ = make_app(at=datetime(2026, 6, 12, 13, 0, tzinfo=UTC))  # 09:00 ET, a Friday
    async with run_dashboard(app) as pilot:
        await until(pilot, lambda: app.statuses["SPY"].state == "no_session")
        text = panel_text(app)
        assert "--start" in text and "Wait for the open, or run" not in text
        app.refresh_statuses()
        await pilot.pause()
        line = status_line(app)  # not "0DTE 2026-06-12 ... no 0DTE session right now"
        assert "before the open: the session opens Fri 2026-06-12 09:30 ET" in line, line
        assert "right now" not in line


async def test_an_unreachable_server_is_named_with_the_way_out_and_one_countdown():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = remote_app(f"http://127.0.0.1:{port}")
    async with run_dashboard(app, size=(120, 40)) as pilot:
        await until(pilot, lambda: app.statuses["SPY"].state == "retrying")
        app.refresh_statuses()
        await pilot.pause()
        panel = panel_text(app)
        assert f"Cannot reach 127.0.0.1:{port}" in panel and "--demo" in panel
        countdowns = re.findall(r"retrying in (\d+s)", panel + status_line(app))
        assert len(countdowns) == 2 and countdowns[0] == countdowns[1], countdowns


def test_the_live_api_host_named_in_the_panel_is_the_clients():
    assert urlsplit(LIVE_BASE_URL).netloc == LIVE_HOST


def test_the_quota_is_not_unlimited_before_the_plan_is_known():
    planner = QuotaPlanner()
    planner.register("SPY")
    assert planner.replan(390).note != "unlimited"


# --- sparkline ----------------------------------------------------------------------------------


def row(value: float) -> Row:
    t = datetime(2026, 6, 12, 14, 0, tzinfo=UTC)
    return Row(t, value, 0.0, value, 0.0, 0.0, 0.0, 580.0)


def test_the_scale_is_a_percentile_so_one_spike_does_not_set_it():
    sizes = [10.0] * 30 + [1000.0]
    assert robust_scale(sizes) == 10.0
    assert robust_scale([3.0, 7.0]) == 7.0  # too few bars: the largest
    assert robust_scale([]) == 0.0


async def test_one_spike_is_clipped_and_marked_and_the_rest_keeps_its_shape():
    app, _ = make_app(at=BEFORE_SQUEEZE)
    async with run_dashboard(app, size=(120, 40)) as pilot:
        await until(pilot, lambda: rows(app) > 0)
        sparkline = app.query_one(FlowSparkline)
        values = [1e6 * (1 + (i % 8)) * (1 if i % 3 else -1) for i in range(60)]
        values[30] = 3e9  # one spike
        sparkline.show([row(v) for v in values])
        await pilot.pause()
        upper, lower = str(sparkline.render()).splitlines()
        assert "↑" in upper and "clipped" in lower
        bars = [char for char in upper if char in " ▁▂▃▄▅▆▇█"]
        assert len(set(bars) - {" "}) >= 4  # the ordinary bars still differ in height


def test_a_zoomed_sparkline_sums_neighbouring_bars_and_keeps_gaps():
    assert summed_columns([1.0, 2.0, 3.0, 4.0, 5.0], 2) == [1.0, 5.0, 9.0]  # newest column whole
    assert summed_columns([1.0, None, 3.0, 4.0], 2) == [None, 7.0]  # a missing bar: a gap, not 3.0


async def test_on_a_simulated_holiday_the_panel_names_a_day_it_traded_not_demo_again():
    app, _ = make_app(at=datetime(2026, 11, 26, 16, 0, tzinfo=UTC), date="2026-11-26")
    async with run_dashboard(app) as pilot:
        await until(pilot, lambda: app.statuses["SPY"].state == "no_session")
        text = panel_text(app)
        assert "Thanksgiving Day" in text, text
        assert "--demo --date 2026-11-25" in text and "to watch the simulated market" not in text


@pytest.mark.parametrize("width", [80, 160])
async def test_on_an_early_close_day_the_status_line_says_early_close_1300(width):
    app, _ = make_app(at=datetime(2026, 11, 27, 16, 0, tzinfo=UTC), date="2026-11-27")
    async with run_dashboard(app, size=(width, 30)) as pilot:
        await until(pilot, lambda: rows(app) > 0)
        app.refresh_statuses()
        await pilot.pause()
        assert "early close 13:00" in status_line(app), status_line(app)
