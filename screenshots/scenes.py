"""The dashboard's scenes: each a seed, a frozen market time, a terminal size and keys, with what
the app must show in it. One definition for the screenshots (`make.py`) and the snapshot tests
(`tests/test_snapshots.py`): `prepare` brings a running app to the scene and checks that it
really shows the state the scene is named after.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hedgeflow_tui.config.settings import Settings
from hedgeflow_tui.engine.sources import open_source
from hedgeflow_tui.market.clock import FrozenClock
from hedgeflow_tui.ui.live_app import LiveApp
from hedgeflow_tui.ui.widgets import CursorReadout, FlowChart, SqueezeBanner
from hedgeflow_tui.ui.widgets.strike_ladder import StrikeLadder

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
    size: tuple[int, int] = (120, 40)  # the terminal's columns and rows
    day: str = DAY
    screen: str | None = None  # the screen shown over the tabs, by its id (the overview)
    plan: str | None = None  # the simulator's FlashAlpha plan (None: its default, growth)


def utc(hh: int, mm: int, ss: int = 30, day: str = DAY) -> datetime:
    y, m, d = map(int, day.split("-"))
    return datetime(y, m, d, hh, mm, ss, tzinfo=UTC)


SCENES = [
    Scene("quiet", ("SPY",), 5, utc(15, 30), "-quiet"),
    Scene("upside-squeeze", ("SPY",), 20, utc(19, 27), "-confirmed -up", chart=("zero", "markers")),
    Scene("several-symbols", ("SPY", "QQQ", "SPX"), 1, utc(19, 11), None),
    Scene("stale", ("SPY",), 20, utc(19, 33), "-stale", chart=("zero", "levels"), source_gone=1260),
    Scene("network-down", ("SPY",), 7, utc(15, 0), None, dead_server=True, chart=()),
    Scene(
        "rolling-window",
        ("SPY",),
        20,
        utc(19, 27),
        "-confirmed -up",
        chart=("zero", "markers"),
        keys=("w", "w", "z"),
        title="rolling 15m · last 2h",
    ),
    Scene(
        "cursor",
        ("SPY",),
        20,
        utc(19, 27),
        "-confirmed -up",
        chart=("zero", "cursor"),
        keys=("left",) * 40,
        readout=True,
    ),
    Scene(
        "past-sessions",
        ("SPY",),
        20,
        utc(19, 27),
        "-confirmed -up",
        chart=("zero", "past"),
        keys=("c",),
    ),
    Scene(
        "strike-ladder",
        ("SPY",),
        20,
        utc(19, 27),
        "-confirmed -up",
        chart=("zero", "markers", "ladder"),
        size=(140, 44),
        plan="alpha",
    ),
    Scene(
        "overview",
        ("SPY", "QQQ", "SPX"),
        1,
        utc(19, 11),
        None,
        keys=("o",),
        size=(80, 24),
        screen="overview",
    ),
    Scene(
        "overview-wide",
        ("SPY", "QQQ", "SPX"),
        1,
        utc(19, 11),
        None,
        keys=("o",),
        size=(160, 50),
        screen="overview",
    ),
    Scene(
        "no-session",
        ("SPY",),
        5,
        utc(16, 0, 0, day="2026-06-13"),
        None,
        chart=(),
        size=(80, 24),
        day="2026-06-13",
    ),
]


# the network-down scene's server: the discard port, which nothing here listens on (a fixed
# port, so the picture names the same address every time)
DEAD_SERVER = "http://127.0.0.1:9"


def build(scene: Scene, clock: FrozenClock) -> LiveApp:
    if scene.dead_server:
        settings = Settings(
            symbols=list(scene.symbols),
            bar="1m",
            base_url=DEAD_SERVER,
            timeout=1.0,
        )
        return LiveApp(settings, open_source(settings, clock=clock))
    settings = Settings(
        symbols=list(scene.symbols), bar="1m", seed=scene.seed, date=scene.day, plan=scene.plan
    )
    return LiveApp(settings, open_source(settings, clock=clock))


async def settle(app: LiveApp, pilot, scene: Scene) -> None:
    """Wait until every symbol has its data (or, for the error scene, its error)."""
    while not app.views_ready:  # mounted just after the first frame
        await pilot.pause(0.01)
    for _ in range(300):
        await pilot.pause(0.05)
        states = {s.state for s in app.statuses.values()}
        if scene.dead_server or not scene.chart:
            if states and states <= {"retrying", "no_session"}:
                break
        elif all(
            app.query_one(f"#view-{s}").query_one(FlowChart).data is not None for s in scene.symbols
        ):
            break
    await pilot.pause(0.3)


async def prepare(app: LiveApp, pilot: Any, scene: Scene, clock: FrozenClock) -> None:
    """Bring the running `app` to `scene` and check that it shows what the scene is about."""
    await settle(app, pilot, scene)
    if "ladder" in scene.chart:  # drawn with the status refresh after its answer
        for _ in range(100):
            if app.query_one(StrikeLadder).has_class("-on"):
                break
            await pilot.pause(0.05)
    if scene.source_gone:
        clock.advance(scene.source_gone)
        app.refresh_statuses()
        await pilot.pause(0.3)
    if scene.keys:
        await pilot.press(*scene.keys)
        await pilot.pause(0.3)
    shown = None if app.screen is app.default_screen else app.screen.id
    assert shown == scene.screen, f"{scene.name}: the screen shown is {shown}"
    if scene.screen is not None:
        return  # the tabs are under it
    if scene.chart or scene.title is not None:
        _check_chart(app, scene)
    assert app.query_one(CursorReadout).display == scene.readout, scene.name
    if scene.banner is not None:
        banner = app.query_one(SqueezeBanner)
        missing = [c for c in scene.banner.split() if not banner.has_class(c)]
        assert not missing, f"{scene.name}: banner lacks {missing}"


def _check_chart(app: LiveApp, scene: Scene) -> None:
    chart = app.query_one(FlowChart)
    picture = chart.picture()
    shown = {
        "past": chart.data is not None and bool(chart.data.past),
        "ladder": app.query_one(StrikeLadder).has_class("-on"),
        "zero": picture.zero_row is not None,
        "levels": bool(picture.level_rows),
        "markers": bool(picture.marker_cells),
        "cursor": picture.cursor_col is not None,
    }
    missing_on_chart = [thing for thing in scene.chart if not shown[thing]]
    assert not missing_on_chart, f"{scene.name}: the chart lacks {missing_on_chart}"
    if scene.title is not None:
        assert picture.text().startswith(scene.title), f"{scene.name}: {picture.text()[:60]}"
