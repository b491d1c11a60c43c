"""The recent per-bar flow, signed: buying above the midline (▲ blocks), selling below (▼).
Zoomed, it shows the whole range the chart shows: when its bars outnumber the columns,
neighbouring bars are summed into one column (`per-3-bar flow`), and a column missing a bar is
a gap.

The scale is a robust one: the 90th percentile of the shown bars' sizes, so one spike does not
flatten the session; bars beyond it are drawn full and marked ↑ / ↓ (clipped)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import groupby
from operator import itemgetter

from rich.text import Text

from hedgeflow_tui.engine.store import Row
from hedgeflow_tui.output.format import money
from hedgeflow_tui.ui.palette import widget_palette
from hedgeflow_tui.ui.widgets.text_strips import TextStrips

UP = " ▁▂▃▄▅▆▇█"
DOWN = " ▔▔▀▀▀███"  # hanging from the midline: selling reads downwards
CLIPPED_UP, CLIPPED_DOWN = "↑", "↓"
PREFIX = "per-bar flow   "
SCALE_PERCENTILE = 0.9
ROBUST_FROM = 10  # bars; fewer are scaled by the largest


def robust_scale(sizes: Sequence[float]) -> float:
    """The size the tallest unclipped bar stands for: the 90th percentile of `sizes` (their
    maximum when there are too few to speak of a percentile)."""
    if not sizes:
        return 0.0
    ordered = sorted(sizes)
    if len(ordered) < ROBUST_FROM:
        return ordered[-1]
    return ordered[min(len(ordered) - 1, round(SCALE_PERCENTILE * (len(ordered) - 1)))]


class FlowSparkline(TextStrips):
    """Rendered for its current width on every refresh, resizes included."""

    def __init__(self, *, id: str | None = None, palette: str = "default") -> None:
        super().__init__(id=id)
        self.palette = palette
        self.values: list[float | None] = []
        self.whole_range = False

    def show(self, rows: Sequence[Row], *, whole_range: bool = False) -> None:
        """`whole_range`: show all of `rows` (a zoomed range), summing neighbours to fit;
        otherwise the most recent bars that fit, one a column."""
        self.values = [r.all for r in rows]
        self.whole_range = whole_range
        self.refresh()

    def render(self) -> Text:
        last_text = _last_text(self.values)
        # as many columns as fit beside the labels, so neither row wraps and hides the other
        reserve = len(PREFIX) + max(len(last_text), len("  scale ±$000.0M ↑↓ clipped"))
        columns = max(10, (self.size.width or 60) - reserve)
        per = math.ceil(len(self.values) / columns) if self.whole_range else 1
        recent = summed_columns(self.values, per) if per > 1 else self.values[-columns:]
        if per > 1:
            last_text = _last_text(recent)
        prefix = PREFIX if per == 1 else f"per-{per}-bar flow".ljust(len(PREFIX))
        top = robust_scale([abs(v) for v in recent if v is not None and v != 0])
        colours = widget_palette(self)
        buy, sell = f"bold {colours.up}", f"bold {colours.down}"
        upper, lower = [], []  # (character, style) cells
        clipped = False
        for value in recent:
            if value is None or value == 0 or top == 0:
                upper.append((" ", ""))
                lower.append(("·" if value is None else " ", "dim"))
                continue
            over = abs(value) > top
            clipped = clipped or over
            level = max(1, round(min(1.0, abs(value) / top) * (len(UP) - 1)))
            if value > 0:
                upper.append((CLIPPED_UP if over else UP[level], buy))
                lower.append((" ", ""))
            else:
                upper.append((" ", ""))
                lower.append((CLIPPED_DOWN if over else DOWN[level], sell))
        text = Text(prefix, style="bold")
        text.append(_runs(upper))
        text.append(last_text + "\n", style="bold")
        text.append(" " * len(PREFIX))
        text.append(_runs(lower))
        text.append(f"  scale ±{money(top, signed=False)}", style="dim")
        if clipped:
            text.append(f" {CLIPPED_UP}{CLIPPED_DOWN} clipped", style="dim")
        return text


def _last_text(values: Sequence[float | None]) -> str:
    last = next((v for v in reversed(values) if v is not None), None)
    label = "buying ▲" if last and last > 0 else "selling ▼" if last and last < 0 else ""
    return f"  last {money(last)} {label}"


def summed_columns(values: Sequence[float | None], per: int) -> list[float | None]:
    """`values` summed `per` at a time, counted back from the newest (only the oldest column
    may hold fewer); a column missing a bar is a gap, never a smaller sum."""
    columns: list[float | None] = []
    for end in range(len(values), 0, -per):
        group = values[max(0, end - per) : end]
        columns.append(None if None in group else sum(v for v in group if v is not None))
    return columns[::-1]


def _runs(cells: list[tuple[str, str]]) -> Text:
    """Cells joined into one span per run of equal style: far cheaper to render than a span each."""
    text = Text()
    for style, run in groupby(cells, key=itemgetter(1)):
        text.append("".join(char for char, _ in run), style=style)
    return text
