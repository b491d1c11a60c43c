"""Headless mode end to end: pollers against a real `hedgeflow-sim` server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import io
import itertools
import json
from datetime import date
from typing import Any

import pytest
from headless_demo import headless_demo
from stepped_clock import stepped_clock

from hedgeflow_tui.analysis.detector import OPENING, AlertTracker, detector_config
from hedgeflow_tui.analysis.levels import LEVEL_KINDS
from hedgeflow_tui.api.client import FlashAlphaClient
from hedgeflow_tui.api.model import iso
from hedgeflow_tui.config.settings import Settings
from hedgeflow_tui.engine.sources import open_source
from hedgeflow_tui.market.clock import Clock
from hedgeflow_tui.output.headless import run_headless
from hedgeflow_tui.sim import SimConfig, sim_clock, simulate_session
from hedgeflow_tui.sim.rows import rows_at

DAY = date(2026, 6, 12)
SPEED = 900.0  # one market hour in four real seconds (for the test that is about timing)


def lines_of(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def final_bars(lines: list[dict], symbol: str) -> dict[str, dict]:
    """The last version of every bucket the run printed (a revised bar is printed again)."""
    return {line["t"]: line for line in lines if line["type"] == "bar" and line["symbol"] == symbol}


async def served_session(url: str, symbol: str, bar: str) -> dict[str, dict]:
    """What the server holds for the whole session, read back through the client."""
    async with FlashAlphaClient(url) as client:
        calls = await client.hedge_flow(symbol, "calls", bar, 390)
        puts = await client.hedge_flow(symbol, "puts", bar, 390)
        both = await client.hedge_flow(symbol, "all", bar, 390)
        series = await client.series(symbol, bar, 390)
    table: dict[str, dict] = {}
    for name, response in (("calls", calls), ("puts", puts), ("all", both)):
        for flow in response.bars:
            row = table.setdefault(flow.t.strftime("%Y-%m-%dT%H:%M:%SZ"), {})
            row[name] = flow.bar
            row[f"cum_{name}"] = flow.cumulative
    for point in series.bars:
        table[point.t.strftime("%Y-%m-%dT%H:%M:%SZ")]["spot"] = point.spot
    return table


async def run_against(
    url: str, clock: Clock | None = None, **overrides: Any
) -> tuple[int, list[dict]]:
    """Headless mode against `url`; on the server's own stepped clock when given one."""
    settings = Settings(
        symbols=overrides.pop("symbols", ["SPY"]),
        bar=overrides.pop("bar", "1m"),
        headless=True,
        base_url=url,
        speed=SPEED,
        timeout=overrides.pop("timeout", 2.0),
        **overrides,
    )
    out = io.StringIO()
    status = await run_headless(settings, open_source(settings, clock=clock), out)
    return status, lines_of(out.getvalue())


@pytest.mark.parametrize("bar", ["1m", "5m"])
async def test_headless_reproduces_the_simulators_session_exactly(sim_server, bar):
    clock = stepped_clock(DAY, "14:40")
    server = sim_server(config=SimConfig(seed=11, date=DAY), clock=clock)
    status, lines = await run_against(server.url, clock, bar=bar)
    assert status == 0
    printed = final_bars(lines, "SPY")
    served = await served_session(server.url, "SPY", bar)
    assert len(served) == 390 // {"1m": 1, "5m": 5}[bar]
    assert printed.keys() == served.keys()
    for t, truth in served.items():
        row = printed[t]
        for field in ("calls", "puts", "all", "cum_calls", "cum_puts", "cum_all", "spot"):
            assert row[field] == truth[field], (t, field)
    statuses = [line for line in lines if line["type"] == "status"]
    assert statuses[0]["source"] == "REMOTE"
    assert statuses[-1]["state"] == "closed"
    assert all("Traceback" not in line.get("message", "") for line in statuses)


async def test_headless_prints_alerts_with_the_documented_fields(sim_server):
    # seed 0: SPY squeezes open at 10:39, 11:04, 13:40 and 13:50 ET, two of them reversed. The
    # sessions are simulated first (in-process cache), so the client timeout never waits for
    # the model's morning on a loaded machine.
    for symbol in ("SPY", "QQQ"):
        simulate_session(symbol, DAY, 0)
    clock = stepped_clock(DAY, "14:30", sleepers=2)
    server = sim_server(config=SimConfig(seed=0, date=DAY), clock=clock)
    _, lines = await run_against(server.url, clock, symbols=["SPY", "QQQ"])
    alerts = [line for line in lines if line["type"] == "alert"]
    alerts = [line for line in alerts if line["kind"] not in LEVEL_KINDS]  # test_levels.py's
    assert alerts, "no alert in the session: pick a seed or start time with one"
    for alert in alerts:
        assert {
            "kind",
            "direction",
            "bars",
            "attribution",
            "cum_all",
            "t",
            "symbol",
            "history",
        } <= alert.keys()
    # started at 15:00: the session's earlier alerts come first, as history
    assert alerts[0]["history"] and alerts[0]["t"] < "2026-06-12T19:00:00Z"
    # an episode's end is printed too: it fades (squeeze_ended) or turns (reversal)
    assert {"squeeze_ended", "reversal"} & {alert["kind"] for alert in alerts}
    bar_symbols = {line["symbol"] for line in lines if line["type"] == "bar"}
    assert bar_symbols == {"SPY", "QQQ"}


async def test_headless_alert_lines_are_the_detectors_with_ends_and_new_directions(sim_server):
    """Seed 23, started at 15:00 ET: every alert line is the detector's over the model's session
    (the earlier ones as history), a fading squeeze prints `squeeze_ended` as news, and a
    reversal carries the new direction, against the episode it ends."""
    simulate_session("SPY", DAY, 23)
    clock = stepped_clock(DAY, "15:00", sleepers=1)
    server = sim_server(config=SimConfig(seed=23, date=DAY), clock=clock)
    _, lines = await run_against(server.url, clock)
    printed = [(a["kind"], a["direction"], a["t"]) for a in lines if a["type"] == "alert"]
    printed = [alert for alert in printed if alert[0] not in LEVEL_KINDS]
    tracker = AlertTracker("SPY", detector_config("1m"))
    session = rows_at(simulate_session("SPY", DAY, 23), 60)
    for end in range(1, len(session) + 1):
        tracker.update(session[:end])
    assert printed == [(a.kind, a.direction, iso(a.t)) for a in tracker.alerts]
    news = [a for a in lines if a["type"] == "alert" and not a["history"]]
    assert "squeeze_ended" in {a["kind"] for a in news}
    for before, alert in itertools.pairwise(printed):
        if alert[0] == "reversal":  # it ends an episode (or follows one that faded)
            assert before[0] in (*OPENING, "squeeze_ended") and alert[1] != before[1]


async def test_an_ended_squeeze_line_totals_the_run_to_its_peak_and_its_fade_apart(sim_server):
    """Seed 42, started at 15:50 ET: the upside squeeze that ended at 15:42 gave its whole run
    back; its history line says the run's own total and, apart, the fade's."""
    simulate_session("SPY", DAY, 42)
    clock = stepped_clock(DAY, "15:50", sleepers=1)
    server = sim_server(config=SimConfig(seed=42, date=DAY), clock=clock)
    _, lines = await run_against(server.url, clock)
    ended = [a for a in lines if a["type"] == "alert" and a["kind"] == "squeeze_ended"]
    line = next(a for a in ended if a["t"] == "2026-06-12T19:42:00Z")
    assert line["direction"] == "up" and line["history"] and line["why"] == ""
    assert (line["bars"], line["fade_bars"]) == (4, 2)
    assert line["run_flow"] + line["fade_flow"] < 0 < line["run_flow"]
    for alert in ended:
        assert (alert["run_flow"] > 0) == (alert["direction"] == "up"), alert
    opened = [a for a in lines if a["type"] == "alert" and a["kind"] in OPENING]
    assert opened and all(a["why"].startswith("short gamma · flow ") for a in opened)


async def test_bad_key_stops_with_a_clear_status_and_exit_1(sim_server):
    clock = stepped_clock(DAY, "11:00")
    server = sim_server(config=SimConfig(seed=11, date=DAY, api_key="right-key"), clock=clock)
    status, lines = await run_against(server.url, clock, api_key="wrong-key")
    assert status == 1
    last = [line for line in lines if line["type"] == "status"][-1]
    assert last["state"] == "stopped"
    assert "key" in last["message"].lower()
    assert "wrong-key" not in json.dumps(lines)


async def test_resilient_under_thirty_percent_faults(sim_server):
    """Every fault kind at 30% for the last 45 minutes of a session (about 80 failures): the
    same final series as the fault-free run."""
    config: dict[str, Any] = {"seed": 5, "date": DAY}
    clock = stepped_clock(DAY, "15:15")
    clean = sim_server(config=SimConfig(**config), clock=clock)
    clean_status, clean_lines = await run_against(clean.url, clock)
    clock = stepped_clock(DAY, "15:15")
    faulty = sim_server(
        config=SimConfig(**config, faults=0.3, fault_seed=3, slow_seconds=0.5), clock=clock
    )
    faulty_status, faulty_lines = await run_against(faulty.url, clock, timeout=0.3)
    assert clean_status == faulty_status == 0
    assert final_bars(faulty_lines, "SPY") == final_bars(clean_lines, "SPY")
    states = {line["state"] for line in faulty_lines if line["type"] == "status"}
    assert "retrying" in states or "rate_limited" in states


async def printed(out: io.StringIO, text: str, timeout: float = 30.0) -> None:  # noqa: ASYNC109
    """Until the run has printed `text`."""
    waited = 0.0
    while text not in out.getvalue():
        assert waited < timeout, f"never printed {text}"
        await asyncio.sleep(0.02)
        waited += 0.02


async def test_recovers_when_the_server_dies_and_comes_back(sim_server):
    """The server goes away mid-session and returns: the poller retries by itself and back-fills.
    Stopped once the run prints bars, started again once it has said it is retrying and some
    market minutes went by unanswered (at 1800x a real second is half a market hour)."""
    clock = sim_clock(DAY, "15:00", 1800.0)
    server = sim_server(config=SimConfig(seed=2, date=DAY), clock=clock)
    settings = Settings(
        symbols=["SPY"], bar="1m", headless=True, base_url=server.url, speed=1800.0, timeout=2.0
    )
    out = io.StringIO()
    run = asyncio.ensure_future(run_headless(settings, open_source(settings), out))
    await printed(out, '"type":"bar"')
    await asyncio.to_thread(server.stop)
    await printed(out, '"state":"retrying"')
    down = clock.now()
    await asyncio.sleep(0.2)
    await asyncio.to_thread(server.start)
    assert (clock.now() - down).total_seconds() > 5 * 60  # bars closed while it was down
    status = await asyncio.wait_for(run, timeout=60)
    assert status == 0
    lines = lines_of(out.getvalue())
    states = [line["state"] for line in lines if line["type"] == "status"]
    assert "retrying" in states and states[-1] == "closed"
    served = await served_session(server.url, "SPY", "1m")
    printed_bars = final_bars(lines, "SPY")
    assert printed_bars.keys() == served.keys()
    assert all(printed_bars[t]["cum_all"] == served[t]["cum_all"] for t in served)


@pytest.mark.parametrize("signum", ["SIGTERM", "SIGINT", "SIGHUP"])
def test_ctrl_c_sigterm_or_sighup_end_headless_cleanly_with_the_shells_status(signum):
    import signal
    import subprocess

    process = subprocess.Popen(
        headless_demo("SPY", speed=60, start="12:00"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    first = json.loads(process.stdout.readline())
    assert first["type"] == "status" and first["source"] == "SIMULATED"
    while json.loads(process.stdout.readline())["type"] != "bar":
        pass
    process.send_signal(getattr(signal, signum))
    # not communicate(): it reads the raw pipe and would lose what readline() has buffered
    rest, errors = process.stdout.read(), process.stderr.read()
    assert process.wait(timeout=30) == 128 + getattr(signal, signum)  # 143, 130, 129
    assert "Traceback" not in errors
    assert all(json.loads(line) for line in rest.splitlines())


async def test_a_bar_line_carries_the_regime_the_banner_and_its_et_time(sim_server):
    clock = stepped_clock(DAY, "15:30")
    server = sim_server(config=SimConfig(seed=0, date=DAY), clock=clock)
    status, lines = await run_against(server.url, clock)
    assert status == 0
    bars = [line for line in lines if line["type"] == "bar"]
    assert bars[0]["t"] == "2026-06-12T13:30:00Z" and bars[0]["t_et"] == "2026-06-12T09:30:00-04:00"
    assert all(bar["net_gex"] is not None and bar["spot"] is not None for bar in bars)
    assert any(bar["gamma_flip"] is not None for bar in bars)
    # the series' other metrics, null where the answer had null
    assert all(bar["atm_iv"] is not None for bar in bars)
    assert {bar["gamma_flip_status"] for bar in bars} <= {"available", "no_boundary"}
    assert all(bar["magnet"] is None and bar["net_dex"] is None for bar in bars)
    walled = [bar for bar in bars if bar["call_wall"] is not None]
    assert walled and all(bar["put_wall"] is not None for bar in walled)
    bannered = [bar for bar in bars if bar["banner"] is not None]
    assert bannered and {bar["banner"]["state"] for bar in bannered} <= {
        "quiet",
        "building",
        "confirmed",
    }
    alerts = [line for line in lines if line["type"] == "alert"]
    assert all(alert["t_et"].endswith("-04:00") for alert in alerts)


async def test_max_retries_ends_a_run_after_n_failed_polls_in_a_row():
    settings = Settings(
        symbols=["SPY"], headless=True, base_url="http://127.0.0.1:9", timeout=1.0, max_retries=3
    )
    out = io.StringIO()
    clock = stepped_clock(DAY, "11:00")
    status = await asyncio.wait_for(run_headless(settings, open_source(settings, clock), out), 30)
    assert status == 1
    last = lines_of(out.getvalue())[-1]
    assert (
        last["state"] == "stopped"
        and "3 failed polls in a row (--max-retries 3)" in last["message"]
    )


def test_piped_into_head_it_ends_with_0_and_says_nothing():
    import subprocess

    command = " ".join(headless_demo("SPY", speed=120, start="15:00"))
    done = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {command} | head -3"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 3 and done.stderr == ""
