"""`hedgeflow-tui history`: list the stored sessions, export one symbol's bars as CSV, or import
recordings into the history.

    hedgeflow-tui history [--symbol SPY] [--day YYYY-MM-DD] [--bar 1m] [--market live]
    hedgeflow-tui history --symbol SPY [--day YYYY-MM-DD] --export csv
    hedgeflow-tui history --import RECORDING [RECORDING ...]
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TextIO

from hedgeflow_tui.analysis.alerting import AlertTrackers, AnyAlert
from hedgeflow_tui.api.model import iso
from hedgeflow_tui.api.safe_text import safe_text
from hedgeflow_tui.config.alert_rules import FlowRule
from hedgeflow_tui.config.checks import DATE_YEARS
from hedgeflow_tui.config.settings import ConfigError, Settings, layered
from hedgeflow_tui.engine.store import Change, Row, SessionView, Store
from hedgeflow_tui.market.bars import BAR_SIZES
from hedgeflow_tui.market.calendar import is_session
from hedgeflow_tui.market.clock import session_bounds
from hedgeflow_tui.output.format import money
from hedgeflow_tui.output.replay import CSV_COLUMNS, csv_cells
from hedgeflow_tui.storage.history import (
    History,
    HistoryError,
    HistoryFeed,
    SessionSummary,
    history_path,
    market_of,
    session_day,
)
from hedgeflow_tui.storage.recording.format import RecordingError
from hedgeflow_tui.storage.recording.reader import Recording, read_recording

MARKETS = ("live", "remote", "sim")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--day must be YYYY-MM-DD, got {text!r}") from None


def build_parser(parser_class: type[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    parser = parser_class(
        prog="hedgeflow-tui history",
        description="The sessions kept in the history database "
        f"({history_path().name} in the user data dir; HEDGEFLOW_DATA_DIR overrides the dir).",
    )
    add = parser.add_argument
    add("--symbol", type=str.upper, help="only this symbol")
    add("--day", type=_day, help="only this session day, YYYY-MM-DD")
    add("--bar", choices=BAR_SIZES, help="only this bar size")
    add(
        "--market",
        choices=MARKETS,
        help="only sessions from the live API, a --base-url server, or the simulator",
    )
    add(
        "--export",
        choices=("csv",),
        help="write the bars of --symbol (every stored day, or --day) to standard output, with "
        "the replay export's columns",
    )
    add(
        "--import",
        dest="imports",
        nargs="+",
        type=Path,
        metavar="RECORDING",
        help="load JSON-lines recordings (from --record or record_dir) into the history",
    )
    return parser


def run(argv: Sequence[str], parser_class: type[argparse.ArgumentParser]) -> int:
    parser = build_parser(parser_class)
    args = parser.parse_args(argv)
    if args.imports and args.export:
        parser.error("--import and --export cannot be used together")
    if args.export and not args.symbol:
        parser.error("--export needs --symbol")
    try:
        if args.imports:
            return _import(args.imports, layered({}), sys.stdout)
        history = History.open(write=False)
        try:
            sessions = history.sessions(args.symbol, args.day, args.bar, args.market)
            if args.export:
                mixed = _mixed(sessions)
                if mixed:
                    parser.error(f"--export: {mixed}")
                return _export(history, sessions, sys.stdout)
            if not sessions and history.sessions():
                filters = " ".join(
                    f"--{name} {value}"
                    for name, value in vars(args).items()
                    if name in ("symbol", "day", "bar", "market") and value is not None
                )
                sys.stdout.write(f"no stored session matches {filters}\n")
                return 0
            return _list(sessions, sys.stdout)
        finally:
            history.close()
    except (HistoryError, ConfigError) as error:
        parser.error(str(error))


def _mixed(sessions: Sequence[SessionSummary]) -> str | None:
    """Why these sessions make no one table: several bar sizes (or markets) would interleave
    their rows; None when they are of one."""
    for what, option, values in (
        ("bar sizes", "--bar", {s.bar_size for s in sessions}),
        ("markets", "--market", {s.market for s in sessions}),
    ):
        if len(values) > 1:
            held = f"{len(values)} {what} ({', '.join(_clean(v) for v in sorted(values))})"
            return f"the sessions hold {held}: pick one with {option}"
    return None


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], out: TextIO) -> None:
    lines = [tuple(header), *(tuple(row) for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        out.write("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
        out.write("\n")


def _list(sessions: Sequence[SessionSummary], out: TextIO) -> int:
    """One line per session when there are few (each series holds one day, or the filters
    leave one series), else one line per symbol, bar size and market with its days."""
    if not sessions:
        out.write("no sessions stored yet\n")
        return 0
    series: dict[tuple[str, str, str], list[SessionSummary]] = {}
    for session in sessions:
        key = (_clean(session.symbol), _clean(session.bar_size), _clean(session.market))
        series.setdefault(key, []).append(session)
    if len(series) == 1 or all(len(days) == 1 for days in series.values()):
        header = ("symbol", "day", "bar", "market", "bars", "net flow", "squeezes")
        rows = [
            (
                _clean(s.symbol),
                s.day.isoformat(),
                _clean(s.bar_size),
                _clean(s.market),
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


def _export(history: History, sessions, out: TextIO) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for session in sorted(sessions, key=lambda s: (s.day, s.bar_size, s.market)):
        fired = history.alerts(session.id)
        symbol, bar_size = _clean(session.symbol), _clean(session.bar_size)
        for row in history.rows(session.id):
            alerts = ";".join(_clean(alert) for alert in fired.get(row.t, []))
            writer.writerow([symbol, bar_size, iso(row.t), *csv_cells(row), alerts])
    return 0


def _clean(text: str) -> str:
    """A stored string as it may be printed: what this program stores is already clean, but a
    database is a file anyone could have written (no terminal control, one bounded line)."""
    return safe_text(text, limit=64)


def _import(paths: list[Path], settings: Settings, out: TextIO) -> int:
    recordings: list[tuple[Path, Recording]] = []
    for path in paths:
        try:
            recordings.append((path, read_recording(path)))
        except RecordingError as error:
            raise HistoryError(str(error)) from None
    history = History.open(write=True)
    try:
        if not history.writable:
            raise HistoryError(
                "the history is being written by another hedgeflow-tui: import once it exits"
            )
        for path, recording in recordings:
            before = {_key(s): s.bars for s in history.sessions()}
            imported = import_recording(
                history,
                recording,
                settings.sensitivity,
                settings.alert_rules,
                levels=settings.level_alerts,
            )
            after = {_key(s): s.bars for s in history.sessions()}
            new = len(after.keys() - before.keys())
            grown = sum(after[key] - bars for key, bars in before.items() if key in after)
            said = f"{path.name}: {new} new sessions imported"
            if imported.sessions > new:
                said += f", {imported.sessions - new} already stored ({grown} bars added)"
            if imported.refused:
                said += f", {len(imported.refused)} refused ({imported.refused[0]})"
            said += f" ({recording.skipped} lines skipped)"
            if recording.ended_early:
                said += "; the file ends early (cut off while written): read up to its last poll"
            out.write(said + "\n")
    finally:
        history.close()
    return 0


def _key(session: SessionSummary) -> tuple[str, str, date, str]:
    return (session.symbol, session.bar_size, session.day, session.market)


@dataclass
class Imported:
    sessions: int  # sessions (symbol, day, bar size) written
    refused: list[str]  # why each refused session was not


def import_recording(
    history: History,
    recording: Recording,
    sensitivity: str,
    rules: tuple[FlowRule, ...] = (),
    *,
    levels: bool = True,
) -> Imported:
    """Replay a recording through the store and detector, as the live run did, into the history.
    A session that cannot be one (its day not a trading day, bars outside its hours) is
    refused whole: found in a first pass, left out of the second, which writes."""
    header = recording.headers[0] if recording.headers else {}
    feed = HistoryFeed(history, market_of(str(header.get("source", "LIVE")), header.get("seed")))
    refused: dict[_Session, str] = {}
    written: set[_Session] = set()

    def check(view: SessionView, change: Change, alerts: list[AnyAlert]) -> None:
        session = (view.symbol, view.bar_size, view.expiration)
        problem = refused.get(session) or _inconsistency(view, change.rows)
        if problem is not None:
            refused[session] = problem

    def write(view: SessionView, change: Change, alerts: list[AnyAlert]) -> None:
        session = (view.symbol, view.bar_size, view.expiration)
        if session in refused:
            return
        feed.record(view, change.rows, alerts)
        if feed.error is not None:
            raise HistoryError(feed.error)
        if view.rows:
            written.add(session)

    alerting = (sensitivity, rules, levels)
    _replay(recording, alerting, check)
    _replay(recording, alerting, write)
    return Imported(len(written), list(refused.values()))


_Session = tuple[str, str, object]  # symbol, bar size, expiration


Alerting = tuple[str, tuple[FlowRule, ...], bool]  # sensitivity, [[alert]] rules, level alerts


def _replay(
    recording: Recording,
    alerting: Alerting,
    each: Callable[[SessionView, Change, list[AnyAlert]], None],
) -> None:
    """The recording's batches merged into a fresh store, `each` told of every change."""
    store = Store()
    trackers: dict[str, AlertTrackers] = {}  # per bar size: a recording may hold several

    def on_change(change: Change) -> None:
        if change.bar_size not in trackers:
            sensitivity, rules, levels = alerting
            trackers[change.bar_size] = AlertTrackers(store, sensitivity, rules, levels=levels)
        alerts = trackers[change.bar_size].update(change)
        view = store.session(change.symbol, change.bar_size)
        if view is not None:
            each(view, change, alerts)

    store.subscribe(on_change)
    for batch in recording.batches:
        store.apply(batch.responses)


def _inconsistency(view: SessionView, rows: Sequence[Row]) -> str | None:
    """Why a session is not one a market could have had, or None."""
    day = session_day(view)
    if day is None:
        return None
    name = f"{view.symbol} {day.isoformat()}"
    if not DATE_YEARS[0] <= day.year <= DATE_YEARS[1]:
        return f"{name}: the year is outside {DATE_YEARS[0]}..{DATE_YEARS[1]}"
    if not is_session(day):
        return f"{name}: not a trading day"
    opened, closed = session_bounds(day)
    for row in rows:
        if not opened <= row.t < closed:
            return f"{name}: a bar at {iso(row.t)} is outside the session's hours"
    return None
