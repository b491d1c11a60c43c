"""Bar arrival after its close under live timing: the simulator publishes each 30 s sample some
seconds late (publication lag, with jitter) and caches answers for 15 s keyed by the request, as
the Growth plan does. The naive schedule (one poll 2 s after each close, nothing more) against
ours (catch-up polls as soon as a fresh answer can exist, bounded, counted by the quota planner).
The real pollers on the in-process simulator, on virtual market time (delays are the schedule's,
not this machine's): a whole session 09:30-16:00 ET.

    python3 bench/live_timing.py [--quick]

Per case: the delay from a bucket's close until it is held with flow and price (median, p95 and
worst, in seconds and in bars), requests per bar and for the session.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics

from _common import DAY, table
from _virtual import run_session

from hedgeflow_tui.market.bars import BAR_SECONDS

SYMBOLS = ["SPY", "QQQ", "SPX"]


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


async def main(bars: list[str], counts: list[int], lags: list[float]) -> None:
    rows = []
    for lag in lags:
        for bar in bars:
            size = BAR_SECONDS[bar]
            for count in counts:
                for schedule in ("naive", "ours"):
                    run = await run_session(
                        DAY,
                        bar,
                        SYMBOLS[:count],
                        publish_lag=lag,
                        cache=None,
                        catch_ups=schedule == "ours",
                    )
                    delays = list(run.arrivals.values())
                    bars_held = len(delays)
                    rows.append(
                        [
                            f"{lag:g} (±50%)",
                            bar,
                            count,
                            schedule,
                            f"{statistics.median(delays):.0f}",
                            f"{p95(delays):.0f}",
                            f"{max(delays):.0f}",
                            max(int(d // size) for d in delays),
                            f"{run.requests / max(1, bars_held):.2f}",
                            f"{run.requests:,}",
                            "yes" if run.every_bar else "NO",
                        ]
                    )
    print("whole session, Growth plan (15 s answer cache), publication lag with ±50% jitter")
    print(
        table(
            [
                "lag s",
                "bar",
                "symbols",
                "schedule",
                "median s",
                "p95 s",
                "worst s",
                "worst bars",
                "req/bar",
                "requests",
                "every bar",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1m bars, lag 5 s only")
    args = parser.parse_args()
    if args.quick:
        asyncio.run(main(["1m"], [1, 3], [5.0]))
    else:
        asyncio.run(main(["30s", "1m"], [1, 3], [2.0, 5.0, 8.0]))
