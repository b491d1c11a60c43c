"""Resilience soak: whole sessions headless against hedgeflow-sim over HTTP with 30% of requests
failing (500s, 502 HTML, 429 + Retry-After, timeouts, truncated JSON, duplicated and reordered
bars), each compared with the same session fault-free.

    python3 bench/soak.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json

from _common import DAY, table
from threaded_server import ThreadedServer

from hedgeflow_tui.config.settings import Settings
from hedgeflow_tui.engine.sources import open_source
from hedgeflow_tui.output.headless import run_headless
from hedgeflow_tui.sim import SimConfig, sim_clock

SPEED = {"30s": 600.0, "1m": 900.0, "5m": 3000.0}


async def session(seed: int, bar: str, faults: float) -> tuple[dict, int, dict]:
    server = ThreadedServer(
        SimConfig(seed=seed, date=DAY, faults=faults, fault_seed=seed, slow_seconds=2.5),
        sim_clock(DAY, "09:30", SPEED[bar]),
    ).start()
    try:
        settings = Settings(
            symbols=["SPY"],
            bar=bar,
            headless=True,
            base_url=server.url,
            speed=SPEED[bar],
            timeout=2.0,
            history=False,  # the user's history is no place for a benchmark's sessions
        )
        out = io.StringIO()
        status = await run_headless(settings, open_source(settings), out)
        injected = dict(server.app.state.faults.injected)
    finally:
        server.stop()
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    bars = {line["t"]: line for line in lines if line["type"] == "bar"}
    retries = sum(
        1
        for line in lines
        if line["type"] == "status" and line["state"] in ("retrying", "rate_limited")
    )
    assert status == 0, f"seed {seed} {bar}: exit {status}"
    return bars, retries, injected


async def main(runs: list[tuple[int, str]]) -> None:
    rows, failures = [], 0
    for seed, bar in runs:
        clean, _, _ = await session(seed, bar, 0.0)
        faulty, retries, injected = await session(seed, bar, 0.3)
        same = faulty == clean
        failures += not same
        for t in sorted(set(clean) | set(faulty)):
            if clean.get(t) != faulty.get(t):
                print(f"seed {seed} {bar} {t}: fault-free {clean.get(t)} vs faulty {faulty.get(t)}")
        rows.append(
            [seed, bar, len(clean), sum(injected.values()), retries, "PASS" if same else "FAIL"]
        )
    print("whole sessions with 30% faults vs fault-free: final bars equal?")
    print(table(["seed", "bar", "bars", "faults injected", "retry statuses", "result"], rows))
    print(f"{len(runs) - failures}/{len(runs)} sessions identical")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one session at 5m bars")
    args = parser.parse_args()
    plan = [(1, "5m")] if args.quick else [(1, "1m"), (2, "1m"), (3, "30s"), (4, "5m"), (5, "5m")]
    asyncio.run(main(plan))
