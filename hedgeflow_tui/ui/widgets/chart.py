"""The main chart: cumulative (or rolling) hedge flow (all, calls, puts) over the session or the
zoomed range, price on the right, the zero line, gamma flip and walls, the alerts where they
fired and the cursor.

`show()` keeps the data for a view (ui/chart_view.py); `render()` draws it for the widget's
current size (chart_canvas) and colours it with the current palette and theme. A click parks
the cursor on the nearest bar (`FlowChart.Picked`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from rich.segment import Segment, Segments
from rich.style import Style
from textual import events
from textual.message import Message
from textual.widget import Widget

from hedgeflow_tui.clock import ET, session_bounds
from hedgeflow_tui.detector import Alert
from hedgeflow_tui.model import bar_delta
from hedgeflow_tui.store import SessionView
from hedgeflow_tui.ui.chart_axes import DEFAULT_TICK_SIZE, TICK_SIZES, time_axis_end
from hedgeflow_tui.ui.chart_canvas import ChartData, Level, Marker, Picture, render
from hedgeflow_tui.ui.chart_view import (
    ChartView,
    cumulative_flows,
    nearest_bucket,
    rolling_flows,
    shown_range,
)
from hedgeflow_tui.ui.palette import Palette, widget_palette

MARKED_ALERTS = ("squeeze_building", "squeeze_confirmed", "reversal")
WHOLE_SESSION = ChartView()  # the cumulative over the whole session, at the live edge


def chart_data(
    view: SessionView | None,
    bar_size: str,
    alerts: Iterable[Alert] = (),
    shown: ChartView = WHOLE_SESSION,
) -> ChartData | None:
    """What the chart draws of a session in the view `shown`: None while it holds no flow."""
    held = view.rows if view else ()
    rows = [r for r in held if r.cum_all is not None or (shown.rolling and r.all is not None)]
    if view is None or not rows:
        return None
    day = view.expiration or rows[0].t.astimezone(ET).date()
    session_open, session_close = session_bounds(day)
    bar = bar_delta(bar_size)
    flows = (
        cumulative_flows(rows)
        if shown.rolling is None
        else rolling_flows(rows, bar, shown.rolling, session_open)
    )
    last_end = rows[-1].t + bar
    start, end = shown_range(
        shown,
        min(session_open, rows[0].t),
        last_end,
        time_axis_end(last_end, session_close),
        bar,
    )
    keep = [i for i, r in enumerate(rows) if start < r.t + bar <= end]  # the bars in the range
    times = tuple(rows[i].t for i in keep)
    regime = view.regime
    levels: tuple[Level, ...] = ()
    if regime is not None:
        named = (
            ("γ-flip", regime.gamma_flip),
            ("call wall", regime.call_wall),
            ("put wall", regime.put_wall),
        )
        levels = tuple(Level(name, value) for name, value in named if value is not None)
    shown_times = set(times)
    what = "cumulative" if shown.rolling is None else f"rolling {shown.window}"
    zoom = f" · last {shown.zoom}" if shown.span is not None else ""
    return ChartData(
        times=times,
        all=tuple(flows.all[i] for i in keep),
        calls=tuple(flows.calls[i] for i in keep),
        puts=tuple(flows.puts[i] for i in keep),
        price=tuple(rows[i].spot for i in keep),
        bar=bar,
        session_open=session_open,
        session_close=session_close,
        tick=TICK_SIZES.get(view.symbol, DEFAULT_TICK_SIZE),
        levels=levels,
        markers=tuple(
            Marker(a.t, a.direction)
            for a in alerts
            if a.kind in MARKED_ALERTS and a.t in shown_times
        ),
        title=f"{what} dealer hedge flow (delta-$, ET){zoom}",
        tag=shown.name(),
        x_range=(start, end),
        cursor=shown.cursor if shown.cursor in shown_times else None,
    )


class FlowChart(Widget):
    """`show(view, bar_size, alerts, shown)` keeps the data; drawing happens on the next
    render."""

    class Picked(Message):
        """The chart was clicked at the bucket starting at `t`."""

        def __init__(self, t: datetime) -> None:
            super().__init__()
            self.t = t

    def __init__(self, *, id: str | None = None, palette: str = "default") -> None:
        super().__init__(id=id)
        self.palette = palette
        self.data: ChartData | None = None
        self.series: dict[str, tuple[float | None, ...]] = {}

    def show(
        self,
        view: SessionView | None,
        bar_size: str,
        alerts: Iterable[Alert] = (),
        shown: ChartView = WHOLE_SESSION,
    ) -> None:
        self.data = chart_data(view, bar_size, alerts, shown)
        data = self.data
        self.series = (
            {"all": data.all, "calls": data.calls, "puts": data.puts, "price": data.price}
            if data
            else {}
        )
        self.refresh()

    def picture(self) -> Picture:
        return render(self.data, *self.size)

    def on_click(self, event: events.Click) -> None:
        """A click inside the plot parks the cursor on the nearest bar shown."""
        data, picture = self.data, self.picture()
        if data is None or picture.x_range is None:
            return
        top, left, bottom, right = picture.plot
        if not (left <= event.x <= right and top <= event.y <= bottom + 1):
            return
        start, end = picture.x_range
        t = start + (end - start) * ((event.x - left) / max(1, right - left))
        bucket = nearest_bucket(data.times, t, data.bar)
        if bucket is not None:
            self.post_message(self.Picked(bucket))

    def render(self) -> Segments:
        return Segments(picture_segments(self.picture(), widget_palette(self)))


def picture_segments(picture: Picture, colours: Palette) -> list[Segment]:
    """Rows of the picture as runs of equally styled characters. Blank runs have a style of
    their own (nothing else is unstyled), so an SVG export, which joins equally styled runs,
    still places every label and axis at its own column."""
    styles = _styles(colours)
    segments: list[Segment] = []
    for chars, names in zip(picture.chars, picture.styles, strict=True):
        start = 0
        for col in range(1, len(chars) + 1):
            if (
                col == len(chars)
                or names[col] != names[start]
                or (chars[col] == " ") != (chars[start] == " ")
            ):
                text = "".join(chars[start:col])
                style = BLANK if chars[start] == " " else styles[names[start]]
                segments.append(Segment(text, style))
                start = col
        segments.append(Segment.line())
    return segments


BLANK, TEXT = Style.null(), Style(bold=False)


def _styles(colours: Palette) -> dict[str, Style]:
    return {
        "": TEXT,
        "bold": Style(bold=True),
        "axis": TEXT,
        "zero": Style(dim=True),
        "all": Style(color=colours.all, bold=True),
        "calls": Style(color=colours.calls),
        "puts": Style(color=colours.puts),
        "price": Style(color=colours.price),
        "level": Style(color=colours.level),
        "up": Style(color=colours.up, bold=True),
        "down": Style(color=colours.down, bold=True),
        "cursor": Style(bold=True),
        "cursor-label": Style(bold=True, reverse=True),
    }
