"""Live timing: the simulator publishes each sample some seconds late and caches answers for
15 s; the poller asks again as soon as a fresh answer can exist, and shows the data's own time."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, timedelta

import httpx
from stepped_clock import stepped_clock

from hedgeflow_tui.api.client import FlashAlphaClient
from hedgeflow_tui.engine.poller import MAX_CATCHUPS, Poller
from hedgeflow_tui.engine.status import PollStatus
from hedgeflow_tui.engine.store import Change, Store
from hedgeflow_tui.market.clock import ET, FrozenClock
from hedgeflow_tui.output.format import et_time
from hedgeflow_tui.sim import SimConfig, create_app
from hedgeflow_tui.ui.widgets.status import joined, status_fields

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
        assert raw["as_of"] == "2026-06-12T15:00:16Z"
        # as FlashAlpha documents it: when each feed last delivered, a few seconds ago, however
        # late the newest sample is
        for feed in ("equity_options_feed", "index_options_feed", "flow_feed"):
            delivered = datetime.fromisoformat(raw["data_as_of"][feed])
            assert timedelta(0) <= at(11, 0, 16) - delivered <= timedelta(seconds=3)


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
    """Against feed times that say nothing of the bars (as documented): lateness is judged by
    the bars, the first poll learns to wait past nearly every lag, from the first minutes."""
    naive, _ = await poll_session(catch_ups=False, lag=6.0)
    ours, requests = await poll_session(catch_ups=True, lag=6.0)
    assert max(naive.values()) >= 60  # one poll 2 s after the close: a whole bar late
    assert len(ours) >= 58 and max(ours.values()) < 60  # never a bar late
    delays = sorted(ours.values())
    assert delays[round(0.95 * (len(delays) - 1))] <= 6.0 + 5  # p95 within lag + 5 s
    first = sorted(d for t, d in ours.items() if t < at(11, 15))
    assert first[-2] <= 6.0 * 1.5 + 5  # the first minutes too: no slow climb, no overshoot
    assert requests <= 1.3 * 60 + 5  # catch-ups stay rare once the first poll settles


# --- data_as_of: the client reads it, the poller judges by it, the status shows it -------------


async def test_the_client_reads_data_as_of_as_feed_delivery_times_over_http(sim_server):
    clock = FrozenClock(at(11, 0, 2))
    server = sim_server(config=SimConfig(date=DAY, publish_lag=10.0), clock=clock)
    async with FlashAlphaClient(server.url) as client:
        series = await client.series("SPY", "1m", 5)
        flow = await client.hedge_flow("SPX", "calls", "1m", 5)
        # the sample ending 11:00:00 is not published yet (5-15 s late) and the 10:59 bucket
        # is missing, but the feeds delivered seconds ago: data_as_of is about now
        assert series.bars[-1].t == at(10, 58)
        for answer in (series, flow):
            assert answer.data_as_of is not None
            assert timedelta(0) <= at(11, 0, 2) - answer.data_as_of <= timedelta(seconds=3)
        clock.advance(14)
        cached = await client.series("SPY", "1m", 5)  # the same request within 15 s
        assert (cached.as_of, cached.data_as_of) == (series.as_of, series.data_as_of)


class DropNewest(httpx.AsyncBaseTransport):
    """The simulator, except that every answer's newest bar is missing (an upstream that skipped
    it)."""

    def __init__(self, app) -> None:
        self.inner = httpx.ASGITransport(app=app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        await response.aread()
        body = response.json()
        if isinstance(body, dict) and body.get("bars"):
            body["bars"] = body["bars"][:-1]
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        content = httpx.ByteStream(json.dumps(body).encode())
        return httpx.Response(response.status_code, headers=headers, stream=content)


async def test_a_bucket_that_never_comes_costs_a_bounded_number_of_polls():
    clock = FrozenClock(at(11, 0, 30), advance_on_sleep=True)
    app = create_app(SimConfig(date=DAY, publish_lag=0.0), clock)
    client = FlashAlphaClient("http://simulator", transport=DropNewest(app))
    poller = Poller(client, Store(), "SPY", "1m", clock, source="SIMULATED")
    task = asyncio.ensure_future(poller.run())
    while clock.now() < at(11, 10):  # noqa: ASYNC110 (the frozen clock moves as the poller sleeps)
        await asyncio.sleep(0)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await client.aclose()
    assert 0 < poller.catchups_sent <= 10 * MAX_CATCHUPS  # chased, within bounds
    assert client.requests_sent <= 3 + 10 * (1 + MAX_CATCHUPS) + 3  # back-fill, closes, `r`
    assert poller.settle.settle <= 5  # an odd bucket that never comes teaches nothing
    as_of, data_as_of = poller.status.as_of, poller.status.data_as_of
    assert as_of is not None and data_as_of is not None
    assert timedelta(0) <= as_of - data_as_of < timedelta(seconds=5)


async def test_the_poller_shows_the_datas_own_time_against_a_lagging_server(sim_server):
    clock = stepped_clock(DAY, "11:00")
    server = sim_server(config=SimConfig(date=DAY, publish_lag=8.0), clock=clock)
    statuses: list[PollStatus] = []
    client = FlashAlphaClient(server.url)
    store = Store()
    arrivals: dict[datetime, datetime] = {}

    def arrived(change: Change) -> None:
        for row in change.rows:
            if None not in (row.calls, row.puts, row.spot):
                arrivals.setdefault(row.t, clock.now())

    store.subscribe(arrived)
    poller = Poller(client, store, "SPY", "1m", clock, source="REMOTE", on_status=statuses.append)
    task = asyncio.ensure_future(poller.run())
    while clock.now() < at(11, 5):  # noqa: ASYNC110 (the stepped clock moves as the poller sleeps)
        await asyncio.sleep(0.01)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await client.aclose()
    for t in (at(11, 0), at(11, 1), at(11, 2), at(11, 3)):  # each bar after its publication
        delay = (arrivals[t] - t - timedelta(minutes=1)).total_seconds()
        assert 4 <= delay < 8 * 1.5 + 2 + 1  # the lag, and at most a catch-up's wait more
    shown = [(s.as_of, s.data_as_of) for s in statuses if s.as_of and s.data_as_of]
    assert shown and all(timedelta(0) <= a - d <= timedelta(seconds=3) for a, d in shown)
    line = joined(status_fields(statuses[-1], bar_size="1m", now=clock.now(), expiration=DAY)).plain
    feed, answered = et_time(shown[-1][1], True), et_time(shown[-1][0], True)
    assert f"feed {feed} ET (answer {answered})" in line


# --- `r` never asks for what the server can only answer from its cache ------------------------


class HandMovedClock(FrozenClock):
    """Time moves only when the test moves it; a sleeper wakes once it has passed its time."""

    async def sleep(self, market_seconds: float) -> None:
        until = self.now() + timedelta(seconds=market_seconds)
        while self.now() < until:  # noqa: ASYNC110 (the test moves the clock)
            await asyncio.sleep(0.001)


async def test_a_refresh_waits_until_the_servers_cache_can_answer_afresh():
    clock = HandMovedClock(at(11, 0, 20))
    client = client_of(SimConfig(date=DAY, publish_lag=0.0, cache=None), clock)  # Growth: 15 s
    statuses: list[PollStatus] = []
    poller = Poller(
        client, Store(), "SPY", "1m", clock, source="SIMULATED", on_status=statuses.append
    )
    task = asyncio.ensure_future(poller.run())
    while not statuses or statuses[-1].next_poll is None:  # noqa: ASYNC110
        await asyncio.sleep(0.001)  # the back-fill poll is in; the poller sleeps to 11:01
    sent = client.requests_sent
    clock.advance(5)
    poller.refresh_now()
    await asyncio.sleep(0.05)
    assert client.requests_sent == sent  # 5 s after the answer: only the cached one exists
    assert statuses[-1].next_poll == at(11, 0, 35)  # ... the status says when it goes out
    poller.refresh_now()  # pressed again: still waits
    await asyncio.sleep(0.05)
    assert client.requests_sent == sent
    clock.advance(10)
    while client.requests_sent == sent:  # noqa: ASYNC110
        await asyncio.sleep(0.001)
    assert clock.now() == at(11, 0, 35)  # the refresh went out once the cache had expired
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await client.aclose()
