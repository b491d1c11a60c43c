"""A program run in a real pseudo-terminal, its screen read through a terminal emulator (pyte):
the keys are the bytes a terminal sends (`ESC [ D` for ←), so what the test sees is what a
person at a terminal sees, with Textual's own terminal driver, focus and mouse handling, not
the test pilot's."""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import threading
import time
from collections.abc import Callable, Iterator, Sequence

import pyte

# the bytes an xterm-like terminal sends for these keys
KEYS = {
    "left": b"\x1b[D",
    "right": b"\x1b[C",
    "up": b"\x1b[A",
    "down": b"\x1b[B",
    "home": b"\x1b[H",
    "end": b"\x1b[F",
    "escape": b"\x1b",
    "tab": b"\t",
    "space": b" ",
    "ctrl+c": b"\x03",
    "ctrl+p": b"\x10",
    "shift+right": b"\x1b[1;2C",
    "shift+left": b"\x1b[1;2D",
}


class Terminal:
    """`argv` running in a pty of `columns` x `lines`; `text()` is the screen as shown."""

    def __init__(self, argv: Sequence[str], columns: int = 120, lines: int = 40) -> None:
        self.screen = pyte.Screen(columns, lines)
        self.stream = pyte.ByteStream(self.screen)
        self.lock = threading.Lock()
        self.exit_status: int | None = None
        env = os.environ | {"TERM": "xterm-256color", "COLORTERM": "truecolor"}
        for name in ("TEXTUAL", "COLUMNS", "LINES"):  # the size is the pty's (pytest sets them)
            env.pop(name, None)
        pid, fd = pty.fork()
        if pid == 0:  # the child: the pty is its terminal
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
            os.execvpe(argv[0], list(argv), env)
        self.pid, self.fd = pid, fd
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.fd, 65536)
            except OSError:  # the child closed the pty
                return
            if not data:
                return
            with self.lock:
                try:
                    self.stream.feed(data)
                except TypeError:  # a torn escape sequence (see below)
                    # Under load a frame has reached the pty with bytes missing mid-sequence
                    # (e.g. a colour's parameters cut and a cursor move's `H` after them):
                    # pyte's parser then dies with a TypeError, and the screen would stop
                    # updating. A new parser on the same screen reads on, as a terminal does;
                    # the app's next repaint mends the torn line.
                    self.stream = pyte.ByteStream(self.screen)

    def text(self) -> str:
        with self.lock:
            return "\n".join(self.screen.display)

    def line_with(self, needle: str) -> str:
        return next((line for line in self.text().splitlines() if needle in line), "")

    def press(self, *keys: str, pause: float = 0.15) -> None:
        for key in keys:
            os.write(self.fd, KEYS.get(key, key.encode()))
            time.sleep(pause)  # a person's pace: one key at a time, not one escape sequence

    def click(self, x: int, y: int) -> None:
        """A left click at column `x`, row `y` (0-based), in the SGR mouse encoding."""
        for end in "Mm":
            os.write(self.fd, f"\x1b[<0;{x + 1};{y + 1}{end}".encode())
            time.sleep(0.05)

    def wait_for(
        self, check: Callable[[str], bool] | str, timeout: float = 30.0, what: str = ""
    ) -> str:
        test = (lambda text: check in text) if isinstance(check, str) else check
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.text()
            if test(text):
                return text
            if self.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"never shown: {what or check!r}\n{self.text()}")

    def poll(self) -> int | None:
        if self.exit_status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.exit_status = os.waitstatus_to_exitcode(status)
        return self.exit_status

    def wait_exit(self, timeout: float = 15.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if (status := self.poll()) is not None:
                return status
            time.sleep(0.05)
        raise AssertionError(f"still running after {timeout}s\n{self.text()}")

    def close(self) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        with contextlib.suppress(OSError):
            os.close(self.fd)


def read_for(master: int, seconds: float, until: bytes | None = None) -> bytes:
    """The raw bytes a pty's `master` gives for `seconds`, or until `until` is among them."""
    seen, end = b"", time.monotonic() + seconds
    while time.monotonic() < end and (until is None or until not in seen):
        ready, _, _ = select.select([master], [], [], 0.02)
        if ready:
            try:
                seen += os.read(master, 65536)
            except OSError:
                break
    return seen


@contextlib.contextmanager
def terminal(args: Sequence[str], columns: int = 120, lines: int = 40) -> Iterator[Terminal]:
    """`hedgeflow-tui ARGS` in a pty (this Python, so the test's environment)."""
    term = Terminal([sys.executable, "-m", "hedgeflow_tui", *args], columns, lines)
    try:
        yield term
    finally:
        term.close()
