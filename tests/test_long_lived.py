"""What the app holds after its first data frame is kept out of the cyclic collector's full
collections, and given back when the app ends."""

from __future__ import annotations

import gc

from dashboard import run_dashboard
from test_app import make_app, rows, until


async def test_objects_held_at_the_first_data_frame_are_frozen_until_the_app_ends():
    assert gc.get_freeze_count() == 0
    app, _ = make_app()
    async with run_dashboard(app, size=(120, 40)) as pilot:
        assert gc.get_freeze_count() == 0  # the chrome alone: nothing frozen yet
        await until(pilot, lambda: rows(app) > 0)
        await until(pilot, lambda: app.long_lived_frozen)
        assert gc.get_freeze_count() > 10_000  # the app, its widgets and the session so far
        chart = app.query_one("#view-SPY").query_one("#chart")
        assert gc.is_tracked(chart)
        assert chart not in gc.get_objects()  # out of every generation the collector walks
    assert gc.get_freeze_count() == 0
