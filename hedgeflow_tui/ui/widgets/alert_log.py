"""The session's alerts, newest first, timestamped in ET."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from hedgeflow_tui.analysis.alerting import AnyAlert
from hedgeflow_tui.analysis.levels import LevelAlert
from hedgeflow_tui.output.format import et_time, money, price
from hedgeflow_tui.ui.palette import Palette, widget_palette

KEEP = 200
LABELS = {
    "squeeze_building": "BUILDING",
    "squeeze_confirmed": "CONFIRMED",
    "squeeze_ended": "ended",
    "reversal": "REVERSAL",
    "gamma_flip_cross": "γ-FLIP",
    "call_wall": "CALL WALL",
    "put_wall": "PUT WALL",
    "flow_threshold": "FLOW",
}


def level_text(alert: LevelAlert) -> str:
    """What a level alert says, after its label."""
    if alert.kind == "gamma_flip_cross":
        side = "above" if alert.direction == "up" else "below"
        return f"spot {price(alert.value)} crossed {side} the γ-flip {price(alert.level)}"
    if alert.kind in ("call_wall", "put_wall"):
        wall = "call" if alert.kind == "call_wall" else "put"
        return f"spot {price(alert.value)} at the {wall} wall {price(alert.level)}"
    edge = "≥" if alert.direction == "up" else "≤"
    return f"{alert.rule}: {money(alert.value)} {edge} {money(alert.level)}"


def alert_line(alert: AnyAlert, colours: Palette) -> Text:
    arrow = "▲" if alert.direction == "up" else "▼"
    style = f"bold {colours.up if alert.direction == 'up' else colours.down}"
    line = Text(f"{et_time(alert.t)} ", style="dim")
    line.append(f"{arrow} {LABELS.get(alert.kind, alert.kind):<9} ", style=style)
    if isinstance(alert, LevelAlert):
        line.append(level_text(alert))
        return line
    line.append(f"{alert.bars} bars {money(alert.run_flow)} {alert.attribution}")
    if alert.why:  # what fired it: the window of the squeeze's fingerprint
        line.append(f" · {alert.why}")
    elif alert.price_confirms:
        line.append(" · price confirms")
    if alert.fade_bars:  # an ended run: its total is up to its peak, the fade comes after
        line.append(f" · then faded {alert.fade_bars} bars {money(alert.fade_flow)}", style="dim")
    return line


class AlertLog(Static):
    def __init__(self, *, id: str | None = None, palette: str = "default") -> None:
        super().__init__(Text("no alerts yet", style="dim"), id=id)
        self.palette = palette
        self.alerts: list[AnyAlert] = []

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._redraw())

    def add(self, alert: AnyAlert) -> None:
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
