"""CPU use between polls at 1m bars: the real app on a pseudo-terminal, simulator in real time
and at the default --speed 30, against a bare Textual app showing a label.

    python3 bench/idle_cpu.py [--seconds S] [--runs N]

Starts `hedgeflow-tui SPY --bar 1m --demo --speed X` (X = 1 and 30) and the bare app side by side,
lets them load, then reads each process's user + system CPU time from /proc over S seconds of
ordinary running (polls and repaints included: at speed 30 a bar closes every 2 s). Each
dashboard has its own temporary data dir (and no config file), a copy of one holding the demo's 30
past sessions, built first (about 50 s): nothing is built in the background while measuring, both
write their history, and the user's files are never touched.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from _common import median, own_data_dir, table

from hedgeflow_tui.config.settings import DATA_ENV
from hedgeflow_tui.storage import demo_history

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def drain(fd: int) -> None:
    try:
        while os.read(fd, 65536):
            pass
    except OSError:
        pass


BARE = """
from textual.app import App
from textual.widgets import Static

class Bare(App):
    def compose(self):
        yield Static("hello")

Bare().run()
"""


def launch(args: list[str], data_dir: Path) -> tuple[subprocess.Popen, int]:
    primary, secondary = os.openpty()
    env = dict(os.environ, TERM="xterm-256color", COLUMNS="120", LINES="40")
    env[DATA_ENV] = str(data_dir)
    process = subprocess.Popen(
        [sys.executable, *args], stdin=secondary, stdout=secondary, stderr=secondary, env=env
    )
    os.close(secondary)
    threading.Thread(target=drain, args=(primary,), daemon=True).start()
    return process, primary


def app_args(speed: str) -> list[str]:
    return [
        *("-m", "hedgeflow_tui", "SPY", "--bar", "1m", "--demo"),
        *("--speed", speed, "--date", "2026-06-12"),
    ]


KINDS = {  # what runs: its arguments and its target
    "bare Textual app, one static label": (["-c", BARE], ""),
    "hedgeflow-tui, real time (--speed 1)": (app_args("1"), "< 0.5%"),
    "hedgeflow-tui, --speed 30 (a bar every 2 s)": (app_args("30"), "< 1%"),
}


def one_run(seconds: float, data_dir: Path) -> dict[str, float]:
    """Each process's share of one core over `seconds`, all running at once, each in its own
    copy of `data_dir`."""
    copies = {kind: data_dir.with_name(f"{data_dir.name}-{n}") for n, kind in enumerate(KINDS)}
    for copy in copies.values():
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(data_dir, copy)
    running = {kind: launch(args, copies[kind]) for kind, (args, _) in KINDS.items()}
    try:
        time.sleep(6)  # start-up and the back-fill
        before = {kind: cpu_seconds(p.pid) for kind, (p, _) in running.items()}
        started = time.monotonic()
        time.sleep(seconds)
        elapsed = time.monotonic() - started
        used = {kind: cpu_seconds(p.pid) - before[kind] for kind, (p, _) in running.items()}
    finally:
        for process, primary in running.values():
            process.terminate()
            process.wait(timeout=10)
            os.close(primary)
        for copy in copies.values():
            shutil.rmtree(copy, ignore_errors=True)
    return {kind: 100 * cpu / elapsed for kind, cpu in used.items()}


def main(seconds: float, runs: int) -> None:
    shares: dict[str, list[float]] = {}
    with own_data_dir(past_sessions=demo_history.PAST_SESSIONS) as data_dir:
        for _ in range(runs):
            for kind, share in one_run(seconds, data_dir).items():
                shares.setdefault(kind, []).append(share)
    print(f"CPU share of one core, 1m bars on the simulator, {seconds:.0f} s after load,")
    print(f"median of {runs} runs (min-max)")
    print(
        table(
            ["app", "share of one core", "range", "target"],
            [
                [
                    kind,
                    f"{median(values):.2f}%",
                    f"{min(values):.2f}-{max(values):.2f}%",
                    KINDS[kind][1],
                ]
                for kind, values in shares.items()
            ],
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one run of 15 seconds")
    args = parser.parse_args()
    main(15 if args.quick else args.seconds, 1 if args.quick else args.runs)
