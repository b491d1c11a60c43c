"""Headless mode: the same pollers, store and detector as the dashboard, printed as JSON lines.

Ends by itself once every symbol's session has closed and all its bars are in, or when a poller
stops on a fatal error (exit 1); Ctrl-C, SIGTERM or SIGHUP end it cleanly, with the shell's
status for that signal (128 + its number: 130, 143, 129).
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Callable
from typing import TextIO

from hedgeflow_tui.analysis.detector import Alert
from hedgeflow_tui.config.settings import Settings
from hedgeflow_tui.engine.poller import Poller
from hedgeflow_tui.engine.sources import Source
from hedgeflow_tui.engine.store import Store
from hedgeflow_tui.market.clock import ET
from hedgeflow_tui.output.alert_command import AlertCommand
from hedgeflow_tui.output.jsonlines import JsonLinesSink, status_record
from hedgeflow_tui.storage.history import HistoryFeed, market_of, open_history
from hedgeflow_tui.storage.recording.writer import Recorder, close_all, recorders_for

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


async def run_headless(
    settings: Settings,
    source: Source,
    out: TextIO = sys.stdout,
    recorders: dict[str, Recorder] | None = None,
) -> int:
    """Poll every symbol until its session is over; return the process exit status. The
    recorders are opened by the caller when it wants a bad `--record` refused before starting."""
    store = Store()
    history, note = open_history(settings.history)
    if note:
        sys.stderr.write(f"hedgeflow-tui: {note}\n")
    loop = asyncio.get_running_loop()
    feed = None
    if history is not None:
        feed = HistoryFeed(
            history,
            market_of(source.kind, settings.seed),
            background=True,
            call_soon=loop.call_soon_threadsafe,
            on_problem=_say_history_problem,
        )
    sink = JsonLinesSink(store, out, settings.sensitivity, feed)
    if recorders is None:
        recorders = recorders_for(settings, source, source.clock.now().astimezone(ET).date())
    planner = source.make_planner()
    pollers, clients = [], []
    for symbol in settings.symbols:
        recorder = recorders.get(symbol)
        client = source.make_client(recorder.exchange if recorder else None)
        clients.append(client)
        pollers.append(
            Poller(
                client,
                store,
                symbol,
                settings.bar,
                source.clock,
                source=source.kind,
                minutes=settings.minutes,
                planner=planner,
                requests=settings.requests,
                on_status=sink.on_status,
                on_batch=recorder.batch if recorder else None,
            )
        )
    for poller in pollers:
        sink.write(status_record(poller.status) | {"message": source.description})
    for recorder in set(recorders.values()):
        recorder.on_failure = _say_on(
            sink, [p for p in pollers if recorders.get(p.symbol) is recorder]
        )
    alert_runs = _run_alert_commands(settings, sink, pollers)
    tasks = [asyncio.ensure_future(poller.run()) for poller in pollers]
    stop = asyncio.Event()
    stopped_by: list[int] = []  # the signal that ended the run

    def stop_on(signum: int) -> None:
        stopped_by.append(signum)
        stop.set()

    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, stop_on, signum)
    stopper = asyncio.ensure_future(stop.wait())
    try:
        while not stop.is_set() and not all(task.done() for task in tasks):
            await asyncio.wait([*tasks, stopper], return_when=asyncio.FIRST_COMPLETED)
    finally:
        for signum in STOP_SIGNALS:
            loop.remove_signal_handler(signum)
        for task in [*tasks, stopper]:
            task.cancel()
        outcomes = await asyncio.gather(*tasks, stopper, return_exceptions=True)
        if alert_runs:  # each is bounded by the command timeout
            await asyncio.gather(*alert_runs, return_exceptions=True)
        for client in clients:
            await client.aclose()
        close_all(recorders)
        if feed is not None:
            left = await asyncio.to_thread(feed.finish)  # what a locked database held back
            sink.release()
            if left:
                sys.stderr.write(f"hedgeflow-tui: {left}\n")
        if history is not None:
            history.close()
    for poller, outcome in zip(pollers, outcomes, strict=False):
        if isinstance(outcome, Exception):
            message = f"internal error: {type(outcome).__name__}: {outcome}"
            sink.write(status_record(poller.status) | {"state": "stopped", "message": message})
            return 1
    if stopped_by:
        return 128 + stopped_by[0]
    return 1 if any(p.status.state == "stopped" for p in pollers) else 0


def _say_history_problem(problem: str | None) -> None:
    if problem is not None:
        sys.stderr.write(f"hedgeflow-tui: {problem} (retried with the next poll)\n")


def _say_on(sink: JsonLinesSink, pollers: list[Poller]) -> Callable[[str], None]:
    """A status line per symbol carrying `message` (a recording that stopped, for instance)."""

    def say(message: str) -> None:
        for poller in pollers:
            sink.write(status_record(poller.status) | {"message": message})

    return say


def _run_alert_commands(
    settings: Settings, sink: JsonLinesSink, pollers: list[Poller]
) -> set[asyncio.Task[None]]:
    """Run `--alert-cmd` on every alert line that is news, as the dashboard does (not on
    `"history": true` ones, found in back-filled bars); a failure is a status line of the
    alert's symbol. Returns the runs in flight, for the end to wait on."""
    running: set[asyncio.Task[None]] = set()
    if not settings.alert_cmd:
        return running
    command = AlertCommand(settings.alert_cmd, secret=settings.api_key)
    by_symbol = {poller.symbol: poller for poller in pollers}

    async def run(alert: Alert) -> None:
        problem = await command.run(alert)
        poller = by_symbol.get(alert.symbol)
        if problem is not None and poller is not None:
            sink.write(status_record(poller.status) | {"message": problem})

    def on_alert(alert: Alert) -> None:
        if alert.history:
            return
        task = asyncio.ensure_future(run(alert))
        running.add(task)
        task.add_done_callback(running.discard)

    sink.on_alert = on_alert
    return running
