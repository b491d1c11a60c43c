"""Poll cycles against hedgeflow-sim with 100 ms latency per request, for 1, 2 and 3 symbols
polled together (each symbol on the default lean cycle: after the back-fill, one series request
a poll): wall time in round trips, and the client's CPU per symbol poll; a plain sequential loop
of one symbol's three requests (calls, puts, series) for comparison.

    python3 bench/poll_cycle.py [--cycles N]

The simulator runs as its own process (`hedgeflow-sim --latency 0.1`), so the CPU measured here
(`time.process_time` of this process) is the client's alone: the pollers, httpx, parsing and
merging into the store.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import subprocess
import sys
import time

import httpx
from _common import DAY, median, table

from hedgeflow_tui.api.client import FlashAlphaClient
from hedgeflow_tui.engine.poller import Poller
from hedgeflow_tui.engine.store import Store
from hedgeflow_tui.sim import sim_clock

LATENCY = 0.1
SYMBOLS = ("SPY", "QQQ", "SPX")
QUERIES: tuple[tuple[str, dict[str, str | int]], ...] = (  # one poll cycle, by hand
    ("hedge-flow/SPY", {"side": "calls", "bar": "1m", "minutes": 2}),
    ("hedge-flow/SPY", {"side": "puts", "bar": "1m", "minutes": 2}),
    ("series/SPY", {"bar": "1m", "minutes": 2}),
)


def start_simulator() -> tuple[subprocess.Popen, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "hedgeflow_tui.sim.server", "--port", str(port)),
            *("--date", DAY.isoformat(), "--start", "12:00", "--plan", "alpha"),
            *("--latency", str(LATENCY)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return server, url
        except httpx.HTTPError:
            time.sleep(0.05)
    server.kill()
    raise SystemExit("hedgeflow-sim did not start")


async def cycles_of(url: str, symbols: int, cycles: int) -> tuple[float, float]:
    """Median wall seconds of a cycle polling `symbols` symbols together, and the median client
    CPU seconds per symbol poll."""
    clock = sim_clock(DAY, "12:00", 1.0)
    store = Store()
    clients = [FlashAlphaClient(url) for _ in range(symbols)]
    pollers = [
        Poller(client, store, symbol, "1m", clock, source="REMOTE")
        for client, symbol in zip(clients, SYMBOLS, strict=False)
    ]
    try:
        await asyncio.gather(*(p.poll_once() for p in pollers))  # the back-fill, not measured
        await asyncio.gather(*(p.poll_once() for p in pollers))  # connections warm
        walls, cpus = [], []
        for _ in range(cycles):
            started, cpu = time.perf_counter(), time.process_time()
            await asyncio.gather(*(p.poll_once() for p in pollers))
            cpus.append((time.process_time() - cpu) / symbols)
            walls.append(time.perf_counter() - started)
    finally:
        for client in clients:
            await client.aclose()
    return median(walls), median(cpus)


async def sequential(url: str, cycles: int) -> float:
    walls = []
    async with httpx.AsyncClient(base_url=url) as http:
        for _ in range(cycles):
            started = time.perf_counter()
            for path, params in QUERIES:
                (await http.get(f"/v1/flow/zero-dte/{path}", params=params)).raise_for_status()
            walls.append(time.perf_counter() - started)
    return median(walls)


async def main(cycles: int) -> None:
    server, url = start_simulator()
    try:
        ours = {n: await cycles_of(url, n, cycles) for n in range(1, len(SYMBOLS) + 1)}
        plain = await sequential(url, cycles)
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"poll cycle, lean (one series request per symbol), {LATENCY * 1000:.0f} ms latency,")
    print(f"median of {cycles} cycles (client CPU: this process; the simulator runs apart)")
    print(
        table(
            ["method", "symbols", "ms per cycle", "round trips", "client CPU ms per symbol"],
            [
                *(
                    [
                        "hedgeflow-tui pollers (concurrent)",
                        n,
                        f"{wall * 1000:.0f}",
                        f"{wall / LATENCY:.2f}",
                        f"{cpu * 1000:.1f}",
                    ]
                    for n, (wall, cpu) in ours.items()
                ),
                ["plain sequential loop", 1, f"{plain * 1000:.0f}", f"{plain / LATENCY:.2f}", ""],
            ],
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="5 cycles")
    args = parser.parse_args()
    asyncio.run(main(5 if args.quick else args.cycles))
