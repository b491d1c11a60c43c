"""What the dashboard repaints between polls and on a poll: the once-a-second status refresh
repaints the status line alone, and neither it nor a poll lays the screen out again (each of
those would make Textual redraw every widget on the screen: the idle and per-poll CPU). For a
line it repaints, Textual's compositor re-renders every widget whose clip holds that line: the
status line sits at the screen's level, so that is the screen's children, never the symbol's
view under the tabs."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from dashboard import run_dashboard
from textual._compositor import Compositor
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import TabbedContent

from hedgeflow_tui.config.settings import Settings
from hedgeflow_tui.engine.sources import open_source
from hedgeflow_tui.market.clock import FrozenClock
from hedgeflow_tui.ui.live_app import LiveApp
from hedgeflow_tui.ui.widgets import FlowChart, StatusBar

DAY = date(2026, 6, 12)
MID_SESSION = datetime(2026, 6, 12, 15, 0, 30, tzinfo=UTC)  # 11:00 ET, no alert near


class Repaints:
    """The screen's layout passes and the widgets each frame repaints (Textual's own counts,
    spied on)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.layouts = 0
        self.frames: list[set[str]] = []
        refresh_layout, update_widgets = Screen._refresh_layout, Compositor.update_widgets

        def count_layout(screen: Screen, *args: Any, **kwargs: Any) -> None:
            self.layouts += 1
            refresh_layout(screen, *args, **kwargs)

        def note_widgets(compositor: Compositor, widgets: set) -> None:
            self.frames.append({type(widget).__name__ for widget in widgets})
            update_widgets(compositor, widgets)

        monkeypatch.setattr(Screen, "_refresh_layout", count_layout)
        monkeypatch.setattr(Compositor, "update_widgets", note_widgets)

    def clear(self) -> None:
        self.layouts, self.frames = 0, []


class Renders:
    """The widgets whose lines the compositor asks for (`render_lines`, spied on each widget on
    the screen)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, screen: Screen) -> None:
        self.widgets: list[Widget] = []
        for widget in [screen, *screen.walk_children(Widget)]:
            monkeypatch.setattr(widget, "render_lines", self._spy(widget, widget.render_lines))

    def _spy(self, widget: Widget, render_lines: Any) -> Any:
        def spy(crop: Any) -> Any:
            self.widgets.append(widget)
            return render_lines(crop)

        return spy


async def dashboard(pilot, app: LiveApp) -> None:
    while app.query_one(FlowChart).data is None:
        await pilot.pause(0.05)
    await pilot.pause(0.3)  # the first frames, the gauge and the footer settle


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_status_refresh_repaints_the_status_line_alone(monkeypatch, size) -> None:
    settings = Settings(symbols=["SPY"], bar="1m", seed=23, date=DAY.isoformat(), history=False)
    clock = FrozenClock(MID_SESSION)
    app = LiveApp(settings, open_source(settings, clock=clock))
    async with run_dashboard(app, size=size) as pilot:
        await dashboard(pilot, app)
        repaints = Repaints(monkeypatch)
        for _ in range(3):
            clock.advance(1)  # the ages and the countdown move
            app.refresh_statuses()
            await pilot.pause()
    assert repaints.layouts == 0
    assert repaints.frames == [{"StatusBar"}] * 3


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
@pytest.mark.parametrize("symbols", [["SPY"], ["SPY", "QQQ"]])
async def test_the_status_refresh_renders_nothing_under_the_tabs(monkeypatch, size, symbols):
    settings = Settings(symbols=symbols, bar="1m", seed=23, date=DAY.isoformat(), history=False)
    clock = FrozenClock(MID_SESSION)
    app = LiveApp(settings, open_source(settings, clock=clock))
    async with run_dashboard(app, size=size) as pilot:
        await dashboard(pilot, app)
        renders = Renders(monkeypatch, app.screen)
        for _ in range(3):
            clock.advance(1)
            app.refresh_statuses()
            await pilot.pause()
        tabs = app.query_one(TabbedContent)
        under_tabs = [w for w in renders.widgets if tabs in w.ancestors]
        assert app.query_one(StatusBar) in renders.widgets  # the line changed, and was drawn
    assert not under_tabs, {type(w).__name__ for w in under_tabs}


async def test_a_poll_repaints_without_a_layout_pass(monkeypatch) -> None:
    settings = Settings(symbols=["SPY"], bar="1m", seed=23, date=DAY.isoformat(), history=False)
    clock = FrozenClock(MID_SESSION)
    app = LiveApp(settings, open_source(settings, clock=clock))
    async with run_dashboard(app, size=(120, 40)) as pilot:
        await dashboard(pilot, app)
        shown = app.query_one(FlowChart).data
        alerts = len(app.trackers.alerts("SPY"))
        repaints = Repaints(monkeypatch)
        clock.advance(60)  # the next bar closes
        app.action_refresh()
        while app.query_one(FlowChart).data is shown:
            await pilot.pause(0.05)
        await pilot.pause(0.1)
        assert len(app.trackers.alerts("SPY")) == alerts  # an ordinary poll: no alert (its
        # log line and tab label are laid out)
    assert repaints.layouts == 0
    assert repaints.frames and all("Screen" not in frame for frame in repaints.frames)
