"""The cursor's readout: one line with the parked bar's time, its calls / puts / all flow and
cumulative, the price and any alert of that bar. Shown only while the cursor is parked."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widget import Widget

from hedgeflow_tui.analysis.alerting import AnyAlert
from hedgeflow_tui.engine.store import Row
from hedgeflow_tui.output.format import et_time, money, price
from hedgeflow_tui.ui.widgets.alert_log import LABELS


def readout_text(
    row: Row,
    alerts: Sequence[AnyAlert] = (),
    rolling: tuple[str, float | None] | None = None,
    width: int = 200,
) -> str:
    """The line for the bar of `row`: the longest form that fits in `width`. `alerts`: those
    fired at that bar; `rolling`: the window's name and its sum of `all` there (rolling view)."""
    fired = " ".join(
        f"{'▲' if a.direction == 'up' else '▼'} {LABELS.get(a.kind, a.kind)}" for a in alerts
    )
    legs = [
        ("calls", row.calls, row.cum_calls),
        ("puts", row.puts, row.cum_puts),
        ("all", row.all, row.cum_all),
    ]
    window = f" · {rolling[0]} {money(rolling[1])}" if rolling else ""
    long_legs = " │ ".join(f"{name} {money(f)} cum {money(c)}" for name, f, c in legs)
    short = [f"{name} {money(f, short=True)}/{money(c, short=True)}" for name, f, c in legs]
    tight = [text.replace("calls ", "call ").replace("puts ", "put ") for text in short]
    at, spot = et_time(row.t), price(row.spot)
    alert, short_alert = (f" │ {fired}", f"  {fired}") if fired else ("", "")
    forms = [
        f"cursor {et_time(row.t, seconds=True)} ET │ {long_legs}{window} │ price {spot}{alert}",
        f"{at} │ {long_legs}{window} │ {spot}{alert}",
        f"{at} │ {long_legs} │ {spot}{alert}",
        f"{at} flow/cum {'  '.join(short)}  {spot}{short_alert}",
        # narrower: `flow/cum` stays (which figure is the bar's and which the cumulative); the
        # price goes before the alert does (the chart's price axis has it, not the alert kind)
        f"{at} flow/cum {' '.join(tight)} {spot}{' ' + fired if fired else ''}",
        f"{at} flow/cum {' '.join(tight)}{' ' + fired if fired else ''}",
    ]
    return next((form for form in forms if len(form) <= width), forms[-1][:width])


class CursorReadout(Widget):
    """Rendered for its current width on every refresh, resizes included."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.row: Row | None = None
        self.alerts: tuple[AnyAlert, ...] = ()
        self.rolling: tuple[str, float | None] | None = None

    def show(
        self,
        row: Row | None,
        alerts: Sequence[AnyAlert] = (),
        rolling: tuple[str, float | None] | None = None,
    ) -> None:
        """The parked bar's values; None hides the line (the cursor is at the live edge)."""
        self.row, self.alerts, self.rolling = row, tuple(alerts), rolling
        self.display = row is not None
        self.refresh()

    def render(self) -> Text:
        if self.row is None:
            return Text("")
        return Text(readout_text(self.row, self.alerts, self.rolling, self.size.width or 200))
