"""Each mode's help screen lists that mode's keys, read from its bindings, and no other mode's."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from dashboard import run_dashboard
from textual.app import App
from textual.binding import Binding

from hedgeflow_tui.config.settings import Settings
from hedgeflow_tui.engine.sources import open_source
from hedgeflow_tui.market.clock import FrozenClock
from hedgeflow_tui.ui.app import DashboardApp
from hedgeflow_tui.ui.live_app import LiveApp
from hedgeflow_tui.ui.replay_app import ReplayApp
from hedgeflow_tui.ui.screens.help import HelpScreen, help_text

MODES: list[type[DashboardApp]] = [LiveApp, ReplayApp]


def keys_of(text: str) -> dict[str, str]:
    """The help's key table: key → what it does."""
    table = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split(" | ")]
        if len(cells) == 2 and cells[0].startswith("`"):
            table[cells[0].strip("`")] = cells[1]
    return table


def mode_help(mode: type[DashboardApp]) -> str:
    return help_text(App(), mode.MODE, mode.BINDINGS, mode.HELP_NOTES)


def shown(mode: type[DashboardApp]) -> dict[str, list[str]]:
    """Each key of the mode as displayed, with what its bindings say they do."""
    keys: dict[str, list[str]] = {}
    for binding in mode.BINDINGS:
        assert isinstance(binding, Binding)
        keys.setdefault(App().get_key_display(binding), []).append(binding.tooltip)
    return keys


@pytest.mark.parametrize("mode", MODES, ids=lambda mode: mode.MODE)
def test_the_help_lists_every_key_of_its_mode_with_what_it_does(mode):
    table = keys_of(mode_help(mode))
    bound = shown(mode)
    assert table.keys() == bound.keys() | {"^p"}  # and the command palette
    for key, tooltips in bound.items():
        assert all(tooltip in table[key] for tooltip in tooltips), key


@pytest.mark.parametrize("mode", MODES, ids=lambda mode: mode.MODE)
def test_the_help_names_no_key_of_the_other_mode(mode):
    (other,) = [m for m in MODES if m is not mode]
    theirs = shown(other).keys() - shown(mode).keys()
    assert theirs, "the modes have keys of their own"
    assert not theirs & keys_of(mode_help(mode)).keys()


def test_each_mode_explains_its_own_status_line():
    live, replay = mode_help(LiveApp), mode_help(ReplayApp)
    assert "hedgeflow-tui · live" in live and "hedgeflow-tui · replay" in replay
    assert "retrying" in live and "rate-limited" in live and "REPLAY" not in live
    assert "poll N/M" in replay and "1/8x .. 64x" in replay and "rate-limited" not in replay


async def test_question_mark_opens_the_live_help_and_escape_closes_it():
    settings = Settings(symbols=["SPY"], bar="1m", seed=23, date=date(2026, 6, 12).isoformat())
    clock = FrozenClock(datetime(2026, 6, 12, 17, 0, tzinfo=UTC))
    app = LiveApp(settings, open_source(settings, clock=clock))
    async with run_dashboard(app) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = app.screen.text  # titled by what runs (the status line's SIMULATED badge)
        assert text.startswith("# hedgeflow-tui · simulated market\n"), text[:60]
        assert "sensitivity now: **normal**" in text
        assert keys_of(text) == keys_of(mode_help(LiveApp))
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
