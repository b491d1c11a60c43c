"""A whole session of the real pollers against the in-process simulator on virtual time: the
market clock jumps to the next wake-up whenever every poller is asleep, so a day takes seconds,
and a bar's arrival after its close is measured in market time, free of this machine's noise.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

import httpx

from hedgeflow_tui.api.client import FlashAlphaClient
from hedgeflow_tui.config.settings import Settings
from hedgeflow_tui.engine.poller import Poller
from hedgeflow_tui.engine.sources import SIM_BASE_URL, open_source
from hedgeflow_tui.engine.store import Change, Store
from hedgeflow_tui.market.bars import BAR_SECONDS
from hedgeflow_tui.market.clock import ET
from hedgeflow_tui.sim import SimConfig, create_app


class VirtualClock:
    """Market time that stands still while anyone works and jumps when all sleep."""

    speed = 1.0

    def __init__(self, at: datetime) -> None:
        self._now = at
        self._sleepers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def now(self) -> datetime:
        return self._now

    def sync(self, market_now: datetime) -> None:
        """Virtual time is the truth."""

    async def sleep(self, market_seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        wake = self._now + timedelta(seconds=max(0.0, market_seconds))
        heapq.heappush(self._sleepers, (wake, next(self._order), future))
        await future

    def sleeping(self) -> int:
        return sum(1 for _, _, future in self._sleepers if not future.done())

    def wake_next(self) -> None:
        """Jump to the earliest wake-up and wake everyone due then."""
        while self._sleepers and self._sleepers[0][2].done():
            heapq.heappop(self._sleepers)
        if not self._sleepers:
            return
        self._now = max(self._now, self._sleepers[0][0])
        while self._sleepers and self._sleepers[0][0] <= self._now:
            future = heapq.heappop(self._sleepers)[2]
            if not future.done():
                future.set_result(None)


@dataclass
class SessionRun:
    requests: int
    bars_expected: int
    began: datetime  # market time the run started
    arrivals: dict[tuple[str, datetime], float] = field(default_factory=dict)  # delay, s

    @property
    def every_bar(self) -> bool:
        return len(self.arrivals) >= self.bars_expected

    def delays_in_bars(self, bar_seconds: int) -> list[int]:
        return [int(delay // bar_seconds) for delay in self.arrivals.values()]


async def run_session(
    day: date,
    bar: str,
    symbols: list[str],
    requests: str = "auto",
    *,
    start: str = "09:30",
    seed: int = 3,
    publish_lag: float = SimConfig.publish_lag,
    cache: float | None = SimConfig.cache,
    catch_ups: bool = True,
) -> SessionRun:
    """Poll a whole session on the simulator (live timing: the in-process simulator's publication
    lag and the plan's cache unless told otherwise); note when each bucket first held flow and
    price."""
    hours, minutes = (int(part) for part in start.split(":"))
    clock = VirtualClock(datetime(day.year, day.month, day.day, hours, minutes, tzinfo=ET))
    settings = Settings(symbols=symbols, bar=bar, seed=seed, date=day.isoformat())
    config = SimConfig(seed=seed, date=day, publish_lag=publish_lag, cache=cache)
    app = create_app(config, clock)
    source = replace(
        open_source(settings, clock=clock),
        _connect=lambda observer: FlashAlphaClient(
            SIM_BASE_URL, transport=httpx.ASGITransport(app=app), observer=observer
        ),
    )
    store = Store()
    size = BAR_SECONDS[bar]
    run = SessionRun(requests=0, bars_expected=len(symbols) * 23400 // size, began=clock.now())

    def arrived(change: Change) -> None:
        for row in change.rows:
            key = (change.symbol, row.t)
            complete = row.calls is not None and row.puts is not None and row.spot is not None
            if complete and key not in run.arrivals:
                close = row.t + timedelta(seconds=size)
                run.arrivals[key] = (clock.now() - close).total_seconds()

    store.subscribe(arrived)
    planner = source.make_planner()
    clients = [source.make_client() for _ in symbols]
    pollers = [
        Poller(
            c,
            store,
            s,
            bar,
            clock,
            source=source.kind,
            planner=planner,
            requests=requests,
            catch_ups=catch_ups,
        )
        for c, s in zip(clients, symbols, strict=True)
    ]
    tasks = [asyncio.ensure_future(p.run()) for p in pollers]
    while not all(task.done() for task in tasks):
        for _ in range(20):  # let every poller reach its next sleep
            await asyncio.sleep(0)
        if clock.sleeping() == sum(1 for task in tasks if not task.done()):
            clock.wake_next()
    for task in tasks:
        task.result()
    run.requests = sum(client.requests_sent for client in clients)
    for client in clients:
        await client.aclose()
    return run
