"""Every use of plotext's and textual-plotext's private API, in one place.

The chart reads plotext's character matrix instead of writing and parsing its ANSI text (about
half the chart's repaint cost). That needs internals neither library promises to keep:
`_figure_class._set_size`, `._set_sizes`, `._build_matrix` and `.monitor.matrix`,
`plotext._utility.colors_to_ansi`, and textual-plotext's `PlotextPlot._get_plotext_theme_name`.
plotext is pinned to the version they were checked against (`TESTED_PLOTEXT`, pyproject.toml);
tests/test_plotext_adapter.py names whichever piece an upgrade moved.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any, Protocol

import plotext._utility as plotext_utility
from textual_plotext import PlotextPlot
from textual_plotext.plot import Plot

TESTED_PLOTEXT = "5.3.2"

# (owner, attribute) of every private name used below, for the upgrade test
PRIVATE_API: tuple[tuple[object, str], ...] = (
    (Plot, "_set_size"),
    (Plot, "_set_sizes"),
    (Plot, "_build_matrix"),
    (plotext_utility, "colors_to_ansi"),
    (PlotextPlot, "_get_plotext_theme_name"),
)


class Matrix(Protocol):
    """plotext's character matrix: per row (bottom first) and column, a character and its
    foreground, style and background colours."""

    rows: int
    marker: list[list[str]]
    fullground: list[list[Any]]
    style: list[list[Any]]
    background: list[list[Any]]


def build_matrix(widget: PlotextPlot, width: int, height: int) -> Matrix:
    """Lay out and draw the widget's figure at this size, as `PlotextPlot.render` would, and
    return the matrix instead of its ANSI text."""
    plt: Any = widget.plt  # the private methods are not in textual-plotext's stubs
    plt.plotsize(width, height)
    plt._set_size(width, height)  # as PlotextPlot.render does: plotsize alone is not enough
    plt.theme(widget._get_plotext_theme_name(widget.app.theme))
    plt._set_sizes()
    plt._build_matrix()
    matrix: Matrix = plt.monitor.matrix
    return matrix


def colors_to_ansi(fullground: Any, style: Any, background: Any) -> str:
    """The ANSI codes plotext writes for a cell's colours (names, codes or RGB lists)."""
    codes: str = plotext_utility.colors_to_ansi(fullground, style, background)
    return codes


def missing_private_api() -> list[str]:
    """The private names this module uses that the installed libraries no longer have."""
    return [
        f"{getattr(owner, '__name__', owner)}.{name}"
        for owner, name in PRIVATE_API
        if not callable(getattr(owner, name, None))
    ]


def installed_plotext() -> str:
    return version("plotext")
