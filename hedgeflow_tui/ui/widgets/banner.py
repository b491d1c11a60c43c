"""The squeeze banner: quiet, BUILDING or CONFIRMED, up or down, and reversals. Never flickers:
content and classes change only when what it says changes."""

from __future__ import annotations

from textual.widgets import Static

from hedgeflow_tui.detector import Signal
from hedgeflow_tui.ui.format import money

STATE_CLASSES = ("-quiet", "-building", "-confirmed", "-up", "-down", "-reversal")


def banner_text(signal: Signal | None) -> tuple[str, set[str]]:
    if signal is None or signal.state == "quiet":
        if signal is not None and signal.reversal:
            arrow = "▲" if signal.direction == "up" else "▼"
            now = "buying" if signal.direction == "up" else "selling"
            return (
                f"{arrow} HEDGING REVERSED: dealers now {now} after a run the other way",
                {"-quiet", "-reversal"},
            )
        return "No squeeze: dealer hedge flow is quiet", {"-quiet"}
    up = signal.direction == "up"
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
        self.show(None)

    def show(self, signal: Signal | None) -> None:
        text, classes = banner_text(signal)
        key = (text, frozenset(classes))
        if key == self.key:
            return
        self.key = key
        self.update(text)
        self.remove_class(*STATE_CLASSES)
        self.add_class(*classes)

    @property
    def active(self) -> bool:
        return self.has_class("-building") or self.has_class("-confirmed")
