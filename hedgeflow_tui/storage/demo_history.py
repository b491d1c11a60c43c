"""The demo's past: the simulator's previous sessions, built once and kept in the history as
simulated (market `sim:SEED`), so a new user's range gauge has something to compare with.

The sessions are the simulator's own for (symbol, day, seed): the ones `--date DAY` would
serve. They are simulated in a child process (`python -m hedgeflow_tui.storage.demo_history`; the
model is Python-heavy and would hold the dashboard's interpreter), each day at every bar size
at once with the alerts the detector fires over it bar by bar, and streamed back one day at a
time (length-prefixed pickles on its standard output); the dashboard writes them into the
history, staying the database's one writer.
"""

from __future__ import annotations

import asyncio
import pickle
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta

from hedgeflow_tui.analysis.detector import Alert, AlertTracker, detector_config
from hedgeflow_tui.engine.store import Row
from hedgeflow_tui.market import calendar as market_calendar
from hedgeflow_tui.market.bars import BAR_SECONDS, BAR_SIZES
from hedgeflow_tui.sim.market import simulate_session
from hedgeflow_tui.sim.rows import rows_at
from hedgeflow_tui.storage.history import History, running_peaks

PAST_SESSIONS = 30


@dataclass(frozen=True, slots=True)
class PastSession:
    symbol: str
    day: date
    bar_size: str
    rows: tuple[Row, ...]
    alerts: tuple[Alert, ...]


def past_days(day: date, count: int = PAST_SESSIONS) -> list[date]:
    """The `count` market sessions before `day` (holidays skipped), newest first."""
    days: list[date] = []
    while len(days) < count:
        day = market_calendar.previous_session(day - timedelta(days=1))
        days.append(day)
    return days


def simulated_sessions(symbol: str, day: date, seed: int, sensitivity: str) -> list[PastSession]:
    """One whole simulated session at every bar size (run in a worker process)."""
    path = simulate_session(symbol, day, seed)
    sessions = []
    for bar_size in BAR_SIZES:
        rows = tuple(rows_at(path, BAR_SECONDS[bar_size]))
        tracker = AlertTracker(symbol, detector_config(bar_size, sensitivity))
        alerts: list[Alert] = []
        for end in range(1, len(rows) + 1):
            alerts += tracker.update(rows[:end])
        sessions.append(PastSession(symbol, day, bar_size, rows, tuple(alerts)))
    return sessions


def store_sessions(history: History, sessions: list[PastSession], market: str) -> None:
    """Write simulated sessions into the history (one transaction each)."""
    for session in sessions:
        history.write(
            session.symbol,
            session.day,
            session.bar_size,
            market,
            running_peaks(session.rows),
            session.alerts,
        )


def build_past(
    history: History, symbols: list[str], today: date, seed: int, sensitivity: str, count: int
) -> int:
    """Build the missing past sessions here and now (tests, benchmarks, screenshots); returns
    how many (symbol, day) were built."""
    market = f"sim:{seed}"
    built = 0
    for day in past_days(today, count):
        for symbol in symbols:
            if not history.has_session(symbol, day, "30s", market):
                sessions = simulated_sessions(symbol, day, seed, sensitivity)
                store_sessions(history, sessions, market)
                built += 1
    return built


async def stream_sessions(
    todo: list[tuple[str, date]], seed: int, sensitivity: str
) -> AsyncIterator[list[PastSession]]:
    """Simulate each (symbol, day) in a child process; yield each day's sessions as it is done.
    Closing the iterator (or cancelling its task) kills the child."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hedgeflow_tui.storage.demo_history",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        process.stdin.write(pickle.dumps((todo, seed, sensitivity)))
        await process.stdin.drain()
        process.stdin.close()
        for _ in todo:
            size = int.from_bytes(await process.stdout.readexactly(8), "big")
            yield pickle.loads(await process.stdout.readexactly(size))
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


def _serve() -> None:
    """The child: read (todo, seed, sensitivity) from standard input, write each day's
    sessions."""
    todo, seed, sensitivity = pickle.load(sys.stdin.buffer)
    out = sys.stdout.buffer
    for symbol, day in todo:
        payload = pickle.dumps(simulated_sessions(symbol, day, seed, sensitivity))
        out.write(len(payload).to_bytes(8, "big") + payload)
        out.flush()


if __name__ == "__main__":  # run as a module: pickle the package's classes, not __main__'s
    from hedgeflow_tui.storage.demo_history import _serve as serve

    serve()
