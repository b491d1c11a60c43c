"""The squeeze banner: what the detector reads now, in the words of its alerts. Never flickers:
content and classes change only when what it says changes.

It agrees with the alert log and the tab label because all three come from the same tracker:
BUILDING / CONFIRMED while an episode is open, a reversal notice on the bar that reversed one,
and never "quiet" on the session's largest bar or while evidence is half-way to an alert.
"""

from __future__ import annotations

from textual.widgets import Static

from hedgeflow_tui.detector import WATCH_LEVEL, Signal
from hedgeflow_tui.ui.format import money

STATE_CLASSES = ("-quiet", "-building", "-confirmed", "-up", "-down", "-reversal")


def banner_text(signal: Signal | None) -> tuple[str, set[str]]:
    if signal is None or signal.direction is None:
        return "No squeeze: dealer hedge flow is quiet", {"-quiet"}
    up = signal.direction == "up"
    arrow = "▲" if up else "▼"
    doing = "buying" if up else "selling"
    if signal.state == "quiet":
        if signal.reversal:
            return (
                f"{arrow} HEDGING REVERSED: dealers now {doing} after a squeeze the other way",
                {"-quiet", "-reversal"},
            )
        if signal.largest and signal.last_flow is not None:
            return (
                f"{arrow} No squeeze yet: dealers {doing} {money(signal.last_flow)} in one bar, "
                "the session's largest",
                {"-quiet"},
            )
        if signal.evidence >= WATCH_LEVEL:
            return (
                f"{arrow} No squeeze yet: dealer {doing} at {signal.evidence:.0%} of the alert "
                f"level · {signal.bars} bars · {money(signal.run_flow)}",
                {"-quiet"},
            )
        return "No squeeze: dealer hedge flow is quiet", {"-quiet"}
    side = "▲ UPSIDE" if up else "▼ DOWNSIDE"
    state = "SQUEEZE CONFIRMED" if signal.state == "confirmed" else "SQUEEZE BUILDING"
    price = "price confirms" if signal.price_confirms else "price not confirming yet"
    text = (
        f"{side} {state} · {signal.bars} bars · {money(signal.run_flow)} · "
        f"{signal.attribution.label} · {price}"
    )
    return text, {f"-{signal.state}", "-up" if up else "-down"}


class SqueezeBanner(Static):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.key: tuple | None = None
        self.signal: Signal | None = None
        self.context: str | None = None
        self.show(None)

    def show(self, signal: Signal | None) -> None:
        self.signal = signal
        self._paint()

    def show_context(self, context: str | None) -> None:
        """How the run compares with history ("largest 5-bar run in 30 sessions"), on the
        banner's lower border while a squeeze is open (live mode, from the session history)."""
        self.context = context
        self._paint()

    def _paint(self) -> None:
        shown = self.context if self.active_signal() else None
        if self.border_subtitle != (shown or ""):
            self.border_subtitle = shown or ""
        text, classes = banner_text(self.signal)
        key = (text, frozenset(classes))
        if key == self.key:
            return
        self.key = key
        self.update(text)
        self.remove_class(*STATE_CLASSES)
        self.add_class(*classes)

    def active_signal(self) -> bool:
        return self.signal is not None and self.signal.state in ("building", "confirmed")

    @property
    def active(self) -> bool:
        return self.has_class("-building") or self.has_class("-confirmed")
