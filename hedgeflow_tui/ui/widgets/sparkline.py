"""The recent per-bar flow, signed: buying above the midline (▲ blocks), selling below (▼)."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby
from operator import itemgetter

from rich.text import Text
from textual.widget import Widget

from hedgeflow_tui.store import Row
from hedgeflow_tui.ui.format import money, side_colours

UP = " ▁▂▃▄▅▆▇█"
DOWN = " ▔▔▀▀▀███"  # hanging from the midline: selling reads downwards
PREFIX = "per-bar flow   "


class FlowSparkline(Widget):
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
        reserve = len(PREFIX) + max(len(last_text), len("  scale ±$000.0M"))
        recent = self.values[-max(10, (self.size.width or 60) - reserve) :]
        known = [abs(v) for v in recent if v is not None]
        top = max(known) if known else 0.0
        buy, sell = side_colours(self.palette)
        upper, lower = [], []  # (character, style) cells
        for value in recent:
            if value is None or top == 0:
                upper.append((" ", ""))
                lower.append(("·" if value is None else " ", "dim"))
                continue
            level = max(1, round(abs(value) / top * (len(UP) - 1)))
            if value > 0:
                upper.append((UP[level], f"bold {buy}"))
                lower.append((" ", ""))
            else:
                upper.append((" ", ""))
                lower.append((DOWN[level], f"bold {sell}"))
        text = Text(PREFIX, style="bold")
        text.append(_runs(upper))
        text.append(last_text + "\n", style="bold")
        text.append(" " * len(PREFIX))
        text.append(_runs(lower))
        text.append(f"  scale ±{money(top, signed=False)}", style="dim")
        return text


def _runs(cells: list[tuple[str, str]]) -> Text:
    """Cells joined into one span per run of equal style: far cheaper to render than a span each."""
    text = Text()
    for style, run in groupby(cells, key=itemgetter(1)):
        text.append("".join(char for char, _ in run), style=style)
    return text
