"""Replaying a recording without a screen: JSON lines as fast as it goes, or a CSV export.

Both merge the recorded batches into a fresh store in their recorded order, the same way the
pollers merged them live, so the bar and alert lines equal the live run's. Both stream the file
(`RecordingStream`): memory for the session's bars, not for the recording.
"""

from __future__ import annotations

import csv
from typing import TextIO

from hedgeflow_tui.api.model import EXTRA_FIELDS, iso
from hedgeflow_tui.api.safe_text import safe_text
from hedgeflow_tui.config.alert_rules import FlowRule
from hedgeflow_tui.config.settings import Settings
from hedgeflow_tui.engine.pipeline import FlowPipeline, Update
from hedgeflow_tui.engine.store import Row
from hedgeflow_tui.output.jsonlines import JsonLinesSink
from hedgeflow_tui.storage.recording.reader import RecordingStream

CSV_COLUMNS = (
    "symbol",
    "bar_size",
    "t",
    "calls",
    "puts",
    "all",
    "cum_calls",
    "cum_puts",
    "cum_all",
    "spot",
    *EXTRA_FIELDS,
    "alerts",
)


def replay_headless(settings: Settings, recording: RecordingStream, out: TextIO) -> int:
    pipeline = FlowPipeline(
        settings.sensitivity, rules=settings.alert_rules, levels=settings.level_alerts
    )
    sink = JsonLinesSink(out, flush_each_line=False, pipeline=pipeline)
    pipeline.subscribe(sink.on_update)
    for batch in recording:
        pipeline.store.apply(batch.responses)
    sink.flush_each_line = True
    sink.write(
        {
            "type": "status",
            "source": "REPLAY",
            "state": "closed",
            "message": f"replayed {recording.batches_read} polls, "
            f"{recording.skipped} unreadable lines skipped"
            + ("; the file ends early (cut off while written)" if recording.ended_early else ""),
        }
    )
    return 0


def export_csv(
    sensitivity: str,
    recording: RecordingStream,
    out: TextIO,
    rules: tuple[FlowRule, ...] = (),
    *,
    levels: bool = True,
) -> int:
    """The merged per-bar table, with the alerts each bar triggered."""
    pipeline = FlowPipeline(sensitivity, rules=rules, levels=levels)
    store = pipeline.store
    alerts: dict[tuple[str, str, str], list[str]] = {}

    keys: dict[tuple[str, str], None] = {}  # the sessions merged, whatever batch lines said

    def on_update(update: Update) -> None:
        keys[update.change.symbol, update.change.bar_size] = None
        for alert in update.alerts:
            key = (update.change.symbol, update.change.bar_size, iso(alert.t))
            alerts.setdefault(key, []).append(f"{alert.kind}:{alert.direction}")

    pipeline.subscribe(on_update)
    for batch in recording:
        store.apply(batch.responses)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for symbol, bar_size in keys:
        view = store.session(symbol, bar_size)
        shown = safe_text(symbol, limit=64)  # a recording's symbols are checked: kept so anyway
        for row in view.rows if view else ():
            fired = alerts.get((symbol, bar_size, iso(row.t)), [])
            writer.writerow([shown, bar_size, iso(row.t), *csv_cells(row), ";".join(fired)])
    return 0


def csv_cells(row: Row) -> list[str]:
    """The flow and price columns of a bar, as the CSV export writes them."""
    values = (row.calls, row.puts, row.all, row.cum_calls, row.cum_puts, row.cum_all, row.spot)
    return [_cell(v) for v in (*values, *(getattr(row.extras, f) for f in EXTRA_FIELDS))]


def _cell(value: float | str | None) -> str:
    if isinstance(value, str):
        return value
    return "" if value is None else f"{value:.10g}"
