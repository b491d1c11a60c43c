"""The simulator's calendar and clock: which day it plays, and where in that day it starts."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hedgeflow_tui.market.calendar import previous_session
from hedgeflow_tui.market.clock import ET, ScaledClock

DEFAULT_START = "10:30"  # an hour of history, so the first frame already has a chart
DEMO_SPEED = 30.0  # simulated seconds per real second: a 1m bar every 2 s


def default_session_date(today: date | None = None) -> date:
    """Today in New York if it has a session, else the last day that had one (weekends and NYSE
    holidays skipped): the demo always has a session."""
    return previous_session(today or datetime.now(ET).date())


def sim_clock(day: date, start: str, speed: float) -> ScaledClock:
    """Market time starting at `start` (HH:MM, ET) on `day`, running `speed` times real time."""
    hours, minutes = (int(part) for part in start.split(":"))
    origin = datetime(day.year, day.month, day.day, hours, minutes, tzinfo=ET)
    return ScaledClock(origin=origin.astimezone(UTC), speed=speed)
