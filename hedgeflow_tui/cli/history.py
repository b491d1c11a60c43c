"""`hedgeflow-tui history`: list the stored sessions, export one symbol's bars as CSV, or import
recordings into the history.

    hedgeflow-tui history [--symbol SPY] [--day YYYY-MM-DD] [--bar 1m] [--market live]
    hedgeflow-tui history --symbol SPY [--day YYYY-MM-DD] --export csv
    hedgeflow-tui history --import RECORDING [RECORDING ...]
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from hedgeflow_tui.market.bars import BAR_SIZES

if TYPE_CHECKING:  # the history, the store and the detector: imported when the command runs
    from hedgeflow_tui.config.settings import Settings
    from hedgeflow_tui.storage.history import SessionSummary

MARKETS = ("live", "remote", "sim")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--day must be YYYY-MM-DD, got {text!r}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `history` command's options."""
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


def run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from hedgeflow_tui.config.settings import ConfigError, layered
    from hedgeflow_tui.output import history_report as report
    from hedgeflow_tui.storage.history import History, HistoryError

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
                mixed = report.mixed(sessions)
                if mixed:
                    parser.error(f"--export: {mixed}")
                return report.export_csv(history, sessions, sys.stdout)
            if not sessions and history.sessions():
                filters = " ".join(
                    f"--{name} {value}"
                    for name, value in vars(args).items()
                    if name in ("symbol", "day", "bar", "market") and value is not None
                )
                sys.stdout.write(f"no stored session matches {filters}\n")
                return 0
            return report.list_sessions(sessions, sys.stdout)
        finally:
            history.close()
    except (HistoryError, ConfigError) as error:
        parser.error(str(error))


def _import(paths: list[Path], settings: Settings, out: TextIO) -> int:
    from hedgeflow_tui.storage.history import History, HistoryError
    from hedgeflow_tui.storage.history_import import import_recording
    from hedgeflow_tui.storage.recording.format import RecordingError
    from hedgeflow_tui.storage.recording.reader import Recording, read_recording

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
