"""Calls vs puts: which leg drives the session's cumulative flow and the current run."""

from __future__ import annotations

from rich.text import Text

from hedgeflow_tui.analysis.detector import Attribution, call_percent
from hedgeflow_tui.output.format import money
from hedgeflow_tui.ui.palette import Palette, text_on, widget_palette
from hedgeflow_tui.ui.widgets.text_strips import TextStrips

BAR_WIDTH = 24  # at most; narrower when the figures would not fit on the line
MIN_BAR_WIDTH = 6


def _bar(title: str, share: Attribution, colours: Palette, width: int) -> Text:
    line = Text(f"{title:<9}", style="bold")
    if share.call_share is None:
        return line + Text("no flow yet", style="dim")
    percent = call_percent(share.call_share)
    figures = (
        f" calls {money(share.calls)} {percent}% · puts {money(share.puts)} {100 - percent}% · "
    )
    label = share.label.upper()
    bar = max(MIN_BAR_WIDTH, min(BAR_WIDTH, width - len(line) - len(figures) - len(label)))
    calls = round(share.call_share * bar)
    line.append("C" * calls, style=f"{text_on(colours.calls)} on {colours.calls}")
    line.append("P" * (bar - calls), style=f"{text_on(colours.puts)} on {colours.puts}")
    line.append(figures)
    line.append(label, style="bold")
    return line


class AttributionBars(TextStrips):
    """Rendered for its current width on every refresh, resizes included."""

    def __init__(self, *, id: str | None = None, palette: str = "default") -> None:
        super().__init__(id=id)
        self.palette = palette
        self.shares: tuple[Attribution, Attribution | None] | None = None

    def show(self, session: Attribution, run: Attribution | None) -> None:
        if (session, run) != self.shares:
            self.shares = (session, run)
            self.refresh()

    def render(self) -> Text:
        if self.shares is None:
            return Text()
        session, run = self.shares
        width = self.size.width or 80
        colours = widget_palette(self)
        text = _bar("session", session, colours, width)
        text.append("\n")
        text.append(
            _bar("run", run, colours, width)
            if run is not None
            else Text("run      no run", style="dim")
        )
        return text
