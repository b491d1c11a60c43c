"""One symbol's line of the overview: what its tab says in two lines of text.

First line: the symbol, the banner's state (quiet / ▲ BUILDING / ▲ CONFIRMED / ▼ REVERSAL), the
session's cumulative flow, the last bar's, and a signed sparkline of the latest bars. Second
line: the calls' share of the session's flow with its label, spot against the gamma flip, and the
data's state (STALE, retrying, stopped). Glyphs and colours are the tabs' and the banner's:
▲ and the up colour for dealers buying, ▼ and the down colour for selling."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from rich.text import Text

from hedgeflow_tui.analysis.detector import Signal, call_percent, session_attribution
from hedgeflow_tui.engine.status import PollStatus
from hedgeflow_tui.engine.store import Row, SessionView
from hedgeflow_tui.output.format import MISSING, ago, money, price
from hedgeflow_tui.ui.palette import Palette
from hedgeflow_tui.ui.widgets.sparkline import UP, robust_scale

SYMBOL_WIDTH = 6
SPARK_MIN, SPARK_MAX = 8, 120  # columns of the sparkline


@dataclass(frozen=True, slots=True)
class OverviewFacts:
    """What the overview shows of one symbol, read from the app's store, trackers and status."""

    symbol: str
    view: SessionView | None
    signal: Signal | None
    status: PollStatus | None
    stale_since: datetime | None
    now: datetime | None


def state_text(signal: Signal | None, colours: Palette) -> Text:
    """The banner's state in a word, with its direction: the tab's ▲ / ▼ and colours."""
    if signal is None or (signal.state == "quiet" and not signal.reversal):
        return Text("quiet", style="dim")
    arrow = "▲" if signal.direction == "up" else "▼"
    word = "REVERSAL" if signal.reversal else signal.state.upper()
    colour = colours.up if signal.direction == "up" else colours.down
    return Text(f"{arrow} {word}", style=f"bold {colour}")


def spark(rows: Sequence[Row], width: int, colours: Palette) -> Text:
    """The newest `width` bars as one line of blocks, as tall as the bar is large, coloured by
    its sign (the tab's colours: up for buying, down for selling)."""
    flows = [r.all for r in rows[-width:]]
    scale = robust_scale([abs(f) for f in flows if f is not None])
    line = Text(" " * (width - len(flows)))
    for flow in flows:
        if flow is None or scale == 0:
            line.append("·" if flow is None else " ", style="dim")
            continue
        level = min(len(UP) - 1, max(1, round(abs(flow) / scale * (len(UP) - 1))))
        line.append(UP[level], style=colours.up if flow > 0 else colours.down)
    return line


def flip_text(view: SessionView | None) -> str:
    """Spot against the gamma flip: which side, and by how much."""
    regime = view.regime if view is not None else None
    if regime is None or regime.spot is None:
        return f"spot {MISSING}"
    if regime.gamma_flip is None:
        return f"spot {price(regime.spot)} · γ-flip withheld"  # the API publishes none
    side = "above" if regime.spot >= regime.gamma_flip else "below"
    return f"spot {price(regime.spot)} {side} γ-flip {price(regime.gamma_flip)}"


def data_state(facts: OverviewFacts) -> Text:
    """STALE with its age (red, as the status line's badge), or what the connection says when
    it is not fine."""
    status = facts.status
    if facts.stale_since is not None:
        age = (facts.now - facts.stale_since).total_seconds() if facts.now else None
        return Text(f" STALE {ago(age)} ", style="bold white on red")
    if status is None or status.state in ("ok", "closed", "paused"):
        return Text(status.state if status and status.state != "ok" else "", style="dim")
    return Text(status.state.replace("_", " "), style="bold")


def overview_lines(facts: OverviewFacts, width: int, colours: Palette) -> Text:
    """The two lines of one symbol at `width` columns."""
    view = facts.view
    rows = view.rows if view is not None else ()
    cum = next((r.cum_all for r in reversed(rows) if r.cum_all is not None), None)
    last = next((r.all for r in reversed(rows) if r.all is not None), None)
    head = Text(f"{facts.symbol:<{SYMBOL_WIDTH}}", style="bold")
    state = state_text(facts.signal, colours) if rows else Text(MISSING, style="dim")
    state.pad_right(max(0, 12 - state.cell_len))
    head.append_text(state)
    head.append(f" cum {money(cum, short=True):>7}  last {money(last, short=True):>7}  ")
    room = width - head.cell_len - 1
    if room >= SPARK_MIN:
        head.append_text(spark(rows, min(SPARK_MAX, room), colours))
    share = session_attribution(rows)
    second = Text()
    if share.call_share is None:
        second.append(f"calls {MISSING}", style="dim")
    else:
        up = (share.calls + share.puts) >= 0
        second.append(f"calls {call_percent(share.call_share)}% ")
        second.append(share.label, style=colours.up if up else colours.down)
    second.append(f" · {flip_text(view)}")
    state_now = data_state(facts)
    if state_now.plain:
        second.append("  ")
        second.append_text(state_now)
    head.truncate(width)
    second.truncate(width)
    return Text("\n").join([head, second])
