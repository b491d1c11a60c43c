"""Spot, gamma flip, call wall, put wall and net GEX from the price series."""

from __future__ import annotations

from textual.widgets import Static

from hedgeflow_tui.store import Regime
from hedgeflow_tui.ui.format import money, price


def regime_text(regime: Regime | None) -> str:
    if regime is None:
        return "regime: waiting for the price series"
    parts = [f"spot {price(regime.spot)}", f"γ-flip {price(regime.gamma_flip)}",
             f"call wall {price(regime.call_wall)}", f"put wall {price(regime.put_wall)}",
             f"net GEX {money(regime.net_gex)}"]
    if regime.regime:
        parts.append(regime.regime.replace("_", " "))
    return " · ".join(parts)


class RegimeLine(Static):
    def show(self, regime: Regime | None) -> None:
        self.update(regime_text(regime))
