"""The JSON objects of headless mode (one per line) and of `--alert-cmd`'s standard input, and
the sink that writes them for headless mode and headless replay.

    {"type": "status", "symbol", "source", "state", "message", "last_bar", "next_poll",
     "retry_in", "note", "as_of", "data_as_of",
     "quota": {"plan", "limit", "remaining", "projected", "note"} | null}
    {"type": "bar", "symbol", "bar_size", "t", "calls", "puts", "all",
     "cum_calls", "cum_puts", "cum_all", "spot"}
    {"type": "alert", "symbol", "kind", "direction", "bars", "run_flow", "attribution",
     "price_confirms", "cum_all", "t", "history", "fade_bars", "fade_flow"}

Times are ISO 8601 UTC with a Z; flows are delta-dollars; null means unknown (never 0). An alert
with `"history": true` was found in back-filled bars (the session before the program started, or
bars caught up after an outage): it is a record of the past, not news. A `squeeze_ended` alert's
`bars` and `run_flow` are the run up to its peak, and `fade_bars` and `fade_flow` the bars after
it (0 and 0.0 for the other kinds).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TextIO

from hedgeflow_tui.analysis.detector import Alert
from hedgeflow_tui.api.model import iso
from hedgeflow_tui.engine.pipeline import Update
from hedgeflow_tui.engine.status import PollStatus
from hedgeflow_tui.engine.store import Row


def status_record(status: PollStatus) -> dict[str, Any]:
    quota = status.quota
    return {
        "type": "status",
        "symbol": status.symbol,
        "source": status.source,
        "state": status.state,
        "message": status.message,
        "last_bar": iso(status.last_bar),
        "next_poll": iso(status.next_poll),
        "retry_in": round(status.retry_in, 2) if status.retry_in is not None else None,
        "note": status.note,
        "as_of": iso(status.as_of),
        "data_as_of": iso(status.data_as_of),
        "quota": None
        if quota is None
        else {
            "plan": quota.plan,
            "limit": quota.limit,
            "remaining": quota.remaining,
            "projected": quota.projected,
            "note": quota.note,
        },
    }


def bar_record(symbol: str, bar_size: str, row: Row) -> dict[str, Any]:
    return {
        "type": "bar",
        "symbol": symbol,
        "bar_size": bar_size,
        "t": iso(row.t),
        "calls": row.calls,
        "puts": row.puts,
        "all": row.all,
        "cum_calls": row.cum_calls,
        "cum_puts": row.cum_puts,
        "cum_all": row.cum_all,
        "spot": row.spot,
    }


def alert_record(alert: Alert) -> dict[str, Any]:
    return {
        "type": "alert",
        "symbol": alert.symbol,
        "kind": alert.kind,
        "direction": alert.direction,
        "bars": alert.bars,
        "run_flow": alert.run_flow,
        "attribution": alert.attribution,
        "price_confirms": alert.price_confirms,
        "cum_all": alert.cum_all,
        "t": iso(alert.t),
        "history": alert.history,
        "fade_bars": alert.fade_bars,
        "fade_flow": alert.fade_flow,
    }


def dumps(record: dict[str, Any]) -> str:
    return json.dumps(record, separators=(",", ":"), allow_nan=False)


class JsonLinesSink:
    """Writes a `bar` line per new or revised bucket and `alert` lines as the detector fires
    (`on_update`, a pipeline's subscriber), and a `status` line whenever a symbol's state or
    message changes (`on_status`). Alerts found in back-filled bars are printed too, marked
    `"history": true`."""

    def __init__(self, out: TextIO, *, flush_each_line: bool = True) -> None:
        self.out = out
        self.flush_each_line = flush_each_line  # False: the caller flushes (replay, at the end)
        self._last_status: dict[str, tuple[str, str, str | None]] = {}
        self.on_alert: Callable[[Alert], None] | None = None  # told after each alert line

    def write(self, record: dict[str, Any]) -> None:
        self.out.write(dumps(record) + "\n")
        if self.flush_each_line:
            self.out.flush()

    def on_update(self, update: Update) -> None:
        change = update.change
        for row in change.rows:
            self.write(bar_record(change.symbol, change.bar_size, row))
        for alert in update.alerts:
            self.write(alert_record(alert))
            if self.on_alert is not None:
                self.on_alert(alert)

    def on_status(self, status: PollStatus) -> None:
        key = (status.state, status.message, status.note)
        if self._last_status.get(status.symbol) != key:
            self._last_status[status.symbol] = key
            self.write(status_record(status))
