"""The overview: every symbol at a glance (key `o`, the palette, the first screen with 4+
symbols), `enter` opening a symbol's tab; its lines at 80 columns."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from dashboard import run_dashboard
from test_app import make_app, rows, until
from textual.command import CommandList
from textual.widgets import Input, ListView, TabbedContent

from hedgeflow_tui.analysis.detector import QUIET, Signal
from hedgeflow_tui.engine.store import Regime, Row, SessionView
from hedgeflow_tui.ui.palette import palette_for
from hedgeflow_tui.ui.screens.overview import OverviewEntry, OverviewScreen
from hedgeflow_tui.ui.widgets.overview_row import (
    OverviewFacts,
    flip_text,
    overview_lines,
    state_text,
)

COLOURS = palette_for("default", True)
SYMBOLS = ("SPY", "QQQ", "SPX")


def ready(app) -> bool:
    return all(rows(app, symbol) > 0 for symbol in app.symbols if symbol != "AAPL")


async def test_o_shows_every_symbol_and_enter_opens_its_tab():
    app, _ = make_app(symbols=SYMBOLS)
    async with run_dashboard(app, size=(80, 24)) as pilot:
        await until(pilot, lambda: ready(app))
        assert not isinstance(app.screen, OverviewScreen)  # three symbols: the tabs first
        await pilot.press("o")
        assert isinstance(app.screen, OverviewScreen)
        entries = list(app.screen.query(OverviewEntry))
        assert [entry.symbol for entry in entries] == list(SYMBOLS)
        for entry in entries:
            lines = str(entry.render()).splitlines()
            assert len(lines) == 2 and all(len(line) <= 78 for line in lines)
            assert lines[0].startswith(entry.symbol) and " cum " in lines[0]
            assert "calls " in lines[1] and "γ-flip" in lines[1]
        await pilot.press("down", "enter")
        assert not isinstance(app.screen, OverviewScreen)
        assert app.query_one(TabbedContent).active == "tab-QQQ"
        await pilot.press("o")
        assert app.screen.query_one(ListView).index == 1  # the tab shown is the one chosen
        await pilot.press("escape")
        assert not isinstance(app.screen, OverviewScreen)
        await pilot.press("o", "o")  # o goes back too
        assert not isinstance(app.screen, OverviewScreen)


async def test_the_overview_is_the_first_screen_with_four_symbols_and_follows_the_data():
    app, _ = make_app(symbols=(*SYMBOLS, "AAPL"))  # AAPL: not a 0DTE symbol, it stops
    async with run_dashboard(app, size=(120, 40)) as pilot:
        assert isinstance(app.screen, OverviewScreen)
        await until(pilot, lambda: ready(app) and app.statuses["AAPL"].state == "stopped")
        await pilot.pause(0.2)
        entries = {entry.symbol: entry for entry in app.screen.query(OverviewEntry)}
        assert " cum " in str(entries["SPY"].render()) and "—" not in str(entries["SPY"].render())
        assert "stopped" in str(entries["AAPL"].render())
        assert app.check_action("next_symbol", ()) is False  # the tabs' keys wait under it


async def test_the_overview_is_in_the_command_palette():
    app, _ = make_app(symbols=SYMBOLS)
    async with run_dashboard(app, size=(100, 30)) as pilot:
        await until(pilot, lambda: ready(app))
        await pilot.press("ctrl+p")
        await pilot.press(*"Overview")
        await until(pilot, lambda: app.screen.query_one(CommandList).option_count > 0)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, OverviewScreen))
        assert not app.screen.query(Input)


def session(flows: list[float], spot: float = 600.0) -> SessionView:
    start = datetime(2026, 6, 12, 14, 0, tzinfo=UTC)
    held, cum = [], 0.0
    for i, flow in enumerate(flows):
        cum += flow
        held.append(
            Row(
                start + timedelta(minutes=i),
                flow * 0.8,
                flow * 0.2,
                flow,
                cum * 0.8,
                cum * 0.2,
                cum,
                spot,
            )
        )
    return SessionView("SPY", "1m", None, None, tuple(held), None, False, None, held[-1].t)


def test_the_lines_say_state_share_and_staleness():
    view = session([5e6, 6e6, -1e6, 8e6])
    now = view.rows[-1].t + timedelta(minutes=5)
    facts = OverviewFacts("SPY", view, None, None, now - timedelta(minutes=3), now)
    text = overview_lines(facts, 80, COLOURS).plain
    first, second = text.splitlines()
    assert first.startswith("SPY   quiet") and "cum  +18.0M" in first and "last  +8.00M" in first
    assert second.startswith("calls 80% call-driven buying") and "STALE 3m 00s" in second


def test_the_state_reads_as_the_banner():
    building = Signal("building", "up", 5, 1e7, QUIET.attribution, None, False, None, None, False)
    assert state_text(building, COLOURS).plain == "▲ BUILDING"
    reversal = replace(QUIET, direction="down", reversal=True)
    assert state_text(reversal, COLOURS).plain == "▼ REVERSAL"
    assert state_text(replace(building, state="confirmed", direction="down"), COLOURS).plain == (
        "▼ CONFIRMED"
    )
    assert state_text(QUIET, COLOURS).plain == "quiet"


def test_spot_against_the_flip_or_that_it_is_withheld():
    view = session([1e6])
    t = view.rows[-1].t
    above = replace(view, regime=Regime(t, 601.0, 598.0, 605.0, 595.0, 2e8, "positive_gamma"))
    assert flip_text(above) == "spot 601.00 above γ-flip 598.00"
    withheld = replace(view, regime=Regime(t, 601.0, None, 605.0, 595.0, 2e8, "unknown"))
    assert flip_text(withheld) == "spot 601.00 · γ-flip withheld"
