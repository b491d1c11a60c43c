"""`--alert-cmd`: run a command per alert with the alert as JSON on its standard input.

The command runs in a session (process group) of its own, so a timeout kills it and every child
it started; so does its end (what it left running in the background goes with it), and
`stop_all` (the dashboard's quit, a headless run's SIGTERM, SIGHUP or Ctrl-C). A child that
makes a session of its own (`setsid`) leaves the group: it is found by the mark every run's
environment carries (`RUN_MARK`, inherited by all it starts) and killed too, where the system
shows a process's environment (Linux's /proc; elsewhere the group alone). At most
`MAX_RUNNING` run at once (an alert beyond that is dropped, and said); its
standard error is read in bounded memory and only its last line, cleaned, is ever shown; it never
sees the API key in its environment, nor what this package set there for itself (OWN_ENV). Used
by the dashboard and by headless mode alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
import subprocess
import time
from typing import IO

from hedgeflow_tui import OWN_ENV
from hedgeflow_tui.analysis.alerting import AnyAlert
from hedgeflow_tui.api.safe_text import safe_text
from hedgeflow_tui.config.settings import KEY_ENV
from hedgeflow_tui.output.jsonlines import alert_record, dumps

TIMEOUT = 10.0
MAX_RUNNING = 3
MAX_OUTPUT = 4096  # bytes of standard error kept (the tail)
STDERR_GRACE = 0.5  # seconds to finish reading standard error once the command has exited
EXIT_POLL = 0.05  # seconds between looks at the command (alerts are rare: no child watcher)
RUN_MARK = "HEDGEFLOW_ALERT_RUN"  # in each run's environment: "<our pid>-<command>-<run>"
_commands = itertools.count(1)


class AlertCommand:
    def __init__(
        self,
        command: str,
        *,
        timeout: float = TIMEOUT,
        max_running: int = MAX_RUNNING,
        secret: str | None = None,
    ) -> None:
        self.command = command
        self.timeout = timeout
        self.max_running = max_running
        self.secret = secret
        self.running = 0
        self._groups: set[int] = set()  # the process groups of the commands running
        self._mark = f"{os.getpid()}-{next(_commands)}-"
        self._runs = itertools.count(1)

    def stop_all(self) -> None:
        """Kill every command still running, with its process group and whatever any run
        left in a session of its own, at once."""
        for group in list(self._groups):
            _kill_group(group)
        _kill_marked(self._mark)

    async def run(self, alert: AnyAlert) -> str | None:
        """Run it for `alert`; None when it succeeded, else one clean line saying what went
        wrong."""
        if self.running >= self.max_running:
            return (
                f"--alert-cmd: {self.running} still running, "
                f"{alert.kind} alert for {alert.symbol} not sent"
            )
        self.running += 1
        try:
            return await self._run(alert)
        finally:
            self.running -= 1

    async def _run(self, alert: AnyAlert) -> str | None:
        hidden = (KEY_ENV, *OWN_ENV)
        environment = {k: v for k, v in os.environ.items() if k not in hidden}
        mark = environment[RUN_MARK] = f"{self._mark}{next(self._runs)}"
        # started at once, not awaited (a fork and exec): its group is known before anything
        # can cancel this; an awaited start cancelled by the app's quit left its children running
        try:
            process = subprocess.Popen(  # noqa: ASYNC220
                self.command,
                shell=True,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                start_new_session=True,
                env=environment,
            )
        except OSError as error:
            return f"--alert-cmd could not start: {error.strerror}"
        self._groups.add(process.pid)
        try:
            return await self._watch(process, alert)
        finally:  # ended, timed out, stopped or cancelled: nothing of it outlives it
            _kill_group(process.pid)
            _kill_marked(mark, exact=True)
            self._groups.discard(process.pid)
            _close(process)

    async def _watch(self, process: subprocess.Popen[bytes], alert: AnyAlert) -> str | None:
        """Until the command exits (or the timeout): its standard error read as it comes."""
        assert process.stdin is not None and process.stderr is not None
        _feed(process.stdin, (dumps(alert_record(alert)) + "\n").encode())
        errors = process.stderr.fileno()
        os.set_blocking(errors, False)
        tail = bytearray()
        deadline = time.monotonic() + self.timeout
        while process.poll() is None:
            _read_into(errors, tail)
            if time.monotonic() >= deadline:
                return f"--alert-cmd took longer than {self.timeout:g}s and was stopped"
            await asyncio.sleep(EXIT_POLL)
        _kill_group(process.pid)  # what it left running in the background goes with it
        grace = time.monotonic() + STDERR_GRACE
        while not _read_into(errors, tail) and time.monotonic() < grace:  # noqa: ASYNC110
            await asyncio.sleep(EXIT_POLL)
        if process.returncode != 0:
            lines = tail.decode(errors="replace").strip().splitlines()
            detail = safe_text(lines[-1], secrets=(self.secret,)) if lines else ""
            return f"--alert-cmd exited with {process.returncode}" + (
                f": {detail}" if detail else ""
            )
        return None


def _feed(stdin: IO[bytes], data: bytes) -> None:
    """Write the alert (far less than a pipe holds: it never waits); a command that does not
    read its input is not an error."""
    with contextlib.suppress(OSError):
        os.set_blocking(stdin.fileno(), False)
        os.write(stdin.fileno(), data)
    with contextlib.suppress(OSError):
        stdin.close()


def _read_into(fd: int, tail: bytearray) -> bool:
    """Read what standard error holds now, keeping its last `MAX_OUTPUT` bytes; True at its
    end (every writer gone)."""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            return False
        except OSError:
            return True
        if not chunk:
            return True
        tail += chunk
        del tail[:-MAX_OUTPUT]


def _close(process: subprocess.Popen[bytes]) -> None:
    """Close its pipes and reap it (it was killed: at once, or left to `subprocess`'s own
    reaping of the dead)."""
    for pipe in (process.stdin, process.stderr):
        if pipe is not None:
            with contextlib.suppress(OSError):
                pipe.close()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=0.1)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _kill_marked(mark: str, *, exact: bool = False) -> None:
    """Kill every process whose environment carries `RUN_MARK` with this value (`exact`) or
    starting with it; again while a round finds any, since one may fork as it dies."""
    for _ in range(5):
        marked = _marked(f"{RUN_MARK}={mark}".encode(), exact=exact)
        if not marked:
            return
        for pid in marked:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


def _marked(entry: bytes, *, exact: bool) -> list[int]:
    """The processes (not this one) with `entry` in their environment, read from /proc; none
    where there is no /proc. A zombie's environment reads empty: it is not counted."""
    try:
        names = os.listdir("/proc")
    except OSError:
        return []
    found = []
    for name in names:
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as environ:
                variables = environ.read().split(b"\0")
        except OSError:  # gone, or another user's
            continue
        if any(v == entry if exact else v.startswith(entry) for v in variables):
            found.append(int(name))
    return found
