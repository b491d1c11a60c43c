"""`--alert-cmd`: run a command per alert with the alert as JSON on its standard input."""

from __future__ import annotations

import asyncio

from hedgeflow_tui.detector import Alert
from hedgeflow_tui.jsonlines import alert_record, dumps

TIMEOUT = 10.0


async def run_alert_command(command: str, alert: Alert) -> str | None:
    """Run it; None when it succeeded, else one line saying what went wrong."""
    try:
        process = await asyncio.create_subprocess_shell(
            command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
    except OSError as error:
        return f"--alert-cmd could not start: {error.strerror}"
    try:
        _, stderr = await asyncio.wait_for(
            process.communicate((dumps(alert_record(alert)) + "\n").encode()), TIMEOUT
        )
    except TimeoutError:
        process.kill()
        return f"--alert-cmd took longer than {TIMEOUT:.0f}s and was stopped"
    if process.returncode != 0:
        detail = stderr.decode(errors="replace").strip().splitlines()
        reason = f": {detail[-1]}" if detail else ""
        return f"--alert-cmd exited with {process.returncode}{reason}"
    return None
