"""Spot, gamma flip, call wall, put wall and net GEX from the price series."""

from __future__ import annotations

from rich.text import Text

from hedgeflow_tui.engine.store import Regime
from hedgeflow_tui.output.format import money, price
from hedgeflow_tui.ui.widgets.text_strips import TextStrips


def regime_text(regime: Regime | None, width: int = 200) -> str:
    """One line; on a narrow terminal the regime word goes, then the walls share a label."""
    if regime is None:
        return "regime: waiting for the price series"
    head = [f"spot {price(regime.spot)}", f"γ-flip {price(regime.gamma_flip)}"]
    walls = [f"call wall {price(regime.call_wall)}", f"put wall {price(regime.put_wall)}"]
    gex = [f"net GEX {money(regime.net_gex)}"]
    word = [regime.regime.replace("_", " ")] if regime.regime else []
    for parts in (
        head + walls + gex + word,
        head + walls + gex,
        [*head, f"walls {price(regime.call_wall)} / {price(regime.put_wall)}", *gex],
    ):
        text = " · ".join(parts)
        if len(text) <= width:
            break
    return text


class RegimeLine(TextStrips):
    """Rendered for its current width on every refresh, resizes included."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.regime: Regime | None = None

    def show(self, regime: Regime | None) -> None:
        if regime != self.regime:
            self.regime = regime
            self.refresh()

    def render(self) -> Text:
        return Text(regime_text(self.regime, self.size.width or 200))  # server text: no markup
