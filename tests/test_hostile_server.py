"""Hostile input from the network: a misbehaving FlashAlpha-shaped server on 127.0.0.1.

Every misbehaviour must end in a typed, retryable error with one clean line (or, for a bad
header, in being ignored), within bounded time and memory; the poller retries it and the next
good answer is merged. Caps and timeouts are small here so that no test waits long.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime

import httpx
import pytest
from dashboard import run_dashboard
from hostile_server import HostileServer, gzip_bomb
from stepped_clock import stepped_clock

from hedgeflow_tui.api.client import MAX_SERVER_WAIT, FlashAlphaClient
from hedgeflow_tui.api.errors import (
    BadData,
    BadKey,
    BodyTooLarge,
    PlanTooLow,
    RateLimited,
    RequestTimeout,
    ServerError,
)
from hedgeflow_tui.engine.poller import Poller
from hedgeflow_tui.engine.quota import Cycle, QuotaPlanner, polls_left
from hedgeflow_tui.engine.status import PollStatus
from hedgeflow_tui.engine.store import Store
from hedgeflow_tui.market.clock import FrozenClock

KEY = "sk-hostile-test-key-0042"
CAP = 256 * 1024


@pytest.fixture
def hostile():
    server = HostileServer().start()
    yield server
    server.stop()


def client_of(server: HostileServer, **options) -> FlashAlphaClient:
    options.setdefault("timeout", 2.0)
    options.setdefault("max_body", CAP)
    return FlashAlphaClient(server.url, KEY, **options)


async def flow(server: HostileServer, mode: str, **options):
    server.modes.append(mode)
    async with client_of(server, **options) as client:
        return await client.hedge_flow("SPY", "calls", "1m", 10), client


def one_clean_line(message: str) -> None:
    assert "\n" not in message and "\r" not in message and "\x1b" not in message
    assert KEY not in message and len(message) < 240


# --- bounded bodies ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["huge_chunked", "huge_length", "gzip_bomb"])
async def test_an_oversized_body_is_refused_at_the_cap_without_reading_it_all(hostile, mode):
    hostile.modes.append(mode)
    async with client_of(hostile) as client:
        started = time.monotonic()
        with pytest.raises(BodyTooLarge) as error:
            await client.hedge_flow("SPY", "calls", "1m", 10)
        elapsed = time.monotonic() - started
        # as sent: stopped within a couple of network chunks of the cap (the server had 64 MiB)
        assert client.bytes_received <= CAP + 2 * 64 * 1024
    assert error.value.retryable and not error.value.fatal
    assert "KiB" in str(error.value)
    one_clean_line(str(error.value))
    assert elapsed < 2.0


async def test_the_gzip_bomb_never_inflates_past_the_cap(hostile):
    """What one bounded decompression step may produce is the cap, not the 16 MiB inside."""
    import tracemalloc

    hostile.modes.append("gzip_bomb")
    gzip_bomb()  # the server's own 16 MiB build, done before tracing: only the client is measured
    tracemalloc.start()
    try:
        async with client_of(hostile) as client:
            with pytest.raises(BodyTooLarge):
                await client.hedge_flow("SPY", "calls", "1m", 10)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * CAP


# --- the whole request within --timeout -------------------------------------------------------


async def test_a_dripping_body_times_out_on_the_whole_request(hostile):
    hostile.modes.append("drip")
    async with client_of(hostile, timeout=0.5) as client:
        started = time.monotonic()
        with pytest.raises(RequestTimeout) as error:
            await client.hedge_flow("SPY", "calls", "1m", 10)
    assert (
        time.monotonic() - started < 1.5
    )  # each byte came within 0.1 s: only a total cap stops it
    assert "0.5s" in str(error.value) and error.value.retryable


# --- any answer is bad data, retried ----------------------------------------------------------


@pytest.mark.parametrize(
    "mode, words",
    [
        ("nested", "not JSON"),
        ("nested_in_field", "bad data"),
        ("far_future_as_of", "as_of"),
        ("ancient_as_of", "as_of"),
        ("huge_values", "out of range"),
        ("other_symbol", "answer is for QQQ, not SPY"),
        ("other_side", "side puts, not calls"),
    ],
)
async def test_malformed_answers_are_bad_data(hostile, mode, words):
    hostile.modes.append(mode)
    async with client_of(hostile) as client:
        with pytest.raises(BadData) as error:
            await client.hedge_flow("SPY", "calls", "1m", 10)
    assert words in str(error.value)
    assert error.value.retryable and not error.value.fatal
    one_clean_line(str(error.value))


@pytest.mark.parametrize("mode", ["bad_reset_huge", "bad_reset_negative"])
async def test_absurd_rate_limit_headers_are_ignored_not_fatal(hostile, mode):
    answer, client = await flow(hostile, mode)
    assert answer.symbol == "SPY" and len(answer.bars) == 9
    rate = client.rate_limit
    assert rate is not None and rate.limit == 2500 and rate.reset_at is None
    assert rate.remaining in (None, 0)


@pytest.mark.parametrize("mode", ["retry_after_inf", "retry_after_huge"])
async def test_a_huge_retry_after_is_capped_and_said(hostile, mode):
    hostile.modes.append(mode)
    async with client_of(hostile) as client:
        with pytest.raises(RateLimited) as error:
            await client.hedge_flow("SPY", "calls", "1m", 10)
    assert error.value.retry_after == MAX_SERVER_WAIT
    assert "capped at 15m00s" in str(error.value)


async def test_a_nan_retry_after_leaves_the_wait_to_our_backoff(hostile):
    hostile.modes.append("retry_after_nan")
    async with client_of(hostile) as client:
        with pytest.raises(RateLimited) as error:
            await client.hedge_flow("SPY", "calls", "1m", 10)
    assert error.value.retry_after is None


async def test_quota_used_up_says_when_it_resets(hostile):
    hostile.modes.append("quota_gone")
    async with client_of(hostile) as client:
        with pytest.raises(RateLimited) as error:
            await client.hedge_flow("SPY", "calls", "1m", 10)
    message = str(error.value)
    assert "daily quota used up" in message and "resets 2026-06-13 00:00 UTC" in message
    assert "server asked to wait 24h00m, capped at 15m00s" in message
    assert error.value.reset_at == datetime(2026, 6, 13, tzinfo=UTC)


# --- server text is data ----------------------------------------------------------------------


async def test_escape_sequences_in_an_error_are_stripped(hostile):
    hostile.modes.append("escape_401")
    async with client_of(hostile) as client:
        with pytest.raises(BadKey) as error:
            await client.hedge_flow("SPY", "calls", "1m", 10)
    message = str(error.value)
    one_clean_line(message)
    assert "\x07" not in message and "\x9b" not in message and "\u202e" not in message
    assert message.startswith("bad API key: bad key]0;pwned")


async def test_a_key_echoed_by_the_server_is_scrubbed(hostile):
    hostile.modes.append("key_echo_403")
    async with client_of(hostile) as client:
        with pytest.raises(PlanTooLow) as error:
            await client.hedge_flow("SPY", "calls", "1m", 10)
    assert KEY not in str(error.value) and KEY not in (error.value.current_plan or "")
    assert "***" in str(error.value)


async def test_markup_in_a_plan_name_is_kept_as_text(hostile):
    hostile.modes.append("markup_403")
    async with client_of(hostile) as client:
        with pytest.raises(PlanTooLow) as error:
            await client.hedge_flow("SPY", "calls", "1m", 10)
    assert str(error.value) == "plan too low (plan [/], needs [b]growth)"


async def test_an_html_proxy_page_is_a_server_error(hostile):
    hostile.modes.append("html_500")
    async with client_of(hostile) as client:
        with pytest.raises(ServerError) as error:
            await client.hedge_flow("SPY", "calls", "1m", 10)
    assert str(error.value) == "hedge-flow: server error 502"


# --- the poller retries every kind and merges the next good answer ---------------------------


RETRIED = [
    "huge_chunked",
    "gzip_bomb",
    "drip",
    "nested",
    "far_future_as_of",
    "huge_values",
    "other_symbol",
    "retry_after_inf",
    "bad_reset_huge",
]


async def test_the_poller_retries_every_misbehaviour_then_merges_good_data(hostile):
    for mode in RETRIED:
        hostile.modes.extend([mode] * 3)  # calls, puts and series of one poll
    clock = FrozenClock(datetime(2026, 6, 12, 16, 0, tzinfo=UTC), advance_on_sleep=True)
    statuses: list[PollStatus] = []
    store = Store()
    async with client_of(hostile, timeout=0.3) as client:
        poller = Poller(
            client, store, "SPY", "1m", clock, source="REMOTE", on_status=statuses.append
        )
        task = asyncio.ensure_future(poller.run())
        deadline = time.monotonic() + 20
        while not any(s.state == "ok" for s in statuses) and time.monotonic() < deadline:
            assert not task.done(), statuses[-1]
            await asyncio.sleep(0.05)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    states = [s.state for s in statuses]
    assert "ok" in states and "stopped" not in states
    retried = [s for s in statuses if s.state in ("retrying", "rate_limited")]
    assert len(retried) >= len(RETRIED) - 1  # the bad header is no error: merged at once
    for status in retried:
        one_clean_line(status.message)
    assert any("capped at 15m00s" in s.message for s in retried)
    view = store.session("SPY", "1m")
    assert view is not None and len(view.rows) == 9 and view.rows[-1].cum_calls == 9e6


# --- the plan is made in bounded time whatever the clock says ---------------------------------


def test_replan_is_bounded_when_the_clock_is_decades_off():
    planner = QuotaPlanner()
    planner.register("SPY")
    planner.remaining = 50
    far_past = datetime(2001, 1, 2, 16, tzinfo=UTC)
    close = datetime(2026, 6, 12, 20, tzinfo=UTC)
    started = time.process_time()
    view = planner.replan(polls_left(far_past, close, 30))
    assert time.process_time() - started < 0.5
    assert view.flow_every > 1 and view.series_every == 10


def test_headless_ends_on_sigterm_when_the_server_claims_a_far_past_time(hostile):
    """A server whose `as_of` is 25 years off; SIGTERM still ends the run at once."""
    hostile.sticky = "far_past_as_of"
    env = {k: v for k, v in os.environ.items() if k != "FLASHALPHA_API_KEY"}
    process = subprocess.Popen(
        [sys.executable, "-m", "hedgeflow_tui", "SPY", "--headless", "--base-url", hostile.url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        deadline = time.monotonic() + 15
        while len(hostile.requests) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=5)
    finally:
        process.kill()
    assert process.returncode == 128 + signal.SIGTERM, err
    lines = [json.loads(line) for line in out.decode().splitlines()]
    assert lines and all(line["type"] in ("status", "bar") for line in lines)
    assert b"Traceback" not in err


# --- quota exhausted --------------------------------------------------------------------------


async def test_quota_exhausted_ends_headless_after_the_close_with_a_clear_status(sim_server):
    """Three requests left of the day's 2,500: the status says when the quota resets, and the run
    ends once the session is over instead of waiting for the reset in silence."""
    import io

    from hedgeflow_tui.config.settings import Settings
    from hedgeflow_tui.engine.sources import open_source
    from hedgeflow_tui.output.headless import run_headless
    from hedgeflow_tui.sim import SimConfig

    day = date(2026, 6, 12)
    clock = stepped_clock(day, "15:40")  # virtual time: the wait for the reset would be real
    server = sim_server(config=SimConfig(date=day), clock=clock)
    quota = server.app.state.quota
    async with httpx.AsyncClient() as http:  # the model simulated once: a fast first poll
        await http.get(f"{server.url}/v1/flow/zero-dte/series/SPY", params={"minutes": 390})
    quota.spend(clock.now())
    quota.used = 2497  # the first poll's back-fill runs out (the series alone can complete it)
    settings = Settings(headless=True, base_url=server.url, timeout=2.0)
    out = io.StringIO()
    status = await asyncio.wait_for(run_headless(settings, open_source(settings, clock), out), 20)
    assert clock.now() < datetime(2026, 6, 13, tzinfo=UTC)  # ended before the quota reset
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    statuses = [line for line in lines if line["type"] == "status"]
    assert any("daily quota used up, resets 2026-06-13 00:00 UTC" in s["message"] for s in statuses)
    assert statuses[-1]["state"] == "stopped" and "the session is over" in statuses[-1]["message"]
    assert status == 1


async def test_quota_used_up_before_any_answer_says_when_it_resets_and_ends_after_the_close(
    sim_server,
):
    """Not one request left when the run starts: no answer ever comes, yet the status says when
    the quota resets, and headless ends once the session is over (not retrying every 15 minutes
    for ever)."""
    import io

    from hedgeflow_tui.config.settings import Settings
    from hedgeflow_tui.engine.sources import open_source
    from hedgeflow_tui.output.headless import run_headless
    from hedgeflow_tui.sim import SimConfig

    day = date(2026, 6, 12)
    clock = stepped_clock(day, "15:30")  # virtual time: the wait for the reset would be real
    server = sim_server(config=SimConfig(date=day), clock=clock)
    quota = server.app.state.quota
    quota.spend(clock.now())
    quota.used = quota.limit
    settings = Settings(headless=True, base_url=server.url, timeout=2.0)
    out = io.StringIO()
    status = await asyncio.wait_for(run_headless(settings, open_source(settings, clock), out), 30)
    assert clock.now() < datetime(2026, 6, 13, tzinfo=UTC)  # ended before the quota reset
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert not [line for line in lines if line["type"] == "bar"]
    statuses = [line for line in lines if line["type"] == "status"]
    waiting = [s for s in statuses if s["state"] == "rate_limited"]
    assert waiting and all(
        "daily quota used up, resets 2026-06-13 00:00 UTC" in s["message"] for s in waiting
    )
    last = statuses[-1]
    assert last["state"] == "stopped" and "the session is over" in last["message"]
    assert (
        "resets 2026-06-13 00:00 UTC" in last["message"] and "before any answer" in last["message"]
    )
    assert status == 1


async def test_the_planner_keeps_a_full_last_poll_in_reserve():
    planner = QuotaPlanner()
    for symbol in ("SPY", "QQQ"):
        planner.register(symbol)
    planner.remaining = 200
    view = planner.replan(200)
    assert view.flow_every > 1
    assert view.projected + planner.final_poll_cost() <= 200
    assert planner.cycle("SPY", 1) != Cycle(series=True, flow=True)
    planner.replan(1)  # the session's last bar close
    assert planner.cycle("SPY", 1) == Cycle(series=True, flow=True)


async def test_the_simulator_resets_its_count_at_the_announced_reset(sim_server):
    from hedgeflow_tui.sim import SimConfig

    clock = FrozenClock(datetime(2026, 6, 12, 23, 59, tzinfo=UTC))
    server = sim_server(config=SimConfig(date=date(2026, 6, 12), plan="free"), clock=clock)
    async with FlashAlphaClient(server.url) as client:
        for _ in range(5):
            await client.account()
        with pytest.raises(RateLimited):
            await client.account()
        assert client.rate_limit is not None
        reset = client.rate_limit.reset_at
        assert reset == datetime(2026, 6, 13, tzinfo=UTC)
        clock.advance((reset - clock.now()).total_seconds())
        account = await client.account()
    assert account.remaining == 4


# --- the dashboard shows server text as text --------------------------------------------------


@pytest.mark.parametrize("mode", ["markup_403", "escape_401"])
async def test_the_dashboard_shows_hostile_server_text_without_crashing(hostile, mode):
    from textual.widgets import Static

    from hedgeflow_tui.config.settings import Settings
    from hedgeflow_tui.engine.sources import open_source
    from hedgeflow_tui.ui.live_app import LiveApp

    hostile.sticky = mode
    settings = Settings(base_url=hostile.url, api_key=KEY, timeout=1.0)
    app = LiveApp(settings, open_source(settings))
    async with run_dashboard(app) as pilot:
        for _ in range(200):
            if app.statuses["SPY"].state == "stopped":
                break
            await pilot.pause(0.05)
        await pilot.pause()
        panel = app.query_one("#view-SPY").query_one("#state-panel", Static).visual
        status = app.statuses["SPY"]
    assert status.state == "stopped"
    one_clean_line(status.message)
    if mode == "markup_403":
        assert "plan [/], needs [b]growth" in str(panel)
    else:
        assert "bad key]0;pwned" in status.message
