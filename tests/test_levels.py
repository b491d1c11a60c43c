"""Level alerts: spot crossing the gamma flip, reaching a wall, the user's flow rules; edge
triggers with hysteresis, the `[[alert]]` config tables, and the same path as squeeze alerts
(log, chart, notification, `--alert-cmd`, headless lines)."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from dashboard import run_dashboard
from test_app import DAY, make_app, next_bar, rows, until
from textual_parts import record_notifications

from hedgeflow_tui.analysis.levels import LevelAlert, LevelTracker
from hedgeflow_tui.config.alert_rules import FlowRule, parse_rules
from hedgeflow_tui.config.settings import ConfigError, load_file
from hedgeflow_tui.engine.store import Row
from hedgeflow_tui.sim import simulate_session
from hedgeflow_tui.sim.rows import rows_at
from hedgeflow_tui.ui.palette import palette_for
from hedgeflow_tui.ui.widgets import AlertLog, FlowChart
from hedgeflow_tui.ui.widgets.alert_log import alert_line

OPEN = datetime(2026, 6, 12, 13, 30, tzinfo=UTC)


def row(i: int, spot: float | None = 600.0, **fields: Any) -> Row:
    names = ("calls", "puts", "all", "cum_calls", "cum_puts", "cum_all")
    values: dict[str, Any] = dict.fromkeys(names, 0.0) | fields
    return Row(t=OPEN + timedelta(minutes=i), spot=spot, **values)


FLIP_SEED = 9  # SPY crosses its gamma flip at 14:51, 15:08, 15:24 and 15:40 ET: late, a margin
# for a slow start at --speed 20000


def feed(tracker: LevelTracker, session: list[Row]) -> list[LevelAlert]:
    """Bar by bar, as the poller brings them."""
    fired = []
    for end in range(1, len(session) + 1):
        fired += tracker.update(session[:end])
    return fired


def test_spot_hovering_on_the_flip_fires_once_each_way():
    # the band is 0.05% of spot (~0.30 at 600): inside it, spot keeps the side it was on
    spots = [599.0, 599.5, 600.4, 599.9, 600.5, 599.95, 600.6, 600.2, 599.0, 599.8, 599.5]
    session = [row(i, spot, gamma_flip=600.0) for i, spot in enumerate(spots)]
    fired = feed(LevelTracker("SPY"), session)
    assert [(a.kind, a.direction, a.t) for a in fired] == [
        ("gamma_flip_cross", "up", session[2].t),
        ("gamma_flip_cross", "down", session[8].t),
    ]
    assert fired[0].level == 600.0 and fired[0].value == 600.4 and not fired[0].history


def test_a_flip_hopping_around_spot_is_no_crossing_while_net_gex_keeps_its_sign():
    # spot between two sign changes of the dealers' gamma (short gamma there): the nearest
    # flip reported hops above and below spot, the regime does not change
    flips = [601.0, 598.0, 602.0, 597.0, 601.5, 598.5]
    session = [row(i, 600.0, gamma_flip=flip, net_gex=-1e9) for i, flip in enumerate(flips)]
    assert feed(LevelTracker("SPY"), session) == []
    # once the dealers are long gamma with spot over the flip, that is the crossing
    session.append(row(6, 600.0, gamma_flip=598.0, net_gex=2e8))
    fired = feed(LevelTracker("SPY"), session)
    assert [(a.kind, a.direction) for a in fired] == [("gamma_flip_cross", "up")]


def test_a_wall_fires_when_reached_and_again_only_after_spot_backed_off():
    spots = [597.0, 598.5, 599.8, 599.6, 599.9, 599.0, 599.85, 597.5, 599.8]
    session = [row(20 * i, spot, call_wall=600.0) for i, spot in enumerate(spots)]
    fired = feed(LevelTracker("SPY"), session)
    # reached at 599.8 (within the band), hovering and a shallow dip do not re-arm it; backing
    # off four bands (to 597.5) does
    assert [(a.kind, a.t) for a in fired] == [
        ("call_wall", session[2].t),
        ("call_wall", session[8].t),
    ]
    assert all(a.direction == "up" and a.level == 600.0 for a in fired)


def test_a_put_wall_that_moves_with_spot_is_no_news():
    # spot pushing down through the strikes: each new wall is right where spot is
    spots = [596.0, 595.2, 594.2, 594.1, 593.2, 593.1]
    walls = [595.0, 595.0, 594.0, 594.0, 593.0, 593.0]
    session = [
        row(20 * i, s, put_wall=w) for i, (s, w) in enumerate(zip(spots, walls, strict=True))
    ]
    fired = feed(LevelTracker("SPY"), session)
    assert [(a.kind, a.direction, a.level) for a in fired] == [("put_wall", "down", 595.0)]


def test_a_wall_is_news_only_once_it_has_held_its_strike_a_quarter_hour():
    walls = [600.0] * 5 + [598.0] * 4  # a new wall below spot, reached 10 minutes later
    spots = [599.5, 599.5, 599.5, 599.5, 599.5, 599.4, 598.6, 598.2, 598.1]
    session = [row(5 * i, s, put_wall=w) for i, (s, w) in enumerate(zip(spots, walls, strict=True))]
    assert feed(LevelTracker("SPY"), session) == []


def test_a_level_spot_starts_on_is_no_news():
    session = [row(0, 600.1, call_wall=600.0, gamma_flip=590.0), row(1, 600.2, call_wall=600.0)]
    assert feed(LevelTracker("SPY"), session) == []


def test_level_alerts_can_be_turned_off():
    session = [row(0, 599.0, gamma_flip=600.0), row(1, 601.0, gamma_flip=600.0)]
    assert feed(LevelTracker("SPY", levels=False), session) == []
    assert len(feed(LevelTracker("SPY"), session)) == 1


def test_a_cumulative_rule_fires_on_crossing_and_rearms_past_a_fifth_of_it():
    rule = FlowRule(None, None, "cumulative", "calls", 50e6, -50e6)
    cums = [0, 30e6, 51e6, 45e6, 52e6, 35e6, 55e6, 0, -60e6]
    session = [row(i, cum_calls=c) for i, c in enumerate(cums)]
    fired = feed(LevelTracker("SPY", [rule]), session)
    assert [(a.direction, a.t, a.value) for a in fired] == [
        ("up", session[2].t, 51e6),
        ("up", session[6].t, 55e6),  # back under 40M (a fifth of 50M under) re-armed it
        ("down", session[8].t, -60e6),
    ]
    assert all(
        a.kind == "flow_threshold" and a.rule == "calls cumulative ≥ 50,000,000 or ≤ -50,000,000"
        for a in fired
    )


def test_a_bar_rule_reads_each_bar_and_only_applies_to_its_symbol():
    rule = FlowRule("big bar", "QQQ", "bar", "all", 10e6, None)
    flows = [1e6, 12e6, 11e6, 2e6, 15e6]
    session = [row(i, all=f) for i, f in enumerate(flows)]
    assert feed(LevelTracker("SPY", [rule]), session) == []
    fired = feed(LevelTracker("QQQ", [rule]), session)
    assert [a.t for a in fired] == [session[1].t, session[4].t]
    assert fired[0].rule == "big bar" and fired[0].level == 10e6


def test_bars_older_than_the_update_s_newest_two_are_history():
    spots = [599.0, 601.0, 601.0, 601.0, 599.0]
    session = [row(i, s, gamma_flip=600.0) for i, s in enumerate(spots)]
    fired = LevelTracker("SPY").update(session)  # a back-fill: one update
    assert [(a.direction, a.history) for a in fired] == [("up", True), ("down", False)]


# --- the config file ----------------------------------------------------------------------------


def test_alert_tables_are_read_from_the_config_file(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(
        "level_alerts = false\n"
        '[[alert]]\nname = "calls 50M"\nsymbol = "spy"\nside = "calls"\nabove = 50e6\n'
        '[[alert]]\nflow = "bar"\nbelow = -5_000_000\n'
    )
    values = load_file(path)
    assert values["level_alerts"] is False
    assert values["alert_rules"] == (
        FlowRule("calls 50M", "SPY", "cumulative", "calls", 50e6, None),
        FlowRule(None, None, "bar", "all", None, -5e6),
    )


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('alert = "x"', "alert must be [[alert]] tables"),
        ("[[alert]]\nflow = 'cumulative'", "[[alert]] 1: needs above or below"),
        ("[[alert]]\nabove = 1\n[[alert]]\nabove = 'big'", "[[alert]] 2: above must be a number"),
        ("[[alert]]\nabove = 1\nsides = 'calls'", "[[alert]] 1: unknown key(s) sides"),
        ("[[alert]]\nabove = 1\nside = 'both'", "[[alert]] 1: side must be one of all, calls"),
        ("[[alert]]\nabove = 1\nflow = 'rolling'", "flow must be one of cumulative, bar"),
        ("[[alert]]\nabove = 1\nbelow = 2", "[[alert]] 1: below must be under above"),
        ("[[alert]]\nabove = 1\nsymbol = 'S P Y'", "[[alert]] 1: symbol must be 1-10 letters"),
        ("level_alerts = 1", "level_alerts must be true or false"),
    ],
)
def test_a_bad_alert_table_is_one_line_naming_it(tmp_path, toml, message):
    path = tmp_path / "config.toml"
    path.write_text(toml + "\n")
    with pytest.raises(ConfigError) as caught:
        load_file(path)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_a_bad_alert_table_stops_the_program_with_one_line(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[[alert]]\nabove = 'lots'\n")
    done = subprocess.run(
        [sys.executable, "-m", "hedgeflow_tui", "--demo", "--headless"],
        capture_output=True,
        text=True,
        env={"HEDGEFLOW_CONFIG": str(path), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert done.returncode != 0 and not done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "[[alert]] 1: above must be a number" in lines[0]


def test_too_many_tables_are_refused():
    with pytest.raises(ValueError, match="at most 50"):
        parse_rules([{"above": 1.0}] * 51)


# --- end to end on a simulated session ----------------------------------------------------------


def flip_crossings(seed: int) -> list[LevelAlert]:
    """The gamma flip crossings of the simulated SPY session, bar by bar at 1m."""
    session = rows_at(simulate_session("SPY", DAY, seed), 60)
    return [a for a in feed(LevelTracker("SPY"), session) if a.kind == "gamma_flip_cross"]


def test_headless_prints_level_alert_lines_where_spot_crosses_the_flip(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[[alert]]\nname = "calls 20M"\nside = "calls"\nabove = 20e6\n')
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "hedgeflow_tui",
            "SPY",
            "--demo",
            "--headless",
            "--seed",
            str(FLIP_SEED),
            "--date",
            DAY.isoformat(),
            "--start",
            "16:05",  # after the close: the whole session back-filled, whatever the load
            "--no-history",
        ],
        capture_output=True,
        text=True,
        env={
            "HEDGEFLOW_CONFIG": str(path),
            "PATH": "/usr/bin:/bin",
            "HEDGEFLOW_DATA_DIR": str(tmp_path),
        },
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    alerts = [line for line in lines if line["type"] == "alert"]
    flips = [a for a in alerts if a["kind"] == "gamma_flip_cross"]
    expected = flip_crossings(FLIP_SEED)
    assert len(expected) >= 2
    assert [(a["t"], a["direction"]) for a in flips] == [
        (a.t.strftime("%Y-%m-%dT%H:%M:%SZ"), a.direction) for a in expected
    ]
    for alert in flips:  # spot is on the side it crossed to
        assert (alert["value"] > alert["level"]) == (alert["direction"] == "up")
        assert set(alert) == {
            "type",
            "symbol",
            "kind",
            "direction",
            "level",
            "value",
            "rule",
            "cum_all",
            "t",
            "t_et",
            "history",
        }
    directions = [a["direction"] for a in flips]
    assert all(a != b for a, b in itertools.pairwise(directions))  # never twice the same way
    rule = [a for a in alerts if a["kind"] == "flow_threshold"]
    assert rule and rule[0]["rule"] == "calls 20M" and rule[0]["value"] >= 20e6


async def test_a_flip_crossing_notifies_logs_marks_the_chart_and_runs_the_alert_command(
    tmp_path, monkeypatch
):
    crossing = next(a for a in flip_crossings(FLIP_SEED) if a.t.hour >= 19)  # mid-afternoon
    out = tmp_path / "alert.json"
    append = f"import sys; open(r'{out}', 'a').write(sys.stdin.read())"
    app, clock = make_app(
        at=crossing.t + timedelta(minutes=1) - timedelta(minutes=3, seconds=30),
        alert_cmd=f'{sys.executable} -c "{append}"',
        bell=True,
        seed=FLIP_SEED,
    )
    bells: list[int] = []
    notes = record_notifications(app, monkeypatch)
    monkeypatch.setattr(app, "bell", lambda: bells.append(1))
    async with run_dashboard(app, notifications=True) as pilot:
        await until(pilot, lambda: rows(app) > 0)
        log = app.query_one(AlertLog)

        def live_cross() -> list[Any]:
            return [a for a in log.alerts if a.kind == "gamma_flip_cross" and not a.history]

        for _ in range(6):
            if live_cross():
                break
            await next_bar(pilot, app, clock)
        assert [a.t for a in live_cross()] == [crossing.t]
        title = "SPY level alert"
        said = [m for m, kw in notes if kw.get("title") == title]
        assert said and "crossed" in said[0] and "γ-flip" in said[0]
        assert bells
        await until(pilot, lambda: out.exists() and "gamma_flip_cross" in out.read_text())
        records = [json.loads(line) for line in out.read_text().splitlines()]
        record = next(r for r in records if r["kind"] == "gamma_flip_cross")
        assert record["direction"] == crossing.direction and record["history"] is False
        data = app.query_one(FlowChart).data
        assert data is not None and any(m.level and m.t == crossing.t for m in data.markers)
        text = alert_line(live_cross()[0], palette_for("default", True)).plain
        assert "γ-FLIP" in text and "crossed" in text


def test_a_bar_whose_price_comes_a_poll_later_is_waited_for():
    spots = [599.0, 599.0, 601.0, 601.0]
    priced = [row(i, s, gamma_flip=600.0) for i, s in enumerate(spots)]
    unpriced = [replace(r, spot=None) if i in (1, 2) else r for i, r in enumerate(priced)]
    tracker = LevelTracker("SPY")
    assert tracker.update(unpriced) == []  # the crossing bar has no price yet: waited for
    fired = tracker.update(priced)
    assert [(a.kind, a.t, a.history) for a in fired] == [("gamma_flip_cross", priced[2].t, False)]
    stuck = LevelTracker("SPY")
    for _ in range(3):  # never priced: read without a price after three updates
        stuck.update(unpriced)
    fired = stuck.update([*unpriced, row(4, 601.0, gamma_flip=600.0)])
    assert [a.t for a in fired] == [priced[3].t]  # the crossing, read past the unpriced bars
    assert stuck._last_t == OPEN + timedelta(minutes=4)
