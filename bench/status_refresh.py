"""The once-a-second status refresh between two polls, in the running dashboard (headless, 1m
bars, the simulator on a frozen clock): the widgets Textual's compositor re-renders for it and
their lines, and its CPU, at 80x24 and 120x40 with one and three symbols.

    python3 bench/status_refresh.py [--quick]

The widgets are counted by spying on each one's `render_lines` (the same every run). The CPU is
blocks of refreshes (the clock a second on, back every 25 s: the countdowns of the time between
two polls) against blocks that only wait for the frame the same way, alternating, median of the
differences; it includes Textual's message handling, not the terminal's output.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime
from typing import Any

from _common import DAY, median, table
from textual.widget import Widget

from hedgeflow_tui.config.settings import Settings
from hedgeflow_tui.engine.sources import open_source
from hedgeflow_tui.market.clock import FrozenClock
from hedgeflow_tui.ui.live_app import LiveApp
from hedgeflow_tui.ui.widgets import FlowChart

MID_SESSION = datetime(2026, 6, 12, 15, 0, 30, tzinfo=UTC)  # 11:00 ET
CASES = [(["SPY"], (80, 24)), (["SPY"], (120, 40)), (["SPY", "QQQ", "SPX"], (120, 40))]


async def measure(symbols: list[str], size: tuple[int, int], blocks: int, per_block: int):
    settings = Settings(symbols=symbols, bar="1m", seed=23, date=DAY.isoformat(), history=False)
    clock = FrozenClock(MID_SESSION)
    app = LiveApp(settings, open_source(settings, clock=clock))
    async with app.run_test(size=size) as pilot:
        while not app.views_ready or app.query_one(FlowChart).data is None:
            await pilot.pause(0.05)
        await pilot.pause(0.5)
        step = 0

        async def block(refresh: bool) -> float:
            nonlocal step
            started = time.process_time()
            for _ in range(per_block):
                if refresh:
                    step += 1
                    clock.advance(1 if step % 25 else -24)
                    app.refresh_statuses()
                await pilot.pause()
            return (time.process_time() - started) / per_block

        rendered: list[Widget] = []
        spied = [app.screen, *app.screen.walk_children(Widget)]
        for widget in spied:
            widget.render_lines = spy(widget, widget.render_lines, rendered)  # type: ignore[method-assign]
        await block(True)
        frames = per_block
        names = sorted({type(w).__name__ for w in rendered})
        widgets, lines = len(rendered) / frames, sum(w.region.height for w in rendered) / frames
        for widget in spied:
            del widget.render_lines  # the spies off before the CPU is measured
        costs = [await block(True) - await block(False) for _ in range(blocks)]
    return widgets, lines, names, 1000 * median(costs)


def spy(widget: Widget, render_lines: Any, rendered: list[Widget]) -> Any:
    def counted(crop: Any) -> Any:
        rendered.append(widget)
        return render_lines(crop)

    return counted


def main(blocks: int, per_block: int) -> None:
    rows = []
    for symbols, (width, height) in CASES:
        widgets, lines, names, ms = asyncio.run(
            measure(symbols, (width, height), blocks, per_block)
        )
        rows.append(
            [
                f"{width}x{height}, {len(symbols)} symbol(s)",
                f"{widgets:.0f}",
                f"{lines:.0f}",
                f"{ms:.2f} ms",
                ", ".join(names),
            ]
        )
    print(f"the status refresh, headless, median of {blocks} blocks of {per_block} refreshes")
    print(table(["size", "widgets rendered", "their lines", "CPU", "which"], rows))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 blocks of 20")
    args = parser.parse_args()
    main(*((3, 20) if args.quick else (9, 40)))
