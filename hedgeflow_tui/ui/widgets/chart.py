"""The main chart: cumulative (or rolling) hedge flow (all, calls, puts) over the session or the
zoomed range, price on the right, the zero line, gamma flip and walls, the alerts where they
fired and the cursor.

`show()` keeps the data for a view (ui/chart_view.py); the widget draws it for its current size
(chart_canvas), colours it with the current palette and theme, and hands Textual the lines as
strips. The strips are cached per (data version, size, colours), a new view being a new data
version: a repaint with nothing new costs a lookup, and a new poll refreshes only the lines whose
picture changed. A click parks the cursor on the nearest bar (`FlowChart.Picked`).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple, Self

from rich.segment import Segment, Segments
from rich.style import Style
from textual import events
from textual.geometry import Region, Size
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from hedgeflow_tui.analysis.alerting import AnyAlert
from hedgeflow_tui.analysis.levels import LEVEL_KINDS
from hedgeflow_tui.engine.store import SessionView
from hedgeflow_tui.market.bars import bar_delta
from hedgeflow_tui.market.clock import ET, session_bounds
from hedgeflow_tui.ui.chart.axes import DEFAULT_TICK_SIZE, TICK_SIZES, time_axis_end
from hedgeflow_tui.ui.chart.canvas import (
    MEDIAN_GLYPH,
    YESTERDAY_GLYPH,
    ChartData,
    Level,
    Marker,
    PastLine,
    Picture,
    render,
)
from hedgeflow_tui.ui.chart.view import (
    ChartView,
    cumulative_flows,
    in_range,
    nearest_bucket,
    rolling_flows,
    shown_range,
)
from hedgeflow_tui.ui.palette import Palette, widget_palette

if TYPE_CHECKING:  # the history's modules (sqlite3)
    from hedgeflow_tui.analysis.past_curves import PastCurves

MARKED_ALERTS = ("squeeze_building", "squeeze_confirmed", "reversal", *LEVEL_KINDS)
WHOLE_SESSION = ChartView()  # the cumulative over the whole session, at the live edge


def chart_data(
    view: SessionView | None,
    bar_size: str,
    alerts: Iterable[AnyAlert] = (),
    shown: ChartView = WHOLE_SESSION,
    past: PastCurves | None = None,
) -> ChartData | None:
    """What the chart draws of a session in the view `shown`: None while it holds no flow.
    `past`: the past sessions' curves, drawn in the cumulative view (a rolling sum is no
    session's cumulative)."""
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
    keep = in_range(rows, bar, start, end)  # the bars in the range
    times = tuple(r.t for r in rows[keep])
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
        all=flows.all[keep],
        calls=flows.calls[keep],
        puts=flows.puts[keep],
        price=tuple(r.spot for r in rows[keep]),
        bar=bar,
        session_open=session_open,
        session_close=session_close,
        tick=TICK_SIZES.get(view.symbol, DEFAULT_TICK_SIZE),
        levels=levels,
        markers=tuple(
            Marker(a.t, a.direction, level=a.kind in LEVEL_KINDS)
            for a in alerts
            if a.kind in MARKED_ALERTS and a.t in shown_times
        ),
        title=f"{what} dealer hedge flow (delta-$, ET){zoom}",
        tag=shown.name(),
        x_range=(start, end),
        cursor=shown.cursor if shown.cursor in shown_times else None,
        past=past_lines(past, times) if past is not None and shown.rolling is None else (),
    )


def past_lines(past: PastCurves, times: tuple[datetime, ...]) -> tuple[PastLine, ...]:
    """The median and yesterday's curves at the chart's times (today's buckets shown)."""
    index = {t: i for i, t in enumerate(past.times)}
    at = [index.get(t) for t in times]
    median = tuple(past.median[i] if i is not None else None for i in at)
    yesterday = tuple(past.yesterday[i] if i is not None else None for i in at)
    day = past.yesterday_day.strftime("%m-%d")  # the newest stored session before today
    return (
        PastLine(f"median {past.sessions}d", median, MEDIAN_GLYPH),
        PastLine(day, yesterday, YESTERDAY_GLYPH),
    )


class FlowChart(Widget):
    """`show(view, bar_size, alerts, shown)` keeps the data; drawing happens when Textual asks
    for the lines."""

    CACHED_PICTURES = 4  # a few views or sizes to flip between (a tab, a zoom, a resize)

    class Picked(Message):
        """The chart was clicked at the bucket starting at `t`."""

        def __init__(self, t: datetime) -> None:
            super().__init__()
            self.t = t

    def __init__(self, *, id: str | None = None, palette: str = "default") -> None:
        super().__init__(id=id)
        self.palette = palette
        self.data: ChartData | None = None
        self.view: ChartView | None = None  # the view `data` was made for
        self.version = 0  # of `data` and `view`: bumped whenever either changes
        self._drawn: dict[Hashable, Drawn] = {}
        self._look: tuple[Size, Palette, Style] | None = None  # (see _key)

    def show(
        self,
        view: SessionView | None,
        bar_size: str,
        alerts: Iterable[AnyAlert] = (),
        shown: ChartView = WHOLE_SESSION,
        past: PastCurves | None = None,
    ) -> None:
        data = chart_data(view, bar_size, alerts, shown, past)
        if data == self.data and shown == self.view:
            return  # nothing new: the cached lines stand
        before = self._lines_shown()
        self.data, self.version, self.view = data, self.version + 1, shown
        self.refresh_changed(before)

    def refresh_changed(self, before: list[Strip] | None) -> None:
        """Refresh the lines that differ from `before` (the lines on screen until now); all of
        them when there is nothing to compare. Off screen (another tab) nothing is drawn now:
        the lines are drawn when Textual asks for them."""
        if before is None or not self.region:
            self.refresh()
            return
        after = self._drawing().strips
        if len(after) != len(before):
            self.refresh()
            return
        width = self.size.width
        changed = [  # a line that did not change keeps its very strip
            Region(0, y, width, 1)
            for y, (a, b) in enumerate(zip(after, before, strict=True))
            if a is not b
        ]
        if changed:
            self.refresh(*changed)

    def refresh(
        self, *regions: Region, repaint: bool = True, layout: bool = False, recompose: bool = False
    ) -> Self:
        self._look = None  # a restyle (a theme, an ancestor's colours) comes with a refresh
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def _key(self) -> Hashable:
        """The cache key of the lines: data version, size, colours. The colours and style are
        looked up once per refresh, not for each line Textual asks for: the style walks every
        ancestor, and a repaint asks for every line."""
        size = self.size
        if self._look is None or self._look[0] != size:
            self._look = (size, widget_palette(self), self.rich_style)
        return (self.version, *self._look)

    def _lines_shown(self) -> list[Strip] | None:
        drawn = self._drawn.get(self._key()) if self.is_mounted else None
        return drawn.strips if drawn else None

    def _drawing(self) -> Drawn:
        key = self._key()
        drawn = self._drawn.get(key)
        if drawn is None:
            picture = render(self.data, *self.size)
            styles = _styles(widget_palette(self), self.rich_style)
            latest = next(reversed(self._drawn.values()), None)  # most lines are the same
            strips = picture_strips(picture, styles, latest)
            drawn = Drawn(picture, strips, styles)
            if len(self._drawn) >= self.CACHED_PICTURES:
                del self._drawn[next(iter(self._drawn))]  # the oldest
            self._drawn[key] = drawn
        return drawn

    def picture(self) -> Picture:
        return self._drawing().picture

    def render_line(self, y: int) -> Strip:
        lines = self._drawing().strips
        return lines[y] if 0 <= y < len(lines) else Strip.blank(self.size.width, self.rich_style)

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
        """The lines as segments (what `render_line` hands Textual, joined)."""
        return Segments(
            [segment for strip in self._drawing().strips for segment in [*strip, Segment.line()]]
        )


class Drawn(NamedTuple):
    picture: Picture
    strips: list[Strip]
    styles: dict[str, Style]


def picture_strips(picture: Picture, styles: dict[str, Style], reuse: Drawn | None) -> list[Strip]:
    """Each row of the picture as a strip of runs of equally styled characters; a row equal to
    the same row of `reuse`'s picture (drawn with the same styles) keeps its strip. Blank runs
    have a style of their own (nothing else is unstyled), so an SVG export, which joins equally
    styled runs, still places every label and axis at its own column."""
    old, old_strips = (reuse.picture, reuse.strips) if reuse is not None else (picture, [])
    same_shape = (
        reuse is not None
        and (old.width, old.height) == (picture.width, picture.height)
        and reuse.styles == styles
    )
    blank = styles[BLANK]
    strips = []
    for y, (chars, names) in enumerate(zip(picture.chars, picture.styles, strict=True)):
        if same_shape and old.chars[y] == chars and old.styles[y] == names:
            strips.append(old_strips[y])
            continue
        segments = []
        start = 0
        for col in range(1, len(chars) + 1):
            if (
                col == len(chars)
                or names[col] != names[start]
                or (chars[col] == " ") != (chars[start] == " ")
            ):
                text = "".join(chars[start:col])
                style = blank if chars[start] == " " else styles[names[start]]
                segments.append(Segment(text, style))
                start = col
        strips.append(Strip(segments, picture.width))
    return strips


BLANK = "\0blank"  # the style key of blank runs


def _styles(colours: Palette, base: Style) -> dict[str, Style]:
    """Style names of the picture as Rich styles on top of the widget's own style."""
    text = Style(bold=False)
    styles = {
        BLANK: Style.null(),
        "": text,
        "bold": Style(bold=True),
        "axis": text,
        "zero": Style(dim=True),
        "all": Style(color=colours.all, bold=True),
        "calls": Style(color=colours.calls),
        "puts": Style(color=colours.puts),
        "price": Style(color=colours.price),
        "level": Style(color=colours.level),
        "past": Style(color=colours.all, dim=True),
        "up": Style(color=colours.up, bold=True),
        "down": Style(color=colours.down, bold=True),
        "cursor": Style(bold=True),
        "cursor-label": Style(bold=True, reverse=True),
    }
    return {name: base + style for name, style in styles.items()}
