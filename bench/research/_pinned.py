"""Runs the squeeze detector of another revision (its package unpacked in the folder given as
the first argument) over cached sessions: the scorecard's "shipped" column.

Reads {"keys": ["SEED/BAR", ...], "cache": FOLDER} on stdin and prints {"SEED/BAR": [[bar start
ISO, direction], ...]} of the opening alerts. Everything it imports of the package is that
revision's own (its rows, its detector), never this tree's.
"""

from __future__ import annotations

import importlib
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import numpy as np

sys.path.insert(0, sys.argv[1])

rows_at = importlib.import_module("hedgeflow_tui.sim.rows").rows_at
try:
    detector = importlib.import_module("hedgeflow_tui.analysis.detector")
except ModuleNotFoundError:
    detector = importlib.import_module("hedgeflow_tui.detector")
BAR_SECONDS = {"30s": 30, "1m": 60, "5m": 300, "15m": 900}
OPENING = ("squeeze_building", "squeeze_confirmed")


def openings(rows) -> list[list[str]]:
    tracker = detector.AlertTracker("SPY", detector.detector_config(bar))
    opened, active = [], False
    for end in range(1, len(rows) + 1):
        for alert in tracker.update(rows[:end]):
            if alert.kind in OPENING:
                if not active:
                    opened.append([alert.t.isoformat(), alert.direction])
                active = True
            else:
                active = False
    return opened


request = json.load(sys.stdin)
answer = {}
for key in request["keys"]:
    seed, bar = key.split("/")
    with np.load(Path(request["cache"]) / f"SPY-{seed}.npz") as data:
        session = SimpleNamespace(
            open=datetime.fromtimestamp(float(data["open"]), UTC),
            **{name: data[name] for name in ("calls", "puts", "spot", "net_gex", "gamma_flip")},
        )
    answer[key] = openings(rows_at(session, BAR_SECONDS[bar]))
json.dump(answer, sys.stdout)
