"""The chart's view model: windows, rolling sums with gaps as gaps, zoom ranges, the cursor and
its readout (pure functions, no app)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest

from hedgeflow_tui.analysis.detector import Alert
from hedgeflow_tui.engine.store import Row
from hedgeflow_tui.market.clock import session_bounds
from hedgeflow_tui.market.windows import windows_for
from hedgeflow_tui.ui.chart.view import (
    ChartView,
    cumulative_flows,
    move_cursor,
    nearest_bucket,
    rolling_flows,
    shown_range,
)
from hedgeflow_tui.ui.widgets.readout import readout_text

DAY = datetime(2026, 6, 12).date()
OPEN, CLOSE = session_bounds(DAY)
MINUTE = timedelta(minutes=1)


def flow_rows(calls: Sequence[float | None], puts: Sequence[float | None], skip=()) -> list[Row]:
    """One row a minute from the open (minutes in `skip` not held at all), cumulatives summed
    from the flows where every earlier flow is known."""
    rows = []
    cum_c: float | None = 0.0
    cum_p: float | None = 0.0
    for i, (c, p) in enumerate(zip(calls, puts, strict=True)):
        cum_c = cum_c + c if cum_c is not None and c is not None else None
        cum_p = cum_p + p if cum_p is not None and p is not None else None
        if i in skip:
            continue
        rows.append(
            Row(
                t=OPEN + i * MINUTE,
                calls=c,
                puts=p,
                all=c + p if c is not None and p is not None else None,
                cum_calls=cum_c,
                cum_puts=cum_p,
                cum_all=cum_c + cum_p if cum_c is not None and cum_p is not None else None,
                spot=580.0 + i,
            )
        )
    return rows


def test_windows_are_only_those_longer_than_the_bar():
    assert windows_for("30s") == ("cumulative", "5m", "15m", "30m", "1h")
    assert windows_for("1m") == ("cumulative", "5m", "15m", "30m", "1h")
    assert windows_for("5m") == ("cumulative", "15m", "30m", "1h")
    assert windows_for("15m") == ("cumulative", "30m", "1h")


def test_w_cycles_the_windows_of_the_bar_size_and_z_the_zooms():
    view = ChartView()
    seen = []
    for _ in range(4):
        view = view.next_window("15m")
        seen.append(view.window)
    assert seen == ["30m", "1h", "cumulative", "30m"]
    zooms = []
    for _ in range(4):
        view = view.next_zoom()
        zooms.append(view.zoom)
    assert zooms == ["2h", "1h", "30m", "session"]


def test_view_names_say_window_and_zoom():
    assert ChartView().name() == "cumulative"
    assert ChartView("15m").name() == "rolling 15m"
    assert ChartView("1h", "30m").name() == "rolling 1h · last 30m"


def test_a_new_bar_size_drops_a_window_too_short_and_the_cursor():
    parked = ChartView("5m", "1h", OPEN)
    assert parked.fit_bar("15m") == ChartView("cumulative", "1h", None)
    assert parked.fit_bar("30s") == ChartView("5m", "1h", None)


def test_rolling_sums_of_per_bar_flow():
    rows = flow_rows([1, 2, 3, 4, 5, 6, 7], [-1, -1, -1, -1, -1, -1, -1])
    flows = rolling_flows(rows, MINUTE, timedelta(minutes=5), OPEN)
    # the first bars sum what the session has so far (nothing flowed before the open)
    assert flows.calls == (1, 3, 6, 10, 15, 20, 25)
    assert flows.puts == (-1, -2, -3, -4, -5, -5, -5)
    assert flows.all == (0, 1, 3, 6, 10, 15, 20)


def test_a_missing_bar_is_a_gap_for_every_window_holding_it():
    calls = [1.0] * 10
    rows = flow_rows(calls, [0.0] * 10, skip={3})  # bucket 3 not held at all
    flows = rolling_flows(rows, MINUTE, timedelta(minutes=3), OPEN)
    by_minute = {int((r.t - OPEN) / MINUTE): v for r, v in zip(rows, flows.calls, strict=True)}
    assert by_minute[2] == 3
    assert by_minute[4] is None and by_minute[5] is None  # windows 2..4 and 3..5
    assert by_minute[6] == 3  # 4..6: whole again


def test_an_unknown_leg_is_a_gap_for_that_leg_and_for_all():
    rows = flow_rows([1.0, 1.0, None, 1.0, 1.0, 1.0], [2.0] * 6)
    flows = rolling_flows(rows, MINUTE, timedelta(minutes=2), OPEN)
    assert flows.calls == (1, 2, None, None, 2, 2)
    assert flows.puts == (2, 4, 4, 4, 4, 4)
    assert flows.all == (3, 6, None, None, 6, 6)


def test_rolling_at_30s_bars_counts_bars_not_minutes():
    half = timedelta(seconds=30)
    rows = [
        Row(OPEN + i * half, 1.0, 0.0, 1.0, float(i + 1), 0.0, float(i + 1), 580.0)
        for i in range(20)
    ]
    flows = rolling_flows(rows, half, timedelta(minutes=5), OPEN)
    assert flows.all[-1] == 10  # 5 minutes of 30s bars


def test_cumulative_flows_are_the_rows_cumulatives():
    rows = flow_rows([1, 2], [3, 4])
    assert cumulative_flows(rows).all == (4, 10)


def test_zoom_shows_the_last_span_up_to_the_newest_bar():
    last_end = OPEN + timedelta(hours=3)
    axis_end = OPEN + timedelta(hours=4)
    assert shown_range(ChartView(), OPEN, last_end, axis_end, MINUTE) == (OPEN, axis_end)
    start, end = shown_range(ChartView(zoom="1h"), OPEN, last_end, axis_end, MINUTE)
    assert (start, end) == (last_end - timedelta(hours=1), last_end)


def test_zoom_early_in_the_session_starts_at_the_open():
    last_end = OPEN + timedelta(minutes=20)
    start, end = shown_range(ChartView(zoom="1h"), OPEN, last_end, CLOSE, MINUTE)
    assert (start, end) == (OPEN, OPEN + timedelta(hours=1))


def test_a_cursor_parked_before_the_zoom_brings_the_range_with_it():
    last_end = OPEN + timedelta(hours=3)
    cursor = OPEN + timedelta(minutes=60)
    view = ChartView(zoom="30m", cursor=cursor)
    start, end = shown_range(view, OPEN, last_end, CLOSE, MINUTE)
    assert start < cursor + MINUTE <= end
    assert end - start == timedelta(minutes=30)
    inside = ChartView(zoom="30m", cursor=last_end - 5 * MINUTE)
    assert shown_range(inside, OPEN, last_end, CLOSE, MINUTE)[1] == last_end


TIMES = [OPEN + i * MINUTE for i in (0, 1, 2, 4, 5)]  # minute 3 not held


@pytest.mark.parametrize(
    ("cursor", "bars", "expected"),
    [
        (None, -1, TIMES[-1]),  # the first step back parks on the newest bar
        (None, -3, TIMES[-3]),
        (None, 1, None),  # already at the live edge
        (TIMES[3], -1, TIMES[2]),  # over the missing bucket
        (TIMES[0], -1, TIMES[0]),  # stays on the first bar
        (TIMES[-1], 1, TIMES[-1]),  # stays on the newest (end/esc go back to live)
        (OPEN + 3 * MINUTE, -1, TIMES[2]),  # from a bucket no longer held
        (OPEN + 3 * MINUTE, 1, TIMES[3]),
    ],
)
def test_cursor_moves_over_held_buckets(cursor, bars, expected):
    assert move_cursor(TIMES, cursor, bars) == expected


def test_a_click_parks_on_the_nearest_bar():
    assert nearest_bucket(TIMES, OPEN + 3 * MINUTE + timedelta(seconds=20), MINUTE) == TIMES[2]
    assert nearest_bucket(TIMES, OPEN + timedelta(hours=5), MINUTE) == TIMES[-1]
    assert nearest_bucket([], OPEN, MINUTE) is None


def alert_at(t: datetime) -> Alert:
    return Alert("SPY", "squeeze_building", "up", 5, 2e8, "call-driven buying", False, 1e9, t)


def test_readout_has_time_flows_cumulatives_price_and_alert():
    row = Row(OPEN + 42 * MINUTE, 12.3e6, -4.1e6, 8.2e6, 150e6, -80e6, 70e6, 581.23)
    text = readout_text(row, [alert_at(row.t)], ("15m", 40e6))
    assert text.startswith("cursor 10:12:00 ET")
    for part in (
        "calls +$12.3M cum +$150.0M",
        "puts −$4.10M cum −$80.0M",
        "all +$8.20M cum +$70.0M",
        "15m +$40.0M",
        "price 581.23",
        "▲ BUILDING",
    ):
        assert part in text


@pytest.mark.parametrize("width", [78, 100, 118, 158])
def test_readout_fits_the_width_and_keeps_every_leg(width):
    row = Row(OPEN + 42 * MINUTE, -12.3e6, -14.1e6, -26.4e6, -150e6, -180e6, -330e6, 581.23)
    text = readout_text(row, [alert_at(row.t)], None, width)
    assert len(text) <= width
    assert all(re.search(rf"\b{leg}s? ", text) for leg in ("call", "put", "all")), text
    assert "10:12" in text and "BUILDING" in text
    assert "cum" in text  # which figure is the bar's and which the cumulative
    assert "581.23" in text or width < 100  # the price goes first: on the chart's axis
    assert "581.23" in readout_text(row, (), None, width)  # with no alert it fits


def test_readout_says_unknown_as_a_dash_never_zero():
    row = Row(OPEN, None, 1e6, None, None, 1e6, None, None)
    text = readout_text(row)
    assert "calls — cum —" in text and "price —" in text
