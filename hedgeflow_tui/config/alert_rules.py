"""The user's flow alerts: `[[alert]]` tables of the config file, each checked key by key with
the same one-line refusals as every other setting::

    [[alert]]
    name = "big call buying"   # optional: the alert says it (default: what the rule watches)
    symbol = "SPY"             # optional: every symbol shown
    flow = "cumulative"        # the session's cumulative, or "bar": one bar's flow
    side = "calls"             # all (default), calls or puts
    above = 50e6               # delta-$: fires when the flow reaches it from below
    below = -50e6              # ... or falls to this from above (at least one of the two)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from hedgeflow_tui.config.checks import SYMBOL_RULE, Rule

FlowKind = Literal["cumulative", "bar"]
FLOW_KINDS: tuple[FlowKind, ...] = ("cumulative", "bar")
RULE_SIDES = ("all", "calls", "puts")
MAX_RULES = 50
MAX_FLOW = 1e15  # delta-dollars beyond this are no threshold a market reaches


@dataclass(frozen=True, slots=True)
class FlowRule:
    """Fires when a symbol's flow (cumulative or per bar, of one side) crosses a threshold."""

    name: str | None  # None: the alert says what the rule watches
    symbol: str | None  # None: every symbol
    flow: FlowKind
    side: str  # all | calls | puts
    above: float | None
    below: float | None

    def text(self) -> str:
        """What the rule watches, e.g. "calls cumulative ≥ 50,000,000" (an unnamed rule's
        alerts say this)."""
        limits = []
        if self.above is not None:
            limits.append(f"≥ {self.above:,.0f}")
        if self.below is not None:
            limits.append(f"≤ {self.below:,.0f}")
        return f"{self.side} {self.flow} {' or '.join(limits)}"

    def applies_to(self, symbol: str) -> bool:
        return self.symbol is None or self.symbol.upper() == symbol.upper()


def _is_threshold(value: float) -> bool:
    return abs(value) <= MAX_FLOW


KEY_RULES: dict[str, Rule] = {
    "name": Rule(str, "a short text of 1-40 characters", lambda v: 0 < len(v.strip()) <= 40),
    "symbol": SYMBOL_RULE,
    "flow": Rule(str, f"one of {', '.join(FLOW_KINDS)}", lambda v: v in FLOW_KINDS),
    "side": Rule(str, f"one of {', '.join(RULE_SIDES)}", lambda v: v in RULE_SIDES),
    "above": Rule(float, "a number of delta-dollars", _is_threshold),
    "below": Rule(float, "a number of delta-dollars", _is_threshold),
}


def parse_rules(value: Any) -> tuple[FlowRule, ...]:
    """The `alert` key of the config file: an array of tables. ValueError says which table and
    key is wrong, in one line."""
    if not isinstance(value, list) or not all(isinstance(table, dict) for table in value):
        raise ValueError("must be [[alert]] tables")
    if len(value) > MAX_RULES:
        raise ValueError(f"must be at most {MAX_RULES} [[alert]] tables, got {len(value)}")
    return tuple(_rule(table, number) for number, table in enumerate(value, 1))


def _rule(table: dict[str, Any], number: int) -> FlowRule:
    where = f"[[alert]] {number}"
    unknown = sorted(set(table) - set(KEY_RULES))
    if unknown:
        raise ValueError(
            f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(KEY_RULES)})"
        )
    values: dict[str, Any] = {}
    for key, raw in table.items():
        try:
            values[key] = KEY_RULES[key].from_value(raw)
        except ValueError as error:
            raise ValueError(f"{where}: {key} {error}") from None
    above, below = values.get("above"), values.get("below")
    if above is None and below is None:
        raise ValueError(f"{where}: needs above or below (a threshold in delta-dollars)")
    if above is not None and below is not None and below >= above:
        raise ValueError(f"{where}: below must be under above, got {below:g} and {above:g}")
    flow, side = values.get("flow", "cumulative"), values.get("side", "all")
    symbol = values.get("symbol")
    return FlowRule(
        name=values["name"].strip() if "name" in values else None,
        symbol=symbol.upper() if symbol else None,
        flow=flow,
        side=side,
        above=above,
        below=below,
    )
