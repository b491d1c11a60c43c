"""What the status says while the quota plan thins the polling or the day's quota is used up:
the next poll said is the one that asks, staleness the plan chose is not called STALE, and at
0 left it says when the quota resets (a real simulator server, a stepped clock)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from stepped_clock import stepped_clock

from hedgeflow_tui.api.client import FlashAlphaClient
from hedgeflow_tui.engine.poller import Poller
from hedgeflow_tui.engine.status import PollStatus
from hedgeflow_tui.engine.store import Store
from hedgeflow_tui.sim import SimConfig
from hedgeflow_tui.ui.widgets.status import joined, stale_since, status_fields

DAY = date(2026, 6, 12)


async def run_poller(
    server, clock, until: datetime
) -> tuple[list[tuple[datetime, PollStatus]], int]:
    """The statuses as the poller emitted them (with the market time of each), and the requests
    it sent, from now to `until`."""
    seen: list[tuple[datetime, PollStatus]] = []
    client = FlashAlphaClient(server.url)
    poller = Poller(
        client,
        Store(),
        "SPY",
        "1m",
        clock,
        source="REMOTE",
        on_status=lambda status: seen.append((clock.now(), status)),
    )
    task = asyncio.ensure_future(poller.run())
    while clock.now() < until and not task.done():  # noqa: ASYNC110 (the stepped clock moves)
        await asyncio.sleep(0.01)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    sent = client.requests_sent
    await client.aclose()
    return seen, sent


def leave(server, clock, left: int) -> None:
    quota = server.app.state.quota
    quota.spend(clock.now())
    quota.used = quota.limit - left


async def test_a_thinned_plan_says_the_poll_that_asks_and_its_gaps_are_not_stale(sim_server):
    clock = stepped_clock(DAY, "10:30")
    server = sim_server(config=SimConfig(date=DAY), clock=clock)
    leave(server, clock, 60)  # ~330 closes to go: the plan asks every few bars
    seen, sent = await run_poller(server, clock, clock.now() + timedelta(minutes=90))
    waits = [(now, s) for now, s in seen if s.state == "ok" and s.next_poll is not None]
    polls = [(now, s.next_poll) for now, s in waits if s.next_poll is not None]
    every = waits[-1][1].quota.flow_every if waits[-1][1].quota else 1
    assert every > 2, waits[-1][1].quota
    # after the back-fill and first close; a catch-up (asking again for a bucket not yet in,
    # seconds later) is a request too: the waits for a close are the plan's
    later = [due - now for now, due in polls[2:] if due - now >= timedelta(minutes=1)]
    assert later and all(wait > timedelta(minutes=every - 1) for wait in later), later
    assert sent <= 60  # what was left
    for now, status in waits:  # never STALE between the plan's polls
        assert stale_since(status, "1m", now) is None
        late = now + timedelta(minutes=every - 1)
        assert stale_since(status, "1m", late) is None
    status = waits[-1][1]
    line = joined(status_fields(status, bar_size="1m", now=waits[-1][0], expiration=DAY)).plain
    assert f"every {every} bars" in line and "STALE" not in line


async def test_at_0_left_it_says_the_quota_is_used_up_and_when_it_resets(sim_server):
    clock = stepped_clock(DAY, "11:00")
    server = sim_server(config=SimConfig(date=DAY), clock=clock)
    leave(server, clock, 4)  # the back-fill (3 requests) and one more
    seen, sent = await run_poller(server, clock, clock.now() + timedelta(minutes=30))
    used_up = [(now, s) for now, s in seen if s.state == "rate_limited"]
    assert used_up, [s.message for _, s in seen][-5:]
    now, status = used_up[-1]
    assert "daily quota used up, resets 2026-06-13 00:00 UTC" in status.message
    line = joined(status_fields(status, bar_size="1m", now=now, expiration=DAY)).plain
    assert "daily quota used up, resets 2026-06-13 00:00 UTC · next try in" in line
    assert "next poll in" not in line and "last poll ok" not in line
    # no poll at every bar against a quota that is gone: the next try is after the close
    # (the stepped clock jumps there at once, so the run goes on to the stop)
    assert status.next_poll is not None and status.next_poll > now + timedelta(hours=4)
    assert not [s for t, s in seen if now < t < status.next_poll], "polled while used up"
    assert sent <= 4 + 3  # the back-fill and the one poll left, then one try after the close


async def test_at_0_left_after_the_close_polling_stops_saying_so(sim_server):
    clock = stepped_clock(DAY, "15:50")
    server = sim_server(config=SimConfig(date=DAY), clock=clock)
    leave(server, clock, 4)
    seen, _ = await run_poller(server, clock, datetime(2026, 6, 13, 1, tzinfo=UTC))
    last = seen[-1][1]
    assert last.state == "stopped", [s.message for _, s in seen][-3:]
    assert "the session is over" in last.message and "quota" in last.message
    assert seen[-1][0] < datetime(2026, 6, 13, tzinfo=UTC)  # not waiting for the reset
