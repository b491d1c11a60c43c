"""The detector on hand-built series, including the article's plain rule."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from hedgeflow_tui.detector import (
    PLAIN_RULE,
    AlertTracker,
    DetectorConfig,
    attribution,
    evaluate,
    session_attribution,
    typical_bar,
)
from hedgeflow_tui.store import Row

T0 = datetime(2026, 6, 12, 13, 30, tzinfo=UTC)
OURS = DetectorConfig()


def series(
    bars: Sequence[float | None], spots: list[float] | None = None, call_share: float = 0.8
) -> list[Row]:
    """Rows whose `all` is `bars`, split call_share / 1 - call_share between the legs."""
    rows, cum = [], 0.0
    for i, value in enumerate(bars):
        calls = None if value is None else value * call_share
        puts = None if value is None or calls is None else value - calls
        cum += value or 0.0
        spot = spots[i] if spots else 500.0 + (0.1 * i if value is None or value >= 0 else -0.1 * i)
        rows.append(
            Row(
                t=T0 + timedelta(minutes=i),
                calls=calls,
                puts=puts,
                all=value,
                cum_calls=cum * call_share,
                cum_puts=cum * (1 - call_share),
                cum_all=cum,
                spot=spot,
            )
        )
    return rows


QUIET_START = [1.0, -1.0, 2.0, -2.0, 1.0, -1.0, 1.5, -1.5]


def test_n_accelerating_same_signed_bars_with_price_confirm_a_squeeze():
    rows = series([*QUIET_START, 2, 3, 4, 5, 6])
    signal = evaluate(rows, OURS)
    assert (signal.state, signal.direction, signal.bars) == ("confirmed", "up", 5)
    assert signal.run_flow == 20 and signal.price_confirms
    assert signal.attribution.label == "call-driven"


def test_one_bar_short_or_a_shrinking_bar_is_quiet():
    assert evaluate(series([*QUIET_START, 2, 3, 4, 5]), OURS).state == "quiet"
    assert evaluate(series([*QUIET_START, 2, 3, 5, 4, 6]), OURS).state == "quiet"


def test_building_without_price_confirmation():
    bars = [*QUIET_START, 2, 3, 4, 5, 6]
    flat = [500.0] * len(bars)
    signal = evaluate(series(bars, spots=flat), OURS)
    assert signal.state == "building" and not signal.price_confirms


def test_noise_floor_separates_our_rule_from_the_plain_rule():
    bars = [10.0, -10.0] * 6 + [0.5, 0.6, 0.7, 0.8, 0.9]
    rows = series(bars)
    assert evaluate(rows, OURS).state == "quiet"
    assert evaluate(rows, PLAIN_RULE).state == "building"
    assert evaluate(series([10.0, -10.0] * 6 + [6, 7, 8, 9, 10]), OURS).state == "confirmed"


def test_plain_rule_never_confirms():
    assert evaluate(series([*QUIET_START, 2, 3, 4, 5, 6]), PLAIN_RULE).state == "building"


def test_downside_put_driven_squeeze():
    rows = series([*QUIET_START, -2, -3, -4, -5, -6], call_share=0.1)
    signal = evaluate(rows, OURS)
    assert (signal.state, signal.direction) == ("confirmed", "down")
    assert signal.attribution.label == "put-driven"
    assert session_attribution(rows).label == "put-driven"


@pytest.mark.parametrize(
    "calls, puts, label",
    [
        (65, 35, "call-driven"),
        (64, 36, "mixed"),
        (35, 65, "put-driven"),
        (36, 64, "mixed"),
        (-65, 35, "call-driven"),
        (0, 0, "none"),
    ],
)
def test_attribution_thresholds(calls, puts, label):
    assert attribution(calls, puts).label == label


def test_reversal_after_a_run():
    rows = series([*QUIET_START, 2, 3, 4, 5, 6, -1])
    signal = evaluate(rows, OURS)
    assert signal.reversal and signal.direction == "down"
    assert not evaluate(series([*QUIET_START, 2, 3, -1]), OURS).reversal


def test_an_unknown_bar_ends_a_run():
    assert evaluate(series([*QUIET_START, 2, 3, None, 4, 5, 6]), OURS).bars == 3


def test_typical_bar_is_the_median_size():
    assert typical_bar(series([1, -3, 2, None])) == 2


def feed(tracker: AlertTracker, rows: list[Row], step: int = 1) -> list:
    alerts = []
    for end in range(step, len(rows) + step, step):
        alerts += tracker.update(rows[:end])
    return alerts


def kinds(alerts) -> list[tuple[str, str]]:
    return [(a.kind, a.direction) for a in alerts]


def test_a_long_run_gives_one_building_one_confirmed_then_a_reversal():
    bars = [*QUIET_START, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, -3]
    spots = [500.0] * (len(QUIET_START) + 5) + [501.0 + i for i in range(6)]
    alerts = feed(AlertTracker("SPY", OURS), series(bars, spots=spots))
    assert kinds(alerts) == [
        ("squeeze_building", "up"),
        ("squeeze_confirmed", "up"),
        ("reversal", "up"),
    ]
    assert alerts[-1].bars == 10 and alerts[0].t == T0 + timedelta(minutes=len(QUIET_START) + 4)


def test_a_small_dip_inside_the_run_does_not_end_the_episode():
    bars = [*QUIET_START, 2, 3, 4, 5, 6, 5, 7, 8, 9, 10]
    alerts = feed(AlertTracker("SPY", OURS), series(bars))
    assert kinds(alerts) == [("squeeze_confirmed", "up")]


def test_weak_bars_end_the_episode_and_the_same_run_cannot_restart_it():
    bars = [10.0, -10.0] * 6 + [6, 7, 8, 9, 10, 0.1, 0.1, 1, 2, 3, 4, 5]
    alerts = feed(AlertTracker("SPY", OURS), series(bars))
    assert kinds(alerts) == [("squeeze_confirmed", "up"), ("squeeze_ended", "up")]


def test_first_update_mid_episode_reports_it_once_without_history():
    bars = [*QUIET_START, -2, -3, -4, -5, -6, 1, 2, 3, 4, 5, 6]
    tracker = AlertTracker("SPY", OURS)
    alerts = tracker.update(series(bars))
    assert kinds(alerts) == [("squeeze_confirmed", "up")]
    assert tracker.update(series(bars)) == []


def test_bars_arriving_several_at_a_time_give_the_same_alerts():
    bars = [*QUIET_START, 2, 3, 4, 5, 6, -1, -2, -3, -4, -5, -6, 0, 1, *QUIET_START]
    rows = series(bars)
    one = feed(AlertTracker("SPY", OURS), rows, 1)
    tracker = AlertTracker("SPY", OURS)
    tracker.update(rows[:3])
    three = feed_from(tracker, rows, 3, 3)
    assert kinds(one) == kinds(three)
    assert ("squeeze_confirmed", "down") in kinds(one)


def feed_from(tracker, rows, start, step):
    alerts = []
    for end in range(start + step, len(rows) + step, step):
        alerts += tracker.update(rows[:end])
    return alerts
