"""The stored sessions as the `history` command prints them: a table, or the bars as CSV. Every
stored string is cleaned before it is printed: a database is a file anyone could have written."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from typing import TextIO

from hedgeflow_tui.api.model import iso
from hedgeflow_tui.api.safe_text import safe_text
from hedgeflow_tui.output.format import money
from hedgeflow_tui.output.replay import CSV_COLUMNS, csv_cells
from hedgeflow_tui.storage.history import History, SessionSummary


def mixed(sessions: Sequence[SessionSummary]) -> str | None:
    """Why these sessions make no one table: several bar sizes (or markets) would interleave
    their rows; None when they are of one."""
    for what, option, values in (
        ("bar sizes", "--bar", {s.bar_size for s in sessions}),
        ("markets", "--market", {s.market for s in sessions}),
    ):
        if len(values) > 1:
            held = f"{len(values)} {what} ({', '.join(clean(v) for v in sorted(values))})"
            return f"the sessions hold {held}: pick one with {option}"
    return None


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], out: TextIO) -> None:
    lines = [tuple(header), *(tuple(row) for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        out.write("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
        out.write("\n")


def list_sessions(sessions: Sequence[SessionSummary], out: TextIO) -> int:
    """One line per session when there are few (each series holds one day, or the filters
    leave one series), else one line per symbol, bar size and market with its days."""
    if not sessions:
        out.write("no sessions stored yet\n")
        return 0
    series: dict[tuple[str, str, str], list[SessionSummary]] = {}
    for session in sessions:
        key = (clean(session.symbol), clean(session.bar_size), clean(session.market))
        series.setdefault(key, []).append(session)
    if len(series) == 1 or all(len(days) == 1 for days in series.values()):
        header = ("symbol", "day", "bar", "market", "bars", "net flow", "squeezes")
        rows = [
            (
                clean(s.symbol),
                s.day.isoformat(),
                clean(s.bar_size),
                clean(s.market),
                str(s.bars),
                money(s.net_flow),
                str(s.squeezes),
            )
            for s in sessions
        ]
        _table(header, rows, out)
        return 0
    grouped = [
        (
            symbol,
            bar,
            market,
            str(len(days)),
            min(s.day for s in days).isoformat(),
            max(s.day for s in days).isoformat(),
            str(sum(s.bars for s in days)),
            str(sum(s.squeezes for s in days)),
        )
        for (symbol, bar, market), days in sorted(series.items())
    ]
    _table(("symbol", "bar", "market", "sessions", "from", "to", "bars", "squeezes"), grouped, out)
    out.write(f"{len(sessions)} sessions; --symbol, --bar and --market list one series by day\n")
    return 0


def export_csv(history: History, sessions, out: TextIO) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for session in sorted(sessions, key=lambda s: (s.day, s.bar_size, s.market)):
        fired = history.alerts(session.id)
        symbol, bar_size = clean(session.symbol), clean(session.bar_size)
        for row in history.rows(session.id):
            alerts = ";".join(clean(alert) for alert in fired.get(row.t, []))
            writer.writerow([symbol, bar_size, iso(row.t), *csv_cells(row), alerts])
    return 0


def clean(text: str) -> str:
    """A stored string as it may be printed: what this program stores is already clean, but a
    database is a file anyone could have written (no terminal control, one bounded line)."""
    return safe_text(text, limit=64)
