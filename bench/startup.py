"""Time from launch to the first frame that shows data (simulator), against a bare Textual app
that only shows a static label, measured the same way in the same run.

    python3 bench/startup.py [--runs N]

Each launch is a fresh Python process on a pseudo-terminal, timed from its spawn (interpreter
start and imports included, as a user waits for them) to its first frame with data, here: the
chart holding bars. Both clocks are `time.perf_counter`, one system-wide monotonic clock. A third
row times our dashboard's first frame with no data at all (a replay of no polls): the floor that
no work on the data path can go below.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _common import median, table

PROBE = r"""
import sys, time
kind = sys.argv[1]
if kind == "bare":
    from textual.app import App
    from textual.widgets import Static

    class Bare(App):
        def compose(self):
            yield Static("hello")

        def on_mount(self):
            self.call_after_refresh(self.done)

        def done(self):
            self.exit(time.perf_counter())

    app = Bare()
elif kind == "empty":  # our dashboard's first frame before any data: a replay of no polls
    from hedgeflow_tui.config import Settings
    from hedgeflow_tui.record import Recording
    from hedgeflow_tui.ui.replay_app import ReplayApp

    class Empty(ReplayApp):
        def on_mount(self):  # Textual calls ReplayApp's handler next
            self.call_after_refresh(lambda: self.exit(time.perf_counter()))

    recording = Recording(headers=[{"bar_size": "1m"}], batches=[], symbols=["SPY"])
    app = Empty(Settings(symbols=["SPY"], bar="1m"), recording)
else:
    from hedgeflow_tui.config import Settings
    from hedgeflow_tui.sources import open_source
    from hedgeflow_tui.ui.live_app import LiveApp
    from hedgeflow_tui.ui.widgets import FlowChart

    class Timed(LiveApp):
        def on_flow_changed(self, message):  # Textual calls DashboardApp's handler next
            self.call_after_refresh(self.done)

        def done(self):
            if self.query_one(FlowChart).series.get("all"):
                self.exit(time.perf_counter())

    settings = Settings(symbols=["SPY"], bar="1m", date="2026-06-12")
    app = Timed(settings, open_source(settings))
result = app.run()
open(sys.argv[2], "w").write(repr(result))
"""


def launch(kind: str) -> float:
    """Run one launch on a pseudo-terminal; its seconds to the first frame with data."""
    primary, secondary = os.openpty()
    env = dict(os.environ, TERM="xterm-256color", COLUMNS="120", LINES="40")
    with tempfile.TemporaryDirectory() as folder:
        result = Path(folder) / "seconds"
        reader = threading.Thread(target=_drain, args=(primary,), daemon=True)
        reader.start()
        spawned = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", PROBE, kind, str(result)],
            stdin=secondary,
            stdout=secondary,
            stderr=secondary,
            env=env,
            timeout=60,
        )
        os.close(secondary)
        if not result.exists():
            raise SystemExit(f"{kind} launch failed")
        return float(result.read_text()) - spawned


def _drain(fd: int) -> None:
    """Read the terminal's output so the app never blocks on a full pty buffer."""
    try:
        while os.read(fd, 65536):
            pass
    except OSError:
        pass


def main(runs: int) -> None:
    seconds: dict[str, list[float]] = {"bare": [], "empty": [], "ours": []}
    for _ in range(runs):  # alternate, so machine noise hits all alike
        for kind, runs_of_kind in seconds.items():
            runs_of_kind.append(launch(kind))
    b, e, o = (median(seconds[kind]) for kind in ("bare", "empty", "ours"))
    print(f"launch to first frame, median of {runs} fresh processes (120x40 pty)")
    print(
        table(
            ["app", "seconds", "x bare"],
            [
                ["bare Textual app, one static label", f"{b:.3f}", "1.00"],
                [
                    "hedgeflow-tui dashboard before any data (no simulator)",
                    f"{e:.3f}",
                    f"{e / b:.2f}",
                ],
                [
                    "hedgeflow-tui SPY --bar 1m, first frame with data (simulator)",
                    f"{o:.3f}",
                    f"{o / b:.2f}",
                ],
            ],
        )
    )
    print(f"ratio, first frame with data: {o / b:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="3 runs")
    args = parser.parse_args()
    main(3 if args.quick else args.runs)
