"""The session history's costs: insert per poll, range-gauge query, database size, and the demo's
background build of its past sessions against the dashboard's first frame.

    python3 bench/history.py [--quick]

- insert: a whole session of 30s bars on SPY, QQQ and SPX fed poll by poll through
  `HistoryFeed.record` (one committed transaction per symbol per poll), timed per poll;
- gauge: `read_gauge` over 30 stored sessions of 30s bars, at times of day across the session;
- size: the database file per symbol-day, at 30s bars alone and with all four bar sizes (what the
  demo stores for each past day);
- build: the demo's past sessions built in its child process while the dashboard runs, and the
  dashboard's first frame with data with and without that build (fresh histories, same run).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _common import DAY, session_rows, table

from hedgeflow_tui.analysis.gauge import read_gauge
from hedgeflow_tui.engine.store import SessionView
from hedgeflow_tui.storage.history import History, HistoryFeed, running_peaks

SYMBOLS = ("SPY", "QQQ", "SPX")


def view(symbol: str, rows) -> SessionView:
    return SessionView(symbol, "30s", DAY, None, tuple(rows), None, False, None, rows[-1].t)


def insert_cost(folder: Path) -> list[float]:
    """Milliseconds per poll (three symbols, one new bar each)."""
    history = History.open(folder / "insert.sqlite3")
    feed = HistoryFeed(history, "live")
    sessions = {s: session_rows(s, 3, 30) for s in SYMBOLS}
    per_poll = []
    for i in range(len(sessions["SPY"])):
        views = {s: view(s, rows[: i + 1]) for s, rows in sessions.items()}
        start = time.perf_counter()
        for symbol, rows in sessions.items():
            feed.record(views[symbol], rows[i : i + 1], [])
        per_poll.append((time.perf_counter() - start) * 1000)
    history.close()
    return per_poll


def past_history(path: Path, bar_sizes: dict[str, int], days: int = 30) -> History:
    """`days` past SPY sessions (simulator seeds as stand-ins), at each bar size given."""
    history = History.open(path)
    for back in range(1, days + 1):
        day = DAY - timedelta(days=back)
        for bar_size, seconds in bar_sizes.items():
            rows = session_rows("SPY", 100 + back, seconds)
            shift = datetime.combine(day, datetime.min.time(), UTC) - datetime.combine(
                DAY, datetime.min.time(), UTC
            )
            moved = [r.__class__(r.t + shift, *_values(r)) for r in rows]
            history.write("SPY", day, bar_size, "live", running_peaks(moved))
    return history


def _values(row):
    return (row.calls, row.puts, row.all, row.cum_calls, row.cum_puts, row.cum_all, row.spot)


def gauge_cost(history: History) -> list[float]:
    today = session_rows("SPY", 3, 30)
    times = []
    for end in range(10, len(today), 7):
        start = time.perf_counter()
        reading = read_gauge(history, "SPY", "30s", "live", DAY, today[:end])
        times.append((time.perf_counter() - start) * 1000)
        assert reading is not None and reading.stored == 30
    return times


async def first_frame(past_sessions: int, data_dir: Path) -> tuple[float, float | None]:
    """Seconds to the first frame with data, and to the end of the past sessions' build."""
    os.environ["HEDGEFLOW_DATA_DIR"] = str(data_dir)
    from hedgeflow_tui.config.settings import Settings
    from hedgeflow_tui.engine.sources import open_source
    from hedgeflow_tui.market.clock import FrozenClock
    from hedgeflow_tui.storage import demo_history
    from hedgeflow_tui.ui.live_app import LiveApp
    from hedgeflow_tui.ui.widgets import FlowChart

    demo_history.PAST_SESSIONS = past_sessions
    settings = Settings(symbols=["SPY"], bar="1m", seed=5, date=DAY.isoformat())
    at = datetime(2026, 6, 12, 15, 30, tzinfo=UTC)
    start = time.perf_counter()
    app = LiveApp(settings, open_source(settings, clock=FrozenClock(at)))
    built = None
    async with app.run_test(size=(120, 40)) as pilot:
        while not app.views_ready or app.query_one(FlowChart).data is None:  # views: after frame 1
            await pilot.pause(0.01)
        frame = time.perf_counter() - start
        if past_sessions:
            while app.building is not None or not app.history:
                await pilot.pause(0.1)
            built = time.perf_counter() - start
    return frame, built


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 past sessions, not 30")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="hedgeflow-history-bench-"))

    polls = insert_cost(folder)
    bar_30s = {"30s": 30}
    history = past_history(folder / "gauge.sqlite3", bar_30s)
    gauges = gauge_cost(history)
    history.close()
    size_30s = (folder / "gauge.sqlite3").stat().st_size / 30
    every = {"30s": 30, "1m": 60, "5m": 300, "15m": 900}
    past_history(folder / "all.sqlite3", every, days=10).close()
    size_all = (folder / "all.sqlite3").stat().st_size / 10
    print(
        table(
            ["measure", "median", "p95", "target"],
            [
                [
                    "insert, one poll of 3 symbols at 30s bars (ms)",
                    f"{statistics.median(polls):.3f}",
                    f"{sorted(polls)[int(len(polls) * 0.95)]:.3f}",
                    "< 1",
                ],
                [
                    "gauge query, 30 sessions of 30s bars (ms)",
                    f"{statistics.median(gauges):.3f}",
                    f"{sorted(gauges)[int(len(gauges) * 0.95)]:.3f}",
                    "< 5",
                ],
                ["database size per symbol-day, 30s bars (KiB)", f"{size_30s / 1024:.0f}", "", ""],
                [
                    "database size per symbol-day, all four bar sizes (KiB)",
                    f"{size_all / 1024:.0f}",
                    "",
                    "",
                ],
            ],
        )
    )
    count = 5 if args.quick else 30
    asyncio.run(first_frame(0, folder / "warm-up"))  # imports and caches: not in the comparison
    without, _ = asyncio.run(first_frame(0, folder / "none"))
    with_build, built = asyncio.run(first_frame(count, folder / "build"))
    print()
    print(
        table(
            [
                "demo dashboard, SPY 1m",
                "first frame with data (s)",
                f"{count} past sessions built (s)",
            ],
            [
                ["no past sessions to build", f"{without:.2f}", ""],
                [f"building {count} in the background", f"{with_build:.2f}", f"{built:.1f}"],
            ],
        )
    )


if __name__ == "__main__":
    main()
