"""`hedgeflow-sim`: the simulator served over HTTP by uvicorn, loopback only unless told
otherwise."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import date
from typing import NoReturn

from hedgeflow_tui import __version__
from hedgeflow_tui.config.checks import (
    DATE_RULE,
    HHMM_RULE,
    SEED_RULE,
    SPEED_RULE,
    Rule,
    flag_error,
    flag_type,
    is_loopback,
)
from hedgeflow_tui.sim.app import (
    DEFAULT_PUBLISH_LAG,
    PLANS,
    UNKNOWN_SYMBOL_ANSWERS,
    SimConfig,
    create_app,
)
from hedgeflow_tui.sim.faults import ALL_FAULTS, KNOWN_FAULTS
from hedgeflow_tui.sim.session import DEFAULT_START, default_session_date, sim_clock

PROG = "hedgeflow-sim"
SEED = SEED_RULE
PORT = Rule(int, "a port number, 0..65535", lambda v: 0 <= v <= 65535)
SPEED = SPEED_RULE
SHARE = Rule(float, "a number in 0..1", lambda v: 0 <= v <= 1)
SECONDS = Rule(float, "a number of seconds >= 0", lambda v: v >= 0)
DATE = DATE_RULE
LAG = Rule(float, "a number of seconds in 0..60", lambda v: 0 <= v <= 60)
CACHE = Rule(float, "a number of seconds in 0..300", lambda v: 0 <= v <= 300)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{PROG}: error: {flag_error(message)}\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="A simulated 0DTE market served with the FlashAlpha "
        "API's endpoints, for hedgeflow-tui --base-url and for tests.",
    )
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    add(
        "--port",
        type=flag_type(PORT),
        default=8787,
        help="port (default 8787)",
    )
    add("--allow-remote", action="store_true", help="allow a --host that is not loopback")
    add(
        "--seed",
        type=flag_type(SEED),
        default=7,
        help="market seed (default 7)",
    )
    add(
        "--speed",
        type=flag_type(SPEED),
        default=1.0,
        help="simulated seconds per real second (default 1)",
    )
    add(
        "--start",
        type=flag_type(HHMM_RULE),
        default=DEFAULT_START,
        help=f"start time HH:MM ET (default {DEFAULT_START})",
    )
    add(
        "--date",
        type=flag_type(DATE, date.fromisoformat),
        help="session date YYYY-MM-DD (default today in New York if the NYSE calendar has a "
        "session, else the last day that had one: weekends and holidays skipped)",
    )
    add("--api-key", help="require this X-Api-Key (or HEDGEFLOW_SIM_API_KEY)")
    add(
        "--plan",
        choices=tuple(PLANS),
        default="growth",
        help="plan and daily limit (default growth)",
    )
    add(
        "--faults",
        type=flag_type(SHARE),
        default=0.0,
        help="share of hedge-flow and series requests that fail (default 0)",
    )
    add(
        "--fault-kinds",
        default=",".join(ALL_FAULTS),
        help=f"comma-separated faults to inject, of {','.join(KNOWN_FAULTS)} "
        f"(default {','.join(ALL_FAULTS)}; on series answers only: skewed_flow, flow fields "
        "that disagree with hedge-flow, and null_flow, flow fields all null)",
    )
    add(
        "--latency",
        type=flag_type(SECONDS),
        default=0.0,
        help="seconds added to every answer (default 0)",
    )
    add(
        "--publish-lag",
        type=flag_type(LAG),
        default=DEFAULT_PUBLISH_LAG,
        help="market seconds from a sample to its publication, with +-50%% jitter "
        f"(default {DEFAULT_PUBLISH_LAG:g}; 0: at once)",
    )
    add(
        "--cache",
        type=flag_type(CACHE),
        default=None,
        help="seconds an answer is cached, keyed by the full request (default: the plan's, "
        "15 on free/basic/growth, none on alpha)",
    )
    add(
        "--open-bucket",
        action="store_true",
        help="also serve the bucket still open, from the samples published so far (whether "
        "FlashAlpha does is not documented)",
    )
    add(
        "--unknown-symbol",
        choices=UNKNOWN_SYMBOL_ANSWERS,
        default="empty",
        help="how an unknown symbol is answered on hedge-flow and series: empty, a 200 with no "
        "bars as FlashAlpha documents (default), or 404 symbol_not_found",
    )
    add("--version", action="version", version=f"{PROG} {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not is_loopback(args.host) and not args.allow_remote:
        parser.error(f"--host {args.host} is not loopback: add --allow-remote to serve the network")
    kinds = tuple(k for k in args.fault_kinds.split(",") if k)
    if set(kinds) - set(KNOWN_FAULTS):
        parser.error(f"--fault-kinds: choose from {', '.join(KNOWN_FAULTS)}")
    import uvicorn

    day = args.date or default_session_date()
    config = SimConfig(
        seed=args.seed,
        date=day,
        api_key=args.api_key or os.environ.get("HEDGEFLOW_SIM_API_KEY") or None,
        plan=args.plan,
        faults=args.faults,
        fault_kinds=kinds,
        latency=args.latency,
        publish_lag=args.publish_lag,
        cache=args.cache,
        open_bucket=args.open_bucket,
        unknown_symbol=args.unknown_symbol,
    )
    app = create_app(config, sim_clock(day, args.start, args.speed))
    print(
        f"{PROG}: serving the simulated {day.isoformat()} session (seed {args.seed}, from "
        f"{args.start} ET at {args.speed:g}x) on http://{args.host}:{args.port}",
        flush=True,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
