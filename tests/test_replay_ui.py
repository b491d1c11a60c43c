"""Replay through the dashboard: the REPLAY badge, its keys, and alerts as they fired live."""

from __future__ import annotations

import asyncio
import io
import itertools
from datetime import date
from pathlib import Path

import pytest
from dashboard import run_dashboard
from stepped_clock import stepped_clock
from textual.widgets import Input
from textual_parts import footer_keys, footer_labels

from hedgeflow_tui.config.settings import Settings
from hedgeflow_tui.engine.sources import open_source
from hedgeflow_tui.output.headless import run_headless
from hedgeflow_tui.storage.recording.index import RecordingIndex
from hedgeflow_tui.ui.replay_app import ReplayApp
from hedgeflow_tui.ui.screens.help import HelpScreen
from hedgeflow_tui.ui.widgets import AlertLog, FlowChart, StatusBar

DAY = date(2026, 6, 12)
pytestmark = pytest.mark.xdist_group("replay_ui")  # one worker: the session recorded once


@pytest.fixture(scope="module")
def recorded_session(tmp_path_factory) -> tuple[Path, int]:
    """A session recorded once for the module's tests (they only read it), and the number of
    alerts the live run printed. Module fixtures come before each test's own data dir and
    config (conftest), so this one sets its own."""
    folder = tmp_path_factory.mktemp("replay")
    path = folder / "session.jsonl"
    settings = Settings(
        symbols=["SPY"],
        bar="1m",
        headless=True,
        seed=1,  # SPY: an upside squeeze confirms at 15:10 ET and ends at 15:25
        date=DAY.isoformat(),
        start="15:20",
        record=path,
        history=False,
    )
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as env:
        env.delenv("FLASHALPHA_API_KEY", raising=False)
        env.setenv("HEDGEFLOW_CONFIG", str(folder / "no-config.toml"))
        env.setenv("HEDGEFLOW_DATA_DIR", str(folder / "data"))
        source = open_source(settings, clock=stepped_clock(DAY, "15:20"))
        assert asyncio.run(run_headless(settings, source, out)) == 0
    alerts = [line for line in out.getvalue().splitlines() if '"type":"alert"' in line]
    return path, len(alerts)


@pytest.fixture
def recording(recorded_session):
    path, alerts = recorded_session
    with RecordingIndex(path) as index:
        yield index, alerts


def rows(app) -> int:
    data = app.query_one(FlowChart).data
    return len(data.all) if data else 0


async def test_replay_keys(recording):
    recorded, _ = recording
    app = ReplayApp(Settings(symbols=["SPY"], speed=1e6), recorded)
    async with run_dashboard(app, size=(120, 40)) as pilot:
        await pilot.press("space")  # pause
        driver = app.driver
        assert not driver.playing
        await pilot.press("home")
        assert driver.position == 0 and rows(app) == 0
        await pilot.pause()
        assert "Press space to play, or → to step" in str(app.query_one("#state-panel").render())
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
        await pilot.press("minus")  # from the command line's 1e6x to the round steps
        assert driver.speed == 64
        await pilot.press("minus")
        assert driver.speed == 32
        await pilot.press("plus")
        assert driver.speed == 64
        assert "REPLAY" in str(app.query_one(StatusBar).render())
        assert "space" in app.active_bindings
        assert "b" not in {key.key for key in footer_keys(app)}  # one bar size: no footer key
        await pilot.press("b")  # ... and the key says why
        assert any("holds 1m bars only" in str(n.message) for n in app._notifications)
        await pilot.press("question_mark")  # the replay's own help (tests/test_help.py)
        assert isinstance(app.screen, HelpScreen) and "· replay" in app.screen.text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_the_command_palette_keeps_the_replay_keys_for_its_input(recording):
    recorded, _ = recording
    app = ReplayApp(Settings(symbols=["SPY"], speed=1e6), recorded)
    async with run_dashboard(app, size=(120, 40)) as pilot:
        await pilot.press("space", "home")  # paused at the start
        await pilot.press("ctrl+p", *"step")
        await pilot.pause()
        await pilot.press("left", "right", "home", "end", "space")
        await pilot.pause()
        assert app.screen.query_one(Input).value == "step "
        assert app.driver.position == 0 and not app.driver.playing
        await pilot.press("escape", "right")  # back on the dashboard, the arrows step again
        assert app.driver.position == 1


async def test_alerts_fire_in_replay_as_they_fired_live(recording):
    recorded, live_alerts = recording
    assert live_alerts > 0
    app = ReplayApp(Settings(symbols=["SPY"], speed=1e6), recorded)
    async with run_dashboard(app) as pilot:
        waited = 0.0
        while not app.driver.at_end and waited < 20:
            await pilot.pause(0.05)
            waited += 0.05
        await pilot.pause()
        assert len(app.query_one(AlertLog).alerts) == live_alerts


def footer(app) -> tuple[dict[str, tuple[int, int]], set[str]]:
    """Each footer key and the columns it spans on screen; the words shown (descriptions and
    the labels of grouped keys)."""
    keys = {
        key.key_display: (key.region.x, key.region.right)
        for key in footer_keys(app)
        if key.display and key.region.width
    }
    words = {key.description for key in footer_keys(app)} | {
        str(label.render()) for label in footer_labels(app)
    }
    return keys, words


async def laid_out(pilot) -> tuple[dict[str, tuple[int, int]], set[str]]:
    """The footer once it has been laid out and holds still: it is rebuilt when the keys change
    (the replay starting to play), and a key read mid-rebuild can stand where no key ends up."""
    shown: tuple[dict[str, tuple[int, int]], set[str]] | None = None
    for _ in range(100):
        before, shown = shown, footer(pilot.app)
        if shown[0] and shown == before:
            return shown
        await pilot.pause(0.02)
    raise AssertionError("the footer never showed its keys")


async def test_at_80_columns_every_replay_key_is_in_the_footer_and_speeds_are_round(recording):
    recorded, _ = recording
    app = ReplayApp(Settings(symbols=["SPY"]), recorded)
    async with run_dashboard(app, size=(80, 24)) as pilot:
        keys, words = await laid_out(pilot)
        assert {"space", "←", "→", "home", "end", "+", "-", "q", "?"} <= set(keys), keys
        assert {"Pause", "Step", "Start/End", "Speed", "Quit", "Help"} <= words, words
        spans = sorted(keys.values())
        assert spans[-1][1] <= 80 and all(a[1] <= b[0] for a, b in itertools.pairwise(spans)), keys
        label_ends = {label.region.right for label in footer_labels(app) if label.region.width}
        assert not label_ends & {start for start, _ in spans}  # "Step" never flush against "+"
        await pilot.press("space")
        for _ in range(40):  # the footer is rebuilt when the keys change
            _, words = await laid_out(pilot)
            if "Play" in words:
                break
        assert "Play" in words and "Pause" not in words
        speeds = [app.driver.speed]
        while len(speeds) < 2 or speeds[-1] != speeds[-2]:  # down to the slowest, once more
            await pilot.press("minus")
            speeds.append(app.driver.speed)
        assert speeds[-1] == 0.125 and len(speeds) < 12
        for _ in range(10):  # 1/8x up to 64x, and no faster
            await pilot.press("plus")
            speeds.append(app.driver.speed)
        assert speeds[-2:] == [64.0, 64.0]
        assert set(speeds) == {2.0**k for k in range(-3, 7)}  # 1/8x .. 64x, nothing between


async def test_a_recording_with_two_bar_sizes_replays_both(recording, tmp_path):
    recorded, _ = recording
    path = tmp_path / "five.jsonl"
    settings = Settings(
        symbols=["SPY"],
        bar="5m",
        headless=True,
        seed=5,
        date=DAY.isoformat(),
        start="15:20",
        record=path,
    )
    source = open_source(settings, clock=stepped_clock(DAY, "15:20"))
    assert await run_headless(settings, source, io.StringIO()) == 0
    both = tmp_path / "both.jsonl"  # one file, two headers: as two runs appending to it write
    both.write_bytes(recorded.path.read_bytes() + path.read_bytes())
    app = ReplayApp(Settings(symbols=["SPY"], speed=1e6), RecordingIndex(both))
    async with run_dashboard(app, size=(120, 40)) as pilot:
        await pilot.press("end")
        await pilot.pause()
        assert app.bar_size == "1m" and rows(app) == 390
        assert "also 5m" in str(app.query_one(StatusBar).render())
        await pilot.press("b")
        await pilot.pause()
        assert app.bar_size == "5m" and rows(app) == 78
        await pilot.press("b")
        await pilot.pause()
        assert app.bar_size == "1m" and rows(app) == 390
