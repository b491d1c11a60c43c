"""Replay through the dashboard: the REPLAY badge, its keys, and alerts as they fired live."""

from __future__ import annotations

import io
from datetime import date

import pytest
from stepped_clock import stepped_clock

from hedgeflow_tui.config import Settings
from hedgeflow_tui.headless import run_headless
from hedgeflow_tui.record import read_recording
from hedgeflow_tui.sources import open_source
from hedgeflow_tui.ui.replay_app import ReplayApp
from hedgeflow_tui.ui.widgets import AlertLog, FlowChart, StatusBar

DAY = date(2026, 6, 12)


@pytest.fixture
async def recording(tmp_path):
    path = tmp_path / "session.jsonl"
    settings = Settings(
        symbols=["SPY"],
        bar="1m",
        headless=True,
        seed=1,  # SPY: an upside squeeze confirms at 15:10 ET and ends at 15:25
        date=DAY.isoformat(),
        start="15:20",
        record=path,
    )
    out = io.StringIO()
    source = open_source(settings, clock=stepped_clock(DAY, "15:20"))
    assert await run_headless(settings, source, out) == 0
    alerts = [line for line in out.getvalue().splitlines() if '"type":"alert"' in line]
    return read_recording(path), len(alerts)


def rows(app) -> int:
    return len(app.query_one(FlowChart).series.get("all", []))


async def test_replay_keys(recording):
    recorded, _ = recording
    app = ReplayApp(Settings(symbols=["SPY"], speed=1e6), recorded)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("space")  # pause
        driver = app.driver
        assert not driver.playing
        await pilot.press("home")
        assert driver.position == 0 and rows(app) == 0
        await pilot.press("right")
        await pilot.press("right")
        assert driver.position == 2
        await pilot.pause()
        assert rows(app) > 300
        await pilot.press("left")
        assert driver.position == 1
        await pilot.press("end")
        assert driver.position == driver.total
        await pilot.pause()
        assert rows(app) == 390
        speed = driver.speed
        await pilot.press("plus")
        assert driver.speed == speed * 2
        await pilot.press("minus")
        await pilot.press("minus")
        assert driver.speed == speed / 2
        assert "REPLAY" in str(app.query_one(StatusBar).render())
        assert "b" not in app.active_bindings and "space" in app.active_bindings


async def test_alerts_fire_in_replay_as_they_fired_live(recording):
    recorded, live_alerts = recording
    assert live_alerts > 0
    app = ReplayApp(Settings(symbols=["SPY"], speed=1e6), recorded)
    async with app.run_test() as pilot:
        waited = 0.0
        while not app.driver.at_end and waited < 20:
            await pilot.pause(0.05)
            waited += 0.05
        await pilot.pause()
        assert len(app.query_one(AlertLog).alerts) == live_alerts
