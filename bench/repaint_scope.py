"""What the dashboard lays out and repaints between polls and on a poll (1m bars, the simulator
on a frozen clock): the screen's layout passes and the widgets each frame repaints, counted by
spying on Textual's own (private) `Screen._refresh_layout` and `Compositor.update_widgets`.

    python3 bench/repaint_scope.py

Expected: the once-a-second status refresh repaints the status line alone and no poll lays the
screen out again (either would make Textual redraw every widget: the idle and per-poll CPU).
The figures are counts, the same every run; the script exits 1 when they are not as expected.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from typing import Any

from _common import DAY, own_data_dir, table
from textual._compositor import Compositor
from textual.screen import Screen

from hedgeflow_tui.config.settings import Settings
from hedgeflow_tui.engine.sources import open_source
from hedgeflow_tui.market.clock import FrozenClock
from hedgeflow_tui.ui.live_app import LiveApp
from hedgeflow_tui.ui.widgets import FlowChart

MID_SESSION = datetime(2026, 6, 12, 15, 0, 30, tzinfo=UTC)  # 11:00 ET, no alert near


class Repaints:
    """Textual's layout passes and the widgets of each frame, counted while installed."""

    def __init__(self) -> None:
        self.layouts = 0
        self.frames: list[set[str]] = []
        self._saved = (Screen._refresh_layout, Compositor.update_widgets)

    def __enter__(self) -> Repaints:
        refresh_layout, update_widgets = self._saved

        def count_layout(screen: Screen, *args: Any, **kwargs: Any) -> None:
            self.layouts += 1
            refresh_layout(screen, *args, **kwargs)

        def note_widgets(compositor: Compositor, widgets: set) -> None:
            self.frames.append({type(widget).__name__ for widget in widgets})
            update_widgets(compositor, widgets)

        Screen._refresh_layout = count_layout  # type: ignore[method-assign,assignment]
        Compositor.update_widgets = note_widgets  # type: ignore[method-assign,assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        refresh_layout, update_widgets = self._saved
        Screen._refresh_layout = refresh_layout  # type: ignore[method-assign]
        Compositor.update_widgets = update_widgets  # type: ignore[method-assign]


async def measure(size: tuple[int, int]) -> tuple[Repaints, Repaints]:
    """(the status refresh's, a poll's) repaints at `size`."""
    settings = Settings(symbols=["SPY"], bar="1m", seed=23, date=DAY.isoformat(), history=False)
    clock = FrozenClock(MID_SESSION)
    app = LiveApp(settings, open_source(settings, clock=clock))
    async with app.run_test(size=size) as pilot:
        while not app.views_ready or app.query_one(FlowChart).data is None:
            await pilot.pause(0.05)
        await pilot.pause(0.3)  # the first frames, the gauge and the footer settle
        with Repaints() as refresh:
            for _ in range(3):
                clock.advance(1)  # the ages and the countdown move
                app.refresh_statuses()
                await pilot.pause()
        shown = app.query_one(FlowChart).data
        with Repaints() as poll:
            clock.advance(60)  # the next bar closes
            app.action_refresh()
            while app.query_one(FlowChart).data is shown:
                await pilot.pause(0.05)
            await pilot.pause(0.1)
    return refresh, poll


def main() -> int:
    rows, ok = [], True
    with own_data_dir():
        for size in [(80, 24), (120, 40)]:
            refresh, poll = asyncio.run(measure(size))
            refresh_widgets = sorted(set().union(*refresh.frames))
            poll_screen = any("Screen" in frame for frame in poll.frames)
            ok &= refresh.layouts == 0 and refresh.frames == [{"StatusBar"}] * 3
            ok &= poll.layouts == 0 and bool(poll.frames) and not poll_screen
            rows.append(
                [
                    f"{size[0]}x{size[1]}",
                    refresh.layouts,
                    " ".join(refresh_widgets),
                    poll.layouts,
                    len(poll.frames),
                    "yes" if poll_screen else "no",
                ]
            )
    headers = ["size", "refresh layouts", "refresh repaints", "poll layouts", "poll frames"]
    print(table([*headers, "poll repaints the screen"], rows))
    print("as expected" if ok else "NOT as expected")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
