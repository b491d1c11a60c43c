"""Memory after a full session of 30s bars on three symbols: the store and the detectors fed
poll by poll (780 polls per symbol), as a live day would feed them.

    python3 bench/memory.py
"""

# mypy: disable-error-code="union-attr"
# (`store.session(...)` is used directly: a None there stops the benchmark loudly, as it should)

from __future__ import annotations

import argparse
import gc
import resource
import tracemalloc

from _common import DAY, table
from update_cost import batch

from hedgeflow_tui.analysis.detector import AlertTracker, detector_config
from hedgeflow_tui.engine.store import Store
from hedgeflow_tui.sim import simulate_session

SYMBOLS = ("SPY", "QQQ", "SPX")


def main(samples: int) -> None:
    paths = {s: simulate_session(s, DAY, 7) for s in SYMBOLS}
    gc.collect()
    tracemalloc.start()
    store = Store()
    trackers = {s: AlertTracker(s, detector_config("30s")) for s in SYMBOLS}
    for i in range(samples):
        for symbol, path in paths.items():
            store.apply(batch(path, i, symbol=symbol))
            trackers[symbol].update(store.session(symbol, "30s").rows)
    gc.collect()
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    views = [store.session(s, "30s") for s in SYMBOLS]
    rows = sum(len(view.rows) for view in views if view is not None)
    print(f"store + detectors after {samples} polls x {len(SYMBOLS)} symbols", end="")
    print(f" of 30s bars ({rows} rows)")
    print(
        table(
            ["measure", "MiB"],
            [
                ["held by the store and detectors (tracemalloc)", f"{current / 2**20:.1f}"],
                ["peak while merging", f"{peak / 2**20:.1f}"],
                ["whole process max RSS (incl. numpy, simulator)", f"{rss:.0f}"],
            ],
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 polls")
    args = parser.parse_args()
    main(200 if args.quick else 780)
