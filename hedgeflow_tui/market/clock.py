"""Clocks: market time that may run faster than the wall clock, and a frozen one for tests.

The in-process simulator and the poller share one `ScaledClock`, so a bar that closes in the
simulator is polled right after it closes whatever the `--speed`. Against a remote server the
poller re-anchors its clock on each answer's `as_of` (`sync`), so it follows a `hedgeflow-sim`
started with the same `--speed`, or the live API's own time.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

from hedgeflow_tui.market.calendar import SESSION_OPEN, close_time

ET = ZoneInfo("America/New_York")


@lru_cache(maxsize=64)
def session_bounds(day: date) -> tuple[datetime, datetime]:
    """The regular session of `day` as UTC datetimes: 09:30 ET to the close the NYSE calendar
    gives (16:00, or 13:00 on an early-close day). Whether `day` has a session at all is
    `market_calendar.is_session`. Cached: the store and the poller ask on every poll, and the
    time-zone arithmetic costs more than the rest of a replayed poll's row building."""
    open_ = datetime.combine(day, SESSION_OPEN, tzinfo=ET).astimezone(UTC)
    close = datetime.combine(day, close_time(day), tzinfo=ET).astimezone(UTC)
    return open_, close


class Clock(Protocol):
    speed: float

    def now(self) -> datetime:
        """The current market time, UTC."""

    def sync(self, market_now: datetime) -> None:
        """Re-anchor on a time the server says is now."""

    async def sleep(self, market_seconds: float) -> None:
        """Sleep for this much market time."""


class ScaledClock:
    """Market time = `origin` + `speed` x real seconds elapsed since creation (or last sync).

    Without an `origin` it starts from the wall clock and takes the first `sync` as the truth,
    backwards too (a `hedgeflow-sim` may be replaying another day); later syncs only move it on.
    """

    def __init__(self, origin: datetime | None = None, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._origin = origin or datetime.now(UTC)
        self._real_origin = time.monotonic()
        self._anchored = origin is not None

    def now(self) -> datetime:
        elapsed = (time.monotonic() - self._real_origin) * self.speed
        return self._origin + timedelta(seconds=elapsed)

    def sync(self, market_now: datetime) -> None:
        # Only move forward: an answer served from a cache may carry an older as_of.
        if not self._anchored or market_now > self.now():
            self._anchored = True
            self._origin = market_now
            self._real_origin = time.monotonic()

    async def sleep(self, market_seconds: float) -> None:
        await asyncio.sleep(max(0.0, market_seconds) / self.speed)


class FrozenClock:
    """A clock that stands still until a test moves it; `sleep` advances it instantly."""

    def __init__(self, at: datetime, speed: float = 1.0, advance_on_sleep: bool = False) -> None:
        self.speed = speed
        self._now = at
        self._advance_on_sleep = advance_on_sleep

    def now(self) -> datetime:
        return self._now

    def sync(self, market_now: datetime) -> None:
        """A frozen clock stays where the test put it."""

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)

    async def sleep(self, market_seconds: float) -> None:
        if self._advance_on_sleep:
            self.advance(market_seconds)
            await asyncio.sleep(0)
        else:
            await asyncio.Event().wait()  # frozen: never wakes, the test drives polls
