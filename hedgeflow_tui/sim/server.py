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
from hedgeflow_tui.checks import flag_type, hhmm, is_loopback
from hedgeflow_tui.sim.app import PLANS, SimConfig, create_app
from hedgeflow_tui.sim.faults import ALL_FAULTS
from hedgeflow_tui.sim.session import DEFAULT_START, default_session_date, sim_clock

PROG = "hedgeflow-sim"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{PROG}: error: {message}\n")
        raise SystemExit(2)


def _checked(kind, test, what: str):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what}, got {text!r}") from None
        if not test(value):
            raise argparse.ArgumentTypeError(f"{what}, got {text!r}")
        return value

    return parse


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--date must be YYYY-MM-DD, got {text!r}") from None


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
        type=_checked(int, lambda v: 0 <= v <= 65535, "--port must be 0..65535"),
        default=8787,
        help="port (default 8787)",
    )
    add("--allow-remote", action="store_true", help="allow a --host that is not loopback")
    add("--seed", type=int, default=7, help="market seed (default 7)")
    add(
        "--speed",
        type=_checked(float, lambda v: v > 0, "--speed must be a positive number"),
        default=1.0,
        help="simulated seconds per real second (default 1)",
    )
    add(
        "--start",
        type=flag_type("--start", hhmm),
        default=DEFAULT_START,
        help=f"start time HH:MM ET (default {DEFAULT_START})",
    )
    add("--date", type=_day, help="session date YYYY-MM-DD (default the latest weekday)")
    add("--api-key", help="require this X-Api-Key (or HEDGEFLOW_SIM_API_KEY)")
    add(
        "--plan",
        choices=tuple(PLANS),
        default="growth",
        help="plan and daily limit (default growth)",
    )
    add(
        "--faults",
        type=_checked(float, lambda v: 0 <= v <= 1, "--faults must be 0..1"),
        default=0.0,
        help="share of hedge-flow and series requests that fail (default 0)",
    )
    add(
        "--fault-kinds",
        default=",".join(ALL_FAULTS),
        help=f"comma-separated faults to inject (default {','.join(ALL_FAULTS)})",
    )
    add(
        "--latency",
        type=_checked(float, lambda v: v >= 0, "--latency must be >= 0"),
        default=0.0,
        help="seconds added to every answer (default 0)",
    )
    add("--version", action="version", version=f"{PROG} {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not is_loopback(args.host) and not args.allow_remote:
        parser.error(f"--host {args.host} is not loopback: add --allow-remote to serve the network")
    kinds = tuple(k for k in args.fault_kinds.split(",") if k)
    if set(kinds) - set(ALL_FAULTS):
        parser.error(f"--fault-kinds: choose from {', '.join(ALL_FAULTS)}")
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
