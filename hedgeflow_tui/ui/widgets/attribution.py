"""Calls vs puts: which leg drives the session's cumulative flow and the current run."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from hedgeflow_tui.detector import Attribution
from hedgeflow_tui.ui.format import money, side_colours

BAR_WIDTH = 24


def _bar(title: str, share: Attribution, palette: str) -> Text:
    calls_colour, puts_colour = side_colours(palette)
    line = Text(f"{title:<9}", style="bold")
    if share.call_share is None:
        return line + Text("no flow yet", style="dim")
    calls = round(share.call_share * BAR_WIDTH)
    line.append("C" * calls, style=f"black on {calls_colour}")
    line.append("P" * (BAR_WIDTH - calls), style=f"black on {puts_colour}")
    line.append(f" calls {money(share.calls)} {share.call_share:.0%} · puts {money(share.puts)} "
                f"{1 - share.call_share:.0%} · ")
    line.append(share.label.upper(), style="bold")
    return line


class AttributionBars(Static):
    def show(self, session: Attribution, run: Attribution | None) -> None:
        palette = getattr(self.app, "palette", "default")
        text = _bar("session", session, palette)
        text.append("\n")
        text.append(_bar("run", run, palette) if run is not None else Text("run      no run", style="dim"))
        self.update(text)
