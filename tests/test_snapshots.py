"""SVG snapshots of the dashboard on the seeded simulator with a frozen clock.

`snap_compare` runs the app itself, so these tests are plain functions. Refresh the baselines
with `pytest tests/test_snapshots.py --snapshot-update` after a deliberate change of the screen.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from dashboard import views_mounted

from hedgeflow_tui.config.settings import Settings
from hedgeflow_tui.engine.sources import open_source
from hedgeflow_tui.market.clock import FrozenClock
from hedgeflow_tui.ui.live_app import LiveApp
from hedgeflow_tui.ui.widgets import FlowChart

SIZE = (120, 40)
# one worker: the simulated past sessions (conftest's templates) and today's sessions are built
# once for these tests and test_gauge's (seed 5 as in test_quiet_session)
pytestmark = pytest.mark.xdist_group("past_sessions")


def app_at(seed: int, at: datetime, symbols=("SPY",), day: str = "2026-06-12") -> LiveApp:
    settings = Settings(symbols=list(symbols), bar="1m", seed=seed, date=day)
    return LiveApp(settings, open_source(settings, clock=FrozenClock(at)))


async def until_ready(pilot) -> None:
    await views_mounted(pilot)
    app = pilot.app
    for _ in range(300):
        if all(s.state != "loading" for s in app.statuses.values()) and (
            any(c.data is not None for c in app.query(FlowChart))
            or all(s.state == "no_session" for s in app.statuses.values())
        ):
            break
        await pilot.pause(0.05)
    await pilot.pause(0.2)


def test_quiet_session(snap_compare, past_sessions):
    past_sessions(5, date(2026, 6, 12))
    app = app_at(5, datetime(2026, 6, 12, 15, 30, 30, tzinfo=UTC))
    assert snap_compare(app, terminal_size=SIZE, run_before=until_ready)


def test_upside_squeeze_confirmed(snap_compare, past_sessions):
    past_sessions(17, date(2026, 6, 12))
    app = app_at(17, datetime(2026, 6, 12, 17, 32, 30, tzinfo=UTC))
    assert snap_compare(app, terminal_size=SIZE, run_before=until_ready)


def test_no_session_panel_at_80x24(snap_compare):
    app = app_at(5, datetime(2026, 6, 13, 16, 0, tzinfo=UTC), day="2026-06-13")
    assert snap_compare(app, terminal_size=(80, 24), run_before=until_ready)


def test_rolling_15m_view_zoomed_to_the_last_2h(snap_compare, past_sessions):
    past_sessions(17, date(2026, 6, 12))
    app = app_at(17, datetime(2026, 6, 12, 17, 32, 30, tzinfo=UTC))

    async def rolling(pilot) -> None:
        await until_ready(pilot)
        await pilot.press("w", "w", "z")
        await pilot.pause(0.1)

    assert snap_compare(app, terminal_size=SIZE, run_before=rolling)


def test_cursor_parked_on_an_alert_bar_with_its_readout(snap_compare, past_sessions):
    past_sessions(17, date(2026, 6, 12))
    app = app_at(17, datetime(2026, 6, 12, 17, 32, 30, tzinfo=UTC))

    async def parked(pilot) -> None:
        await until_ready(pilot)
        await pilot.press(*["left"] * 3)  # 13:29 ET, the bar the squeeze confirmed at
        await pilot.pause(0.1)

    assert snap_compare(app, terminal_size=SIZE, run_before=parked)
