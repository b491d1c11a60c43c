"""Regenerate the screenshots of the README and the docs: the real app on the seeded simulator,
exported as SVG.

    python3 screenshots/make.py

Each scene is a seed and a frozen market time; the script checks that the app really shows the
state the scene is named after before it saves the picture.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from hedgeflow_tui.config.settings import Settings
from hedgeflow_tui.engine.sources import open_source
from hedgeflow_tui.market.clock import ET, FrozenClock
from hedgeflow_tui.storage import demo_history
from hedgeflow_tui.storage.history import History
from hedgeflow_tui.ui.live_app import LiveApp
from hedgeflow_tui.ui.widgets import CursorReadout, FlowChart, SqueezeBanner

HERE = Path(__file__).parent
DAY = "2026-06-12"


@dataclass
class Scene:
    name: str
    symbols: tuple[str, ...]
    seed: int
    at: datetime  # frozen market time, UTC
    banner: str | None  # the banner classes the scene must show, e.g. "-confirmed -up"
    dead_server: bool = False
    chart: tuple[str, ...] = ("zero",)  # what the chart must show: zero line, levels, markers
    source_gone: float = 0.0  # market seconds the source stays silent after the data (STALE)
    keys: tuple[str, ...] = ()  # pressed once the data is in (the chart's view keys)
    title: str | None = None  # what the chart's title line must start with
    readout: bool = False  # the cursor's readout line must be on


def utc(hh: int, mm: int, ss: int = 30, day: str = DAY) -> datetime:
    y, m, d = map(int, day.split("-"))
    return datetime(y, m, d, hh, mm, ss, tzinfo=UTC)


SCENES = [
    Scene("quiet", ("SPY",), 5, utc(15, 30), "-quiet"),
    Scene("upside-squeeze", ("SPY",), 1, utc(19, 11), "-confirmed -up", chart=("zero", "markers")),
    Scene("several-symbols", ("SPY", "QQQ", "SPX"), 1, utc(19, 11), None),
    Scene("stale", ("SPY",), 5, utc(19, 33), "-stale", chart=("zero", "levels"), source_gone=1260),
    Scene("network-down", ("SPY",), 7, utc(15, 0), None, dead_server=True, chart=()),
    Scene(
        "rolling-window",
        ("SPY",),
        1,
        utc(19, 11),
        "-confirmed -up",
        chart=("zero", "markers"),
        keys=("w", "w", "z"),
        title="rolling 15m · last 2h",
    ),
    Scene(
        "cursor",
        ("SPY",),
        1,
        utc(19, 11),
        "-confirmed -up",
        chart=("zero", "cursor"),
        keys=("left",) * 40,
        readout=True,
    ),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def build(scene: Scene, clock: FrozenClock) -> LiveApp:
    if scene.dead_server:
        settings = Settings(
            symbols=list(scene.symbols),
            bar="1m",
            base_url=f"http://127.0.0.1:{free_port()}",
            timeout=1.0,
        )
        return LiveApp(settings, open_source(settings, clock=clock))
    settings = Settings(symbols=list(scene.symbols), bar="1m", seed=scene.seed, date=DAY)
    return LiveApp(settings, open_source(settings, clock=clock))


async def settle(app: LiveApp, pilot, scene: Scene) -> None:
    """Wait until every symbol has its data (or, for the error scene, its error)."""
    while not app.views_ready:  # mounted just after the first frame
        await pilot.pause(0.01)
    for _ in range(300):
        await pilot.pause(0.05)
        if scene.dead_server:
            if all(s.state == "retrying" for s in app.statuses.values()):
                break
        elif all(
            app.query_one(f"#view-{s}").query_one(FlowChart).data is not None for s in scene.symbols
        ):
            break
    await pilot.pause(0.3)


def past_sessions(scene: Scene) -> None:
    """The demo's 30 past sessions of the scene's seed, built as the app would build them (here
    first, so the picture does not depend on how far a background build got)."""
    if scene.dead_server:
        return
    history = History.open()
    day = scene.at.astimezone(ET).date()
    count = demo_history.PAST_SESSIONS
    demo_history.build_past(history, list(scene.symbols), day, scene.seed, "normal", count)
    history.close()


async def capture(scene: Scene, size: tuple[int, int] = (120, 40)) -> Path:
    past_sessions(scene)
    clock = FrozenClock(scene.at)
    app = build(scene, clock)
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot, scene)
        if scene.source_gone:
            clock.advance(scene.source_gone)
            app.refresh_statuses()
            await pilot.pause(0.3)
        if scene.keys:
            await pilot.press(*scene.keys)
            await pilot.pause(0.3)
        picture = app.query_one(FlowChart).picture()
        shown = {
            "zero": picture.zero_row is not None,
            "levels": bool(picture.level_rows),
            "markers": bool(picture.marker_cells),
            "cursor": picture.cursor_col is not None,
        }
        missing_on_chart = [thing for thing in scene.chart if not shown[thing]]
        assert not missing_on_chart, f"{scene.name}: the chart lacks {missing_on_chart}"
        if scene.title is not None:
            assert picture.text().startswith(scene.title), f"{scene.name}: {picture.text()[:60]}"
        assert app.query_one(CursorReadout).display == scene.readout, scene.name
        if scene.banner is not None:
            banner = app.query_one(SqueezeBanner)
            missing = [c for c in scene.banner.split() if not banner.has_class(c)]
            assert not missing, f"{scene.name}: banner lacks {missing}"
        path = HERE / f"{scene.name}.svg"
        app.save_screenshot(str(path))
    return path


async def main() -> None:
    # a history of the screenshots' own, never the user's
    os.environ["HEDGEFLOW_DATA_DIR"] = tempfile.mkdtemp(prefix="hedgeflow-screenshots-")
    only = set(sys.argv[1:])  # scene names; all of them by default
    for scene in SCENES:
        if not only or scene.name in only:
            print(await capture(scene))


if __name__ == "__main__":
    asyncio.run(main())
