"""One request per bar: the lean cycle against a real `hedgeflow-sim`, its cross-check against
the hedge-flow endpoint, `--requests full`, and recordings made either way."""

from __future__ import annotations

import io
import json
import math
from dataclasses import replace
from datetime import date
from pathlib import Path

import httpx
import pytest
from stepped_clock import SteppedClock, stepped_clock
from test_headless import final_bars, lines_of, served_session

from hedgeflow_tui.config.settings import Settings
from hedgeflow_tui.engine.quota import CATCHUP_SHARE
from hedgeflow_tui.engine.sources import open_source
from hedgeflow_tui.output.headless import run_headless
from hedgeflow_tui.output.replay import export_csv
from hedgeflow_tui.sim import SimConfig
from hedgeflow_tui.storage.recording.reader import RecordingStream

DAY = date(2026, 6, 12)
START = "15:00"  # an hour of history, then an hour polled live
# real seconds: generous, so a loaded machine never turns a slow answer into a retry (and an
# extra request); timeouts are test_client_errors' and test_hostile_server's
TIMEOUT = 10.0
FIELDS = ("calls", "puts", "all", "cum_calls", "cum_puts", "cum_all", "spot")


async def run(
    url: str, clock: SteppedClock, requests: str, record: Path | None = None
) -> list[dict]:
    """Headless mode against `url` on the server's own stepped clock."""
    settings = Settings(
        symbols=["SPY"],
        bar="1m",
        headless=True,
        base_url=url,
        timeout=TIMEOUT,
        requests=requests,
        record=record,
    )
    out = io.StringIO()
    assert await run_headless(settings, open_source(settings, clock=clock), out) == 0
    return lines_of(out.getvalue())


def used(url: str) -> int:
    """Requests the server counted, less this read and the poller's one account read."""
    return httpx.get(f"{url}/v1/account").json()["usage_today"] - 1


def assert_exact(printed: dict[str, dict], served: dict[str, dict]) -> None:
    assert printed.keys() == served.keys()
    for t, truth in served.items():
        for field in FIELDS:
            assert printed[t][field] == truth[field], (t, field)


@pytest.mark.parametrize("requests", ["auto", "lean", "full"])
async def test_every_cycle_gives_the_servers_session_exactly(sim_server, requests):
    # published at once: this counts the cycle's requests, without the catch-up polls a
    # publication lag brings (those are test_live_timing's)
    clock = stepped_clock(DAY, START)
    server = sim_server(config=SimConfig(seed=4, date=DAY, publish_lag=0.0), clock=clock)
    lines = await run(server.url, clock, requests)
    count = used(server.url) - 1  # the poller's account read
    assert_exact(final_bars(lines, "SPY"), await served_session(server.url, "SPY", "1m"))
    live_closes = 60
    if requests == "full":
        assert count >= 1.5 * live_closes
    else:
        # at most one series per close, three for the back-fill, a cross-check at most hourly,
        # and the catch-ups live timing calls for (a sample published after the first poll),
        # which the quota planner counts at CATCHUP_SHARE a close
        catch_ups = math.ceil(CATCHUP_SHARE * live_closes)
        assert count <= live_closes + 3 + (2 if requests == "auto" else 0) + 2 + catch_ups
    statuses = [line for line in lines if line["type"] == "status"]
    assert all(line["note"] is None for line in statuses)


async def test_series_flow_that_disagrees_is_shown_and_hedge_flow_used(sim_server):
    config = SimConfig(seed=4, date=DAY, faults=1.0, fault_kinds=("skewed_flow",))
    clock = stepped_clock(DAY, START)
    server = sim_server(config=config, clock=clock)
    lines = await run(server.url, clock, "auto")
    notes = [line["note"] for line in lines if line["type"] == "status" and line["note"]]
    assert notes and "series flow disagrees with hedge-flow" in notes[0]
    assert "calls" in notes[0]
    # every bar is the hedge-flow endpoint's (the skewed series' flow is never shown)
    assert_exact(final_bars(lines, "SPY"), await served_session(server.url, "SPY", "1m"))
    # the rest of the session ran on the full cycle
    assert server.app.state.quota.used >= 1.5 * 60


async def test_a_skew_found_by_the_hourly_cross_check_rebuilds_the_bars(sim_server):
    """Consistent at start-up, skewed from then on: the periodic check finds it, and the bars
    already shown from the series are replaced by the hedge-flow endpoint's."""
    config = SimConfig(seed=4, date=DAY, faults=0.0, fault_kinds=("skewed_flow",))
    clock = stepped_clock(DAY, "14:30")
    server = sim_server(config=config, clock=clock)
    settings = Settings(
        symbols=["SPY"], bar="1m", headless=True, base_url=server.url, timeout=TIMEOUT
    )
    out = io.StringIO()
    source = open_source(settings, clock=clock)

    class SkewAfterStart:
        """Turns the fault on once the back-fill has been merged."""

        def __init__(self) -> None:
            self.count = 0

        def __call__(self, exchange) -> None:
            self.count += 1
            if self.count == 4:
                server.app.state.faults.rate = 1.0

    skewing = replace(source, _connect=lambda observer: source.make_client(SkewAfterStart()))
    assert await run_headless(settings, skewing, out) == 0
    lines = lines_of(out.getvalue())
    notes = [line["note"] for line in lines if line["type"] == "status" and line["note"]]
    assert notes and "disagrees" in notes[0]
    skewed_shown = [
        line for line in lines if line["type"] == "bar" and line["t"] > "2026-06-12T18:30:00Z"
    ]
    assert skewed_shown  # bars came from the (then skewed) series before the check
    assert_exact(final_bars(lines, "SPY"), await served_session(server.url, "SPY", "1m"))


async def test_recordings_made_either_way_replay_to_the_same_bars(sim_server, tmp_path):
    tables = {}
    for requests in ("lean", "full"):
        clock = stepped_clock(DAY, START)
        server = sim_server(config=SimConfig(seed=4, date=DAY), clock=clock)
        path = tmp_path / f"{requests}.jsonl"
        await run(server.url, clock, requests, record=path)
        out = io.StringIO()
        assert export_csv("normal", RecordingStream(path), out) == 0
        tables[requests] = out.getvalue()
    assert tables["lean"] == tables["full"]
    assert len(tables["lean"].splitlines()) == 1 + 390
    lean = [json.loads(line) for line in (tmp_path / "lean.jsonl").read_text().splitlines()]
    endpoints = [r["endpoint"] for r in lean if r["kind"] == "response"]
    assert endpoints.count("series") > 3 * endpoints.count("hedge-flow")
