"""The Alpha plan's per-strike flow: strict parsing, the simulator's per-strike book (its sums
are the hedge flow), fetched at each close only on Alpha, kept by recordings and replays."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, date, datetime
from typing import Any

import pytest
from dashboard import run_dashboard
from headless_demo import headless_demo
from test_app import until
from textual.widgets import Static

from hedgeflow_tui.api.client import BadRequest, FlashAlphaClient, PlanTooLow, ServerError
from hedgeflow_tui.api.model import DataError, parse_strike_flow
from hedgeflow_tui.config.settings import Settings
from hedgeflow_tui.engine.sources import open_source
from hedgeflow_tui.engine.store import Store
from hedgeflow_tui.market.clock import FrozenClock
from hedgeflow_tui.sim import SimConfig
from hedgeflow_tui.storage.recording.index import RecordingIndex
from hedgeflow_tui.storage.recording.reader import RecordingStream
from hedgeflow_tui.ui.live_app import LiveApp
from hedgeflow_tui.ui.replay_app import ReplayApp
from hedgeflow_tui.ui.widgets.strike_ladder import StrikeLadder

DAY = date(2026, 6, 12)
EXAMPLE: dict[str, Any] = {  # FlashAlpha's documented example (SDK 1.3.0 docs/api.md)
    "symbol": "SPY",
    "underlying_price": 590.42,
    "expiration": "2026-06-05",
    "bar_size": "1m",
    "as_of": "2026-06-05T18:45:12Z",
    "tier_used": "raw",
    "strikes_grid": [588, 589, 590, 591, 592],
    "bars": [
        {
            "t": "2026-06-05T18:44:00Z",
            "spot": 590.42,
            "signed_delta_dollars": [-120000, 45000, 880000, 210000, -30000],
            "signed_gamma_dollars": [18000, 24000, 96000, 31000, 9000],
            "contracts": [1200, 1850, 5400, 2100, 640],
        }
    ],
    "gap_intervals": [],
}


def test_the_documented_answer_parses_aligned_to_the_grid():
    answer = parse_strike_flow(EXAMPLE)
    assert answer.strikes == (588, 589, 590, 591, 592)
    assert answer.bars[0].delta[2] == 880000 and answer.bars[0].contracts[4] == 640
    empty = parse_strike_flow(EXAMPLE | {"strikes_grid": [], "bars": []})
    assert empty.strikes == () and empty.bars == ()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"strikes_grid": [590, 589]}, "ascending"),
        ({"strikes_grid": [588, "589", 590, 591, 592]}, "not a number"),
        ({"strikes_grid": [-1, 589, 590, 591, 592]}, "positive"),
    ],
)
def test_a_broken_grid_is_refused(change, reason):
    with pytest.raises(DataError, match=reason):
        parse_strike_flow(EXAMPLE | change)


def test_arrays_not_aligned_to_the_grid_are_refused():
    bar = EXAMPLE["bars"][0] | {"contracts": [1, 2, 3]}
    with pytest.raises(DataError, match="3 values for 5 strikes"):
        parse_strike_flow(EXAMPLE | {"bars": [bar]})


async def test_the_simulator_s_strikes_sum_to_the_hedge_flow_bar_by_bar(sim_server):
    clock = FrozenClock(datetime(2026, 6, 12, 20, 5, tzinfo=UTC))  # after the close
    server = sim_server(config=SimConfig(seed=23, date=DAY, plan="alpha"), clock=clock)
    async with FlashAlphaClient(server.url) as client:
        strikes = await client.strike_flow("SPY", 390)
        flow = await client.hedge_flow("SPY", "all", "1m", 390)
    assert len(strikes.bars) == len(flow.bars) == 390
    assert len(strikes.strikes) > 20
    for bar, hedge in zip(strikes.bars, flow.bars, strict=True):
        assert bar.t == hedge.t and sum(v or 0.0 for v in bar.delta) == hedge.bar
    near = [i for i, k in enumerate(strikes.strikes) if abs(k - (strikes.bars[-1].spot or 0)) < 5]
    assert sum(abs(strikes.bars[200].delta[i] or 0) for i in near) > 0  # flow near the money
    assert all(c is not None and c >= 0 for b in strikes.bars for c in b.contracts)


async def test_below_alpha_the_simulator_refuses_and_names_the_plan(sim_server):
    clock = FrozenClock(datetime(2026, 6, 12, 17, 0, tzinfo=UTC))
    server = sim_server(config=SimConfig(seed=23, date=DAY), clock=clock)  # growth
    async with FlashAlphaClient(server.url) as client:
        with pytest.raises(PlanTooLow) as refused:
            await client.strike_flow("SPY")
    assert refused.value.required_plan == "Alpha" and refused.value.current_plan == "Growth"
    alpha = sim_server(config=SimConfig(seed=23, date=DAY, plan="alpha"), clock=clock)
    async with FlashAlphaClient(alpha.url) as client:
        with pytest.raises(BadRequest):
            await client._fetch(
                "strike-flow",
                "/v1/flow/zero-dte/strike-flow/SPY",
                {"symbol": "SPY", "bar": "5m"},
                parse_strike_flow,
            )


def run_demo(tmp_path, *flags: str) -> tuple[list[dict], list[dict]]:
    """A headless demo from 15:30 ET to the close, recorded: (its lines, its records)."""
    recording = tmp_path / "session.jsonl"
    done = subprocess.run(
        [
            *headless_demo("SPY", speed=300, start="15:30", day=DAY),
            *("--seed", "23", "--no-history", "--record", str(recording), *flags),
        ],
        capture_output=True,
        text=True,
        env={
            "PATH": "/usr/bin:/bin",
            "HEDGEFLOW_DATA_DIR": str(tmp_path),
            "HEDGEFLOW_CONFIG": str(tmp_path / "none.toml"),
        },
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    records = [json.loads(line) for line in recording.read_text().splitlines()]
    return lines, records


def test_on_alpha_each_close_fetches_strike_flow_and_a_replay_restores_it(tmp_path):
    lines, records = run_demo(tmp_path, "--plan", "alpha")
    asked = [r for r in records if r.get("kind") == "response" and r["endpoint"] == "strike-flow"]
    assert len(asked) >= 10  # the back-fill, then one with each close's series
    store = Store()
    for batch in RecordingStream(tmp_path / "session.jsonl"):
        store.apply(batch.responses)
    totals = store.strikes.totals("SPY")
    assert totals is not None and totals.bars == 390
    view = store.session("SPY", "1m")
    assert view is not None and view.rows[-1].cum_all == sum(totals.delta)
    last_bar = [line for line in lines if line["type"] == "bar"][-1]
    assert last_bar["cum_all"] == sum(totals.delta)  # what headless printed, strike by strike


def test_below_alpha_no_strike_flow_request_is_spent(tmp_path):
    _, records = run_demo(tmp_path)  # the simulator's default plan: growth
    endpoints = {r["endpoint"] for r in records if r.get("kind") == "response"}
    assert "strike-flow" not in endpoints and "series" in endpoints


# --- the ladder on the dashboard ----------------------------------------------------------------


def live_app(plan: str | None) -> LiveApp:
    # seed 20 at 15:27 ET: an upside squeeze is confirmed (the screenshots' scene)
    settings = Settings(symbols=["SPY"], bar="1m", seed=20, date=DAY.isoformat(), plan=plan)
    clock = FrozenClock(datetime(2026, 6, 12, 19, 27, 30, tzinfo=UTC))
    return LiveApp(settings, open_source(settings, clock=clock))


def note(app) -> Static:
    return app.query_one("#strike-note", Static)


async def test_on_alpha_the_ladder_shows_the_strikes_around_spot():
    app = live_app("alpha")
    async with run_dashboard(app, size=(140, 44)) as pilot:
        await until(pilot, lambda: app.query_one(StrikeLadder).has_class("-on"))
        ladder = app.query_one(StrikeLadder)
        await until(pilot, lambda: ladder.size.height > 5)
        session = ladder.session
        assert session is not None and note(app).has_class("-off")
        view = app.store.session("SPY", "1m")
        assert view is not None and sum(session.delta) == view.rows[-1].cum_all
        text = str(ladder.render())
        lines = text.splitlines()
        assert lines[0].split() == ["strike", "session", "this", "run"]
        assert len(lines) == ladder.size.height
        marked = [line for line in lines if line.startswith("▶")]
        assert len(marked) == 1  # the strike at or just under spot
        signal = app.trackers.signal("SPY")
        assert signal is not None and signal.state == "confirmed"  # a run: its own column
        assert ladder.run is not None and ladder.run.bars == signal.bars


async def test_below_alpha_one_line_names_the_plan_and_no_ladder_is_drawn():
    app = live_app(None)  # the simulator's default: growth
    async with run_dashboard(app, size=(120, 40)) as pilot:
        await until(pilot, lambda: "growth" in str(note(app).render()))
        assert not note(app).has_class("-off")
        assert str(note(app).render()) == (
            "strike ladder: needs the Alpha plan (plan: growth); no strike-flow request is sent"
        )
        assert not app.query_one(StrikeLadder).has_class("-on")


async def test_a_replay_of_an_alpha_recording_shows_the_ladder(tmp_path):
    run_demo(tmp_path, "--plan", "alpha")
    with RecordingIndex(tmp_path / "session.jsonl") as recorded:
        app = ReplayApp(Settings(symbols=["SPY"], speed=1e6), recorded)
        async with run_dashboard(app, size=(140, 44)) as pilot:
            await pilot.press("end")
            await until(pilot, lambda: app.query_one(StrikeLadder).has_class("-on"))
            session = app.query_one(StrikeLadder).session
            assert session is not None and session.bars == 390
            assert note(app).has_class("-off")


async def test_a_failed_strike_flow_request_is_said_until_an_answer_comes(monkeypatch):
    app = live_app("alpha")
    async with run_dashboard(app, size=(140, 44)) as pilot:
        ladder = app.query_one(StrikeLadder)
        await until(pilot, lambda: ladder.has_class("-on"))
        assert app.session is not None
        client = app.session.pollers["SPY"].client
        answered = client.strike_flow

        async def failing(*args: Any, **kwargs: Any) -> Any:
            raise ServerError("HTTP 502 from the server")

        monkeypatch.setattr(client, "strike_flow", failing)
        await pilot.press("r")  # poll now
        await until(pilot, lambda: not note(app).has_class("-off"))
        assert str(note(app).render()) == (
            "strike ladder: strike-flow request failed (HTTP 502 from the server); "
            "bars before it shown; retried at next close"
        )
        assert ladder.has_class("-on") and ladder.session is not None  # the bars held stay
        monkeypatch.setattr(client, "strike_flow", answered)
        await pilot.press("r")
        await until(pilot, lambda: note(app).has_class("-off"))
