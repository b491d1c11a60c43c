"""The bucket still open at an answer's `as_of`: whether FlashAlpha serves it is not documented
(the simulator does with `open_bucket`). Its partial values are never held as a closed bar, never
compared across endpoints (a mismatch would switch the session to the full cycle for good), and
the bucket is taken once it has closed."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from stepped_clock import stepped_clock

from hedgeflow_tui.api.client import FlashAlphaClient
from hedgeflow_tui.engine.poller import Poller
from hedgeflow_tui.engine.store import Change, Store
from hedgeflow_tui.market.clock import ET, FrozenClock
from hedgeflow_tui.sim import SimConfig

DAY = date(2026, 6, 12)


def at(hh: int, mm: int, ss: int = 0) -> datetime:
    return datetime(DAY.year, DAY.month, DAY.day, hh, mm, ss, tzinfo=ET).astimezone(UTC)


async def test_the_simulator_serves_the_open_bucket_behind_its_flag(sim_server):
    clock = FrozenClock(at(11, 2, 40))
    server = sim_server(config=SimConfig(date=DAY, publish_lag=0.0, open_bucket=True), clock=clock)
    plain = sim_server(config=SimConfig(date=DAY, publish_lag=0.0), clock=clock)
    async with FlashAlphaClient(server.url) as client, FlashAlphaClient(plain.url) as closed:
        served = await client.hedge_flow("SPY", "calls", "5m", 10)
        held = await closed.hedge_flow("SPY", "calls", "5m", 10)
    assert served.bars[-1].t == at(11, 0) and held.bars[-1].t == at(10, 55)
    assert served.bars[:-1] == held.bars


async def run(open_bucket: bool, sim_server) -> tuple[Poller, Store, list[str]]:
    clock = stepped_clock(DAY, "11:02")
    clock.advance(40)  # mid-bucket: the 11:00 bucket holds 5 of its 10 samples
    config = SimConfig(date=DAY, publish_lag=0.0, open_bucket=open_bucket)
    server = sim_server(config=config, clock=clock)
    store = Store()
    early: list[str] = []

    def check(change: Change) -> None:
        for row in change.rows:
            if row.t + timedelta(minutes=5) > clock.now():
                early.append(row.t.isoformat())

    store.subscribe(check)
    client = FlashAlphaClient(server.url)
    poller = Poller(client, store, "SPY", "5m", clock, source="REMOTE")
    task = asyncio.ensure_future(poller.run())
    while clock.now() < at(11, 21):  # noqa: ASYNC110 (the stepped clock moves as it sleeps)
        await asyncio.sleep(0.01)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await client.aclose()
    return poller, store, early


async def test_an_open_bucket_served_is_never_held_nor_taken_for_a_mismatch(sim_server):
    poller, store, early = await run(True, sim_server)
    _, reference, _ = await run(False, sim_server)
    assert early == []  # no bar held (nor shown, nor scored) before its bucket closed
    assert poller.status.note is None and poller.lean  # no mismatch: still the lean cycle
    view, truth = store.session("SPY", "5m"), reference.session("SPY", "5m")
    assert view is not None and truth is not None
    until = at(11, 15)  # the two runs stop within a bar of each other
    assert [r for r in view.rows if r.t <= until] == [r for r in truth.rows if r.t <= until]
    assert view.rows[-1].t >= until  # each bucket as it closed, up to the last
