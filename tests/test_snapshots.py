"""SVG snapshots of the dashboard in each of the screenshots' scenes (`screenshots/scenes.py`:
one definition for both), on the seeded simulator with a frozen clock.

`snap_compare` runs the app itself, so these tests are plain functions. Refresh the baselines
with `pytest tests/test_snapshots.py --snapshot-update` after a deliberate change of the screen,
and the screenshots with `python3 screenshots/make.py`.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "screenshots"))
from scenes import SCENES, Scene, build, prepare

from hedgeflow_tui.engine import poller
from hedgeflow_tui.market.clock import FrozenClock

# one worker: the simulated past sessions (conftest's templates) are built once for these tests
# and test_gauge's
pytestmark = pytest.mark.xdist_group("past_sessions")


class _SeededRandom:
    """The poller's retry jitter, the same every run (the network-down scene's countdown)."""

    @staticmethod
    def Random() -> random.Random:
        return random.Random(0)


@pytest.mark.parametrize("scene", SCENES, ids=[scene.name for scene in SCENES])
def test_scene(snap_compare, past_sessions, monkeypatch, scene: Scene):
    monkeypatch.setattr(poller, "random", _SeededRandom)
    if scene.chart:  # 5 past sessions of SPY for the range gauge (the screenshots have 30)
        past_sessions(scene.seed, scene.at.date())
    clock = FrozenClock(scene.at)
    app = build(scene, clock)

    async def run_before(pilot) -> None:
        await prepare(app, pilot, scene, clock)

    assert snap_compare(app, terminal_size=scene.size, run_before=run_before)
