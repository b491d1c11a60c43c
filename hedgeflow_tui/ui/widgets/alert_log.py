"""The session's alerts, newest first, timestamped in ET."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from hedgeflow_tui.analysis.detector import Alert
from hedgeflow_tui.output.format import et_time, money
from hedgeflow_tui.ui.palette import Palette, widget_palette

KEEP = 200
LABELS = {
    "squeeze_building": "BUILDING",
    "squeeze_confirmed": "CONFIRMED",
    "squeeze_ended": "ended",
    "reversal": "REVERSAL",
}


def alert_line(alert: Alert, colours: Palette) -> Text:
    arrow = "▲" if alert.direction == "up" else "▼"
    style = f"bold {colours.up if alert.direction == 'up' else colours.down}"
    line = Text(f"{et_time(alert.t)} ", style="dim")
    line.append(f"{arrow} {LABELS.get(alert.kind, alert.kind):<9} ", style=style)
    line.append(
        f"{alert.bars} bars {money(alert.run_flow)} {alert.attribution}"
        f"{' · price confirms' if alert.price_confirms else ''}"
    )
    if alert.fade_bars:  # an ended run: its total is up to its peak, the fade comes after
        line.append(f" · then faded {alert.fade_bars} bars {money(alert.fade_flow)}", style="dim")
    return line


class AlertLog(Static):
    def __init__(self, *, id: str | None = None, palette: str = "default") -> None:
        super().__init__(Text("no alerts yet", style="dim"), id=id)
        self.palette = palette
        self.alerts: list[Alert] = []

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._redraw())

    def add(self, alert: Alert) -> None:
        self.alerts.insert(0, alert)
        del self.alerts[KEEP:]
        self._redraw()

    def clear(self) -> None:
        self.alerts.clear()
        self._redraw()

    def _redraw(self) -> None:
        if not self.alerts:
            self.update(Text("no alerts yet", style="dim"))
            return
        colours = widget_palette(self)
        self.update(Text("\n").join(alert_line(a, colours) for a in self.alerts))
