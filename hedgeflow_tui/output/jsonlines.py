"""The JSON objects of headless mode (one per line) and of `--alert-cmd`'s standard input, and
the sink that writes them for headless mode and headless replay.

    {"type": "status", "symbol", "source", "state", "message", "last_bar", "next_poll",
     "retry_in", "note", "as_of", "data_as_of",
     "quota": {"plan", "limit", "remaining", "projected", "note"} | null}
    {"type": "bar", "symbol", "bar_size", "t", "t_et", "calls", "puts", "all",
     "cum_calls", "cum_puts", "cum_all", "spot", "gamma_flip", "net_gex", "call_wall",
     "put_wall", "magnet", "pin_score", "pin_probability_pct", "charm_dollars_per_hour",
     "net_dex", "atm_iv", "gamma_flip_status", "banner": {"state", "direction"} | null}
    {"type": "alert", "symbol", "kind", "direction", "bars", "run_flow", "attribution",
     "price_confirms", "cum_all", "t", "t_et", "history", "fade_bars", "fade_flow", "why"}
    {"type": "alert", "symbol", "kind", "direction", "level", "value", "rule", "cum_all", "t",
     "t_et", "history"}

Times are ISO 8601 UTC with a Z (`t_et`: the same instant in New York time, with its offset);
flows are delta-dollars; null means unknown (never 0). A bar's walls are given when the answer's
latest regime is that bar's, and `banner` (the detector's state: quiet, building or confirmed,
and its direction) on the newest bar of each batch, null on the others. An alert
with `"history": true` was found in back-filled bars (the session before the program started, or
bars caught up after an outage): it is a record of the past, not news. A `squeeze_ended` alert's
`bars` and `run_flow` are the run up to its peak, and `fade_bars` and `fade_flow` the bars after
it (0 and 0.0 for the other kinds). `why` says what fired an opening or reversal alert, e.g.
`short gamma · flow +3.1σ · price +2.7σ in 6 bars` ("" for an ended one). Level alerts have
kinds of their own: `gamma_flip_cross` (`level` the flip, `value` spot; `direction` the side spot
crossed to), `call_wall` and `put_wall` (spot reached the wall), `flow_threshold` (a config
`[[alert]]` rule: `rule` names it, `level` is its threshold and `value` the flow that crossed it).
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any, TextIO

from hedgeflow_tui.analysis.alerting import AnyAlert
from hedgeflow_tui.analysis.levels import LevelAlert
from hedgeflow_tui.api.model import EXTRA_FIELDS, iso
from hedgeflow_tui.engine.pipeline import FlowPipeline, Update
from hedgeflow_tui.engine.status import PollStatus
from hedgeflow_tui.engine.store import Regime, Row
from hedgeflow_tui.market.clock import ET
from hedgeflow_tui.storage.history import HistoryFeed


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


def et_iso(t: datetime) -> str:
    """The same instant in New York time, with its offset: 2026-06-12T10:31:00-04:00."""
    return t.astimezone(ET).isoformat(timespec="seconds")


def bar_record(
    symbol: str, bar_size: str, row: Row, regime: Regime | None = None
) -> dict[str, Any]:
    """A bar with its regime: the gamma flip and net GEX at the bucket, and the walls when the
    latest regime is this bucket's (older bars' walls are not known)."""
    walls = regime is not None and regime.t == row.t
    return {
        "type": "bar",
        "symbol": symbol,
        "bar_size": bar_size,
        "t": iso(row.t),
        "t_et": et_iso(row.t),
        "calls": row.calls,
        "puts": row.puts,
        "all": row.all,
        "cum_calls": row.cum_calls,
        "cum_puts": row.cum_puts,
        "cum_all": row.cum_all,
        "spot": row.spot,
        "gamma_flip": row.gamma_flip,
        "net_gex": row.net_gex,
        "call_wall": regime.call_wall if walls and regime else None,
        "put_wall": regime.put_wall if walls and regime else None,
        **{name: getattr(row.extras, name) for name in EXTRA_FIELDS},
    }


def alert_record(alert: AnyAlert) -> dict[str, Any]:
    if isinstance(alert, LevelAlert):
        return level_record(alert)
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
        "t_et": et_iso(alert.t),
        "history": alert.history,
        "fade_bars": alert.fade_bars,
        "fade_flow": alert.fade_flow,
        "why": alert.why,
    }


def level_record(alert: LevelAlert) -> dict[str, Any]:
    return {
        "type": "alert",
        "symbol": alert.symbol,
        "kind": alert.kind,
        "direction": alert.direction,
        "level": alert.level,
        "value": alert.value,
        "rule": alert.rule,
        "cum_all": alert.cum_all,
        "t": iso(alert.t),
        "t_et": et_iso(alert.t),
        "history": alert.history,
    }


def dumps(record: dict[str, Any]) -> str:
    return json.dumps(record, separators=(",", ":"), allow_nan=False)


class JsonLinesSink:
    """Writes a `bar` line per new or revised bucket and `alert` lines as the detector fires
    (`on_update`, a pipeline's subscriber), and a `status` line whenever a symbol's state or
    message changes (`on_status`). Alerts found in back-filled bars are printed too, marked
    `"history": true`.

    With the pipeline's `history`, an update's lines wait (and every line after them) until the
    history's writer has tried to store its bars: a line printed is already stored, unless that
    write failed (the bars are then stored with a later poll's, and their lines not held). With
    the `pipeline`, bar lines carry the session's regime and the detector's banner."""

    def __init__(
        self,
        out: TextIO,
        history: HistoryFeed | None = None,
        *,
        flush_each_line: bool = True,
        pipeline: FlowPipeline | None = None,
    ) -> None:
        self.out = out
        self.history = history
        self.flush_each_line = flush_each_line  # False: the caller flushes (replay, at the end)
        self.pipeline = pipeline  # the regime and banner of bar lines are read from it
        self._last_status: dict[str, tuple[str, str, str | None]] = {}
        self.on_alert: Callable[[AnyAlert], None] | None = None  # told of each alert
        self._held: deque[tuple[int, str]] = deque()  # (history record, line) not printed yet
        self.closed = False  # the reader went away (`| head`): nothing more is written
        self.on_closed: Callable[[], None] | None = None  # told once, when it does

    def write(self, record: dict[str, Any], after: int = 0) -> None:
        """Print `record` once the history's record `after` is settled and every line before
        it is printed."""
        line = dumps(record) + "\n"
        history = self.history
        if self._held or (after and history is not None and not history.settled(after)):
            self._held.append((after, line))
            return
        self._print(line)

    def _print(self, line: str) -> None:
        if self.closed:
            return
        try:
            self.out.write(line)
            if self.flush_each_line:
                self.out.flush()
        except BrokenPipeError:
            self.closed = True
            if self.on_closed is not None:
                self.on_closed()

    def release(self) -> None:
        """Print the held lines whose bars' write was tried."""
        history = self.history
        while self._held and (history is None or history.settled(self._held[0][0])):
            self._print(self._held.popleft()[1])

    def on_update(self, update: Update) -> None:
        change, number = update.change, update.record
        if number and self.history is not None:
            self.history.when_settled(number, self.release)
        regime, banner = None, None
        if self.pipeline is not None:
            view = self.pipeline.store.session(change.symbol, change.bar_size)
            regime = view.regime if view is not None else None
            signal = self.pipeline.trackers.signal(change.symbol)
            if signal is not None:
                banner = {"state": signal.state, "direction": signal.direction}
        for n, row in enumerate(change.rows, start=1):
            newest = n == len(change.rows)  # the banner is the detector's after the batch
            record = bar_record(change.symbol, change.bar_size, row, regime)
            self.write(record | {"banner": banner if newest else None}, number)
        for alert in update.alerts:
            self.write(alert_record(alert), number)
            if self.on_alert is not None:
                self.on_alert(alert)

    def on_status(self, status: PollStatus) -> None:
        key = (status.state, status.message, status.note)
        if self._last_status.get(status.symbol) != key:
            self._last_status[status.symbol] = key
            self.write(status_record(status))
