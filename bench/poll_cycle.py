"""One poll cycle (calls + puts + series) against hedgeflow-sim with 100 ms latency per request:
the poller's concurrent fetch vs a plain sequential loop of the same three requests.

    python3 bench/poll_cycle.py [--cycles N]
"""

from __future__ import annotations

import argparse
import asyncio
import time

import httpx
from _common import DAY, median, table

from hedgeflow_tui.client import FlashAlphaClient
from hedgeflow_tui.poller import Poller
from hedgeflow_tui.sim import SimConfig, sim_clock
from hedgeflow_tui.sim.threaded import ThreadedServer
from hedgeflow_tui.store import Store

LATENCY = 0.1

QUERIES: tuple[tuple[str, dict[str, str | int]], ...] = (  # one poll cycle, by hand
    ("hedge-flow/SPY", {"side": "calls", "bar": "1m", "minutes": 2}),
    ("hedge-flow/SPY", {"side": "puts", "bar": "1m", "minutes": 2}),
    ("series/SPY", {"bar": "1m", "minutes": 2}),
)


async def main(cycles: int) -> None:
    clock = sim_clock(DAY, "12:00", 1.0)
    server = ThreadedServer(SimConfig(date=DAY, latency=LATENCY), clock).start()
    try:
        ours, plain = [], []
        async with FlashAlphaClient(server.url) as client:
            poller = Poller(client, Store(), "SPY", "1m", clock, source="REMOTE")
            await poller.poll_once()  # the back-fill, not measured
            async with httpx.AsyncClient(base_url=server.url) as http:
                for _ in range(cycles):
                    started = time.perf_counter()
                    await poller.poll_once()
                    ours.append(time.perf_counter() - started)
                    started = time.perf_counter()
                    for path, params in QUERIES:
                        (
                            await http.get(f"/v1/flow/zero-dte/{path}", params=params)
                        ).raise_for_status()
                    plain.append(time.perf_counter() - started)
    finally:
        server.stop()
    a, b = median(ours), median(plain)
    print(f"poll cycle, 3 requests, {LATENCY * 1000:.0f} ms latency each, median of {cycles}")
    print(
        table(
            ["method", "ms per cycle", "round trips"],
            [
                ["hedgeflow-tui poller (concurrent)", f"{a * 1000:.0f}", f"{a / LATENCY:.2f}"],
                ["plain sequential loop", f"{b * 1000:.0f}", f"{b / LATENCY:.2f}"],
            ],
        )
    )
    print(f"ratio sequential / ours: {b / a:.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="5 cycles")
    args = parser.parse_args()
    asyncio.run(main(5 if args.quick else args.cycles))
