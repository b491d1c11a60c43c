"""The session's alerts, newest first, timestamped in ET."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from hedgeflow_tui.detector import Alert
from hedgeflow_tui.ui.format import et_time, money

KEEP = 200
LABELS = {
    "squeeze_building": "BUILDING",
    "squeeze_confirmed": "CONFIRMED",
    "squeeze_ended": "ended",
    "reversal": "REVERSAL",
}


def alert_line(alert: Alert) -> Text:
    arrow = "▲" if alert.direction == "up" else "▼"
    style = "bold green" if alert.direction == "up" else "bold red"
    line = Text(f"{et_time(alert.t)} ", style="dim")
    line.append(f"{arrow} {LABELS.get(alert.kind, alert.kind):<9} ", style=style)
    line.append(
        f"{alert.bars} bars {money(alert.run_flow)} {alert.attribution}"
        f"{' · price confirms' if alert.price_confirms else ''}"
    )
    return line


class AlertLog(Static):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Text("no alerts yet", style="dim"), id=id)
        self.alerts: list[Alert] = []

    def add(self, alert: Alert) -> None:
        self.alerts.insert(0, alert)
        del self.alerts[KEEP:]
        self.update(Text("\n").join(alert_line(a) for a in self.alerts))

    def clear(self) -> None:
        self.alerts.clear()
        self.update(Text("no alerts yet", style="dim"))
