"""The main chart: cumulative hedge flow (all, calls, puts) over the session, price on the right."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from rich.ansi import AnsiDecoder
from rich.segment import Segment, Segments
from rich.style import Style
from textual_plotext import PlotextPlot

from hedgeflow_tui.store import SessionView
from hedgeflow_tui.ui.format import OKABE_ITO, axis_money, et_time
from hedgeflow_tui.ui.widgets.plotext_adapter import Matrix, build_matrix, colors_to_ansi

PALETTES: dict[str, tuple[str | tuple[int, int, int], ...]] = {
    # (all, calls, puts, price): the colour-blind palette is Okabe-Ito blue / orange / sky / purple
    "default": ("white", "green", "red", "yellow"),
    "colorblind": tuple(OKABE_ITO[name] for name in ("blue", "orange", "sky", "purple")),
}
MARKERS = ("hd", "braille", "braille", "·")
TICKS = 6
TITLE_FROM_ROWS = 14  # a shorter chart gives the title's row to the plot


class FlowChart(PlotextPlot):
    """`show(view, bar_size)` stores the series; plotting happens on the next render."""

    def __init__(self, *, id: str | None = None, palette: str = "default") -> None:
        super().__init__(id=id)
        self.palette = palette
        self.series: dict[str, list[float]] = {}
        self.times: list[datetime] = []
        self.price_x: list[int] = []  # the index into `times` of each price
        self.seconds = False  # tick labels with seconds (30s bars)

    def show(self, view: SessionView | None, bar_size: str) -> None:
        self.times, self.price_x = [], []
        self.series = {"all": [], "calls": [], "puts": [], "price": []}
        for row in view.rows if view else ():
            if row.cum_all is None or row.cum_calls is None or row.cum_puts is None:
                continue
            if row.spot is not None:
                self.price_x.append(len(self.times))
                self.series["price"].append(row.spot)
            self.times.append(row.t)
            self.series["all"].append(row.cum_all)
            self.series["calls"].append(row.cum_calls)
            self.series["puts"].append(row.cum_puts)
        self.seconds = bar_size == "30s"
        self._draw()
        self.refresh()

    def on_resize(self) -> None:
        self._draw()  # thinning and the title depend on the size
        self.refresh()

    def render(self) -> Segments:
        """The plot as segments read straight from plotext's character matrix: the same cells
        and colours as decoding the ANSI text of `plt.build()`, without writing and parsing it
        (which was half the chart's repaint cost)."""
        width, height = self.size
        return Segments(matrix_segments(build_matrix(self, width, height)))

    def _draw(self) -> None:
        plt = self.plt
        plt.clear_figure()
        colours = PALETTES.get(self.palette, PALETTES["default"])
        if len(self.times) < 2:
            plt.title("waiting for the first bars…")
            return
        x = list(range(len(self.times)))
        keep = _thinned(len(x), self.size.width or 80)
        for (name, label), colour, marker in zip(
            (("all", "all"), ("calls", "calls"), ("puts", "puts")), colours, MARKERS, strict=False
        ):
            plt.plot(
                [x[i] for i in keep],
                [self.series[name][i] for i in keep],
                label=f"cum {label}",
                color=colour,
                marker=marker,
            )
        if len(self.series["price"]) >= 2:
            priced = _thinned(len(self.price_x), self.size.width or 80)
            plt.plot(
                [self.price_x[i] for i in priced],
                [self.series["price"][i] for i in priced],
                label="price →",
                color=colours[3],
                marker=MARKERS[3],
                yside="right",
            )
        step = max(1, len(x) // TICKS)
        ticks = x[::step]
        plt.xticks([float(i) for i in ticks], [et_time(self.times[i], self.seconds) for i in ticks])
        values = [v for name in ("all", "calls", "puts") for v in self.series[name]]
        low, high = min(values), max(values)
        if high > low:
            marks = [low + (high - low) * k / 4 for k in range(5)]
            plt.yticks(marks, [axis_money(m) for m in marks])
        if self.size.height >= TITLE_FROM_ROWS:
            plt.title("cumulative dealer hedge flow (delta-$) · price on the right axis · ET")


def _thinned(count: int, width: int) -> list[int]:
    """Indexes of at most about one point per column (always the last): a terminal cannot show
    more, and plotext's cost grows with the points it draws."""
    step = max(1, -(-count // max(10, width // 2)))
    keep = list(range(0, count, step))
    if keep[-1] != count - 1:
        keep.append(count - 1)
    return keep


def matrix_segments(matrix: Matrix) -> list[Segment]:
    """Rows of a plotext matrix, top first, as runs of equally styled characters."""
    segments: list[Segment] = []
    for row in reversed(range(matrix.rows)):
        cells = list(
            zip(matrix.fullground[row], matrix.style[row], matrix.background[row], strict=True)
        )
        markers = matrix.marker[row]
        start = 0
        for col in range(1, len(cells) + 1):
            if col == len(cells) or cells[col] != cells[start]:
                segments.append(Segment("".join(markers[start:col]), _style(*cells[start])))
                start = col
        segments.append(Segment.line())
    return segments


def _style(fullground: Any, style: Any, background: Any) -> Style:
    """The Rich style of one plotext colour triple (colours may be names, codes or RGB lists)."""
    return _style_of_ansi(colors_to_ansi(fullground, style, background))


@lru_cache(maxsize=256)
def _style_of_ansi(ansi: str) -> Style:
    decoded = AnsiDecoder().decode_line(ansi + " ")
    if not decoded.spans:
        return Style.null()
    style = decoded.spans[0].style
    return Style.parse(style) if isinstance(style, str) else style
