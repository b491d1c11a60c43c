"""The chart's axes: each spans its data; ticks at round values inside it, for delta-dollars
(always with 0), for price (multiples of the symbol's tick size) and for time (round times).

Pure functions of the data range and the room available; no Textual.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from hedgeflow_tui.market.clock import ET

# Minimum price increment of the underlying's quote, by symbol (indexes and ETFs quote cents).
TICK_SIZES = {"SPY": 0.01, "QQQ": 0.01, "SPX": 0.01}
DEFAULT_TICK_SIZE = 0.01
NICE = (1.0, 2.0, 2.5, 5.0)
TIME_STEPS_MINUTES = (5, 10, 15, 30, 60, 120)  # by width: the first whose labels fit
HORIZON = timedelta(minutes=15)  # free room ahead of the last bar, at the least
ROUND_END = timedelta(minutes=30)  # the time axis ends at a round half hour (or the close)
MIN_ROWS_PER_TICK = 2  # a label row, then at least one free row before the next
ROWS_PER_TICK = 3  # aimed for: about one labelled value every three rows


def nice_steps(smallest: float):
    """1, 2, 2.5, 5 x 10^k from the first one at least `smallest`, upwards (endless)."""
    exponent = math.floor(math.log10(smallest)) if smallest > 0 else 0
    while True:
        for mantissa in NICE:
            step = mantissa * 10.0**exponent
            if step >= smallest * (1 - 1e-9):
                yield step
        exponent += 1


def round_step(low: float, high: float, rows: int, smallest: float, unit: float = 0.0) -> float:
    """The finest round step (at least `smallest`, a multiple of `unit` if given) that puts at
    least `MIN_ROWS_PER_TICK` rows between ticks, and about one tick every `ROWS_PER_TICK` rows
    on `rows` rows."""
    room = max(1, min((rows - 1) // MIN_ROWS_PER_TICK, max(3, round(rows / ROWS_PER_TICK))))
    for step in nice_steps(max(smallest, (high - low) / room)):
        if not unit or abs(step / unit - round(step / unit)) < 1e-6:
            return step
    raise AssertionError("unreachable: the steps grow without end")


def flow_axis(low: float, high: float, rows: int) -> tuple[float, float, float]:
    """(low, high, step) of the delta-dollar axis: it always spans 0, so buying and selling
    read at a glance, and 0 is always one of its ticks."""
    low, high = min(low, 0.0), max(high, 0.0)
    if high == low:
        high = 1.0
    step = round_step(low, high, rows, smallest=(high - low) / 1000)
    if len(ticks(low, high, step)) < 2:  # a short chart: 0 alone says nothing of the scale
        closest = MIN_ROWS_PER_TICK * (high - low) / max(1, rows - 1)
        for finer in nice_steps(closest):
            if finer >= step:
                break
            if len(ticks(low, high, finer)) >= 2:
                return low, high, finer
    return low, high, step


def price_axis(low: float, high: float, rows: int, tick: float) -> tuple[float, float, float]:
    """(low, high, step) of the price axis: ticks at multiples of the symbol's tick size."""
    if high - low < tick:
        low, high = low - tick, high + tick
    return low, high, round_step(low, high, rows, smallest=tick, unit=tick)


def far_tick(low: float, high: float, rows: int) -> float | None:
    """A second flow tick for a chart too short for two round ones: the end of the axis farther
    from 0, cut to two significant digits (toward 0, so it stays inside), if its row is at
    least `MIN_ROWS_PER_TICK` rows from 0's."""
    far = low if -low > high else high
    if far == 0:
        return None
    unit = 10.0 ** (math.floor(math.log10(abs(far))) - 1)
    value = math.copysign(math.floor(abs(far) / unit + 1e-9) * unit, far)

    def row(v: float) -> int:
        return round((high - v) / (high - low) * (rows - 1))

    return value if abs(row(value) - row(0.0)) >= MIN_ROWS_PER_TICK else None


def ticks(low: float, high: float, step: float) -> list[float]:
    """The multiples of `step` from `low` to `high`."""
    first = math.ceil(low / step - 1e-9)
    last = math.floor(high / step + 1e-9)
    return [k * step for k in range(first, last + 1)]


def flow_label(value: float) -> str:
    """Compact delta-dollars for an axis: 0, +250M, −1.5B, +12.5K (each in its own unit)."""
    if abs(value) < 1e-6:
        return "0"
    size = abs(value)
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K"), (1.0, "")):
        if size >= scale * (1 - 1e-9):
            number = f"{size / scale:.3f}".rstrip("0").rstrip(".")
            return ("+" if value > 0 else "−") + number + suffix
    return ("+" if value > 0 else "−") + f"{size:.2g}"


def price_label(value: float, step: float) -> str:
    """A price with as many decimals as the step needs (582, 581.5, 581.25)."""
    decimals = 0
    while decimals < 4 and abs(step * 10**decimals - round(step * 10**decimals)) > 1e-6:
        decimals += 1
    return f"{value:,.{decimals}f}"


def time_axis_end(last: datetime, close: datetime) -> datetime:
    """Where the time axis ends: the session's close once it is less than half an hour or so
    away, else the round half hour after `last` + 15 minutes, so the latest bars keep some room,
    the session fills most of the width (at 10:35, 65 of 90 minutes) and the axis rescales
    about every half hour."""
    ahead = (last + HORIZON).astimezone(ET)
    end = ahead.replace(minute=ahead.minute - ahead.minute % 30, second=0, microsecond=0)
    if end < ahead:
        end += ROUND_END
    return max(last, min(close, end))


def time_ticks(start: datetime, end: datetime, columns: int, label_width: int) -> list[datetime]:
    """Round ET times strictly inside (start, end), every 15m / 30m / 1h / 2h: the finest whose
    labels (plus two spaces) fit in `columns`."""
    span = (end - start).total_seconds()
    if span <= 0 or columns <= 0:
        return []
    for minutes in TIME_STEPS_MINUTES:
        if columns * minutes * 60 / span >= label_width + 2:
            break
    local = start.astimezone(ET)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    first = math.floor((local - midnight).total_seconds() / 60 / minutes + 1) * minutes
    result = []
    t = midnight + timedelta(minutes=first)
    while t < end:
        result.append(t)
        t += timedelta(minutes=minutes)
    return result
