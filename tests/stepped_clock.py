"""A market clock for tests that are not about timing: it stands still while the code under test
works and jumps ahead when that code sleeps, so a whole session runs as fast as the machine goes,
with no real waiting and no dependence on how busy the machine is."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hedgeflow_tui.market.clock import ET, FrozenClock

STALL = 1.0  # real seconds after which the clock steps without a sleeper that has not come


class SteppedClock(FrozenClock):
    """Virtual time for `sleepers` concurrent sleepers (one poller per symbol): once all of them
    sleep, the clock jumps to the earliest wake-up and wakes whoever is due. So no poller races
    ahead of another, and every poll sees the server at the time it would see it live."""

    def __init__(self, at: datetime, sleepers: int = 1) -> None:
        super().__init__(at)
        self.sleepers = sleepers
        self._waiting: list[tuple[datetime, asyncio.Future[None]]] = []

    def sleep(self, market_seconds: float) -> Coroutine[Any, Any, None]:
        return self._until(self.now() + timedelta(seconds=max(0.0, market_seconds)))

    async def _until(self, target: datetime) -> None:
        if target <= self.now():
            await asyncio.sleep(0)
            return
        entry = (target, asyncio.get_running_loop().create_future())
        self._waiting.append(entry)
        try:
            self._step()
            while not entry[1].done():
                try:
                    await asyncio.wait_for(asyncio.shield(entry[1]), STALL)
                except TimeoutError:  # a sleeper that is not coming (it finished, or stopped)
                    self._step(force=True)
        finally:
            if entry in self._waiting:
                self._waiting.remove(entry)

    def _step(self, force: bool = False) -> None:
        if not self._waiting or (len(self._waiting) < self.sleepers and not force):
            return
        earliest = min(target for target, _ in self._waiting)
        if earliest > self.now():
            self.advance((earliest - self.now()).total_seconds())
        for entry in [e for e in self._waiting if e[0] <= self.now()]:
            self._waiting.remove(entry)
            if not entry[1].done():
                entry[1].set_result(None)


def stepped_clock(day: date, hhmm: str, sleepers: int = 1) -> SteppedClock:
    """A stepped clock at HH:MM ET on `day`, for `sleepers` pollers."""
    hours, minutes = (int(part) for part in hhmm.split(":"))
    at = datetime(day.year, day.month, day.day, hours, minutes, tzinfo=ET)
    return SteppedClock(at.astimezone(UTC), sleepers)
