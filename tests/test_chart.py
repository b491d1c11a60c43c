"""The chart reads plotext's character matrix directly: it must show what plotext's own ANSI
output shows, cell for cell and colour for colour."""

from __future__ import annotations

from rich.console import Console
from rich.segment import Segment
from rich.text import Text
from test_app import make_app, rows, until

from hedgeflow_tui.ui.widgets import FlowChart


def cells(segments) -> list[list[tuple[str, object]]]:
    """Lines of (character, style) per cell."""
    return [
        [(char, segment.style) for segment in line for char in segment.text]
        for line in Segment.split_lines(segments)
    ]


async def test_the_chart_shows_the_cells_and_colours_of_plotexts_own_output():
    app, _ = make_app()
    for size in ((80, 24), (160, 50)):
        async with app.run_test(size=size) as pilot:
            chart = app.query_one(FlowChart)
            # data, and a laid-out chart to draw it in (a loaded machine can give one first)
            await until(pilot, lambda: rows(app) > 0 and chart.size.height > 0)  # noqa: B023
            ours = cells(chart.render().segments)
            theirs = Text.from_ansi(chart.plt.build())
            console = Console(width=chart.size.width, color_system="truecolor")
            reference = cells(console.render(theirs, console.options.update(no_wrap=True)))
            assert len(ours) == chart.size.height
            assert ours == reference[: len(ours)]
            assert any(char not in " ─│" for line in ours for char, _ in line)  # a real plot
        app, _ = make_app()
