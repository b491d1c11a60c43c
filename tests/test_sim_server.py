"""The simulator's server speaks the documented API: windows, invariants, plans, errors, CLI."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta

import httpx
import numpy as np
import pytest

from hedgeflow_tui.api.client import FlashAlphaClient
from hedgeflow_tui.market.clock import ET, FrozenClock
from hedgeflow_tui.sim import SimConfig, simulate_session
from hedgeflow_tui.sim.truth import episodes

DAY = date(2026, 6, 12)


def et(hh: int, mm: int, ss: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=ET).astimezone(UTC)


@pytest.fixture
def server(sim_server):
    return sim_server(config=SimConfig(seed=3, date=DAY), clock=FrozenClock(et(12, 0, 45)))


async def test_windows_hold_exactly_the_closed_bars_inside_them(server):
    async with FlashAlphaClient(server.url) as client:
        answer = await client.hedge_flow("SPY", "calls", "1m", 10)
        assert [b.t for b in answer.bars] == [et(11, 51) + timedelta(minutes=i) for i in range(9)]
        assert answer.as_of == et(12, 0, 45) and answer.expiration == DAY
        everything = await client.hedge_flow("SPY", "calls", "5m", 390)
        assert everything.bars[0].t == et(9, 30) and everything.bars[-1].t == et(11, 55)
        default = await client.hedge_flow("SPY", "all", "30s", None)
        assert len(default.bars) == 119 and default.side == "all" and default.bar_size == "30s"


async def test_all_is_calls_plus_puts_and_cumulative_is_the_running_sum(server):
    async with FlashAlphaClient(server.url) as client:
        calls = await client.hedge_flow("SPY", "calls", "30s", 390)
        puts = await client.hedge_flow("SPY", "puts", "30s", 390)
        both = await client.hedge_flow("SPY", "all", "30s", 390)
    running = 0.0
    for c, p, a in zip(calls.bars, puts.bars, both.bars, strict=False):
        assert a.bar == known(c.bar) + known(p.bar)
        assert a.cumulative == known(c.cumulative) + known(p.cumulative)
        running += known(a.bar)
        assert a.cumulative == running


@pytest.mark.parametrize("small, large", [("30s", "1m"), ("1m", "5m"), ("5m", "15m")])
async def test_small_bars_sum_to_the_larger_bars_they_make_up(server, small, large):
    async with FlashAlphaClient(server.url) as client:
        fine = await client.hedge_flow("QQQ", "all", small, 390)
        coarse = await client.hedge_flow("QQQ", "all", large, 390)
        fine_series = await client.series("QQQ", small, 390)
        coarse_series = await client.series("QQQ", large, 390)
    by_t = {b.t: b for b in fine.bars}
    step = {"30s": 30, "1m": 60, "5m": 300, "15m": 900}
    parts = step[large] // step[small]
    for bar in coarse.bars:
        members = [by_t[bar.t + timedelta(seconds=step[small] * k)] for k in range(parts)]
        assert bar.bar == sum(known(m.bar) for m in members)
        assert bar.cumulative == members[-1].cumulative
    spot = {p.t: p.spot for p in fine_series.bars}
    for point in coarse_series.bars:
        assert point.spot == spot[point.t + timedelta(seconds=step[large] - step[small])]


async def test_no_bars_before_the_open_or_on_a_weekend_and_all_of_them_after_the_close(sim_server):
    early = sim_server(config=SimConfig(date=DAY), clock=FrozenClock(et(9, 0)))
    weekend = sim_server(
        config=SimConfig(date=date(2026, 6, 13)),
        clock=FrozenClock(et(12, 0, day=date(2026, 6, 13))),
    )
    late = sim_server(config=SimConfig(date=DAY), clock=FrozenClock(et(18, 0)))
    async with FlashAlphaClient(early.url) as client:
        assert (await client.hedge_flow("SPY", "calls", "1m", 390)).bars == ()
    async with FlashAlphaClient(weekend.url) as client:
        assert (await client.series("SPY", "1m", 390)).bars == ()
    async with FlashAlphaClient(late.url) as client:
        bars = (await client.hedge_flow("SPY", "calls", "1m", 390)).bars
        assert len(bars) == 390 and bars[-1].t == et(15, 59)


async def test_series_carries_the_price_and_regime_metrics(server):
    async with FlashAlphaClient(server.url) as client:
        series = await client.series("SPX", "5m", 30)
    assert len(series.bars) == 5  # 30 minutes back from 12:00:45: buckets 11:35..11:55
    for point in series.bars:
        assert 5000 < known(point.spot) < 7000
        assert known(point.put_wall) <= known(point.call_wall)
        withheld = point.gamma_flip is None  # as documented: the regime "unknown" then
        assert (
            point.regime == "unknown"
            if withheld
            else point.regime in ("positive_gamma", "negative_gamma")
        )


async def test_account_counts_requests_and_quota_headers_follow(sim_server):
    server = sim_server(
        config=SimConfig(date=DAY, plan="basic", api_key="k"), clock=FrozenClock(et(11, 0))
    )
    async with FlashAlphaClient(server.url, "k") as client:
        await client.account()
        account = await client.account()
        assert (account.plan, account.daily_limit, account.usage_today) == ("basic", 100, 2)
        assert client.rate_limit is not None
        assert client.rate_limit.limit == 100 and client.rate_limit.remaining == 98


def test_truth_is_served_apart_from_the_api_answers(server):
    truth = httpx.get(f"{server.url}/sim/v1/truth/SPY", params={"bar": "1m"}).json()
    assert len(truth["bars"]) == 150
    assert {b["regime"] for b in truth["bars"]} <= {"calm", "call_chase", "put_flush", "pin"}
    api = httpx.get(f"{server.url}/v1/flow/zero-dte/series/SPY", params={"bar": "1m"}).text
    assert "call_chase" not in api and "put_flush" not in api and "calm" not in api


def test_health_is_public(sim_server):
    server = sim_server(config=SimConfig(date=DAY, api_key="k"), clock=FrozenClock(et(11, 0)))
    assert httpx.get(f"{server.url}/health").json() == {"status": "ok"}
    assert httpx.get(f"{server.url}/v1/account").status_code == 401


@pytest.mark.parametrize(
    "args, names",
    [
        (["--host", "0.0.0.0"], "--allow-remote"),
        (["--port", "70000"], "0..65535"),
        (["--speed", "0"], "positive"),
        (["--faults", "1.5"], "0..1"),
        (["--date", "someday"], "YYYY-MM-DD"),
        (["--plan", "platinum"], "growth"),
    ],
)
def test_hedgeflow_sim_refuses_bad_flags_in_one_line(args, names):
    result = subprocess.run(
        [sys.executable, "-m", "hedgeflow_tui.sim.server", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hedgeflow-sim: error:") and names in lines[0]


def test_hedgeflow_sim_serves_over_http():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hedgeflow_tui.sim.server",
            "--port",
            str(port),
            "--date",
            "2026-06-12",
            "--start",
            "12:00",
            "--api-key",
            "secret-key",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = httpx.get(
                    f"http://127.0.0.1:{port}/v1/flow/zero-dte/hedge-flow/SPY",
                    params={"side": "calls", "bar": "1m", "minutes": 5},
                    headers={"X-Api-Key": "secret-key"},
                )
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline, "hedgeflow-sim did not start"
                time.sleep(0.1)
        body = answer.json()
        assert answer.status_code == 200 and body["side"] == "calls"
        # live timing by default: the answer holds the buckets whose samples are published by its
        # as_of (4 s +- 50% after they are taken); data_as_of, as documented, says when each
        # feed last delivered: seconds before the answer, whatever the bars hold
        as_of = datetime.fromisoformat(body["as_of"])
        data = datetime.fromisoformat(body["data_as_of"]["equity_options_feed"])
        assert timedelta(0) <= as_of - data <= timedelta(seconds=3)
        newest = datetime.fromisoformat(body["bars"][-1]["t"])
        assert newest + timedelta(minutes=1) <= as_of < newest + timedelta(minutes=2, seconds=6)
        assert datetime.fromisoformat(body["bars"][0]["t"]) >= as_of - timedelta(minutes=5)
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=10)
    assert f"127.0.0.1:{port}" in out and "secret-key" not in out


def test_truth_labels_squeezes_and_absorbed_chases_by_outcome(sim_server):
    # simulated first (the server shares this process's cache): the request never waits on the
    # model past httpx's timeout on a loaded machine
    path = simulate_session("SPY", DAY, 34)
    expected = episodes(path, 60)
    assert {e.kind for e in expected} == {"squeeze", "absorbed_chase"}
    day_end = sim_server(config=SimConfig(seed=34, date=DAY), clock=FrozenClock(et(16, 30)))
    truth = httpx.get(f"{day_end.url}/sim/v1/truth/SPY", params={"bar": "1m"}).json()
    assert [
        {
            "start": e.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "end": e.end.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "direction": e.direction,
            "kind": e.kind,
            "move_bp": e.move_bp,
            "flow_z": e.flow_z,
            "price_z": e.price_z,
        }
        for e in expected
    ] == truth["episodes"]
    midday = sim_server(config=SimConfig(seed=34, date=DAY), clock=FrozenClock(et(12, 0)))
    so_far = httpx.get(f"{midday.url}/sim/v1/truth/SPY", params={"bar": "1m"}).json()
    noon = DAY.isoformat() + "T16:00:00Z"
    assert so_far["episodes"]  # seed 34: two squeezes in the first hour
    assert all(e["end"] < noon for e in so_far["episodes"])  # labelled from what was served
    api = httpx.get(f"{day_end.url}/v1/flow/zero-dte/hedge-flow/SPY", params={"bar": "1m"}).text
    assert "episodes" not in api and "absorbed" not in api


async def test_gamma_flip_is_null_when_dealers_gamma_never_changes_sign(sim_server):
    server = sim_server(config=SimConfig(seed=4, date=DAY), clock=FrozenClock(et(16, 30)))
    model = simulate_session("SPY", DAY, 4)
    async with FlashAlphaClient(server.url) as client:
        series = await client.series("SPY", "30s", 390)
    async with httpx.AsyncClient() as http:
        answer = await http.get(
            f"{server.url}/v1/flow/zero-dte/series/SPY", params={"bar": "30s", "minutes": 390}
        )
    raw = answer.json()
    missing = [point.gamma_flip is None for point in series.bars]
    assert missing == list(np.isnan(model.gamma_flip))
    assert any(missing) and not all(missing)
    # as documented: "available" with the flip, else why it is withheld, the regime "unknown"
    for b in raw["bars"]:
        withheld = b["gamma_flip"] is None
        assert b["gamma_flip_status"] == ("no_boundary" if withheld else "available")
        assert (b["regime"] == "unknown") == withheld


async def test_null_flow_fault_answers_series_bars_without_hedge_flow(sim_server):
    server = sim_server(
        config=SimConfig(date=DAY, faults=1.0, fault_kinds=("null_flow",)),
        clock=FrozenClock(et(12, 0)),
    )
    async with httpx.AsyncClient() as http:
        answer = await http.get(f"{server.url}/v1/flow/zero-dte/series/SPY", params={"bar": "1m"})
    raw = answer.json()
    assert raw["bars"] and all(
        bar[field] is None
        for bar in raw["bars"]
        for field in (
            "hedge_flow_call_cumulative",
            "hedge_flow_put_cumulative",
            "hedge_flow_cumulative_all",
        )
    )
    assert all(bar["spot"] is not None for bar in raw["bars"])
    async with FlashAlphaClient(server.url) as client:  # still parses: the fields are optional
        assert (await client.series("SPY", "1m", 30)).bars
        flow = await client.hedge_flow("SPY", "all", "1m", 30)  # hedge-flow answers unchanged
    assert all(bar.bar is not None for bar in flow.bars)


def known(value: float | None) -> float:
    """A value the simulator always serves: None fails the test here."""
    assert value is not None
    return value
