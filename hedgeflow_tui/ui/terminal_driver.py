"""Textual's Linux driver, made safe for a terminal that goes away (closed, `tmux kill-session`).

A hangup comes with SIGCONT, which Textual's driver takes for the end of a Ctrl+Z suspension:
it starts application mode again, with a second output thread. An output thread dies on its
first write to the gone terminal (EIO), and from then on every write, and at the end the
thread's stop, waited forever on its full queue: the process hung with every thread waiting on
a lock. Here SIGCONT resumes only after a suspension, and an output thread whose terminal is
gone goes on taking (and dropping) what is written, so nothing ever waits on it. POSIX only.
"""

from __future__ import annotations

from typing import Any

from textual.drivers import linux_driver  # POSIX only: not imported elsewhere
from textual.drivers._writer_thread import WriterThread


class _OutputThread(WriterThread):
    """Writes to the terminal until it is gone, then drops what it is given until stopped."""

    def run(self) -> None:
        try:
            super().run()
        except OSError:  # EIO: the terminal was closed
            while self._queue.get() is not None:
                pass


class HangupSafeDriver(linux_driver.LinuxDriver):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._suspended = False

    def start_application_mode(self) -> None:
        # the driver makes its output thread by this module-level name
        linux_driver.WriterThread = _OutputThread  # type: ignore[misc]
        try:
            super().start_application_mode()
        finally:
            linux_driver.WriterThread = WriterThread  # type: ignore[misc]

    def _sigtstp_application(self, *args: Any) -> None:
        self._suspended = True
        super()._sigtstp_application(*args)

    def _sigcont_application(self, *args: Any) -> None:
        """Resume only what Ctrl+Z suspended: a hangup's SIGCONT is not a resume."""
        if self._suspended:
            self._suspended = False
            super()._sigcont_application(*args)
