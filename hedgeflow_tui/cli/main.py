"""Command line: parse and check the arguments, layer them over env and config file, run.

Every bad input ends in one line on stderr (`hedgeflow-tui: error: ...`) and exit status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from hedgeflow_tui import __version__
from hedgeflow_tui.cli import history
from hedgeflow_tui.config.checks import RECORD_RULE, flag_error, flag_type
from hedgeflow_tui.config.settings import (
    REQUEST_MODES,
    RULES,
    THEMES,
    ConfigError,
    Settings,
    check_window,
    config_path,
    layered,
)
from hedgeflow_tui.market.bars import BAR_SIZES
from hedgeflow_tui.market.windows import WINDOWS

PROG = "hedgeflow-tui"


class OneLineParser(argparse.ArgumentParser):
    """argparse, but an error is one line naming what is allowed, not the usage block."""

    def error(self, message: str) -> NoReturn:
        fail(flag_error(message))


def fail(message: str) -> NoReturn:
    sys.stderr.write(f"{PROG}: error: {message}\n")
    raise SystemExit(2)


def _checked(key: str, normal: Callable[[Any], Any] = lambda v: v) -> Callable[[str], Any]:
    """The argparse type of a setting's flag: the same rule as the config file's."""
    return flag_type(RULES[key], normal)


COMMANDS = ("run", "history")  # a first word that is neither: `run`, the default


def build_parser() -> argparse.ArgumentParser:
    """`hedgeflow-tui [run] [SYMBOL ...] [options]` and `hedgeflow-tui history [options]`."""
    parser = OneLineParser(prog=PROG)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    _add_run_arguments(
        commands.add_parser(
            "run",
            prog=PROG,
            help="the dashboard, or headless JSON lines (the default command)",
            description="Real-time dashboard of 0DTE dealer hedge flow: the cumulative flow of "
            "the call and put legs over price, and a banner when a gamma squeeze builds. With "
            "no FlashAlpha key it runs on the built-in market simulator.",
            epilog=f"Config file: {config_path().name} in the user config dir (override with "
            "HEDGEFLOW_CONFIG). API key: FLASHALPHA_API_KEY or api_key in the config file. "
            "`hedgeflow-tui history --help`: the stored sessions.",
        )
    )
    history.add_arguments(
        commands.add_parser(
            "history",
            prog=f"{PROG} history",
            help="the stored sessions: list, export as CSV, import recordings",
            description="The sessions kept in the history database (in the user data dir; "
            "HEDGEFLOW_DATA_DIR overrides the dir).",
        )
    )
    return parser


def _add_run_arguments(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add(
        "symbols",
        nargs="*",
        type=_checked("symbols", str.upper),
        metavar="SYMBOL",
        help="0DTE symbols to watch, e.g. SPY QQQ SPX (default SPY)",
    )
    add(
        "--bar",
        type=_checked("bar"),
        metavar="{" + ",".join(BAR_SIZES) + "}",
        help="bar size (default 1m)",
    )
    add(
        "--window",
        type=_checked("window"),
        metavar="{" + ",".join(WINDOWS) + "}",
        help="the chart's flow: the session's cumulative (default) or the rolling sum over the "
        "last 5m, 15m, 30m or 1h, longer than the bar; the w key cycles it (headless output is "
        "the same either way)",
    )
    add(
        "--minutes",
        type=_checked("minutes"),
        help="minutes of the session to load and show, 1..390 (default 390: the whole session)",
    )
    add(
        "--headless",
        action="store_true",
        default=None,
        help="print JSON lines (status, bar, alert) instead of the dashboard",
    )
    add(
        "--demo",
        action="store_true",
        default=None,
        help="use the built-in simulator even when a key is set",
    )
    add(
        "--speed",
        type=_checked("speed"),
        help="simulated seconds per real second (default 30 on the built-in simulator: a 1m "
        "bar every 2 s); with --base-url, the --speed the hedgeflow-sim server was started with",
    )
    add("--seed", type=_checked("seed"), help="simulator seed (default 7)")
    add(
        "--plan",
        type=_checked("plan"),
        help="the built-in simulator's FlashAlpha plan (default growth; alpha adds the "
        "strike ladder)",
    )
    add(
        "--start",
        type=_checked("start"),
        help="simulator start time, HH:MM ET (default 10:30)",
    )
    add(
        "--date",
        type=_checked("date"),
        help="simulator session date, YYYY-MM-DD (default the latest weekday)",
    )
    add(
        "--base-url",
        type=_checked("base_url"),
        help="server speaking the FlashAlpha API, e.g. http://127.0.0.1:8787 "
        "(plain http only to loopback)",
    )
    add(
        "--sensitivity",
        type=_checked("sensitivity"),
        help="squeeze alert sensitivity: low (fewer, later alerts), normal (default) or high "
        "(earlier alerts, more false ones); the s key cycles it",
    )
    add("--bell", action="store_true", default=None, help="ring the terminal bell on alerts")
    add(
        "--alert-cmd",
        type=_checked("alert_cmd"),
        metavar="CMD",
        help="run CMD on every alert with the alert as JSON on its standard input",
    )
    add(
        "--theme",
        type=_checked("theme"),
        metavar="{" + ",".join(THEMES) + "}",
        help="colour theme (colorblind: blue/orange, safe for red-green colour blindness)",
    )
    add(
        "--record",
        type=flag_type(RECORD_RULE, Path),
        metavar="PATH",
        help="append every answer to PATH for replay (JSON lines, gzip-compressed when PATH ends "
        "in .gz); never records the key",
    )
    add(
        "--replay",
        type=Path,
        metavar="PATH",
        help="play a recording through the same screens (or JSON lines with --headless)",
    )
    add(
        "--export",
        choices=("csv",),
        help="with --replay: write the merged per-bar table "
        "(with the alerts each bar fired) to standard output",
    )
    add(
        "--requests",
        choices=REQUEST_MODES,
        help="requests per bar close: auto (default) one series request carrying flow and "
        "price, cross-checked against the hedge-flow endpoint at start-up, on r and hourly as "
        "the quota allows; lean: the same without the hourly checks; full: calls + puts + "
        "series (3 requests). A disagreement switches flow to the hedge-flow endpoint",
    )
    add(
        "--no-history",
        dest="history",
        action="store_false",
        default=None,
        help="do not keep this session in the history database (config: history = false)",
    )
    add(
        "--timeout",
        type=_checked("timeout"),
        help="seconds before a request times out (default 10)",
    )
    add(
        "--max-retries",
        type=_checked("max_retries"),
        metavar="N",
        help="stop a symbol after N failed polls in a row (headless then ends with 1); "
        "default: retry until the session is over",
    )
    add("--version", action="version", version=f"{PROG} {__version__}")


IGNORED_WITH_REPLAY = {
    "symbols": "SYMBOL",
    "bar": "--bar",
    "minutes": "--minutes",
    "demo": "--demo",
    "seed": "--seed",
    "plan": "--plan",
    "start": "--start",
    "date": "--date",
    "base_url": "--base-url",
    "timeout": "--timeout",
    "max_retries": "--max-retries",
}


def warn(message: str) -> None:
    sys.stderr.write(f"{PROG}: warning: {message}\n")


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    """The command and its options; the first word names the command (default `run`)."""
    args = list(argv)
    if not args or args[0] not in COMMANDS:
        args.insert(0, "run")
    return build_parser().parse_args(args)


def parse_settings(argv: Sequence[str] | None = None) -> Settings:
    """The settings of a `run`, from its options (without the command's name)."""
    args = _parse(list(sys.argv[1:] if argv is None else argv))
    return settings_of(args)


def settings_of(args: argparse.Namespace) -> Settings:
    flags = vars(args)
    flags.pop("command")
    flags["symbols"] = list(dict.fromkeys(flags["symbols"])) or None
    if flags.get("replay") is not None:
        ignored = [name for key, name in IGNORED_WITH_REPLAY.items() if flags.get(key) is not None]
        if ignored:
            warn(f"{', '.join(ignored)} ignored with --replay: the recording sets them")
    try:
        settings = layered(flags, warn=warn)
        check_window(settings)
    except ConfigError as error:
        fail(str(error))
    return settings


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:  # e.g. `| head`: the reader has what it wanted; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:  # Ctrl-C or SIGINT before a run catches it, or in a replay/import
        return 128 + signal.SIGINT  # the shell's status for it, with no traceback


def _main(argv: Sequence[str] | None) -> int:
    args = _parse(list(sys.argv[1:] if argv is None else argv))
    if args.command == "history":
        return history.run(args, build_parser())
    settings = settings_of(args)
    if settings.replay is not None:
        return _replay(settings, settings.replay)
    if settings.export is not None:
        fail("--export needs --replay PATH")
    from hedgeflow_tui.engine.sources import check_source, open_source
    from hedgeflow_tui.storage.recording.format import RecordingError

    source, recorders = None, None
    try:
        check_source(settings)
        if settings.headless or settings.record is not None or settings.record_dir:
            # a recording's header names the source: open both now, so a bad path fails here
            from hedgeflow_tui.market.clock import ET
            from hedgeflow_tui.storage.recording.writer import recorders_for

            source = open_source(settings)
            recorders = recorders_for(settings, source, source.clock.now().astimezone(ET).date())
    except (ConfigError, RecordingError) as error:
        fail(str(error))
    if settings.headless:
        from hedgeflow_tui.output.headless import run_headless

        assert source is not None
        return asyncio.run(run_headless(settings, source, recorders=recorders))
    from hedgeflow_tui.ui.live_app import LiveApp

    # without a recording to open first: paints first, then opens the source in a worker
    app = LiveApp(settings, source, recorders=recorders)
    app.run()
    return app.return_code or 0  # 1 when the app ended on an unhandled error


def _replay(settings: Settings, path: Path) -> int:
    from hedgeflow_tui.output import replay
    from hedgeflow_tui.storage.recording.format import RecordingError
    from hedgeflow_tui.storage.recording.index import RecordingIndex
    from hedgeflow_tui.storage.recording.reader import RecordingStream

    if settings.record is not None:
        fail("--record and --replay cannot be used together")
    try:
        if settings.export == "csv":
            stream = RecordingStream(path)
            return replay.export_csv(
                settings.sensitivity,
                stream,
                sys.stdout,
                settings.alert_rules,
                levels=settings.level_alerts,
            )
        if settings.headless:
            return replay.replay_headless(settings, RecordingStream(path), sys.stdout)
        recording = RecordingIndex(path)
    except RecordingError as error:
        fail(str(error))
    from hedgeflow_tui.ui.replay_app import ReplayApp

    with recording:
        replay_app = ReplayApp(settings, recording)
        replay_app.run()
    return replay_app.return_code or 0
