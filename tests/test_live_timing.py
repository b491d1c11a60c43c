"""Live timing: the simulator publishes each sample some seconds late and caches answers for
15 s; the poller asks again as soon as a fresh answer can exist, and shows the data's own time."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import httpx

from hedgeflow_tui.client import FlashAlphaClient
from hedgeflow_tui.clock import ET, FrozenClock
from hedgeflow_tui.poller import Poller
from hedgeflow_tui.sim import SimConfig, create_app
from hedgeflow_tui.store import Change, Store

DAY = date(2026, 6, 12)


def at(hh: int, mm: int, ss: int = 0) -> datetime:
    return datetime(DAY.year, DAY.month, DAY.day, hh, mm, ss, tzinfo=ET).astimezone(UTC)


def client_of(config: SimConfig, clock: FrozenClock) -> FlashAlphaClient:
    app = create_app(config, clock)
    return FlashAlphaClient("http://simulator", transport=httpx.ASGITransport(app=app))


async def test_a_sample_is_served_only_after_its_publication_lag():
    clock = FrozenClock(at(11, 0, 2))
    async with client_of(SimConfig(date=DAY, publish_lag=10.0, cache=0.0), clock) as client:
        early = await client.series("SPY", "1m", 5)
        assert early.bars[-1].t == at(10, 58)  # the 10:59 bucket is not published yet
        clock.advance(14)  # past the most the lag can be (10 s +- 50%)
        later = await client.series("SPY", "1m", 5)
        assert later.bars[-1].t == at(10, 59)
    async with client_of(SimConfig(date=DAY, publish_lag=10.0, cache=0.0), clock) as client:
        raw = await client._get("series", "/v1/flow/zero-dte/series/SPY", {"bar": "1m"})
        assert raw["data_as_of"]["equity_options_feed"] == "2026-06-12T15:00:00Z"
        assert raw["as_of"] == "2026-06-12T15:00:16Z"


async def test_answers_are_cached_for_15_seconds_keyed_by_the_full_request():
    clock = FrozenClock(at(11, 0, 55))
    async with client_of(SimConfig(date=DAY, publish_lag=0.0, cache=None), clock) as client:
        first = await client.series("SPY", "1m", 5)
        clock.advance(10)  # a new bucket has closed meanwhile ...
        cached = await client.series("SPY", "1m", 5)
        assert cached.as_of == first.as_of and cached.bars == first.bars  # ... but: cached
        other = await client.series("SPY", "1m", 6)  # another request: computed now
        assert other.as_of == clock.now() and other.bars[-1].t == at(11, 0)
        clock.advance(6)  # 16 s after the first: fresh again
        assert (await client.series("SPY", "1m", 5)).as_of == clock.now()
    clock = FrozenClock(at(11, 0, 55))
    async with client_of(SimConfig(date=DAY, plan="alpha", cache=None), clock) as client:
        first = await client.series("SPY", "1m", 5)
        clock.advance(1)
        assert (await client.series("SPY", "1m", 5)).as_of != first.as_of  # none on Alpha


async def poll_session(catch_ups: bool, lag: float) -> tuple[dict[datetime, float], int]:
    """An hour polled on a lagging, caching simulator: each bucket's delay after its close."""
    clock = FrozenClock(at(11, 0, 2), advance_on_sleep=True)
    client = client_of(SimConfig(date=DAY, publish_lag=lag, cache=None), clock)
    store = Store()
    arrivals: dict[datetime, float] = {}

    def arrived(change: Change) -> None:
        for row in change.rows:
            if None not in (row.calls, row.puts, row.spot) and row.t not in arrivals:
                arrivals[row.t] = (clock.now() - row.t - timedelta(minutes=1)).total_seconds()

    store.subscribe(arrived)
    poller = Poller(client, store, "SPY", "1m", clock, source="SIMULATED", catch_ups=catch_ups)
    task = asyncio.ensure_future(poller.run())
    while clock.now() < at(12, 0):  # noqa: ASYNC110 (the frozen clock moves as the poller sleeps)
        await asyncio.sleep(0)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await client.aclose()
    live = {t: d for t, d in arrivals.items() if t >= at(11, 1)}
    return live, client.requests_sent


async def test_catch_up_polls_bring_each_bar_seconds_after_its_publication():
    naive, _ = await poll_session(catch_ups=False, lag=6.0)
    ours, requests = await poll_session(catch_ups=True, lag=6.0)
    assert max(naive.values()) >= 60  # one poll 2 s after the close: a whole bar late
    assert len(ours) >= 58 and max(ours.values()) < 60  # never a bar late
    delays = sorted(ours.values())
    assert delays[int(0.95 * (len(delays) - 1))] <= 6.0 * 1.5 + 5  # p95 within lag + 5 s
    assert requests <= 1.3 * 60 + 5  # catch-ups stay rare once the first poll settles
