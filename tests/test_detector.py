"""The detector on hand-built series: the squeeze fingerprint (short gamma, flow, price), one
meaning per alert, history."""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from hedgeflow_tui.analysis.detector import (
    OPENING,
    TUNED,
    WATCH_LEVEL,
    AlertTracker,
    DetectorConfig,
    attribution,
    detector_config,
    session_attribution,
)
from hedgeflow_tui.engine.store import Row
from hedgeflow_tui.output.format import money
from hedgeflow_tui.output.jsonlines import alert_record
from hedgeflow_tui.sim.market import simulate_session
from hedgeflow_tui.sim.rows import rows_at
from hedgeflow_tui.ui.palette import palette_for
from hedgeflow_tui.ui.widgets.alert_log import alert_line
from hedgeflow_tui.ui.widgets.attribution import _bar as attribution_line
from hedgeflow_tui.ui.widgets.banner import banner_text

T0 = datetime(2026, 6, 12, 13, 30, tzinfo=UTC)
# A fixed detector, so these tests do not move when the tuned settings do.
CONFIG = DetectorConfig(
    flow_level=2.0,
    price_level=2.0,
    min_bars=3,
    max_bars=5,
    scale_bars=20,
    warmup_bars=5,
    calm_after=4,
)
SHORT = -1e8  # dealers' net GEX: short gamma


def calm(n: int, seed: int = 1, size: float = 1.0) -> list[float]:
    """Two-way flow of about `size` a bar, no drift."""
    rng = random.Random(seed)
    return [size * rng.uniform(0.5, 1.5) * rng.choice((-1, 1)) for _ in range(n)]


def series(
    bars: Sequence[float | None],
    spots: list[float] | None = None,
    call_share: float = 0.9,
    start: int = 0,
    net_gex: float | None = SHORT,
) -> list[Row]:
    """Rows whose `all` is `bars`, split call_share / 1 - call_share between the legs; price
    follows the flow of bars beyond calm size (|bar| > 1.5) and wanders on its own otherwise,
    unless `spots` says otherwise; dealers short gamma unless `net_gex` says otherwise."""
    rows, cum, spot = [], 0.0, 500.0
    wander = random.Random(7)
    for i, value in enumerate(bars):
        calls = None if value is None else value * call_share
        puts = None if value is None else value * (1 - call_share)
        cum += value or 0.0
        move = value or 0.0
        spot += 0.01 * (move if abs(move) > 1.5 else wander.uniform(-1.0, 1.0))
        rows.append(
            Row(
                t=T0 + timedelta(minutes=start + i),
                calls=calls,
                puts=puts,
                all=value,
                cum_calls=cum * call_share,
                cum_puts=cum * (1 - call_share),
                cum_all=cum,
                spot=spots[i] if spots else spot,
                net_gex=net_gex,
            )
        )
    return rows


def feed(tracker: AlertTracker, rows: list[Row], step: int = 1) -> list:
    alerts = []
    for end in range(step, len(rows) + step, step):
        alerts += tracker.update(rows[: min(end, len(rows))])
    return alerts


def kinds(alerts) -> list[tuple[str, str]]:
    return [(a.kind, a.direction) for a in alerts]


def edges(alerts) -> list[tuple[str, str]]:
    """The episodes' edges: "opened" for a building alert and the confirmation after it (or a
    confirmed alert alone), then ended or reversal."""
    found: list[tuple[str, str]] = []
    for kind, direction in kinds(alerts):
        if kind in OPENING:
            if found and found[-1] == ("opened", direction) and kind == "squeeze_confirmed":
                continue
            found.append(("opened", direction))
        else:
            found.append((kind, direction))
    return found


SQUEEZE_UP = [*calm(30), 3, 4, 5, 6, 7, 8, 8, 8]


def test_a_run_with_price_and_short_gamma_builds_then_confirms_once_each():
    alerts = feed(AlertTracker("SPY", CONFIG), series([*calm(30), 1.5, 2, 2.5, 3, 4, 5, 6]))
    assert kinds(alerts) == [("squeeze_building", "up"), ("squeeze_confirmed", "up")]
    assert alerts[0].t == T0 + timedelta(minutes=32)  # the third bar of the run
    assert alerts[0].attribution == "call-driven buying"


def test_calm_two_way_flow_raises_nothing():
    assert feed(AlertTracker("SPY", CONFIG), series(calm(200, seed=4))) == []


def test_evidence_is_scaled_by_the_symbols_own_flow_size():
    """SPX flows are ~10x SPY's: the same shape in bigger dollars gives the same alerts."""
    small = feed(AlertTracker("SPY", CONFIG), series(SQUEEZE_UP))
    big = feed(AlertTracker("SPX", CONFIG), series([10 * b for b in SQUEEZE_UP]))
    assert kinds(small) == kinds(big) and [a.t for a in small] == [a.t for a in big]


def test_one_small_bar_inside_a_run_does_not_lose_it():
    bars = [*calm(30), 3, 4, 0.2, 5, 6, 7]
    alerts = feed(AlertTracker("SPY", CONFIG), series(bars))
    assert edges(alerts)[:1] == [("opened", "up")]


def test_a_downside_squeeze_driven_by_puts_is_put_driven_selling():
    rows = series([*calm(30), -3, -4, -5, -6, -7], call_share=0.1)
    alerts = feed(AlertTracker("SPY", CONFIG), rows)
    assert edges(alerts)[0] == ("opened", "down")
    assert alerts[0].attribution == "put-driven selling"


def test_call_selling_is_not_called_upside_call_chasing():
    rows = series([*calm(30), -3, -4, -5, -6, -7], call_share=0.93)
    alerts = feed(AlertTracker("SPY", CONFIG), rows)
    assert alerts[0].direction == "down" and alerts[0].attribution == "call-driven selling"
    assert session_attribution(rows).label == "call-driven selling"


@pytest.mark.parametrize(
    "calls, puts, label",
    [
        (65, 35, "call-driven buying"),
        (-65, 35, "call-driven selling"),
        (64, 36, "mixed"),
        (35, 65, "put-driven buying"),
        (35, -65, "put-driven selling"),
        (36, -64, "mixed"),
        (0, 0, "none"),
    ],
)
def test_attribution_names_the_leg_and_its_sign(calls, puts, label):
    assert attribution(calls, puts).label == label


@pytest.mark.parametrize(
    "calls, puts, shown",
    [
        (-639.9e6, -48.2e6, "CALL-DRIVEN SELLING"),  # the line the issue saw as CALL-DRIVEN
        (639.9e6, 48.2e6, "CALL-DRIVEN BUYING"),
        (48.2e6, -639.9e6, "PUT-DRIVEN SELLING"),
        (-48.2e6, 639.9e6, "PUT-DRIVEN BUYING"),
    ],
)
def test_the_attribution_line_says_which_way_the_leg_drives(calls, puts, shown):
    line = attribution_line("run", attribution(calls, puts), palette_for("default", True), 120)
    assert line.plain.endswith(shown) and "93%" in line.plain


@pytest.mark.parametrize(
    "calls, puts, percent, shown",
    [
        (97.2e6, 178.7e6, "35%", "PUT-DRIVEN BUYING"),  # 35.2% was shown as 35% beside MIXED
        (64.6e6, 35.4e6, "65%", "CALL-DRIVEN BUYING"),
        (35.6e6, 64.4e6, "36%", "MIXED"),
    ],
)
def test_the_attribution_label_follows_the_share_shown(calls, puts, percent, shown):
    line = attribution_line("session", attribution(calls, puts), palette_for("default", True), 120)
    assert f" {percent} · puts " in line.plain and line.plain.endswith(shown), line.plain


def test_a_reversal_carries_the_new_direction_and_ends_the_episode():
    rows = series([*SQUEEZE_UP, -6, -8, -9])
    alerts = feed(AlertTracker("SPY", CONFIG), rows)
    assert edges(alerts) == [("opened", "up"), ("reversal", "down")]
    reversal = alerts[-1]
    tracker = AlertTracker("SPY", CONFIG)
    feed(tracker, [r for r in rows if r.t <= reversal.t])  # the banner on the reversal's bar
    assert tracker.signal.state == "quiet" and tracker.signal.reversal
    assert tracker.signal.direction == "down"
    assert "dealers now selling" in banner_text(tracker.signal)[0]
    colours = palette_for("default", True)
    line = alert_line(reversal, colours)  # the alert log's line: the new direction's arrow
    arrow = next(span for span in line.spans if "REVERSAL" in line.plain[span.start : span.end])
    assert line.plain[arrow.start :].startswith("▼ REVERSAL") and colours.down in str(arrow.style)


def test_a_fading_squeeze_is_said_to_have_ended():
    bars = [*SQUEEZE_UP, *calm(12, seed=9, size=0.3)]
    tracker = AlertTracker("SPY", CONFIG)
    alerts = feed(tracker, series(bars))
    assert edges(alerts) == [("opened", "up"), ("squeeze_ended", "up")]
    assert tracker.signal.state == "quiet"


def test_an_ended_squeeze_totals_its_run_up_to_the_peak_and_states_the_fade_apart():
    bars = [*SQUEEZE_UP, -2, -3, *calm(12, seed=9, size=0.3)]
    rows = series(bars)
    alerts = feed(AlertTracker("SPY", CONFIG), rows)
    assert edges(alerts) == [("opened", "up"), ("squeeze_ended", "up")]
    opened, ended = alerts[0], alerts[-1]
    peak = len(SQUEEZE_UP) - 1  # the run's total is highest at its last bar
    since = peak - ended.bars + 1
    assert rows[since].t <= opened.t  # the run begins where the opening window began
    assert ended.run_flow == pytest.approx(sum(bars[since : peak + 1]))
    fade = bars[peak + 1 : peak + 1 + ended.fade_bars]
    assert ended.fade_bars >= 2 and fade[:2] == [-2, -3]
    assert ended.fade_flow == pytest.approx(sum(fade)) and ended.fade_flow < 0
    assert ended.t == rows[peak + ended.fade_bars].t  # the bar it ended on
    line = alert_line(ended, palette_for("default", True)).plain
    assert line.endswith(
        f"▲ ended     {ended.bars} bars {money(ended.run_flow)} call-driven buying · "
        f"price confirms · then faded {ended.fade_bars} bars {money(sum(fade))}"
    ), line
    assert "faded" not in alert_line(opened, palette_for("default", True)).plain


def test_an_ended_squeeze_that_gave_its_run_back_still_shows_the_runs_own_total():
    """An upside squeeze whose bars after its peak (dealers long gamma again: no reversal) take
    back more than its run: the ended alert's arrow, total, log line and JSON go the run's way."""
    shape = [*SQUEEZE_UP, -25, -30, -25, *calm(10, seed=9, size=0.3)]
    spots = [r.spot or 0.0 for r in series(shape)]
    rows = series([b * 1e6 for b in shape], spots=spots)  # dollars: millions
    rows = [r if i < len(SQUEEZE_UP) else replace(r, net_gex=1e8) for i, r in enumerate(rows)]
    alerts = feed(AlertTracker("SPY", CONFIG), rows)
    ended = [alert for alert in alerts if alert.kind == "squeeze_ended"]
    assert len(ended) == 1 and not any(a.kind == "reversal" for a in alerts)
    alert = ended[0]
    assert alert.run_flow > 0 > alert.run_flow + alert.fade_flow
    line = alert_line(alert, palette_for("default", True)).plain
    assert "▲ ended" in line and f"{alert.bars} bars +$" in line, line
    assert line.endswith(f"then faded {alert.fade_bars} bars −${abs(alert.fade_flow) / 1e6:.1f}M")
    record = alert_record(alert)
    assert record["run_flow"] > 0 > record["fade_flow"] and record["fade_bars"] == alert.fade_bars


def legs(calls: Sequence[float], puts: Sequence[float]) -> list[Row]:
    """Rows with these per-leg flows, price following both legs' flow, dealers short gamma."""
    totals = [call + put for call, put in zip(calls, puts, strict=True)]
    return [
        replace(
            row, calls=call, puts=put, cum_calls=cum_calls, cum_puts=(row.cum_all or 0) - cum_calls
        )
        for row, call, put, cum_calls in zip(
            series(totals), calls, puts, itertools.accumulate(calls), strict=True
        )
    ]


def test_one_leg_buying_while_the_other_sells_more_is_no_upside():
    """Seen on the simulator: a put flush with calls mildly bought logged `▲ REVERSAL` with a
    run of -$440M, 'put-driven selling', and the banner said dealers were now buying."""
    calls = [*calm(30, seed=5, size=0.5), 0.2, 0.3, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5]
    puts = [*calm(30, seed=6, size=0.5), -3, -4, -5, -5, -5, -5, -5, -5]
    tracker = AlertTracker("SPY", CONFIG)
    for end in range(1, len(calls) + 1):
        for alert in tracker.update(legs(calls, puts)[:end]):
            assert alert.direction == "down" and alert.run_flow < 0, alert
        signal = tracker.signal
        if signal.direction == "up" and end > 30:
            assert signal.run_flow > 0 and signal.evidence < 0.5, signal
    assert tracker.alerts and tracker.alerts[0].kind in ("squeeze_building", "squeeze_confirmed")


def test_every_alert_and_named_run_goes_the_way_its_flow_goes():
    """Over a whole simulated session at every bar size: an alert's run flow, and the run the
    banner names, have its direction's sign (an ended alert's run is the episode to its peak)."""
    path = simulate_session("SPY", date(2026, 12, 3), 17)
    for bar, seconds in (("30s", 30), ("1m", 60), ("15m", 900)):
        rows = rows_at(path, seconds)
        tracker = AlertTracker("SPY", detector_config(bar))
        for end in range(1, len(rows) + 1):
            for alert in tracker.update(rows[:end]):
                assert (alert.run_flow > 0) == (alert.direction == "up"), (bar, alert)
            signal = tracker.signal
            if signal.state == "quiet" and signal.evidence >= WATCH_LEVEL:
                assert (signal.run_flow > 0) == (signal.direction == "up"), (bar, signal)


def test_an_unknown_bar_is_no_evidence_either_way():
    with_gap = [*calm(30), 3, 4, None, 5, 6, 7]
    alerts = feed(AlertTracker("SPY", CONFIG), series(with_gap))
    assert edges(alerts)[0] == ("opened", "up")


def test_started_mid_session_past_alerts_come_back_as_history():
    bars = [*SQUEEZE_UP, -6, -8, -9, *calm(20, seed=2)]
    live = feed(AlertTracker("SPY", CONFIG), series(bars))
    tracker = AlertTracker("SPY", CONFIG)
    backfilled = tracker.update(series(bars))
    assert kinds(backfilled) == kinds(live)
    assert all(a.history for a in backfilled) and not any(a.history for a in live)
    assert tracker.update(series(bars)) == []


def test_alerts_on_the_newest_bars_of_a_first_update_are_news():
    tracker = AlertTracker("SPY", CONFIG)
    alerts = tracker.update(series(SQUEEZE_UP[:33]))
    assert edges(alerts) == [("opened", "up")] and not alerts[0].history


def test_bars_arriving_several_at_a_time_give_the_same_alerts():
    rows = series([*SQUEEZE_UP, -6, -8, -9, *calm(30, seed=3)])
    one = feed(AlertTracker("SPY", CONFIG), rows, 1)
    three = feed(AlertTracker("SPY", CONFIG), rows, 3)
    assert kinds(one) == kinds(three) and [a.t for a in one] == [a.t for a in three]


def test_largest_bar_of_the_session_is_never_called_quiet():
    tracker = AlertTracker("SPY", replace(CONFIG, flow_level=50.0))  # no alert can fire
    tracker.update(series([*calm(30), -40.0]))
    assert tracker.signal.state == "quiet" and tracker.signal.largest
    text, _ = banner_text(tracker.signal)
    assert "quiet" not in text and "largest" in text and "selling" in text


def test_the_largest_bar_in_the_warm_up_is_not_called_quiet_either():
    tracker = AlertTracker("SPY", replace(CONFIG, warmup_bars=10))
    tracker.update(series([*calm(4), 30.0]))
    assert tracker.signal.largest
    text, _ = banner_text(tracker.signal)
    assert "quiet" not in text and "largest" in text and "buying" in text


def test_sensitivity_scales_the_tuned_levels():
    normal = detector_config("1m")
    assert normal == TUNED["1m"]
    high, low = detector_config("1m", "high"), detector_config("1m", "low")
    assert high.flow_level < normal.flow_level < low.flow_level
    assert high.price_level < normal.price_level < low.price_level
    with pytest.raises(ValueError):
        detector_config("1m", "loud")


def test_higher_sensitivity_alerts_no_later():
    rows = series([*calm(30), 1.0, 1.2, 1.5, 1.8, 2.2, 2.6, 3, 4, 5, 6])
    firsts = {}
    for level, factor in (("low", 1.25), ("normal", 1.0), ("high", 0.8)):
        config = replace(CONFIG, flow_level=2.0 * factor, price_level=2.0 * factor)
        alerts = feed(AlertTracker("SPY", config), rows)
        firsts[level] = alerts[0].t if alerts else datetime.max.replace(tzinfo=UTC)
    assert firsts["high"] <= firsts["normal"] <= firsts["low"]
    assert firsts["high"] < firsts["low"]


RUN = [*calm(30), 3, 4, 5, 6, 7]


def run_spots(bars: Sequence[float], step: float, calm_bars: int = 30) -> list[float]:
    """The calm bars' own wandering price, then `step` a bar."""
    base = [r.spot or 0.0 for r in series(bars[:calm_bars])]
    return base + [base[-1] + step * (i + 1) for i in range(len(bars) - calm_bars)]


RISING = run_spots(RUN, 0.05)


@pytest.mark.parametrize(
    "net_gex, flip, opens",
    [
        (-1e8, None, True),  # dealers short gamma: their hedging chases price
        (1e8, 490.0, False),  # long gamma: their hedging leans against it
        (None, 510.0, True),  # net GEX unknown: spot below the gamma flip reads as short
        (None, 490.0, False),
        (None, None, False),  # nothing known: no gamma context
    ],
)
def test_a_squeeze_needs_the_dealers_short_gamma(net_gex, flip, opens):
    rows = [replace(r, gamma_flip=flip) for r in series(RUN, spots=RISING, net_gex=net_gex)]
    alerts = feed(AlertTracker("SPY", CONFIG), rows)
    assert bool(alerts) == opens
    if opens:
        assert alerts[0].why.startswith("short gamma · flow +"), alerts[0].why
    # without the gamma test the same run opens whatever the dealers hold
    assert feed(AlertTracker("SPY", replace(CONFIG, short_gamma=False)), rows)


def test_a_squeeze_needs_price_moving_with_the_flow():
    flat = run_spots(RUN, 0.0)
    falling = run_spots(RUN, -0.05)
    assert feed(AlertTracker("SPY", CONFIG), series(RUN, spots=flat)) == []
    assert feed(AlertTracker("SPY", CONFIG), series(RUN, spots=falling)) == []
    assert kinds(feed(AlertTracker("SPY", CONFIG), series(RUN, spots=RISING)))[0][1] == "up"


def test_accelerating_flow_opens_where_a_fading_one_does_not():
    """Flow running hard while price waits, then fading as price moves: no window whose later
    half outweighs its earlier one passes on price."""
    fading = [*calm(30), 7, 7, 6, 5, 4, 3, 2.5]
    waiting = run_spots(fading, 0.0)
    late_price = waiting[:34] + [waiting[33] + 0.05 * i for i in (1, 2, 3)]
    config = replace(CONFIG, accelerating=True)
    assert feed(AlertTracker("SPY", config), series(fading, spots=late_price)) == []
    assert feed(AlertTracker("SPY", CONFIG), series(fading, spots=late_price))  # without the test
    assert feed(AlertTracker("SPY", config), series(RUN, spots=RISING))


def test_the_alert_and_the_banner_say_why_it_fired():
    rows = series(RUN, spots=RISING)
    tracker = AlertTracker("SPY", CONFIG)
    alert = feed(tracker, rows)[0]
    match = re.fullmatch(
        r"short gamma · flow \+(\d+\.\d)σ · price \+(\d+\.\d)σ in (\d+) bars", alert.why
    )
    assert match, alert.why
    flow, price, bars = float(match[1]), float(match[2]), int(match[3])
    assert flow >= CONFIG.flow_level and price >= CONFIG.price_level
    assert CONFIG.min_bars <= bars <= CONFIG.max_bars
    assert alert_record(alert)["why"] == alert.why
    assert alert_line(alert, palette_for("default", True)).plain.endswith(alert.why)
    text, classes = banner_text(tracker.signal)
    assert "SQUEEZE" in text and "short gamma · flow +" in text and "-up" in classes


def test_an_ended_squeeze_does_not_reopen_its_way_at_once():
    bars = [*RUN, *calm(8, seed=9, size=0.2), 3, 4, 5, 6]
    spots = [*RISING, *([RISING[-1]] * 8), *(RISING[-1] + 0.05 * i for i in range(1, 5))]
    held = edges(feed(AlertTracker("SPY", replace(CONFIG, calm_after=20)), series(bars, spots)))
    assert held == [("opened", "up"), ("squeeze_ended", "up")]
    again = edges(feed(AlertTracker("SPY", replace(CONFIG, calm_after=0)), series(bars, spots)))
    assert again[2:] and again[2] == ("opened", "up")
