"""Every client error type, each from a real local server that returns it."""

from __future__ import annotations

import socket
from datetime import UTC, date, datetime

import pytest

from hedgeflow_tui.api.client import FlashAlphaClient
from hedgeflow_tui.api.errors import (
    BadData,
    BadKey,
    BadRequest,
    ConnectionFailed,
    PlanTooLow,
    RateLimited,
    RequestTimeout,
    ServerError,
    SymbolNotFound,
)
from hedgeflow_tui.market.clock import FrozenClock
from hedgeflow_tui.sim import SimConfig

DAY = date(2026, 6, 12)
NOON = FrozenClock(datetime(2026, 6, 12, 16, 0, tzinfo=UTC))
KEY = "sk-test-secret-42"


async def test_bad_request(sim_server):
    server = sim_server(config=SimConfig(date=DAY), clock=NOON)
    async with FlashAlphaClient(server.url) as client:
        with pytest.raises(BadRequest) as error:
            await client.hedge_flow("SPY", "both", "1m", 10)  # type: ignore[arg-type]
        assert error.value.fatal
        with pytest.raises(BadRequest):
            await client.hedge_flow("SPY", "calls", "2m", 10)


async def test_bad_key_never_shows_the_key(sim_server):
    server = sim_server(config=SimConfig(date=DAY, api_key="the-right-one"), clock=NOON)
    async with FlashAlphaClient(server.url, KEY) as client:
        with pytest.raises(BadKey) as error:
            await client.hedge_flow("SPY", "calls", "1m", 10)
        assert KEY not in str(error.value) and KEY not in repr(error.value)
        assert KEY not in repr(client)


async def test_plan_too_low_names_both_plans(sim_server):
    server = sim_server(config=SimConfig(date=DAY, plan="basic"), clock=NOON)
    async with FlashAlphaClient(server.url) as client:
        with pytest.raises(PlanTooLow) as error:
            await client.series("SPY", "1m", 10)
    # the plans as the API writes them
    assert (error.value.current_plan, error.value.required_plan) == ("Basic", "Growth")
    assert "plan Basic, needs Growth" in str(error.value)
    assert error.value.fatal


async def test_unknown_symbol_as_a_404(sim_server):
    server = sim_server(config=SimConfig(date=DAY, unknown_symbol="404"), clock=NOON)
    async with FlashAlphaClient(server.url) as client:
        with pytest.raises(SymbolNotFound) as error:
            await client.hedge_flow("AAPL", "calls", "1m", 10)
    assert "AAPL" in str(error.value)


async def test_quota_exhausted_is_rate_limited_with_retry_after(sim_server):
    server = sim_server(config=SimConfig(date=DAY, plan="free"), clock=NOON)
    async with FlashAlphaClient(server.url) as client:
        for _ in range(5):
            await client.account()
        with pytest.raises(RateLimited) as error:
            await client.account()
    assert error.value.retry_after and error.value.retry_after > 0 and error.value.retryable


@pytest.mark.parametrize(
    "kind, error_type",
    [
        ("429", RateLimited),
        ("500", ServerError),
        ("502_html", ServerError),
        ("truncated", BadData),
        ("shuffled", BadData),
    ],
)
async def test_injected_faults_become_typed_errors(sim_server, kind, error_type):
    server = sim_server(config=SimConfig(date=DAY, faults=1.0, fault_kinds=(kind,)), clock=NOON)
    async with FlashAlphaClient(server.url) as client:
        with pytest.raises(error_type) as error:
            await client.hedge_flow("SPY", "calls", "1m", 30)
    assert error.value.retryable
    assert "<html" not in str(error.value).lower() and "\n" not in str(error.value)


async def test_a_slow_answer_times_out(sim_server):
    server = sim_server(
        config=SimConfig(date=DAY, faults=1.0, fault_kinds=("slow",), slow_seconds=1.0), clock=NOON
    )
    async with FlashAlphaClient(server.url, timeout=0.2) as client:
        with pytest.raises(RequestTimeout):
            await client.series("SPY", "1m", 10)


async def test_nothing_listening_is_a_connection_failure():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with FlashAlphaClient(f"http://127.0.0.1:{port}", KEY) as client:
        with pytest.raises(ConnectionFailed) as error:
            await client.hedge_flow("SPY", "calls", "1m", 10)
    assert KEY not in str(error.value)


async def test_a_403_without_the_plan_refusal_is_server_trouble_retried(sim_server):
    config = SimConfig(date=DAY, faults=1.0, fault_kinds=("403_html",))
    server = sim_server(config=config, clock=NOON)
    async with FlashAlphaClient(server.url) as client:
        with pytest.raises(ServerError) as error:  # a proxy's HTML page: not "plan too low"
            await client.series("SPY", "1m", 10)
    assert error.value.retryable and not error.value.fatal
    assert "403" in str(error.value) and "<html" not in str(error.value).lower()


async def test_a_429_without_rate_limit_headers_is_decided_from_its_body(sim_server):
    config = SimConfig(date=DAY, faults=1.0, fault_kinds=("429_bare",))
    server = sim_server(config=config, clock=NOON)
    async with FlashAlphaClient(server.url) as client:
        with pytest.raises(RateLimited) as error:
            await client.series("SPY", "1m", 10)
    assert client.rate_limit is None  # no X-RateLimit-* headers at all
    assert error.value.quota_exhausted  # "Quota exceeded"
    assert error.value.reset_at == datetime(2026, 6, 13, tzinfo=UTC)  # its ISO `reset_at`
    assert "daily quota used up, resets 2026-06-13 00:00 UTC" in str(error.value)
    assert error.value.retry_after is not None and error.value.retry_after <= 900


async def test_the_simulators_quota_429_says_its_reset_as_an_iso_time(sim_server):
    server = sim_server(config=SimConfig(date=DAY, plan="free"), clock=NOON)
    async with FlashAlphaClient(server.url) as client:
        for _ in range(5):
            await client.account()
        body = await client._http.get("/v1/account")
    assert body.status_code == 429
    said = body.json()
    assert said["error"] == "Quota exceeded" and said["current_plan"] == "Free"
    assert said["reset_at"] == "2026-06-13T00:00:00Z"
