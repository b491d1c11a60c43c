"""The chart depends on plotext internals (ui/widgets/plotext_adapter.py): an upgrade that moves
any of them must fail here, by name, rather than as a blank or broken chart."""

from __future__ import annotations

from test_app import make_app, rows, until

from hedgeflow_tui.ui.widgets import FlowChart
from hedgeflow_tui.ui.widgets.plotext_adapter import (
    TESTED_PLOTEXT,
    build_matrix,
    installed_plotext,
    missing_private_api,
)


def test_plotext_is_the_version_the_adapter_was_checked_against():
    assert installed_plotext() == TESTED_PLOTEXT, (
        f"plotext {installed_plotext()} is installed but the chart's private-API adapter was "
        f"checked against {TESTED_PLOTEXT}: check ui/widgets/plotext_adapter.py, then the pin"
    )


def test_every_private_name_the_adapter_uses_is_still_there():
    assert missing_private_api() == []


async def test_the_matrix_has_the_size_asked_for_and_a_plot_in_it():
    app, _ = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: rows(app) > 0)
        chart = app.query_one(FlowChart)
        matrix = build_matrix(chart, 70, 15)
        assert matrix.rows == 15
        for grid in (matrix.marker, matrix.fullground, matrix.style, matrix.background):
            assert len(grid) == 15 and all(len(line) == 70 for line in grid)
        assert any(char not in " ─│" for line in matrix.marker for char in line)
