"""`--alert-cmd`: run a command per alert with the alert as JSON on its standard input.

The command runs in a session (process group) of its own, so a timeout kills it and every child
it started; so does its end (what it left running in the background goes with it), and
`stop_all` (the dashboard's quit, a headless run's SIGTERM, SIGHUP or Ctrl-C). A child that
makes a session of its own (`setsid`) leaves the group, and is beyond reach. At most
`MAX_RUNNING` run at once (an alert beyond that is dropped, and said); its
standard error is read in bounded memory and only its last line, cleaned, is ever shown; it never
sees the API key in its environment, nor what this package set there for itself (OWN_ENV). Used
by the dashboard and by headless mode alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal

from hedgeflow_tui import OWN_ENV
from hedgeflow_tui.analysis.alerting import AnyAlert
from hedgeflow_tui.api.safe_text import safe_text
from hedgeflow_tui.config.settings import KEY_ENV
from hedgeflow_tui.output.jsonlines import alert_record, dumps

TIMEOUT = 10.0
MAX_RUNNING = 3
MAX_OUTPUT = 4096  # bytes of standard error kept (the tail)
STDERR_GRACE = 0.5  # seconds to finish reading standard error once the command has exited
EXIT_POLL = 0.05  # seconds between looks at whether the command has exited


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

    def stop_all(self) -> None:
        """Kill every command still running, with its process group, at once."""
        for group in list(self._groups):
            _kill_group(group)

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
        try:
            process = await asyncio.create_subprocess_shell(
                self.command,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
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
            self._groups.discard(process.pid)

    async def _watch(self, process: asyncio.subprocess.Process, alert: Alert) -> str | None:
        tail = bytearray()
        reader = asyncio.ensure_future(_drain(process, tail))
        try:
            async with asyncio.timeout(self.timeout):
                await _feed(process, (dumps(alert_record(alert)) + "\n").encode())
                await _exited(process)
        except TimeoutError:
            _kill_group(process.pid)
            reader.cancel()
            await process.wait()
            return f"--alert-cmd took longer than {self.timeout:g}s and was stopped"
        _kill_group(process.pid)  # what it left running in the background goes with it
        await process.wait()  # its pipes closed
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(reader, STDERR_GRACE)
        if process.returncode != 0:
            lines = tail.decode(errors="replace").strip().splitlines()
            detail = safe_text(lines[-1], secrets=(self.secret,)) if lines else ""
            return f"--alert-cmd exited with {process.returncode}" + (
                f": {detail}" if detail else ""
            )
        return None


async def _exited(process: asyncio.subprocess.Process) -> None:
    """Until the command itself has exited: `wait` also waits for its pipes to close, which a
    child it left running in the background keeps open."""
    while process.returncode is None:  # noqa: ASYNC110 (asyncio has no other exit event)
        await asyncio.sleep(EXIT_POLL)


async def _feed(process: asyncio.subprocess.Process, data: bytes) -> None:
    """Write the alert; a command that does not read its input is not an error."""
    stdin = process.stdin
    if stdin is None:
        return
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        stdin.write(data)
        await stdin.drain()
    stdin.close()


async def _drain(process: asyncio.subprocess.Process, tail: bytearray) -> None:
    """Read standard error to its end, keeping only the last `MAX_OUTPUT` bytes."""
    if process.stderr is None:
        return
    while chunk := await process.stderr.read(65536):
        tail += chunk
        del tail[:-MAX_OUTPUT]


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
