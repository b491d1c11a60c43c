"""Requests for a whole session at each bar size for 1-3 symbols against the Growth plan's
2,500 a day: the real pollers, headless, against hedgeflow-sim over HTTP at high speed.

    python3 bench/quota_table.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json

import httpx
from _common import DAY, table
from threaded_server import ThreadedServer

from hedgeflow_tui.config import Settings
from hedgeflow_tui.headless import run_headless
from hedgeflow_tui.model import BAR_SECONDS
from hedgeflow_tui.sim import SimConfig, sim_clock
from hedgeflow_tui.sources import open_source

SYMBOLS = ["SPY", "QQQ", "SPX"]
LIMIT = 2500
REAL_SECONDS_PER_BAR = 0.05


async def session_requests(bar: str, count: int) -> tuple[int, str, bool]:
    speed = BAR_SECONDS[bar] / REAL_SECONDS_PER_BAR
    server = ThreadedServer(
        SimConfig(date=DAY, plan="growth"), sim_clock(DAY, "09:30", speed)
    ).start()
    try:
        settings = Settings(
            symbols=SYMBOLS[:count], bar=bar, headless=True, base_url=server.url, speed=speed
        )
        out = io.StringIO()
        await run_headless(settings, open_source(settings), out)
        used = httpx.get(f"{server.url}/v1/account").json()["usage_today"] - 1
    finally:
        server.stop()
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    notes = [line["quota"]["note"] for line in lines if line["type"] == "status" and line["quota"]]
    complete = (
        sum(1 for line in lines if line["type"] == "bar") >= count * 23400 // BAR_SECONDS[bar]
    )
    return used, notes[-1] if notes else "", complete


async def main(bars: list[str], counts: list[int]) -> None:
    rows = []
    for bar in bars:
        for count in counts:
            polls = 23400 // BAR_SECONDS[bar]
            naive = polls * 3 * count
            used, note, complete = await session_requests(bar, count)
            rows.append(
                [
                    bar,
                    count,
                    naive,
                    used,
                    "yes" if used <= LIMIT else "NO",
                    "yes" if complete else "NO",
                    note,
                ]
            )
    print(f"whole session 09:30-16:00 ET, Growth plan ({LIMIT} requests a day)")
    print(
        table(
            [
                "bar",
                "symbols",
                "naive requests",
                "ours",
                "under limit",
                "every bar",
                "planner's last note",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5m and 15m bars only")
    args = parser.parse_args()
    asyncio.run(main(["5m", "15m"] if args.quick else ["30s", "1m", "5m", "15m"], [1, 2, 3]))
