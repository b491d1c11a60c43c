"""Time from launch to our first frame, and to the first frame that shows data (simulator),
against a bare Textual app with the same chrome, measured the same way in the same run.

    python3 bench/startup.py [--runs N]

Each launch is a fresh Python process on a pseudo-terminal, timed from its spawn (interpreter
start and imports included, as a user waits for them) to its first frame, or to its first frame
with data (the chart holding bars). The first frame is Textual's `Ready` event ("the first frame
has been displayed") in both apps; on a pty it comes 8-26 ms after the frame's text. The
dashboard's first frame is the chrome and a "Loading" tab: its views are mounted after it. Both
clocks are `time.perf_counter`, one system-wide monotonic clock. Our modules are compiled to
bytecode first, as an installed package's are (pip compiles them at install, and Textual's come
compiled): otherwise, with `PYTHONDONTWRITEBYTECODE` set or a fresh checkout, every launch of
ours would compile its own sources while the bare app's did not.
Every launch has a fresh temporary data dir: the dashboard starts as on its first run (an empty
history, the demo's past sessions built in the background), the same every run, and never
touches the user's history. The launches share a temporary cache dir whose market calendar is
computed before them, as every launch after a user's first finds it.
"""

from __future__ import annotations

import argparse
import ast
import compileall
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _common import DAY, median, own_data_dir, table

import hedgeflow_tui
from hedgeflow_tui.market import calendar as market_calendar

PROBE = r"""
import sys, time
kind = sys.argv[1]
if kind == "bare":  # the same chrome as ours: header, footer, one tab, a label
    from textual.app import App
    from textual.widgets import Footer, Header, Static, TabbedContent, TabPane

    class Bare(App):
        def compose(self):
            yield Header()
            with TabbedContent():
                with TabPane("SPY"):
                    yield Static("hello")
            yield Footer()

        def on_ready(self):
            self.exit((time.perf_counter(), time.process_time()))

    app = Bare()
else:  # the dashboard as the command line starts it: chrome first, the source in a worker
    from hedgeflow_tui.config.settings import Settings
    from hedgeflow_tui.ui.live_app import LiveApp

    class FirstFrame(LiveApp):
        def on_ready(self):  # Textual calls DashboardApp's handler (the views) next
            self.exit((time.perf_counter(), time.process_time()))

    class WithData(LiveApp):
        def on_flow_changed(self, message):  # Textual calls DashboardApp's handler next
            self.call_after_refresh(self.done)

        def done(self):
            from hedgeflow_tui.ui.widgets import FlowChart  # not in the first frame's imports

            if self.query_one(FlowChart).data is not None:
                self.exit((time.perf_counter(), time.process_time()))

    settings = Settings(symbols=["SPY"], bar="1m", date="2026-06-12")
    app = (FirstFrame if kind == "first" else WithData)(settings)
result = app.run()
open(sys.argv[2], "w").write(repr(result))
"""


def launch(kind: str, cache: Path) -> tuple[float, float]:
    """Run one launch on a pseudo-terminal: wall seconds from spawn to its frame, and the CPU
    seconds the process used by then (less at the mercy of other work on the machine)."""
    primary, secondary = os.openpty()
    with tempfile.TemporaryDirectory() as folder, own_data_dir(cache=cache):
        env = dict(os.environ, TERM="xterm-256color", COLUMNS="120", LINES="40")
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
        at, cpu = ast.literal_eval(result.read_text())
        return at - spawned, cpu


def _drain(fd: int) -> None:
    """Read the terminal's output so the app never blocks on a full pty buffer."""
    try:
        while os.read(fd, 65536):
            pass
    except OSError:
        pass


def main(runs: int) -> None:
    compileall.compile_dir(Path(hedgeflow_tui.__file__).parent, quiet=1)
    kinds = ("bare", "first", "data")
    wall: dict[str, list[float]] = {kind: [] for kind in kinds}
    cpu: dict[str, list[float]] = {kind: [] for kind in kinds}
    with tempfile.TemporaryDirectory() as cache, own_data_dir(cache=Path(cache)):
        market_calendar.is_session(DAY)  # cached, as a user's second launch finds it
        for _ in range(runs):  # alternate, so machine noise hits all alike
            for kind in kinds:
                seconds, used = launch(kind, Path(cache))
                wall[kind].append(seconds)
                cpu[kind].append(used)
    labels = {
        "bare": ("bare Textual app with our chrome (header, footer, one tab, a label)", ""),
        "first": ("hedgeflow-tui SPY --bar 1m, first frame (chrome, 'Loading SPY')", "<= 1.1"),
        "data": ("hedgeflow-tui SPY --bar 1m, first frame with data (simulator)", "<= 1.3"),
    }
    print(f"launch to first frame, median of {runs} fresh processes (120x40 pty); x bare: the")
    print("median of each launch's ratio to the bare launch of the same round (min-max)")
    rows = []
    for kind, (label, target) in labels.items():
        row = [label]
        for measure in (wall, cpu):
            ratios = [a / b for a, b in zip(measure[kind], measure["bare"], strict=True)]
            row += [
                f"{median(measure[kind]):.3f}",
                f"{median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})",
            ]
        rows.append([*row, target])
    print(
        table(
            ["app", "wall s", "x bare (wall)", "CPU s", "x bare (CPU)", "target"],
            rows,
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="3 runs")
    args = parser.parse_args()
    main(3 if args.quick else args.runs)
