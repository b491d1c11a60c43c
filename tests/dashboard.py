"""Starting the dashboard under `App.run_test`. Its first frame is the chrome alone: the views
are mounted just after it (`DashboardApp.on_ready`) and only then does the mode feed the store,
so a test that reads the views starts from there."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from textual.pilot import Pilot

from hedgeflow_tui.ui.app import DashboardApp


@asynccontextmanager
async def run_dashboard(app: DashboardApp, **options: Any) -> AsyncIterator[Pilot[None]]:
    """`app.run_test(**options)`, entered once the views are mounted."""
    async with app.run_test(**options) as pilot:
        await views_mounted(pilot)
        yield pilot


async def views_mounted(pilot: Pilot[Any]) -> None:
    app = pilot.app
    assert isinstance(app, DashboardApp)
    for _ in range(1000):
        if app.views_ready:
            return
        await pilot.pause(0.01)
    raise AssertionError("the views were never mounted")
