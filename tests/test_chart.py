"""The flow chart: round axes with a zero line, price ticks at the tick size, time ticks at round
times with the close, labels that never collide at any size, every series visible and
distinguishable without colour, levels and alert markers."""

from __future__ import annotations

import itertools
import math
import re
from datetime import UTC, datetime, timedelta

import pytest
from dashboard import run_dashboard
from test_app import make_app, rows, until

from hedgeflow_tui.analysis.detector import Alert
from hedgeflow_tui.analysis.levels import LevelAlert
from hedgeflow_tui.market.clock import session_bounds
from hedgeflow_tui.ui.chart.axes import flow_axis, price_axis, ticks
from hedgeflow_tui.ui.chart.canvas import (
    CALLS_GLYPH,
    LEVEL_MARKER,
    PRICE_GLYPH,
    PUTS_GLYPH,
    ChartData,
    Level,
    Marker,
    Picture,
    render,
)
from hedgeflow_tui.ui.widgets import FlowChart

DAY = datetime(2026, 6, 12).date()
OPEN, CLOSE = session_bounds(DAY)
FRAME = set("│┤├└┘─")


def session(
    bars: int,
    bar_minutes: int = 1,
    scale: float = 1e9,
    levels=(),
    markers=(),
    close: datetime = CLOSE,
) -> ChartData:
    """A wavy session of `bars` bars: flow across 0, price around 585."""
    times = tuple(OPEN + timedelta(minutes=bar_minutes * i) for i in range(bars))
    calls = tuple(scale * (0.8 * math.sin(i / 9) + 0.2) for i in range(bars))
    puts = tuple(-scale * (0.6 * math.cos(i / 13) + 0.4) for i in range(bars))
    return ChartData(
        times=times,
        all=tuple(c + p for c, p in zip(calls, puts, strict=True)),
        calls=calls,
        puts=puts,
        price=tuple(585 + 3 * math.sin(i / 17) for i in range(bars)),
        bar=timedelta(minutes=bar_minutes),
        session_open=OPEN,
        session_close=close,
        tick=0.01,
        levels=tuple(levels),
        markers=tuple(markers),
    )


def time_labels(picture: Picture) -> list[str]:
    return [
        label.text for label in sorted(picture.labels, key=lambda x: x.col) if label.kind == "time"
    ]


def collisions(picture: Picture) -> list[str]:
    """Every way a label can be spoiled: out of the picture, not shown as placed, touching
    another label on its row, or sitting on the frame or inside the plot (levels excepted)."""
    problems = []
    top, left, bottom, right = picture.plot
    labels = sorted(picture.labels, key=lambda label: (label.row, label.col))
    for label in labels:
        end = label.col + len(label.text)
        if label.col < 0 or end > picture.width or not 0 <= label.row < picture.height:
            problems.append(f"{label} out of the picture")
            continue
        shown = "".join(picture.chars[label.row][label.col : end])
        if shown != label.text:
            problems.append(f"{label} shows as {shown!r}")
        if label.kind in ("flow", "price", "time", "legend"):
            on_plot = top <= label.row <= bottom + 1 and not (
                end <= left - 1 or label.col > right + 1
            )
            if on_plot:
                problems.append(f"{label} on the frame or the plot")
        elif not (top <= label.row <= bottom and left <= label.col and end - 1 <= right):
            problems.append(f"{label} outside the plot")
    for a, b in itertools.pairwise(labels):
        if a.row == b.row and a.col + len(a.text) >= b.col:
            problems.append(f"{a} touches {b}")
    return problems


# --- axes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("low", "high"),
    [(-1.94e9, 2.91e9), (84.3e6, 642.1e6), (-473.5e6, -194.6e6), (-12_345, 6_789), (0, 0)],
)
@pytest.mark.parametrize("rows_", [3, 7, 10, 25, 60])
def test_flow_ticks_are_round_and_always_include_zero(low, high, rows_):
    axis_low, axis_high, step = flow_axis(low, high, rows_)
    values = ticks(axis_low, axis_high, step)
    assert axis_low <= min(low, 0) and axis_high >= max(high, 0)
    assert 0.0 in values
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert any(math.isclose(mantissa, m) for m in (1, 2, 2.5, 5))
    if len(values) > 1:  # at least two rows apart
        assert (values[1] - values[0]) / (axis_high - axis_low) * (rows_ - 1) >= 2 - 1e-9


def test_flow_labels_read_in_k_m_b_with_a_zero():
    picture = render(session(120, scale=1.5e9), 120, 30)
    texts = [label.text for label in picture.labels if label.kind == "flow"]
    assert "0" in texts
    assert all(re.fullmatch(r"0|[+−]\d+(\.\d+)?[KMB]", text) for text in texts), texts
    assert all(re.fullmatch(r"[+−](\d+|\d+\.(5|25|75))B|[+−]\d+M|0", t) for t in texts), texts


def test_a_zero_line_runs_across_the_plot_at_the_zero_label():
    picture = render(session(120), 120, 30)
    zero = next(label for label in picture.labels if label.text == "0")
    assert picture.zero_row == zero.row
    _top, left, _bottom, right = picture.plot
    line = "".join(picture.chars[zero.row][left : right + 1])
    assert line.count("─") > (right - left) // 2  # the series cross it here and there


@pytest.mark.parametrize(("tick", "low", "high"), [(0.01, 581.38, 581.61), (0.01, 5862.3, 5931.7)])
def test_price_ticks_are_round_multiples_of_the_tick_size(tick, low, high):
    for rows_ in (4, 10, 40):
        axis_low, axis_high, step = price_axis(low, high, rows_, tick)
        assert round(step / tick, 6).is_integer()
        for value in ticks(axis_low, axis_high, step):
            assert round(value / step, 6).is_integer() and low - 1e-9 <= value <= high + 1e-9


def test_time_ticks_at_round_times_and_the_close_labelled():
    for width, minutes in ((250, 15), (120, 30), (80, 60)):
        picture = render(session(390), width, 30)  # the whole day
        texts = time_labels(picture)
        assert texts[-1] == "16:00", texts
        stamps = [datetime.strptime(text, "%H:%M") for text in texts]
        assert all(s.minute % 15 == 0 for s in stamps)
        gaps = {(b - a).seconds // 60 for a, b in itertools.pairwise(stamps)}
        assert gaps <= {minutes, 2 * minutes}, (width, texts)


def test_an_early_close_is_the_last_time_label():
    early = datetime(2026, 6, 12, 17, 0, tzinfo=UTC)  # 13:00 ET
    picture = render(session(200, close=early), 120, 30)
    texts = time_labels(picture)
    assert texts[-1] == "13:00" and "16:00" not in texts


@pytest.mark.parametrize("width", [80, 120])
def test_early_in_the_day_the_axis_keeps_room_ahead_and_ends_on_a_round_half_hour(width):
    picture = render(session(65), width, 30)  # last bar 10:34
    assert time_labels(picture)[-1] == "11:00"
    top, left, bottom, right = picture.plot
    drawn = [
        c
        for c in range(left, right + 1)
        if any(picture.chars[r][c] not in " ─" for r in range(top, bottom + 1))
    ]
    assert (right - left) * 0.65 < max(drawn) - left < (right - left) * 0.8  # room ahead


def test_a_short_chart_labels_a_flow_besides_zero():
    """At 80x24 with the cursor's readout the plot has 6 rows: 0 alone says nothing of the
    scale."""
    for height in range(7, 12):
        picture = render(session(120, scale=2.5e8), 80, height)
        flows = [label.text for label in picture.labels if label.kind == "flow"]
        assert "0" in flows and len(flows) >= 2, (height, flows)


@pytest.mark.parametrize("wall", [585.0, 586.8])  # a row with gaps in the series, and one without
def test_after_the_close_level_labels_leave_the_newest_bars_visible(wall):
    data = session(390, levels=[Level("put wall", wall)])
    picture = render(data, 80, 20)
    row = picture.level_rows["put wall"]
    label = next(label for label in picture.labels if label.kind == "level")
    _top, _left, _bottom, right = picture.plot
    under = "".join(picture.chars[row][label.col + len(label.text) : right + 1])
    assert label.col + len(label.text) < right - 3  # not over the last columns
    assert any(char not in " ╌─" for char in under), under  # the newest bars there are drawn


# --- labels at every size -----------------------------------------------------------------------


def test_labels_never_collide_at_any_size_from_40x12_to_250x70():
    """The chart's own size at every terminal size from 40x12 to 250x70: the terminal's
    width (the chart spans it) and every height the chart can get."""
    data = session(
        130,
        bar_minutes=3,
        levels=[Level("γ-flip", 585.4), Level("call wall", 587.0), Level("put wall", 583.0)],
        markers=[Marker(OPEN + timedelta(minutes=m), "up") for m in (40, 120, 250)],
    )
    problems = {}
    for width in range(40, 251):
        for height in range(5, 71) if width % 30 == 10 else (5, 6, 7, 8, 11, 19, 37, 70):
            found = collisions(render(data, width, height))
            if found:
                problems[(width, height)] = found[:2]
    assert not problems, list(problems.items())[:5]


def test_labels_hold_with_huge_small_and_one_sided_values():
    for scale in (3.3e12, 7_777.0, 0.4):
        data = session(80, scale=scale)
        for width, height in ((40, 6), (80, 10), (250, 60)):
            assert not collisions(render(data, width, height)), (scale, width, height)


# --- series, levels, markers --------------------------------------------------------------------


def test_every_series_has_its_own_glyph_and_the_legend_fits_one_line():
    for width, height in ((40, 8), (78, 10), (120, 25)):
        picture = render(session(200), width, height)
        body = "\n".join("".join(row) for row in picture.chars[1:])
        assert CALLS_GLYPH in body and PUTS_GLYPH in body and PRICE_GLYPH in body
        assert any("\u2800" < char <= "\u28ff" for char in body)  # the all line, in braille
        legend = "".join(picture.chars[0])
        assert all(name in legend for name in ("all", "calls", "puts")), legend
        assert "L" not in legend and "⅃" not in legend


def test_levels_are_labelled_lines_when_in_range_and_absent_otherwise():
    data = session(200, levels=[Level("γ-flip", 585.4), Level("call wall", 612.0)])
    picture = render(data, 120, 30)
    assert "γ-flip" in picture.level_rows and "call wall" not in picture.level_rows
    row = "".join(picture.chars[picture.level_rows["γ-flip"]])
    assert "γ-flip 585.40" in row and row.count("╌") > 20
    assert "call wall" not in picture.text()


def test_alert_markers_sit_at_the_bar_where_they_fired():
    fired = OPEN + timedelta(minutes=100)
    later = fired + timedelta(minutes=50)
    data = session(390, markers=[Marker(fired, "up"), Marker(later, "down")])
    picture = render(data, 150, 30)
    (row_up, col_up, up), (_row_down, col_down, down) = picture.marker_cells
    assert (up, down) == ("▲", "▼") and col_down > col_up
    assert picture.chars[row_up][col_up] == "▲"
    _top, left, _bottom, right = picture.plot
    # the column of bar 100 (its close at 11:11) on a 09:30 .. 16:00 axis
    share = (101 * 60) / (390 * 60)
    assert abs(col_up - (left + share * (right - left))) <= 1


async def test_at_80x24_the_app_draws_every_series_and_the_alerts_of_the_session():
    # seed 12: squeezes and gamma flip crossings before 15:38 ET
    app, _ = make_app(at=datetime(2026, 6, 12, 19, 38, 30, tzinfo=UTC), seed=12)
    async with run_dashboard(app, size=(80, 24)) as pilot:
        await until(pilot, lambda: rows(app) > 0)
        await pilot.pause()
        chart = app.query_one(FlowChart)
        picture = chart.picture()
        assert chart.size.height >= 10
        body = picture.text()
        assert CALLS_GLYPH in body and PUTS_GLYPH in body
        assert any("\u2800" < char <= "\u28ff" for char in body)
        alerts = app.trackers.alerts("SPY")
        arrows = [cell for cell in picture.marker_cells if cell[2] != LEVEL_MARKER]
        assert alerts and len(arrows) == sum(
            isinstance(a, Alert) and a.kind != "squeeze_ended" for a in alerts
        )
        # a level alert's ◆ gives way to an arrow or another ◆ in the same cell
        levels = [cell for cell in picture.marker_cells if cell[2] == LEVEL_MARKER]
        assert 0 < len(levels) <= sum(isinstance(a, LevelAlert) for a in alerts)
        assert not collisions(picture)
