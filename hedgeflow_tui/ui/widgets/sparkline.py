"""The recent per-bar flow, signed: buying above the midline (▲ blocks), selling below (▼).

The scale is a robust one: the 90th percentile of the shown bars' sizes, so one spike does not
flatten the session; bars beyond it are drawn full and marked ↑ / ↓ (clipped)."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby
from operator import itemgetter

from rich.text import Text

from hedgeflow_tui.store import Row
from hedgeflow_tui.ui.format import money
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

    def show(self, rows: Sequence[Row]) -> None:
        self.values = [r.all for r in rows]
        self.refresh()

    def render(self) -> Text:
        last = next((v for v in reversed(self.values) if v is not None), None)
        label = "buying ▲" if last and last > 0 else "selling ▼" if last and last < 0 else ""
        last_text = f"  last {money(last)} {label}"
        # as many bars as fit beside the labels, so neither row wraps and hides the other
        reserve = len(PREFIX) + max(len(last_text), len("  scale ±$000.0M ↑↓ clipped"))
        recent = self.values[-max(10, (self.size.width or 60) - reserve) :]
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
        text = Text(PREFIX, style="bold")
        text.append(_runs(upper))
        text.append(last_text + "\n", style="bold")
        text.append(" " * len(PREFIX))
        text.append(_runs(lower))
        text.append(f"  scale ±{money(top, signed=False)}", style="dim")
        if clipped:
            text.append(f" {CLIPPED_UP}{CLIPPED_DOWN} clipped", style="dim")
        return text


def _runs(cells: list[tuple[str, str]]) -> Text:
    """Cells joined into one span per run of equal style: far cheaper to render than a span each."""
    text = Text()
    for style, run in groupby(cells, key=itemgetter(1)):
        text.append("".join(char for char, _ in run), style=style)
    return text
