"""The main chart: cumulative hedge flow (all, calls, puts) over the session, price on the right,
the zero line, gamma flip and walls, and the alerts where they fired.

`show()` keeps the data; `render()` draws it for the widget's current size (chart_canvas) and
colours it with the current palette and theme.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from rich.segment import Segment, Segments
from rich.style import Style
from textual.widget import Widget

from hedgeflow_tui.clock import ET, session_bounds
from hedgeflow_tui.detector import Alert
from hedgeflow_tui.model import BAR_SECONDS
from hedgeflow_tui.store import SessionView
from hedgeflow_tui.ui.chart_axes import DEFAULT_TICK_SIZE, TICK_SIZES
from hedgeflow_tui.ui.chart_canvas import ChartData, Level, Marker, Picture, render
from hedgeflow_tui.ui.palette import Palette, widget_palette

MARKED_ALERTS = ("squeeze_building", "squeeze_confirmed", "reversal")


def chart_data(
    view: SessionView | None, bar_size: str, alerts: Iterable[Alert] = ()
) -> ChartData | None:
    """What the chart draws of a session: None while it holds no flow."""
    rows = [r for r in (view.rows if view else ()) if r.cum_all is not None]
    if view is None or not rows:
        return None
    day = view.expiration or rows[0].t.astimezone(ET).date()
    session_open, session_close = session_bounds(day)
    regime = view.regime
    levels: tuple[Level, ...] = ()
    if regime is not None:
        named = (
            ("γ-flip", regime.gamma_flip),
            ("call wall", regime.call_wall),
            ("put wall", regime.put_wall),
        )
        levels = tuple(Level(name, value) for name, value in named if value is not None)
    return ChartData(
        times=tuple(r.t for r in rows),
        all=tuple(r.cum_all for r in rows),
        calls=tuple(r.cum_calls for r in rows),
        puts=tuple(r.cum_puts for r in rows),
        price=tuple(r.spot for r in rows),
        bar=timedelta(seconds=BAR_SECONDS[bar_size]),
        session_open=session_open,
        session_close=session_close,
        tick=TICK_SIZES.get(view.symbol, DEFAULT_TICK_SIZE),
        levels=levels,
        markers=tuple(Marker(a.t, a.direction) for a in alerts if a.kind in MARKED_ALERTS),
    )


class FlowChart(Widget):
    """`show(view, bar_size, alerts)` keeps the data; drawing happens on the next render."""

    def __init__(self, *, id: str | None = None, palette: str = "default") -> None:
        super().__init__(id=id)
        self.palette = palette
        self.data: ChartData | None = None
        self.series: dict[str, tuple[float | None, ...]] = {}

    def show(self, view: SessionView | None, bar_size: str, alerts: Iterable[Alert] = ()) -> None:
        self.data = chart_data(view, bar_size, alerts)
        data = self.data
        self.series = (
            {"all": data.all, "calls": data.calls, "puts": data.puts, "price": data.price}
            if data
            else {}
        )
        self.refresh()

    def picture(self) -> Picture:
        return render(self.data, *self.size)

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
    }
