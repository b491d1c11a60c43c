"""Replay speed: the cost of one replayed poll early and late in a session of 30s bars (linear
replay: the same), and a whole 3-symbol day of 30s bars replayed headless in a fresh process.

    python3 bench/replay.py [--quick]

The recording is written the way `--record` writes it (one poll per 30 s bucket and symbol, each
a 2-bucket window of calls, puts and the price series, as the simulator serves them). Per-poll
cost: the median time of `store.apply` with the headless sink (bar lines, detector, alert lines)
for the 60 polls before bar 78 and before bar 780, each after replaying the polls before them.
Whole day: `hedgeflow-tui --replay DAY --headless` against the same command on a recording of
one poll per symbol (start-up: interpreter, imports, reading a file), fresh processes, same run,
in wall time and in the processes' CPU time (which other work on a shared machine disturbs less).
"""

from __future__ import annotations

import argparse
import io
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from math import isnan
from pathlib import Path

from _common import DAY, median, table

from hedgeflow_tui.api.client import Exchange
from hedgeflow_tui.engine.pipeline import FlowPipeline
from hedgeflow_tui.market.clock import session_bounds
from hedgeflow_tui.output.jsonlines import JsonLinesSink
from hedgeflow_tui.sim import simulate_session
from hedgeflow_tui.storage.recording.reader import read_recording
from hedgeflow_tui.storage.recording.writer import Recorder

OPEN, CLOSE = session_bounds(DAY)
SYMBOLS = ("SPY", "QQQ", "SPX")
BUCKETS = 780  # 30s bars in a session
WINDOW = 2  # buckets per answer, as the poller asks once it holds the session
MARKS = (78, 780)  # session lengths whose per-poll cost is compared
SAMPLES = 60  # polls timed before each mark


def iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_recording(path: Path, polls: int) -> None:
    """`polls` polls per symbol of 30s bars, interleaved by time as live pollers write them."""
    paths = {symbol: simulate_session(symbol, DAY, 7) for symbol in SYMBOLS}
    recorder = Recorder(
        path, source="SIMULATED", description="bench", bar_size="30s", symbols=list(SYMBOLS)
    )
    for upto in range(polls):
        first = max(0, upto - WINDOW + 1)
        as_of = OPEN + timedelta(seconds=30 * (upto + 1) + 2)
        for symbol, session in paths.items():
            envelope = {
                "symbol": symbol,
                "expiration": DAY.isoformat(),
                "as_of": iso(as_of),
                "bar_size": "30s",
            }
            for side, flows in (("calls", session.calls), ("puts", session.puts)):
                running = float(flows[:first].sum())
                bars = []
                for i in range(first, upto + 1):
                    running += float(flows[i])
                    t = iso(OPEN + timedelta(seconds=30 * i))
                    bars.append({"t": t, "bar": float(flows[i]), "cumulative": running})
                body = envelope | {"side": side, "bars": bars}
                params = {"symbol": symbol, "side": side, "bar": "30s", "minutes": 1}
                recorder.exchange(Exchange("hedge-flow", params, as_of, body))
            prices = [
                {
                    "t": iso(OPEN + timedelta(seconds=30 * i)),
                    "spot": float(session.spot[i]),
                    "net_gex": float(session.net_gex[i]),
                    "gamma_flip": None
                    if isnan(session.gamma_flip[i])
                    else float(session.gamma_flip[i]),
                    "call_wall": float(session.call_wall[i]),
                    "put_wall": float(session.put_wall[i]),
                    "regime": "positive_gamma" if session.net_gex[i] >= 0 else "negative_gamma",
                }
                for i in range(first, upto + 1)
            ]
            params = {"symbol": symbol, "bar": "30s", "minutes": 1}
            recorder.exchange(Exchange("series", params, as_of, envelope | {"bars": prices}))
            recorder.batch(symbol, "30s")
    recorder.close()


def per_poll_costs(path: Path) -> dict[int, float]:
    """Median seconds per replayed poll (one symbol's batch) just before each mark."""
    batches = read_recording(path).batches
    costs = {}
    for mark in MARKS:
        pipeline = FlowPipeline("normal")
        pipeline.subscribe(JsonLinesSink(io.StringIO()).on_update)
        store = pipeline.store
        stop = mark * len(SYMBOLS)
        start = stop - SAMPLES * len(SYMBOLS)
        for batch in batches[:start]:
            store.apply(batch.responses)
        timings = []
        for batch in batches[start:stop]:
            started = time.perf_counter()
            store.apply(batch.responses)
            timings.append(time.perf_counter() - started)
        costs[mark] = median(timings)
    return costs


def headless_seconds(path: Path) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of `hedgeflow-tui --replay PATH --headless`."""
    before, started = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "hedgeflow_tui", "--replay", str(path), "--headless"],
        stdout=subprocess.DEVNULL,
        check=True,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return time.perf_counter() - started, cpu


def main(runs: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        day, floor = Path(folder) / "day.jsonl.gz", Path(folder) / "one.jsonl.gz"
        write_recording(day, BUCKETS)
        write_recording(floor, 1)
        per_poll = [per_poll_costs(day) for _ in range(runs)]
        runs_of: dict[str, list[tuple[float, float]]] = {"day": [], "floor": []}
        for _ in range(runs):  # alternate, so machine noise hits both alike
            runs_of["day"].append(headless_seconds(day))
            runs_of["floor"].append(headless_seconds(floor))
    early = [costs[MARKS[0]] for costs in per_poll]
    late = [costs[MARKS[1]] for costs in per_poll]
    ratios = [b / a for a, b in zip(early, late, strict=True)]
    whole = [wall for wall, _ in runs_of["day"]]
    start_up = [wall for wall, _ in runs_of["floor"]]
    beyond = [w - s for w, s in zip(whole, start_up, strict=True)]
    cpu_beyond = [
        day[1] - floor[1] for day, floor in zip(runs_of["day"], runs_of["floor"], strict=True)
    ]
    print(f"replay of 30s bars, {len(SYMBOLS)} symbols, median of {runs} runs (min-max)")
    print(
        table(
            ["measure", "median", "range", "target"],
            [
                [
                    f"one poll replayed at bar {MARKS[0]} (ms)",
                    f"{median(early) * 1000:.3f}",
                    f"{min(early) * 1000:.3f}-{max(early) * 1000:.3f}",
                    "",
                ],
                [
                    f"one poll replayed at bar {MARKS[1]} (ms)",
                    f"{median(late) * 1000:.3f}",
                    f"{min(late) * 1000:.3f}-{max(late) * 1000:.3f}",
                    "",
                ],
                [
                    f"ratio bar {MARKS[1]} / bar {MARKS[0]}",
                    f"{median(ratios):.2f}",
                    f"{min(ratios):.2f}-{max(ratios):.2f}",
                    "<= 1.2",
                ],
                [
                    "whole day headless, fresh process (s)",
                    f"{median(whole):.2f}",
                    f"{min(whole):.2f}-{max(whole):.2f}",
                    "",
                ],
                [
                    "start-up: one poll per symbol (s)",
                    f"{median(start_up):.2f}",
                    f"{min(start_up):.2f}-{max(start_up):.2f}",
                    "",
                ],
                [
                    "whole day beyond start-up (s, wall)",
                    f"{median(beyond):.2f}",
                    f"{min(beyond):.2f}-{max(beyond):.2f}",
                    "< 1",
                ],
                [
                    "whole day beyond start-up (s, CPU: user + system)",
                    f"{median(cpu_beyond):.2f}",
                    f"{min(cpu_beyond):.2f}-{max(cpu_beyond):.2f}",
                    "< 1",
                ],
            ],
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="2 runs")
    args = parser.parse_args()
    main(2 if args.quick else args.runs)
