"""How numbers and times read on screen: delta-dollars in K/M/B, times in ET."""

from __future__ import annotations

import math
from datetime import datetime

from hedgeflow_tui.market.clock import ET

MISSING = "—"


SCALES = ((1e3, "K"), (1e6, "M"), (1e9, "B"), (1e12, "T"))


def money(value: float | None, signed: bool = True, *, short: bool = False) -> str:
    """Delta-dollars, e.g. +$12.3M, −$840K, $1.20B, $3.40T (from $1000T: +$2.00e15); `short`:
    three significant digits and no $ (−12.3M, +150M, +1.23B)."""
    if value is None or not math.isfinite(value):
        return MISSING
    size = abs(value)
    unit = "" if short else "$"
    text = f"{unit}{size:.0f}"
    for scale, suffix in reversed(SCALES):
        # from what the scale below would round up to 1000 (it shows 0 decimals from 100 on,
        # or 1 when not `short` and it has a suffix)
        rounds_up = 0.9995 if short or suffix == "K" else 0.99995
        if size >= scale * rounds_up:
            text = _scaled(size / scale, suffix, unit, short)
            break
    if size >= 1e15 or text.startswith(f"{unit}1000"):  # past the largest suffix
        mantissa, exponent = f"{size:.2e}".split("e")
        text = f"{unit}{mantissa}e{int(exponent)}"
    if not signed:
        return text
    return ("+" if value > 0 else "−" if value < 0 else "") + text


def _scaled(number: float, suffix: str, unit: str, short: bool) -> str:
    digits = 2 if number < 9.995 else 0 if short and number >= 99.95 else 1
    return f"{unit}{number:.{digits}f}{suffix}"


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
