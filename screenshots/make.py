"""Regenerate the screenshots of the README and the docs: the real app in each scene
(`scenes.py`), exported as SVG.

    python3 screenshots/make.py [SCENE ...]

The scenes' past sessions are the demo's 30, built here first (so the picture does not depend
on how far a background build got), in a history of the screenshots' own.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

from scenes import SCENES, Scene, build, prepare

from hedgeflow_tui.market.clock import ET, FrozenClock
from hedgeflow_tui.storage import demo_history
from hedgeflow_tui.storage.history import History

HERE = Path(__file__).parent


def past_sessions(scene: Scene) -> None:
    """The demo's past sessions of the scene's seed and symbols, as the app would build them."""
    if scene.dead_server:
        return
    history = History.open()
    day = scene.at.astimezone(ET).date()
    count = demo_history.PAST_SESSIONS
    demo_history.build_past(history, list(scene.symbols), day, scene.seed, "normal", count)
    history.close()


async def capture(scene: Scene) -> Path:
    past_sessions(scene)
    clock = FrozenClock(scene.at)
    app = build(scene, clock)
    async with app.run_test(size=scene.size) as pilot:
        await prepare(app, pilot, scene, clock)
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
