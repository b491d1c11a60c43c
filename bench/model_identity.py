"""This tree's market model against the model of a git revision: byte-identical sessions for every
seed, symbol and day asked for, and the CPU each takes per session (the same sessions, in turns).

    python3 bench/model_identity.py --against main             # seeds 0-19
    python3 bench/model_identity.py --against main --seeds 0-99
    python3 bench/model_identity.py --against main --quick     # seeds 0-3

For a change to the model's code that must not change its numbers (a speed-up): every series of
every session (price, both legs' flow, dealer gamma, gamma flip, walls, IV, contracts, sold) and
the hidden regime must be equal byte for byte. Days: a regular session, the day after
Thanksgiving (13:00 close) and another regular day. Exits 1 at the first difference.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import types
from datetime import date
from pathlib import Path

from _common import table

from hedgeflow_tui.sim import market

DAYS = (date(2026, 6, 12), date(2026, 11, 27), date(2026, 3, 2))
SERIES = (*market.SERIES, "contracts", "sold")


def model_at(revision: str) -> types.ModuleType:
    """The market model as it is at `revision` (git), as a module of its own."""
    source = subprocess.run(
        ["git", "show", f"{revision}:hedgeflow_tui/sim/market.py"],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent,
    ).stdout
    module = types.ModuleType(f"market_at_{revision}")
    module.__file__ = f"{revision}:hedgeflow_tui/sim/market.py"
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    return module


def difference(reference, ours) -> str | None:
    if reference.regime != ours.regime:
        return "regime"
    for name in SERIES:
        a, b = getattr(reference, name), getattr(ours, name)
        if a.dtype != b.dtype or a.tobytes() != b.tobytes():
            return name
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", required=True, help="git revision of the reference model")
    parser.add_argument("--seeds", default="0-19", help="FIRST-LAST (default 0-19)")
    parser.add_argument("--quick", action="store_true", help="seeds 0-3")
    args = parser.parse_args()
    first, last = (0, 3) if args.quick else map(int, args.seeds.split("-"))
    reference = model_at(args.against)
    times: dict[str, list[float]] = {"reference": [], "this tree": []}
    sessions = 0
    for day in DAYS:
        for symbol in market.SYMBOLS:
            for seed in range(first, last + 1):
                started = time.process_time()
                theirs = reference.SessionRun(symbol, day, seed).upto(10**6)
                between = time.process_time()
                ours = market.SessionRun(symbol, day, seed).upto(10**6)
                times["reference"].append(between - started)
                times["this tree"].append(time.process_time() - between)
                sessions += 1
                where = difference(theirs, ours)
                if where is not None:
                    print(f"DIFFERENT: {symbol} {day} seed {seed}: {where}")
                    return 1
    print(
        f"{sessions} sessions (seeds {first}-{last}, {len(DAYS)} days, "
        f"{len(market.SYMBOLS)} symbols): byte-identical to {args.against}"
    )
    rows = [
        [name, f"{sum(spent) / len(spent) * 1000:.0f}", f"{max(spent) * 1000:.0f}"]
        for name, spent in times.items()
    ]
    print(table(["model", "CPU ms per session (mean)", "slowest"], rows))
    ratio = sum(times["reference"]) / sum(times["this tree"])
    print(f"this tree: {ratio:.2f}x the reference's speed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
