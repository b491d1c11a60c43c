"""Headless mode: the engine's updates and statuses printed as JSON lines.

Ends by itself once every symbol's session has closed and all its bars are in, or when a poller
stops on a fatal error or after `--max-retries` failed polls in a row (exit 1); Ctrl-C, SIGTERM
or SIGHUP end it cleanly, with the shell's status for that signal (128 + its number: 130, 143,
129); a reader that goes away (`| head -3`) ends it quietly with 0.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from typing import TextIO

from hedgeflow_tui.analysis.alerting import AnyAlert
from hedgeflow_tui.config.settings import Settings
from hedgeflow_tui.engine.session import FeedSession
from hedgeflow_tui.engine.sources import Source
from hedgeflow_tui.output.alert_command import AlertCommand
from hedgeflow_tui.output.jsonlines import JsonLinesSink, status_record
from hedgeflow_tui.storage.recording.writer import Recorder

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


async def run_headless(
    settings: Settings,
    source: Source,
    out: TextIO = sys.stdout,
    recorders: dict[str, Recorder] | None = None,
) -> int:
    """Poll every symbol until its session is over; return the process exit status. The
    recorders are opened by the caller when it wants a bad `--record` refused before starting."""
    session = FeedSession(settings, source, recorders=recorders)
    if session.history_note:
        sys.stderr.write(f"hedgeflow-tui: {session.history_note}\n")
    session.on_history_problem = _say_history_problem
    session.on_history_off = _say_history_off
    sink = JsonLinesSink(out, session.pipeline.history, pipeline=session.pipeline)
    session.subscribe(sink.on_update, sink.on_status)
    for status in session.statuses.values():
        sink.write(status_record(status) | {"message": source.description})

    def recording_failed(message: str, symbols: list[str]) -> None:
        for symbol in symbols:
            sink.write(status_record(session.statuses[symbol]) | {"message": message})

    session.on_recording_failed = recording_failed
    command, alert_runs = _run_alert_commands(settings, sink, session)
    tasks = [asyncio.ensure_future(session.poll(symbol)) for symbol in session.symbols]
    stop = asyncio.Event()
    stopped_by: list[int] = []  # the signal that ended the run

    def stop_on(signum: int) -> None:
        stopped_by.append(signum)
        stop.set()

    def reader_gone() -> None:
        """`| head -3` has what it wanted: end as a finished run, quietly (the interpreter's
        last flush of standard output would fail too)."""
        if out is sys.stdout:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        stop.set()

    sink.on_closed = reader_gone

    loop = asyncio.get_running_loop()
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
        if command is not None and stopped_by:  # a signal ends the run at once
            command.stop_all()
        if alert_runs:  # each is bounded by the command timeout
            await asyncio.gather(*alert_runs, return_exceptions=True)
        left = await asyncio.to_thread(session.close)  # the history's writer may wait for a lock
        sink.release()
        if left:
            sys.stderr.write(f"hedgeflow-tui: {left}\n")
    if sink.closed:
        return 0
    for symbol, outcome in zip(session.symbols, outcomes, strict=False):
        if isinstance(outcome, Exception):
            message = f"internal error: {type(outcome).__name__}: {outcome}"
            status = session.statuses[symbol]
            sink.write(status_record(status) | {"state": "stopped", "message": message})
            return 1
    if stopped_by:
        return 128 + stopped_by[0]
    return 1 if any(s.state == "stopped" for s in session.statuses.values()) else 0


def _say_history_off(note: str) -> None:
    sys.stderr.write(f"hedgeflow-tui: {note}\n")


def _say_history_problem(problem: str | None) -> None:
    if problem is not None:
        sys.stderr.write(f"hedgeflow-tui: {problem} (tried again with the next poll)\n")


def _run_alert_commands(
    settings: Settings, sink: JsonLinesSink, session: FeedSession
) -> tuple[AlertCommand | None, set[asyncio.Task[None]]]:
    """Run `--alert-cmd` on every alert line that is news, as the dashboard does (not on
    `"history": true` ones, found in back-filled bars); a failure is a status line of the
    alert's symbol. Returns the command and the runs in flight, for the end to wait on (or to
    stop)."""
    running: set[asyncio.Task[None]] = set()
    if not settings.alert_cmd:
        return None, running
    command = AlertCommand(settings.alert_cmd, secret=settings.api_key)

    async def run(alert: AnyAlert) -> None:
        problem = await command.run(alert)
        status = session.statuses.get(alert.symbol)
        if problem is not None and status is not None:
            sink.write(status_record(status) | {"message": problem})

    def on_alert(alert: AnyAlert) -> None:
        if alert.history:
            return
        task = asyncio.ensure_future(run(alert))
        running.add(task)
        task.add_done_callback(running.discard)

    sink.on_alert = on_alert
    return command, running
