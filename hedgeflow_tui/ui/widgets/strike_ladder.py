"""The strike ladder (Alpha plan): which strikes drive the flow, around spot. One row per strike,
highest on top, spot marked; two signed bars per row: the session's delta-$ at that strike and
the current run's (the detector's run: the bars since it began). Strikes above spot are drawn in
the calls' colour and those below in the puts' (the strike-flow endpoint does not split the
legs: above spot the 0DTE flow is mostly out-of-the-money calls, below mostly puts).

Below Alpha the view says in one line which plan it needs (`plan_line`: no strike-flow
request is sent); in a replay, that the recording holds none; on Alpha, that the last request
failed, until an answer comes."""

from __future__ import annotations

from bisect import bisect_left

from rich.text import Text

from hedgeflow_tui.engine.strikes import StrikeTotals
from hedgeflow_tui.output.format import money
from hedgeflow_tui.ui.palette import Palette, widget_palette
from hedgeflow_tui.ui.widgets.text_strips import TextStrips

HALF = 6  # cells each side of a bar's zero
STRIKE_WIDTH = 8
HEADER_LINES = 2
REPLAYED = "replay"  # the plan a replay passes: a recording says nothing of it


def plan_line(plan: str | None, has_data: bool, failure: str | None = None) -> str | None:
    """What the ladder says instead of drawing, or under it when its last request failed: None
    when it draws and all is well."""
    if failure is not None:
        held = "bars before it shown; " if has_data else ""
        return f"strike ladder: strike-flow request failed ({failure}); {held}retried at next close"
    if has_data:
        return None
    if plan == REPLAYED:
        return "strike ladder: this recording holds no strike flow (the Alpha plan's)"
    if plan is None:
        return "strike ladder: plan not known yet (/v1/account)"
    if plan != "alpha":
        return f"strike ladder: needs the Alpha plan (plan: {plan}); no strike-flow request is sent"
    return "strike ladder: waiting for the first strike-flow answer"


def _bar(value: float, scale: float, colours: Palette) -> Text:
    """A signed bar: selling to the left of the zero mark, buying to the right."""
    cells = 0 if scale <= 0 else min(HALF, round(abs(value) / scale * HALF))
    if value and not cells:
        cells = 1  # any flow shows
    left = " " * HALF if value >= 0 else " " * (HALF - cells) + "█" * cells
    right = "█" * cells + " " * (HALF - cells) if value > 0 else " " * HALF
    bar = Text(left, style=colours.down)
    bar.append("│", style=f"dim {colours.all}")
    bar.append(right, style=colours.up)
    return bar


def ladder_lines(
    session: StrikeTotals,
    run: StrikeTotals | None,
    rows: int,
    colours: Palette,
) -> Text:
    """The header and up to `rows` strikes nearest spot, highest first."""
    strikes = session.strikes
    spot = session.spot
    centre = bisect_left(strikes, spot) if spot is not None else len(strikes) // 2
    count = max(1, rows - HEADER_LINES)
    first = max(0, min(len(strikes) - count, centre - count // 2))
    shown = list(range(first, min(len(strikes), first + count)))
    run_values = dict(zip(run.strikes, run.delta, strict=True)) if run is not None else {}
    session_scale = max((abs(session.delta[i]) for i in shown), default=0.0)
    run_scale = max((abs(run_values.get(strikes[i], 0.0)) for i in shown), default=0.0)
    column = 2 * HALF + 1
    session_range = "±" + money(session_scale, False, short=True)
    run_range = "±" + money(run_scale, False, short=True) if run else "no run"
    lines = [
        Text(f"{'strike':>{STRIKE_WIDTH}} {'session':^{column}} {'this run':^{column}}"),
        Text(f"{'delta-$':>{STRIKE_WIDTH}} {session_range:^{column}} {run_range:^{column}}", "dim"),
    ]
    spot_row = None
    for i in reversed(shown):
        strike = strikes[i]
        above = spot is None or strike >= spot
        if spot is not None and spot_row is None and strike < spot:
            spot_row = len(lines)
        line = Text(
            f"{strike:>{STRIKE_WIDTH - 1},.0f} ", style=colours.calls if above else colours.puts
        )
        line.append_text(_bar(session.delta[i], session_scale, colours))
        line.append(" ")
        line.append_text(_bar(run_values.get(strike, 0.0), run_scale, colours))
        lines.append(line)
    if spot is not None and spot_row is not None:
        lines[spot_row] = Text("▶", style="bold") + lines[spot_row][1:]
    return Text("\n").join(lines)


class StrikeLadder(TextStrips):
    """`show(session, run)`; drawn for its height on every refresh, shown only with data."""

    def __init__(self, *, id: str | None = None, palette: str = "default") -> None:
        super().__init__(id=id)
        self.palette = palette
        self.session: StrikeTotals | None = None
        self.run: StrikeTotals | None = None

    def show(self, session: StrikeTotals | None, run: StrikeTotals | None) -> None:
        if (session, run) != (self.session, self.run):
            self.session, self.run = session, run
            self.set_class(session is not None, "-on")
            self.refresh()

    def render(self) -> Text:
        if self.session is None:
            return Text()
        return ladder_lines(self.session, self.run, self.size.height, widget_palette(self))
