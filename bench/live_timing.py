"""Bar arrival after its close under live timing, against the simulator as FlashAlpha documents
it: each 30 s sample is published some seconds late (publication lag, with jitter), answers are
cached for 15 s keyed by the request (the Growth plan), and `data_as_of` feed times are delivery
times (about now), so only the bars and `as_of` tell whether a bucket is in. The naive schedule
(one poll 2 s after each close, nothing more) against ours (a learnt settle, and catch-up polls
seconds apart within what the quota planner allows). The real pollers on the in-process
simulator, on virtual market time (delays are the schedule's, not this machine's), from the
run's start (09:30, or mid-session) to 16:00 ET.

    python3 bench/live_timing.py [--quick]

Per case: the delay from a bucket's close until it is held with flow and price (median, p95 over
the run and over its first 30 minutes, worst), the share of bars a whole bar late, requests per
bar and for the run.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
from datetime import timedelta

from _common import DAY, table
from _virtual import run_session

from hedgeflow_tui.market.bars import BAR_SECONDS

SYMBOLS = ["SPY", "QQQ", "SPX"]
FIRST_MINUTES = timedelta(minutes=30)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


async def case(bar: str, count: int, lag: float, start: str, schedule: str) -> list:
    size = BAR_SECONDS[bar]
    run = await run_session(
        DAY,
        bar,
        SYMBOLS[:count],
        start=start,
        publish_lag=lag,
        cache=None,
        catch_ups=schedule == "ours",
    )
    began = run.began
    early_until = began + FIRST_MINUTES
    live = {key: d for key, d in run.arrivals.items() if key[1] + timedelta(seconds=size) > began}
    delays = list(live.values())
    early = [d for (_, t), d in live.items() if t < early_until] or [0.0]
    late = sum(1 for d in delays if d >= size)
    return [
        f"{lag:g}",
        bar,
        count,
        start,
        schedule,
        f"{statistics.median(delays):.0f}",
        f"{p95(delays):.0f}",
        f"{p95(early):.0f}",
        f"{max(delays):.0f}",
        f"{100 * late / len(delays):.1f}%",
        f"{run.requests / max(1, len(delays)):.2f}",
        f"{run.requests:,}",
        "yes" if run.every_bar else "NO",
    ]


async def main(bars: list[str], counts: list[int], lags: list[float], starts: list[str]) -> None:
    rows = []
    for lag in lags:
        for bar in bars:
            for count in counts:
                for start in starts:
                    for schedule in ("naive", "ours"):
                        rows.append(await case(bar, count, lag, start, schedule))
    print("Growth plan (15 s answer cache), publication lag with ±50% jitter, until 16:00 ET;")
    print("target: p95 <= lag + 5 s, no bar a bar late for 1 symbol, <= 5% at 3 x 30s")
    headers = ["lag s", "bar", "symbols", "start", "schedule", "median s", "p95 s"]
    headers += ["p95 first 30m", "worst s", "a bar late", "req/bar", "requests", "every bar"]
    print(table(headers, rows))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1m and 30s bars, lag 6 s only")
    args = parser.parse_args()
    if args.quick:
        asyncio.run(main(["30s", "1m"], [1, 3], [6.0], ["09:30"]))
    else:
        asyncio.run(main(["30s", "1m", "5m", "15m"], [1, 3], [2.0, 6.0, 8.0], ["09:30", "11:07"]))
