"""Requests for a whole session at each bar size for 1-3 symbols against the Growth plan's
2,500 a day, the full cycle (calls + puts + series per close, `--requests full`) against the lean
one (one series request per close, `--requests auto`): the real pollers and quota planner on the
in-process simulator, on virtual market time (so delays are the schedule's, not this machine's),
served at once and uncached (publication lag and the answer cache: bench/live_timing.py).

    python3 bench/quota_table.py [--quick]

Columns: requests for the session (the one `/v1/account` read included), whether every bar
arrived with its flow and price, and the worst delay of a bar after its close, in bars (0: at its
own close's poll).
"""

from __future__ import annotations

import argparse
import asyncio

from _common import DAY, table
from _virtual import run_session

from hedgeflow_tui.market.bars import BAR_SECONDS

SYMBOLS = ["SPY", "QQQ", "SPX"]
LIMIT = 2500


async def main(bars: list[str], counts: list[int]) -> None:
    rows = []
    for bar in bars:
        for count in counts:
            naive = 23400 // BAR_SECONDS[bar] * 3 * count
            for cycle in ("full", "auto"):
                run = await run_session(
                    DAY, bar, SYMBOLS[:count], cycle, publish_lag=0.0, cache=0.0
                )
                worst = max(run.delays_in_bars(BAR_SECONDS[bar]), default=0)
                rows.append(
                    [
                        bar,
                        count,
                        naive,
                        "full (3 a close)" if cycle == "full" else "lean (auto)",
                        f"{run.requests:,}",
                        "yes" if run.requests <= LIMIT else "NO",
                        "yes" if run.every_bar else "NO",
                        worst,
                    ]
                )
    print(f"whole session 09:30-16:00 ET, Growth plan ({LIMIT:,} requests a day)")
    print(
        table(
            [
                "bar",
                "symbols",
                "naive",
                "cycle",
                "requests",
                "under limit",
                "every bar",
                "worst delay (bars)",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1m bars only")
    args = parser.parse_args()
    asyncio.run(main(["1m"] if args.quick else ["30s", "1m", "5m", "15m"], [1, 2, 3]))
