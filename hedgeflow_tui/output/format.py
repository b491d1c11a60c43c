"""How numbers and times read on screen: delta-dollars in K/M/B, times in ET."""

from __future__ import annotations

from datetime import datetime

from hedgeflow_tui.market.clock import ET

MISSING = "—"


def money(value: float | None, signed: bool = True, *, short: bool = False) -> str:
    """Delta-dollars, e.g. +$12.3M, −$840K, $1.20B; `short`: three significant digits and no
    $ (−12.3M, +150M, +1.23B)."""
    if value is None:
        return MISSING
    size = abs(value)
    unit = "" if short else "$"
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if size >= scale:
            number = size / scale
            digits = 2 if number < 10 else 0 if short and number >= 100 else 1
            text = f"{unit}{number:.{digits}f}{suffix}"
            break
    else:
        text = f"{unit}{size:.0f}"
    if not signed:
        return text
    return ("+" if value > 0 else "−" if value < 0 else "") + text


def et_time(t: datetime | None, seconds: bool = False) -> str:
    if t is None:
        return MISSING
    return t.astimezone(ET).strftime("%H:%M:%S" if seconds else "%H:%M")


def ago(seconds: float | None) -> str:
    if seconds is None:
        return MISSING
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"


def price(value: float | None) -> str:
    return MISSING if value is None else f"{value:,.2f}"
