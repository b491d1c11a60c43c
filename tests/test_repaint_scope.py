"""What the once-a-second status refresh renders: for a line it repaints, Textual's compositor
re-renders every widget whose clip holds that line; the status line sits at the screen's level,
so that is the screen's children, never the symbol's view under the tabs. (Layout passes and
per-frame repaints need Textual's private compositor: `bench/repaint_scope.py` counts them.)"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from dashboard import run_dashboard
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
