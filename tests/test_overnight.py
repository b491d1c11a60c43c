"""A dashboard left open overnight moves on: once a session is over, the engine waits for the
next one's open and polls it afresh (back-fill, a new history session, the alerts of that day
only), in every mode that polls a source; headless still ends at the close."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

from dashboard import run_dashboard
from stepped_clock import SteppedClock
from test_app import until

from hedgeflow_tui.config.settings import Settings
from hedgeflow_tui.engine.pipeline import Update
from hedgeflow_tui.engine.session import FeedSession
from hedgeflow_tui.engine.sources import open_source
from hedgeflow_tui.engine.status import PollStatus
from hedgeflow_tui.market.clock import ET
from hedgeflow_tui.storage.history import History
from hedgeflow_tui.ui.live_app import LiveApp
from hedgeflow_tui.ui.widgets import AlertLog, StatusBar

FRIDAY, MONDAY = date(2026, 6, 12), date(2026, 6, 15)


def et(day: date, hour: int, minute: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ET).astimezone(UTC)


class ClockUntil(SteppedClock):
    """A stepped clock that never goes past `limit`: a sleeper that would wake later sleeps
    until the test ends, so the run holds still at the time the test looks at."""

    def __init__(self, at: datetime, limit: datetime) -> None:
        super().__init__(at)
        self.limit = limit

    async def _until(self, target: datetime) -> None:
        if target > self.limit:
            await asyncio.Event().wait()
        await super()._until(target)


def settings() -> Settings:
    return Settings(symbols=["SPY"], demo=True, seed=0, date=FRIDAY.isoformat(), start="15:45")


async def test_the_engine_polls_the_next_session_when_it_opens():
    clock = ClockUntil(et(FRIDAY, 15, 45), et(MONDAY, 10, 30))
    run = settings()
    session = FeedSession(run, open_source(run, clock=clock))
    updates: list[Update] = []
    statuses: list[PollStatus] = []
    session.subscribe(updates.append, statuses.append)
    task = asyncio.ensure_future(session.follow("SPY"))
    try:
        for _ in range(3000):
            view = session.store.session("SPY", "1m")
            if view is not None and view.expiration == MONDAY and len(view.rows) >= 59:
                break
            await asyncio.sleep(0.01)
        else:
            raise AssertionError(f"no Monday session: {statuses[-1] if statuses else None}")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    waiting = [s for s in statuses if "next session Mon 2026-06-15 09:30 ET" in s.message]
    assert waiting and waiting[0].state == "closed", statuses[-5:]
    assert any(u.change.new_session for u in updates)
    assert view.rows[0].t == et(MONDAY, 9, 30)  # back-filled from the open
    alerts = session.pipeline.trackers.alerts("SPY")
    assert all(a.t.astimezone(ET).date() == MONDAY for a in alerts)  # Friday's are not carried
    session.close()
    history = History.open(write=False)
    days = {s.day for s in history.sessions("SPY")}
    history.close()
    assert days == {FRIDAY, MONDAY}


async def test_the_dashboard_left_open_shows_the_next_session_and_its_own_alerts():
    clock = ClockUntil(et(FRIDAY, 15, 45), et(MONDAY, 10, 30))
    run = settings()
    app = LiveApp(run, open_source(run, clock=clock))
    async with run_dashboard(app, size=(120, 40)) as pilot:
        await until(pilot, lambda: app.statuses.get("SPY") is not None)

        def monday() -> bool:
            view = app.store.session("SPY", "1m")
            return view is not None and view.expiration == MONDAY and len(view.rows) >= 59

        await until(pilot, monday, timeout=60)
        app.refresh_statuses()
        await pilot.pause()
        assert "0DTE 2026-06-15" in str(app.query_one(StatusBar).render())
        logged = app.query_one(AlertLog).alerts
        assert all(a.t.astimezone(ET).date() == MONDAY for a in logged), logged
