"""Cost of one poll's update on a full session of 30s bars (780 bars x 3 series): the store
merge plus the detector, and in the running dashboard the whole update of every widget (a new
answer) and a repaint of unchanged data, at sizes from 80x24 to 250x70; and switching the
chart's view (`w` window, `z` zoom, an arrow's cursor step) at 160x50.

A poll's update is measured two ways: through Textual's pilot (its pauses call back every
widget, so the figure holds the harness's own cost, printed on its own as the measuring loop),
and without it: from the store's apply until the app displays the compositor's frame holding
the change, rendered to the text a terminal is sent.

    python3 bench/update_cost.py [--quick]

The dashboards keep their history in a temporary data dir holding the demo's 30 past sessions,
built first (about 50 s): the range gauge compares with them, and nothing is left to build in the
background while the figures are taken; the user's own history is never touched.
"""

# mypy: disable-error-code="union-attr"
# (`store.session(...)` is used directly: a None there stops the benchmark loudly, as it should)

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import timedelta
from typing import NamedTuple

from _common import DAY, median, own_data_dir, table

from hedgeflow_tui.analysis.detector import AlertTracker, detector_config
from hedgeflow_tui.api.model import (
    FlowBar,
    HedgeFlowResponse,
    Response,
    SeriesBar,
    SeriesResponse,
    Side,
)
from hedgeflow_tui.config.settings import Settings
from hedgeflow_tui.engine.sources import open_source
from hedgeflow_tui.engine.store import Store
from hedgeflow_tui.market.clock import FrozenClock, session_bounds
from hedgeflow_tui.sim import simulate_session
from hedgeflow_tui.storage import demo_history
from hedgeflow_tui.ui.live_app import LiveApp
from hedgeflow_tui.ui.widgets import FlowChart

OPEN, CLOSE = session_bounds(DAY)
SIZES = [(80, 24), (120, 40), (160, 50), (200, 60), (250, 70)]
TARGETS = {(160, 50): "20", (250, 70): "30"}


def batch(
    path, upto: int, window: int = 2, symbol: str = "SPY", revision: int = 0
) -> list[Response]:
    """The answers of the poll made after 30s bucket `upto` closed: a 2-bucket window each.
    A `revision` > 0 is a later answer for the same buckets whose last bar moved a little."""
    first = max(0, upto - window + 1)
    as_of = OPEN + timedelta(seconds=30 * (upto + 1) + 2)
    if revision:  # later than the simulator's own answers, which were made at its clock
        as_of = CLOSE + timedelta(hours=1, seconds=revision)
    scale = 1 + 0.05 * (revision % 4 + 1) if revision else 1.0
    answers: list[Response] = []
    sides: tuple[Side, Side] = ("calls", "puts")
    for side, flows in zip(sides, (path.calls, path.puts), strict=True):
        running = float(flows[:first].sum())
        bars = []
        for i in range(first, upto + 1):
            flow = float(flows[i]) * (scale if i == upto else 1.0)
            running += flow
            bars.append(FlowBar(OPEN + timedelta(seconds=30 * i), flow, running))
        answers.append(HedgeFlowResponse(symbol, DAY, as_of, side, "30s", tuple(bars)))
    answers.append(
        SeriesResponse(
            symbol,
            DAY,
            as_of,
            "30s",
            tuple(
                SeriesBar(OPEN + timedelta(seconds=30 * i), spot=float(path.spot[i]))
                for i in range(first, upto + 1)
            ),
        )
    )
    return answers


def data_path_cost(samples: int) -> tuple[float, float]:
    path = simulate_session("SPY", DAY, 7)
    store, tracker = Store(), AlertTracker("SPY", detector_config("30s"))
    for i in range(780 - samples):
        store.apply(batch(path, i))
    tracker.update(store.session("SPY", "30s").rows)
    merge, detect = [], []
    for i in range(780 - samples, 780):
        answers = batch(path, i)
        started = time.perf_counter()
        store.apply(answers)
        rows = store.session("SPY", "30s").rows
        merge.append(time.perf_counter() - started)
        started = time.perf_counter()
        tracker.update(rows)
        detect.append(time.perf_counter() - started)
    return median(merge), median(detect)


class FrameMeter:
    """Notes each frame the compositor hands the app to display, and renders it to the text a
    terminal is sent (what `run_test`'s headless app skips), timing that part on its own."""

    def __init__(self, app: LiveApp) -> None:
        self.shown = asyncio.Event()
        self.text_cpu = 0.0
        display = app._display

        def displayed(screen, update) -> None:
            display(screen, update)
            if update is not None:
                started = time.process_time()
                update.render_segments(app.console)
                self.text_cpu += time.process_time() - started
                self.shown.set()

        app._display = displayed  # type: ignore[method-assign,assignment]


class RepaintCosts(NamedTuple):
    new_data: float  # a poll's update, measured through the pilot
    same_data: float  # a repaint of unchanged data, through the pilot
    loop: float  # the pilot's two pauses alone
    to_frame: float  # a poll's update until its frame is displayed, no pilot
    frame_text: float  # of which rendering the frame to a terminal's text


async def repaint_cost(samples: int, size: tuple[int, int]) -> RepaintCosts:
    """CPU of one poll's update in the running dashboard on a full session: a poll whose answer
    moves the last bar (store, detector, every widget, the compositor), and a repaint of the
    same data (what a resize-free refresh of every widget costs with nothing new to draw); and
    the measuring loop's own share: the two pilot pauses a poll's figure waits through, with
    nothing to do (the pilot's pause calls back every widget). Then the same poll without the
    pilot: from the store's apply until the compositor's frame holding it is displayed (and
    rendered to a terminal's text), the app's own timers scheduling the frame."""
    settings = Settings(symbols=["SPY"], bar="30s", seed=7, date=DAY.isoformat())
    clock = FrozenClock(CLOSE + timedelta(minutes=5))
    app = LiveApp(settings, open_source(settings, clock=clock))
    path = simulate_session("SPY", DAY, 7)
    new_data, same_data, idle, to_frame, frame_text = [], [], [], [], []
    async with app.run_test(size=size) as pilot:
        while not app.views_ready or app.query_one(FlowChart).data is None:  # views: after frame 1
            await pilot.pause(0.05)
        await pilot.pause(0.2)
        chart = app.query_one(FlowChart)
        for revision in range(1, samples + 1):
            answers = batch(path, 779, revision=revision)
            started = time.process_time()  # CPU time: frame scheduling waits are not cost
            shown = chart.data
            app.store.apply(answers)  # the app repaints on the store's change message
            while chart.data is shown:  # the message is handled
                await pilot.pause()
            await pilot.pause()  # the compositor renders
            new_data.append(time.process_time() - started)
            started = time.process_time()
            app.repaint("SPY")
            await pilot.pause()
            same_data.append(time.process_time() - started)
            started = time.process_time()
            await pilot.pause()
            await pilot.pause()
            idle.append(time.process_time() - started)
        meter = FrameMeter(app)
        for revision in range(samples + 1, 2 * samples + 1):
            answers = batch(path, 779, revision=revision)
            await asyncio.sleep(0.05)  # whatever the last one left is done
            shown, text_before = chart.data, meter.text_cpu
            meter.shown.clear()
            started = time.process_time()
            app.store.apply(answers)
            while not meter.shown.is_set() or chart.data is shown:  # a frame after the change
                meter.shown.clear()
                await meter.shown.wait()
            to_frame.append(time.process_time() - started)
            frame_text.append(meter.text_cpu - text_before)
    return RepaintCosts(
        median(new_data), median(same_data), median(idle), median(to_frame), median(frame_text)
    )


VIEW_ACTIONS = {  # what one key press runs, by the key
    "w (next window)": "cycle_window",
    "z (next zoom)": "cycle_zoom",
    "← (cursor one bar back)": "cursor_back",
}


async def view_switch_cost(samples: int, size: tuple[int, int]) -> dict[str, float]:
    """CPU time of one view key's action and the frame it repaints, per key (the cursor starts
    from the live edge and walks back, so every step repaints a new picture)."""
    settings = Settings(symbols=["SPY"], bar="30s", seed=7, date=DAY.isoformat())
    clock = FrozenClock(CLOSE + timedelta(minutes=5))
    app = LiveApp(settings, open_source(settings, clock=clock))
    costs: dict[str, list[float]] = {key: [] for key in VIEW_ACTIONS}
    async with app.run_test(size=size) as pilot:
        while not app.views_ready or app.query_one(FlowChart).data is None:  # views: after frame 1
            await pilot.pause(0.05)
        await pilot.pause(0.2)
        for _ in range(samples):
            for key, action in VIEW_ACTIONS.items():
                started = time.process_time()
                getattr(app, f"action_{action}")()
                await pilot.pause()
                costs[key].append(time.process_time() - started)
    return {key: median(values) for key, values in costs.items()}


def main(samples: int) -> None:
    merge, detect = data_path_cost(samples)
    repaints = {size: asyncio.run(repaint_cost(samples // 4, size)) for size in SIZES}
    views = asyncio.run(view_switch_cost(samples // 4, (160, 50)))
    print("one poll's update, full session of 30s bars (780 bars x calls, puts, price)")
    print(
        table(
            ["step", "median ms", "target ms"],
            [
                ["store merge", f"{merge * 1000:.3f}", ""],
                ["detector", f"{detect * 1000:.3f}", ""],
                ["store + detector", f"{(merge + detect) * 1000:.3f}", "2"],
                *[
                    [
                        f"a poll's update, all widgets, {w}x{h} (CPU)",
                        f"{cost.new_data * 1000:.1f}",
                        target,
                    ]
                    for (w, h), cost in repaints.items()
                    for target in [TARGETS.get((w, h), "")]
                ],
                *[
                    [
                        f"repaint of unchanged data, {w}x{h} (CPU)",
                        f"{cost.same_data * 1000:.1f}",
                        "",
                    ]
                    for (w, h), cost in repaints.items()
                ],
                *[
                    [
                        f"the measuring loop alone (2 pauses), {w}x{h} (CPU)",
                        f"{cost.loop * 1000:.1f}",
                        "",
                    ]
                    for (w, h), cost in repaints.items()
                ],
                *[
                    [
                        f"a poll's update to its frame's text, no pilot, {w}x{h} (CPU)",
                        f"{cost.to_frame * 1000:.1f}",
                        target,
                    ]
                    for (w, h), cost in repaints.items()
                    for target in [TARGETS.get((w, h), "")]
                ],
                *[
                    [
                        f"  of which the frame's text, {w}x{h} (CPU)",
                        f"{cost.frame_text * 1000:.1f}",
                        "",
                    ]
                    for (w, h), cost in repaints.items()
                ],
                *[
                    [f"view key {key} at 160x50 (CPU)", f"{cost * 1000:.1f}", "30"]
                    for key, cost in views.items()
                ],
            ],
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples")
    args = parser.parse_args()
    with own_data_dir(past_sessions=demo_history.PAST_SESSIONS):
        main(40 if args.quick else 200)
