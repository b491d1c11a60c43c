"""Bytes and requests per new bar after the back-fill, over a simulated hour: the lean cycle (one
series request per close carrying flow and price, `--requests auto`), the full cycle (calls + puts
+ series with incremental windows, `--requests full`), and re-fetching the whole session's window
with all three every poll.

    python3 bench/traffic.py
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import datetime

from _common import DAY, table

from hedgeflow_tui.config.settings import Settings
from hedgeflow_tui.engine.poller import Poller
from hedgeflow_tui.engine.sources import open_source
from hedgeflow_tui.engine.store import Store
from hedgeflow_tui.market.bars import BAR_SECONDS
from hedgeflow_tui.market.clock import ET, FrozenClock


async def measure(
    bar: str, minutes_per_poll: int | None, hour: int, cycle: str = "full"
) -> tuple[float, float]:
    """(requests, bytes) per new bar over one hour of polls after a back-fill at `hour`:00 ET."""
    at = datetime(DAY.year, DAY.month, DAY.day, hour, 0, 2, tzinfo=ET)
    clock = FrozenClock(at)
    settings = Settings(symbols=["SPY"], bar=bar, seed=3, date=DAY.isoformat())
    source = open_source(settings, clock=clock)
    client = source.make_client()
    poller = Poller(
        client,
        Store(),
        "SPY",
        bar,
        clock,
        source=source.kind,
        minutes=minutes_per_poll or 390,
        requests=cycle,
    )
    await poller.poll_once()
    requests, received = client.requests_sent, client.bytes_received
    bars = 3600 // BAR_SECONDS[bar]
    for _ in range(bars):
        clock.advance(BAR_SECONDS[bar])
        if minutes_per_poll is None:
            await poller.poll_once()
        else:  # the plain way: ask for the whole window every time
            await asyncio.gather(
                client.hedge_flow("SPY", "calls", bar, 390),
                client.hedge_flow("SPY", "puts", bar, 390),
                client.series("SPY", bar, 390),
            )
    await client.aclose()
    return (client.requests_sent - requests) / bars, (client.bytes_received - received) / bars


async def main(bars: list[str]) -> None:
    rows = []
    for bar in bars:
        lean = await measure(bar, None, 14, "lean")
        full = await measure(bar, None, 14, "full")
        plain = await measure(bar, 390, 14)
        rows.append(
            [
                bar,
                f"{lean[0]:.1f}",
                f"{lean[1]:,.0f}",
                f"{full[0]:.1f}",
                f"{full[1]:,.0f}",
                f"{full[1] / lean[1]:.1f}x",
                f"{plain[0]:.1f}",
                f"{plain[1] / 1024:.1f}",
            ]
        )
    print("per new bar, 14:00-15:00 ET after the back-fill (SPY, simulator)")
    print(
        table(
            [
                "bar",
                "lean req",
                "lean bytes",
                "full req",
                "full bytes",
                "full / lean",
                "whole-window req",
                "whole-window KiB",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1m bars only")
    args = parser.parse_args()
    asyncio.run(main(["1m"] if args.quick else ["30s", "1m", "5m"]))
