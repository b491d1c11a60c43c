"""Spot, gamma flip, call wall, put wall and net GEX from the price series."""

from __future__ import annotations

from rich.text import Text

from hedgeflow_tui.api.model import SeriesExtras
from hedgeflow_tui.engine.store import Regime
from hedgeflow_tui.output.format import money, price
from hedgeflow_tui.ui.widgets.text_strips import TextStrips

FLIP_AVAILABLE = "available"  # `gamma_flip_status` when the flip is published


def flip_text(flip: float | None, status: str | None, *, why: bool = True) -> str:
    """The gamma flip, or that it is withheld (and `why`): the API publishes it only where the
    level is well determined, and then says why not in `gamma_flip_status` (`no_boundary`)."""
    if flip is None and status and status != FLIP_AVAILABLE:
        return f"γ-flip withheld ({status.replace('_', ' ')})" if why else "γ-flip withheld"
    return f"γ-flip {price(flip)}"


def extras_parts(extras: SeriesExtras, flip: float | None) -> list[str]:
    """The series' other metrics that are present (a null one is left out; the flip's status
    only when it says something the flip's own text does not)."""
    parts = []
    status = extras.gamma_flip_status
    if status and status != FLIP_AVAILABLE and flip is not None:
        parts.append(f"γ-flip status {status.replace('_', ' ')}")
    if extras.magnet is not None:
        parts.append(f"magnet {price(extras.magnet)}")
    if extras.pin_score is not None or extras.pin_probability_pct is not None:
        score = f" {extras.pin_score:.2f}" if extras.pin_score is not None else ""
        pct = extras.pin_probability_pct
        parts.append(f"pin{score}" + (f" ({pct:.0f}%)" if pct is not None else ""))
    if extras.net_dex is not None:
        parts.append(f"net DEX {money(extras.net_dex)}")
    if extras.charm_dollars_per_hour is not None:
        parts.append(f"charm {money(extras.charm_dollars_per_hour)}/h")
    if extras.atm_iv is not None:
        iv = extras.atm_iv * 100 if extras.atm_iv < 3 else extras.atm_iv  # a fraction or a %
        parts.append(f"ATM IV {iv:.1f}%")
    return parts


def _regime_word(word: str) -> str:
    """`positive_gamma` reads "positive gamma"; `unknown` (the flip withheld) "regime unknown"."""
    return "regime unknown" if word == "unknown" else word.replace("_", " ")


def regime_text(regime: Regime | None, width: int = 200) -> str:
    """One line; on a narrow terminal the series' other metrics go first, then the regime
    word, then the walls share a label, then a withheld flip's reason."""
    if regime is None:
        return "regime: waiting for the price series"
    spot = f"spot {price(regime.spot)}"
    flip, status = regime.gamma_flip, regime.extras.gamma_flip_status
    head = [spot, flip_text(flip, status)]
    walls = [f"call wall {price(regime.call_wall)}", f"put wall {price(regime.put_wall)}"]
    both_walls = f"walls {price(regime.call_wall)} / {price(regime.put_wall)}"
    gex = [f"net GEX {money(regime.net_gex)}"]
    word = [_regime_word(regime.regime)] if regime.regime else []
    extras = extras_parts(regime.extras, flip)
    for parts in (
        head + walls + gex + word + extras,
        head + walls + gex + word,
        head + walls + gex,
        [*head, both_walls, *gex],
        [spot, flip_text(flip, status, why=False), both_walls, *gex],
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
