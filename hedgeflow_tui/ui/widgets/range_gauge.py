"""The range gauge: today's cumulative flow and largest bar against the same time of day in the
last 5 and 30 stored sessions, one line per measure and horizon:

    cumulative   5d  −$1.20B ├──────┼─────●──┤ +$2.30B   med +$0.40B · now +$0.90B · p80

├ ┤ are the past sessions' min and max, ┼ their median, ● today (outside the brackets when
today is beyond the range). Under five stored sessions a line says how many there are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from hedgeflow_tui.output.format import et_time, money
from hedgeflow_tui.ui.widgets.text_strips import TextStrips

if TYPE_CHECKING:  # the history's modules (sqlite3): not before the first frame
    from hedgeflow_tui.analysis.gauge import GaugeReading, Horizon

TITLE_WIDTH = 12
MIN_BAR = 8
WIDE_BAR = 24  # narrower than this, the lines drop the median figure and shorten
MIN_SESSIONS = 5


def gauge_bar(horizon: Horizon, width: int) -> Text:
    """The past range, its median and today's position in `width` cells."""
    low, high, today = horizon.low, horizon.high, horizon.today
    span_low = min(low, today) if today is not None else low
    span_high = max(high, today) if today is not None else high

    def cell(value: float) -> int:
        if span_high == span_low:
            return width // 2
        return round((value - span_low) / (span_high - span_low) * (width - 1))

    cells = [" "] * width
    first, last = cell(low), cell(high)
    for i in range(first, last + 1):
        cells[i] = "─"
    cells[first], cells[last] = "├", "┤"
    cells[cell(horizon.median)] = "┼"
    bar = Text("".join(cells), style="dim")
    if today is not None:
        mark = cell(today)
        dot = Text("●", style="bold reverse" if _extreme(horizon) else "bold")
        bar = bar[:mark] + dot + bar[mark + 1 :]
    return bar


def _extreme(horizon: Horizon) -> bool:
    """Today beyond every past session at this time: the gauge says so loudly."""
    return horizon.today is not None and not horizon.low <= horizon.today <= horizon.high


def gauge_parts(
    horizon: Horizon, stored: int, signed: bool, short: bool = False
) -> tuple[str, str, str] | str:
    """(low, high, tail) of a gauge line, or the message that stands in for the gauge. The
    short tail (narrow terminals) leaves the median to the ┼ mark."""
    if stored < MIN_SESSIONS:
        have = f"{stored} past session{'' if stored == 1 else 's'} stored"
        return f"{have}: the gauge needs {MIN_SESSIONS}"
    if not horizon.past:
        return "no stored session was recorded at this time of day"
    percentile = horizon.percentile
    now = money(horizon.today, signed)
    counted = len(horizon.past)
    if short:
        tail = f"  now {now}" + (f" p{percentile:.0f}" if percentile is not None else "")
        tail += f" n={counted}" if counted < horizon.sessions else ""
    else:
        tail = f"  med {money(horizon.median, signed)} · now {now}"
        tail += f" · p{percentile:.0f}" if percentile is not None else ""
        tail += f" ({counted} sessions)" if counted < horizon.sessions else ""
    return money(horizon.low, signed), money(horizon.high, signed), tail


def gauge_lines(reading: GaugeReading, width: int) -> list[Text]:
    """Cumulative 5d, 30d, largest bar 5d, 30d; the bars share one width and one column."""
    rows = [("cumulative", h, True) for h in reading.cumulative] + [
        ("largest bar", h, False) for h in reading.largest_bar
    ]
    for short in (False, True):
        parts = [gauge_parts(h, reading.stored, signed, short) for _, h, signed in rows]
        shapes = [p for p in parts if isinstance(p, tuple)]
        low_width = max((len(p[0]) for p in shapes), default=0)
        high_width = max((len(p[1]) for p in shapes), default=0)
        tail_width = max((len(p[2]) for p in shapes), default=0)
        room = width - TITLE_WIDTH - 5 - low_width - high_width - 2 - tail_width
        if room >= WIDE_BAR:
            break
    bar_width = max(MIN_BAR, room)
    lines = []
    for (title, horizon, _), part in zip(rows, parts, strict=True):
        line = Text(f"{title:<{TITLE_WIDTH}}", style="bold")
        line.append(f"{horizon.label:>3}  ", style="bold")
        if isinstance(part, str):
            line.append(part, style="dim")
        else:
            low, high, tail = part
            line.append(f"{low:>{low_width}} ")
            line.append(gauge_bar(horizon, bar_width))
            line.append(f" {high:<{high_width}}")
            line.append(tail, style="bold" if _extreme(horizon) else "")
        line.no_wrap, line.overflow = True, "ellipsis"
        lines.append(line)
    return lines


class RangeGauge(TextStrips):
    """`show(reading, about)` stores the figures; lines are laid out for the current width: a
    header and four gauge lines, the first lines only if it is given fewer rows."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.reading: GaugeReading | None = None
        self.about = ""  # which sessions: symbol, bar size, market, stored count, notes

    def show(self, reading: GaugeReading | None, about: str) -> None:
        if (reading, about) != (self.reading, self.about):
            self.reading, self.about = reading, about
            self.refresh()

    def render(self) -> Text:
        width, height = self.size.width or 100, self.size.height or 5
        reading = self.reading
        if reading is None:
            return Text(f"range vs past sessions · {self.about}", style="dim")
        lines = gauge_lines(reading, width)
        if height > len(lines):
            header = Text(f"range at {et_time(reading.at)} ET vs the same time in past sessions")
            header.append(f" · {self.about}", style="dim")
            lines.insert(0, header)
        text = Text("\n").join(lines[:height])
        text.no_wrap, text.overflow = True, "ellipsis"
        return text
