"""CPU use between polls at 1m bars: the real app on a pseudo-terminal, simulator in real time.

    python3 bench/idle_cpu.py [--seconds S]

Starts `hedgeflow-tui SPY --bar 1m --demo --speed 1`, lets it load, then reads the process's
user + system CPU time from /proc over S seconds of ordinary running (polls included).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time

from _common import table

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


def main(seconds: float) -> None:
    primary, secondary = os.openpty()
    env = dict(os.environ, TERM="xterm-256color", COLUMNS="120", LINES="40")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hedgeflow_tui",
            "SPY",
            "--bar",
            "1m",
            "--demo",
            "--speed",
            "1",
            "--date",
            "2026-06-12",
        ],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env=env,
    )
    threading.Thread(target=drain, args=(primary,), daemon=True).start()
    try:
        time.sleep(5)  # start-up and the back-fill
        before, started = cpu_seconds(process.pid), time.monotonic()
        time.sleep(seconds)
        used, elapsed = cpu_seconds(process.pid) - before, time.monotonic() - started
    finally:
        process.terminate()
        process.wait(timeout=10)
        os.close(secondary)
    print(f"hedgeflow-tui SPY --bar 1m on the simulator in real time, {elapsed:.0f} s after load")
    print(
        table(
            ["CPU seconds", "share of one core", "target"],
            [[f"{used:.2f}", f"{100 * used / elapsed:.2f}%", "< 2%"]],
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--quick", action="store_true", help="15 seconds")
    args = parser.parse_args()
    main(15 if args.quick else args.seconds)
