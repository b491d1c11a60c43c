"""Draws the flow chart into a grid of characters and style names, for a given size.

Layout, top to bottom: the legend line (the view's title first); the plot (flow axis on the
left, price axis on the right, a zero line, gamma flip and walls as dashed lines, alert markers
▲/▼ on the `all` line, the cursor as a vertical line); the time axis and its labels. Every
label has its own zone and is placed only where it leaves a free cell on each side, so labels
never overwrite the frame, each other or the plotted markers.

Pure: data and size in, `Picture` out (no Textual, no colours: styles are names the widget maps
to the current palette), so a picture can be cached per data version and size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hedgeflow_tui.output.format import et_time
from hedgeflow_tui.ui.chart.axes import (
    far_tick,
    flow_axis,
    flow_label,
    price_axis,
    price_label,
    ticks,
    time_axis_end,
    time_ticks,
)

# series glyphs: distinct without colour
CALLS_GLYPH, PUTS_GLYPH, PRICE_GLYPH = "+", "x", "·"
UP_MARKER, DOWN_MARKER = "▲", "▼"
LEVEL_MARKER = "◆"  # a level alert (gamma flip, wall, flow rule)
MEDIAN_GLYPH, YESTERDAY_GLYPH = "~", "°"  # the past sessions' curves, faint
ZERO_GLYPH, LEVEL_GLYPH, CURSOR_GLYPH = "─", "╌", "┊"
NO_DATA = frozenset((" ", ZERO_GLYPH, LEVEL_GLYPH, CURSOR_GLYPH))  # cells a label may cover
TITLE = "cumulative dealer hedge flow (delta-$, ET)"
BRAILLE = 0x2800
BRAILLE_BITS = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))  # [x][y] within a cell
MIN_WIDTH, MIN_HEIGHT, MIN_PLOT_WIDTH = 20, 5, 8


@dataclass(frozen=True)
class Level:
    name: str  # "γ-flip", "call wall", "put wall"
    value: float


@dataclass(frozen=True)
class Marker:
    t: datetime  # the bucket where the alert fired
    direction: str  # "up" | "down"
    level: bool = False  # a level alert (gamma flip, wall, flow rule): ◆, not ▲ / ▼


@dataclass(frozen=True)
class PastLine:
    """A past session's curve (or the median one) on the chart's times: faint, under today's."""

    name: str  # the legend's, e.g. "median 30d"
    values: tuple[float | None, ...]  # aligned with `ChartData.times`
    glyph: str


@dataclass(frozen=True)
class ChartData:
    times: tuple[datetime, ...]  # bucket starts, ascending
    all: tuple[float | None, ...]  # cumulative (or rolling) flows
    calls: tuple[float | None, ...]
    puts: tuple[float | None, ...]
    price: tuple[float | None, ...]
    bar: timedelta
    session_open: datetime
    session_close: datetime
    tick: float  # the symbol's price increment
    levels: tuple[Level, ...] = ()
    markers: tuple[Marker, ...] = ()
    title: str = TITLE
    tag: str = "cumulative"  # the view's name, kept when the title does not fit
    x_range: tuple[datetime, datetime] | None = None  # the time axis; None: the whole session
    cursor: datetime | None = None  # the parked bucket's start
    past: tuple[PastLine, ...] = ()  # the past sessions' curves (the cumulative view only)


@dataclass(frozen=True)
class Label:
    row: int
    col: int
    text: str
    kind: str  # "legend" | "flow" | "price" | "time" | "level"


@dataclass
class Picture:
    width: int
    height: int
    chars: list[list[str]]
    styles: list[list[str]]  # "" = default text; else a palette key or "axis" / "zero"
    labels: list[Label] = field(default_factory=list)
    plot: tuple[int, int, int, int] = (0, 0, 0, 0)  # top, left, bottom, right (inclusive)
    zero_row: int | None = None
    x_range: tuple[datetime, datetime] | None = None  # times at the plot's left and right
    cursor_col: int | None = None
    level_rows: dict[str, int] = field(default_factory=dict)
    marker_cells: list[tuple[int, int, str]] = field(default_factory=list)  # row, col, glyph

    def text(self) -> str:
        return "\n".join("".join(row) for row in self.chars)


def render(data: ChartData | None, width: int, height: int) -> Picture:
    picture = Picture(width, height, [[" "] * width for _ in range(height)], [])
    picture.styles = [[""] * width for _ in range(height)]
    if width < MIN_WIDTH or height < MIN_HEIGHT:
        _put(picture, 0, 0, "chart: enlarge the terminal"[:width], "axis")
        return picture
    if data is None or len(data.times) < 2:
        _put(picture, 0, 0, "waiting for the first bars…"[:width], "axis")
        return picture
    _Drawing(picture, data).draw()
    return picture


class _Drawing:
    def __init__(self, picture: Picture, data: ChartData) -> None:
        self.p = picture
        self.data = data
        self.taken: set[tuple[int, int]] = set()  # cells of labels and markers
        height, width = picture.height, picture.width
        self.top, self.bottom = 1, height - 3
        self.rows = self.bottom - self.top + 1
        series = (data.all, data.calls, data.puts, *(line.values for line in data.past))
        flows = [v for s in series for v in s if v is not None]
        low, high = (min(flows), max(flows)) if flows else (0.0, 0.0)
        self.flow_low, self.flow_high, step = flow_axis(low, high, self.rows)
        self.flow_ticks = ticks(self.flow_low, self.flow_high, step)
        if len(self.flow_ticks) < 2:  # 0 alone: a value saying the scale, if it fits
            far = far_tick(self.flow_low, self.flow_high, self.rows)
            self.flow_ticks += [] if far is None else [far]
        self.flow_labels = [flow_label(v) for v in self.flow_ticks]
        left_width = max(len(text) for text in self.flow_labels)
        prices = [v for v in data.price if v is not None]
        self.price_ticks: list[float] = []
        self.price_labels: list[str] = []
        right_width = -1  # no right axis
        if len(prices) >= 2:
            self.price_low, self.price_high, pstep = price_axis(
                min(prices), max(prices), self.rows, data.tick
            )
            self.price_ticks = ticks(self.price_low, self.price_high, pstep) or [
                round((self.price_low + self.price_high) / 2 / data.tick) * data.tick
            ]  # a range too narrow for a round step still gets one price
            self.price_labels = [price_label(v, pstep) for v in self.price_ticks]
            right_width = max(len(text) for text in self.price_labels) + 1
            if width - left_width - right_width - 2 < MIN_PLOT_WIDTH:
                self.price_ticks, self.price_labels, right_width = [], [], -1
        self.left = left_width + 1  # first plot column; the axis is at left_width
        self.right = width - right_width - 3 if right_width >= 0 else width - 2
        self.right_axis = self.right + 1 if right_width >= 0 else None
        picture.plot = (self.top, self.left, self.bottom, self.right)
        self.start, self.end = data.x_range or (
            min(data.session_open, data.times[0]),
            time_axis_end(data.times[-1] + data.bar, data.session_close),
        )
        picture.x_range = (self.start, self.end)

    # --- coordinates ---------------------------------------------------------------------------

    def x(self, t: datetime) -> float:
        """Column (fractional) of a time; a bucket's cumulative is drawn at the bucket's end."""
        share = (t - self.start).total_seconds() / (self.end - self.start).total_seconds()
        return self.left + share * (self.right - self.left)

    def y_flow(self, value: float) -> float:
        share = (self.flow_high - value) / (self.flow_high - self.flow_low)
        return self.top + share * (self.rows - 1)

    def y_price(self, value: float) -> float:
        share = (self.price_high - value) / (self.price_high - self.price_low)
        return self.top + share * (self.rows - 1)

    # --- drawing -------------------------------------------------------------------------------

    def draw(self) -> None:
        data = self.data
        self.axes()
        zero = round(self.y_flow(0.0))
        self.p.zero_row = zero
        self.hline(zero, ZERO_GLYPH, "zero")
        levels = self.levels_in_range()
        for level, row in levels:
            self.hline(row, LEVEL_GLYPH, "level")
            self.p.level_rows[level.name] = row
        self.cursor_line()
        xs = self.columns(data.times)
        cols = [round(x) for x in xs]
        for line in data.past:  # under everything of today's
            rows = self.rows_of(line.values, self.flow_high, self.flow_low)
            self.cells_line(cols, rows, line.glyph, "past")
        if self.price_ticks:
            rows = self.rows_of(data.price, self.price_high, self.price_low)
            self.cells_line(cols, rows, PRICE_GLYPH, "price")
        series = ((data.calls, CALLS_GLYPH, "calls"), (data.puts, PUTS_GLYPH, "puts"))
        for values, glyph, style in series:
            rows = self.rows_of(values, self.flow_high, self.flow_low)
            self.cells_line(cols, rows, glyph, style)
        self.braille_line(xs, data.all, "all")
        markers, level_markers = self.markers()
        self.axis_labels()
        for level, row in levels:
            self.level_label(level, row)
        self.legend(bool(levels), markers, level_markers)

    def axes(self) -> None:
        p, axis = self.p, self.left - 1
        for row in range(self.top, self.bottom + 1):
            _put(p, row, axis, "│", "axis")
            if self.right_axis is not None:
                _put(p, row, self.right_axis, "│", "axis")
        for value in self.flow_ticks:
            _put(p, round(self.y_flow(value)), axis, "┤", "axis")
        if self.right_axis is not None:
            for value in self.price_ticks:
                _put(p, round(self.y_price(value)), self.right_axis, "├", "axis")
        base = self.bottom + 1
        _put(p, base, axis, "└" + "─" * (self.right - self.left + 1), "axis")
        if self.right_axis is not None:
            _put(p, base, self.right_axis, "┘", "axis")

    def cursor_line(self) -> None:
        """The parked bar as a dotted vertical line under the series, marked on the time axis."""
        cursor = self.data.cursor
        if cursor is None or not self.start <= cursor + self.data.bar <= self.end:
            return
        col = round(self.x(cursor + self.data.bar))
        self.p.cursor_col = col
        for row in range(self.top, self.bottom + 1):
            _put(self.p, row, col, CURSOR_GLYPH, "cursor")
        _put(self.p, self.bottom + 1, col, "┴", "cursor")

    def hline(self, row: int, glyph: str, style: str) -> None:
        _put(self.p, row, self.left, glyph * (self.right - self.left + 1), style)

    def levels_in_range(self) -> list[tuple[Level, int]]:
        if not self.price_ticks:
            return []
        return [
            (level, round(self.y_price(level.value)))
            for level in self.data.levels
            if self.price_low <= level.value <= self.price_high
        ]

    def columns(self, times: Sequence[datetime]) -> list[float]:
        """`x` of each bucket's end, computed in one pass (the same arithmetic as `x`)."""
        start, bar, left = self.start, self.data.bar, self.left
        span, width = (self.end - self.start).total_seconds(), self.right - self.left
        return [left + (t + bar - start).total_seconds() / span * width for t in times]

    def rows_of(self, values: Sequence[float | None], high: float, low: float) -> list[int | None]:
        """The rounded row of each value on an axis from `low` to `high` (the arithmetic of
        `y_flow` and `y_price`); None for an unknown value."""
        top, span, scale = self.top, high - low, self.rows - 1
        return [None if v is None else round(top + (high - v) / span * scale) for v in values]

    def cells_line(self, cols: list[int], rows: list[int | None], glyph: str, style: str) -> None:
        """A series as one glyph per cell, consecutive points joined (gaps stay gaps). Most
        points are in the cell of the one before or next to it: those skip the line drawing
        (the previous cell is already set)."""
        chars, styles = self.p.chars, self.p.styles
        pc = pr = -2  # the previous point; -2: none
        for col, row in zip(cols, rows, strict=True):
            if row is None:
                pc = pr = -2
                continue
            if col == pc and row == pr:
                continue
            if pc == -2 or (-1 <= col - pc <= 1 and -1 <= row - pr <= 1):
                chars[row][col] = glyph
                styles[row][col] = style
            else:
                for c, r in _segment((pc, pr), (col, row)):
                    chars[r][c] = glyph
                    styles[r][c] = style
            pc, pr = col, row

    def braille_line(self, xs: list[float], values, style: str) -> None:
        """A series at braille resolution (2 x 4 dots a cell), drawn over everything else."""
        top, left = self.top, self.left
        high, span, scale = self.flow_high, self.flow_high - self.flow_low, self.rows - 1
        dxs = [round((x - left) * 2 + 0.5) for x in xs]
        dys = [
            None if v is None else round((top + (high - v) / span * scale - top) * 4 + 1.5)
            for v in values
        ]
        dots: dict[tuple[int, int], int] = {}
        px = py = -2  # the previous dot; -2: none
        for dx, dy in zip(dxs, dys, strict=True):
            if dy is None:
                px = py = -2
                continue
            if dx == px and dy == py:
                continue
            if px == -2 or (-1 <= dx - px <= 1 and -1 <= dy - py <= 1):
                cell = (top + dy // 4, left + dx // 2)
                dots[cell] = dots.get(cell, 0) | BRAILLE_BITS[dx % 2][dy % 4]
            else:
                for bx, by in _segment((px, py), (dx, dy)):
                    cell = (top + by // 4, left + bx // 2)
                    dots[cell] = dots.get(cell, 0) | BRAILLE_BITS[bx % 2][by % 4]
            px, py = dx, dy
        chars, styles = self.p.chars, self.p.styles
        for (row, col), bits in dots.items():
            if self.top <= row <= self.bottom and self.left <= col <= self.right:
                chars[row][col] = chr(BRAILLE + bits)
                styles[row][col] = style

    def markers(self) -> tuple[bool, bool]:
        """▲ / ▼ on the `all` line at each squeeze alert's bucket, ◆ at each level alert's
        (coloured by its direction); whether each kind was drawn."""
        index = {t: i for i, t in enumerate(self.data.times)}
        for marker in self.data.markers:
            i = index.get(marker.t)
            value = self.data.all[i] if i is not None else None
            if value is None:
                continue
            row = min(self.bottom, max(self.top, round(self.y_flow(value))))
            col = min(self.right, max(self.left, round(self.x(marker.t + self.data.bar))))
            up = marker.direction == "up"
            glyph = LEVEL_MARKER if marker.level else UP_MARKER if up else DOWN_MARKER
            if marker.level and (row, col) in self.taken:
                continue  # a squeeze alert on the same bar keeps its arrow
            _put(self.p, row, col, glyph, "up" if up else "down")
            self.taken.add((row, col))
            self.p.marker_cells.append((row, col, glyph))
        glyphs = {glyph for _, _, glyph in self.p.marker_cells}
        return bool(glyphs - {LEVEL_MARKER}), LEVEL_MARKER in glyphs

    # --- labels --------------------------------------------------------------------------------

    def place(self, row: int, col: int, text: str, kind: str, style: str, lo: int, hi: int):
        """Put a label at (row, col) if it fits in columns lo..hi with a free cell either side."""
        if col < lo or col + len(text) - 1 > hi:
            return False
        if any((row, c) in self.taken for c in range(col - 1, col + len(text) + 1)):
            return False
        _put(self.p, row, col, text, style)
        self.taken.update((row, c) for c in range(col, col + len(text)))
        self.p.labels.append(Label(row, col, text, kind))
        return True

    def axis_labels(self) -> None:
        width = self.left - 1
        by_zero_first = sorted(
            zip(self.flow_ticks, self.flow_labels, strict=True), key=lambda t: abs(t[0])
        )
        for value, text in by_zero_first:
            row = round(self.y_flow(value))
            self.place(row, width - len(text), text, "flow", "", 0, width - 1)
        if self.right_axis is not None:
            for value, text in zip(self.price_ticks, self.price_labels, strict=True):
                row = round(self.y_price(value))
                self.place(row, self.right_axis + 2, text, "price", "", 0, self.p.width - 1)
        row = self.p.height - 1
        close = self.data.session_close
        times = time_ticks(self.start, self.end, self.right - self.left, 5)
        cursor = self.data.cursor
        if self.p.cursor_col is not None and cursor is not None:  # the cursor's time comes first
            text = et_time(cursor)
            col = max(0, min(self.p.width - len(text), self.p.cursor_col - len(text) // 2))
            self.place(row, col, text, "time", "cursor-label", 0, self.p.width - 1)
        for t in [self.end, *times]:  # the axis's end first: the close, or the hour ahead
            text = et_time(t)
            col = round(self.x(t)) - len(text) // 2
            col = max(0, min(self.p.width - len(text), col))
            self.place(row, col, text, "time", "bold" if t == close else "", 0, self.p.width - 1)

    def level_label(self, level: Level, row: int) -> None:
        """The level's name and price on its line, where it hides the fewest plotted cells: the
        right end while the bars have not reached it, else a gap in the series, else over the
        oldest bars (after the close the newest bars are at the right end)."""
        text = f" {level.name} {price_label(level.value, self.data.tick)} "
        plotted = [char not in NO_DATA for char in self.p.chars[row]]

        def hidden(col: int) -> tuple[int, int]:
            cells = sum(plotted[col : col + len(text)])
            return cells, (col if cells else -col)  # free: rightmost first; else oldest first

        for col in sorted(range(self.left, self.right - len(text) + 2), key=hidden):
            if self.place(row, col, text, "level", "level", self.left, self.right):
                return

    def legend(self, levels: bool, markers: bool, level_markers: bool = False) -> None:
        items = [("⠤⠤", "all", "all"), (CALLS_GLYPH * 2, "calls", "calls")]
        items.append((PUTS_GLYPH * 2, "puts", "puts"))
        if self.right_axis is not None:
            items.append((PRICE_GLYPH * 2, "price →", "price"))
        for line in self.data.past:
            items.append((line.glyph * 2, line.name, "past"))
        if markers and level_markers:  # ◆: a level alert
            items.append((UP_MARKER + LEVEL_MARKER, "alerts", ""))
        elif markers:
            items.append((UP_MARKER + DOWN_MARKER, "alerts", ""))
        elif level_markers:
            items.append((LEVEL_MARKER * 2, "alerts", ""))
        if levels:
            items.append((LEVEL_GLYPH * 2, "γ-flip/walls", "level"))
        title, tag = f"{self.data.title}  ", f"{self.data.tag}  "
        variants = [(title, 2, "  "), (tag, 2, "  "), (tag, 1, " ")]
        for head, sample, gap in variants + [(tag, 1, " ")] * len(items):
            parts = [(head, "bold")]
            for glyph, name, style in items:
                parts += [(glyph[:sample] + " ", style), (name + gap, "")]
            if sum(len(text) for text, _ in parts) <= self.p.width:
                break
            if head == tag and sample == 1 and len(items) > 3:
                items.pop()  # the levels, then the alerts, then the price go last
        col = 0
        for text, style in parts:
            _put(self.p, 0, col, text[: max(0, self.p.width - col)], style)
            col += len(text)
        self.p.labels.append(Label(0, 0, "".join(t for t, _ in parts)[: self.p.width], "legend"))


def _put(picture: Picture, row: int, col: int, text: str, style: str) -> None:
    if not 0 <= row < picture.height:
        return
    chars, styles = picture.chars[row], picture.styles[row]
    for offset, char in enumerate(text):
        c = col + offset
        if 0 <= c < picture.width:
            chars[c] = char
            styles[c] = style


def _segment(a: tuple[int, int], b: tuple[int, int]) -> Sequence[tuple[int, int]]:
    """Integer points from a to b inclusive (Bresenham)."""
    (x0, y0), (x1, y1) = a, b
    dx, dy = abs(x1 - x0), -abs(y1 - y0)
    sx, sy = (1 if x1 >= x0 else -1), (1 if y1 >= y0 else -1)
    error = dx + dy
    points = []
    while True:
        points.append((x0, y0))
        if x0 == x1 and y0 == y1:
            return points
        double = 2 * error
        if double >= dy:
            error += dy
            x0 += sx
        if double <= dx:
            error += dx
            y0 += sy
