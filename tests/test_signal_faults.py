"""Signals and hangups at any moment, and `--alert-cmd` children: the terminal closed during
start-up, SIGTERM, SIGHUP and SIGINT before the views are up or during a replay or an import,
commands that leave children or hang when the run ends. Real processes on real terminals."""

from __future__ import annotations

import asyncio
import errno
import io
import json
import os
import pty
import re
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from terminal import read_for
from test_hostile_commands import ALERT, _gone

from hedgeflow_tui.output.alert_command import AlertCommand
from hedgeflow_tui.storage.history import history_path
from hedgeflow_tui.ui.terminal_driver import _OutputThread

DAY = "2026-06-12"
ALT_SCREEN_ON = b"\x1b[?1049h"
DASHBOARD = ["SPY", "--demo", "--date", DAY, "--speed", "60"]


def launch(args: list[str]) -> tuple[int, int]:
    """The real command on a pseudo-terminal of its own: (pid, the terminal's master side)."""
    pid, master = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm-256color"
        os.execv(sys.executable, [sys.executable, "-m", "hedgeflow_tui", *args])
    return pid, master


def _text(seen: bytes) -> str:
    """What a terminal shows, without its control sequences (for a failure's message)."""
    return re.sub(
        r"\x1b\[[0-9;?<>=$]*[a-zA-Z]|\x1b[\]P][^\x07\x1b]*(\x07|\x1b\\)?",
        "",
        seen.decode(errors="replace"),
    )


def ended_within(pid: int, seconds: float) -> int | None:
    """The exit status (as the shell reports it: 128 + the signal that killed it), or None
    if it is still running after `seconds` (then it is killed)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            code = os.waitstatus_to_exitcode(status)
            return 128 - code if code < 0 else code
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return None


# --- the terminal closed during start-up ------------------------------------------------------


@pytest.mark.parametrize("after", [0.0, 0.1, 0.2, 0.35, 0.5, 0.8])
def test_closing_the_terminal_during_start_up_ends_the_dashboard(after):
    """`after` seconds after it took the terminal (the first frame is drawn then, the views
    mounted and the source opened over the next second), the terminal goes away: SIGHUP with
    SIGCONT, then writes fail. It ends with 129 within a second or so, never hangs."""
    pid, master = launch(DASHBOARD)
    seen = read_for(master, 30, until=ALT_SCREEN_ON)
    assert ALT_SCREEN_ON in seen
    read_for(master, after)
    os.close(master)  # the kernel hangs the terminal up
    assert ended_within(pid, 3) == 129


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
@pytest.mark.parametrize("after", [0.3, 0.6])
def test_tmux_kill_session_during_start_up_ends_the_dashboard(tmp_path, after):
    pid_file = tmp_path / "pid"
    session = f"hedgeflow-test-{os.getpid()}-{int(after * 10)}"
    command = (
        f"echo $$ > {shlex.quote(str(pid_file))}; exec {shlex.quote(sys.executable)} -m "
        f"hedgeflow_tui {' '.join(DASHBOARD)}"
    )
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "40", command])
    deadline = time.monotonic() + 30
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(after)
    subprocess.run(["tmux", "kill-session", "-t", session])
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 3
    while not _gone(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    if not _gone(pid):
        os.kill(pid, signal.SIGKILL)
        raise AssertionError("the dashboard outlived its terminal")


def test_a_sigcont_without_a_suspension_does_not_take_the_terminal_again():
    """A hangup's SIGCONT: Textual's driver started application mode (and an output thread)
    a second time."""
    pid, master = launch(DASHBOARD)
    seen = read_for(master, 30, until=b"SPY")
    seen += read_for(master, 0.5)
    os.kill(pid, signal.SIGCONT)
    seen += read_for(master, 0.5)
    os.write(master, b"q")
    assert ended_within(pid, 10) == 0
    os.close(master)
    assert seen.count(ALT_SCREEN_ON) == 1


def test_an_output_thread_whose_terminal_is_gone_never_blocks_a_writer():
    class Gone(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError(errno.EIO, "Input/output error")

    output = _OutputThread(Gone())
    output.start()

    def write_a_lot() -> None:
        for _ in range(200):
            output.write("x")

    writer = threading.Thread(target=write_a_lot, daemon=True)
    writer.start()
    writer.join(5)
    assert not writer.is_alive()  # Textual's own thread died at once: the 31st write waited
    output.stop()


# --- signals before the views are up, and SIGINT -----------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
@pytest.mark.parametrize("after", [0.0, 0.15, 0.3, 0.6])
def test_a_signal_during_start_up_ends_it_cleanly(signum, after):
    pid, master = launch(DASHBOARD)
    seen = read_for(master, 30, until=ALT_SCREEN_ON)
    seen += read_for(master, after)
    os.kill(pid, signum)
    status = ended_within(pid, 5)
    seen += read_for(master, 0.3)
    os.close(master)
    assert status == 128 + signum, _text(seen)[-3000:]
    assert b"Traceback" not in seen and b"Error" not in seen, _text(seen)[-3000:]


def test_sigint_by_kill_ends_a_running_dashboard_with_130():
    pid, master = launch(DASHBOARD)
    seen = read_for(master, 30, until=b"SPY")
    seen += read_for(master, 1.5)
    os.kill(pid, signal.SIGINT)
    status = ended_within(pid, 5)
    seen += read_for(master, 0.3)
    os.close(master)
    assert status == 130
    assert b"\x1b[?1049l" in seen.split(ALT_SCREEN_ON)[-1]  # the terminal was restored


@pytest.mark.parametrize("after", [0.0, 0.05, 0.1, 0.2])
def test_sigint_while_the_command_loads_prints_no_traceback(after):
    process = subprocess.Popen(
        [sys.executable, "-m", "hedgeflow_tui", "SPY", "--headless", "--demo", "--date", DAY],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    time.sleep(after)
    process.send_signal(signal.SIGINT)
    _, errors = process.communicate(timeout=30)
    assert process.returncode in (130, -signal.SIGINT)  # killed before Python took the signal
    assert b"Traceback" not in errors


@pytest.fixture(scope="module")
def long_recording(tmp_path_factory) -> Path:
    """A whole session at 30s bars, its polls repeated 40 times: a replay or an import of it
    takes seconds."""
    folder = tmp_path_factory.mktemp("long")
    one = folder / "one.jsonl"
    subprocess.run(
        [sys.executable, "-m", "hedgeflow_tui", "SPY", "--headless", "--demo", "--date", DAY,
         "--bar", "30s", "--start", "09:31", "--speed", "3000", "--record", str(one),
         "--no-history"],
        capture_output=True,
        check=True,
        timeout=120,
    )  # fmt: skip
    header, *polls = one.read_text().splitlines(keepends=True)
    path = folder / "long.jsonl"
    path.write_text(header + "".join(polls) * 40)
    return path


def test_sigint_during_a_headless_replay_ends_it_with_130(long_recording):
    process = subprocess.Popen(
        [sys.executable, "-m", "hedgeflow_tui", "--replay", str(long_recording), "--headless"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    time.sleep(1.5)
    process.send_signal(signal.SIGINT)
    _, errors = process.communicate(timeout=30)
    assert process.returncode == 130
    assert errors == b""


def test_sigint_during_an_import_ends_it_with_130_and_the_database_whole(long_recording):
    process = subprocess.Popen(
        [sys.executable, "-m", "hedgeflow_tui", "history", "--import", str(long_recording)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    time.sleep(2.0)
    process.send_signal(signal.SIGINT)
    out, errors = process.communicate(timeout=30)
    assert process.returncode == 130, errors
    assert errors == b"" and out == b""
    if history_path().exists():
        db = sqlite3.connect(history_path())
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        db.close()


# --- --alert-cmd: nothing outlives the run ------------------------------------------------------


async def test_children_left_in_the_background_end_with_the_command(tmp_path):
    pids = tmp_path / "pids"
    command = AlertCommand(
        f"sleep 300 >/dev/null 2>&1 & echo $! >> {pids}; sleep 300 2>&1 & echo $! >> {pids}"
    )
    for _ in range(3):
        assert await command.run(ALERT) is None
    started = [int(pid) for pid in pids.read_text().split()]
    assert len(started) == 6
    await asyncio.sleep(0.2)  # the kill is sent; the children's end is the kernel's
    assert all(_gone(pid) for pid in started)


async def test_a_child_in_a_session_of_its_own_ends_with_its_command_not_with_another(tmp_path):
    """`setsid` leaves the command's process group; the run's environment mark still finds it,
    and only its own run's: a run ending leaves another run's children alone."""
    escaped, other = tmp_path / "escaped", tmp_path / "other"
    command = AlertCommand(f"setsid sleep 300 >/dev/null 2>&1 & echo $! > {escaped}")
    lasting = AlertCommand(f"setsid sleep 300 >/dev/null 2>&1 & echo $! > {other}; sleep 300")
    running = asyncio.ensure_future(lasting.run(ALERT))
    while not other.exists() or not other.read_text().strip():  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    assert await command.run(ALERT) is None
    await asyncio.sleep(0.2)  # the kill is sent; the child's end is the kernel's
    assert _gone(int(escaped.read_text()))
    assert not _gone(int(other.read_text())), "a run's end killed another run's child"
    lasting.stop_all()
    await asyncio.wait_for(running, 5)
    await asyncio.sleep(0.2)
    assert _gone(int(other.read_text()))


async def test_stop_all_ends_every_command_running_at_once(tmp_path):
    pids = tmp_path / "pids"
    command = AlertCommand(f"echo $$ >> {pids}; sleep 300 & sleep 300")
    runs = [asyncio.ensure_future(command.run(ALERT)) for _ in range(3)]
    while not pids.exists() or len(pids.read_text().split()) < 3:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    started = time.monotonic()
    command.stop_all()
    await asyncio.wait_for(asyncio.gather(*runs), 5)
    assert time.monotonic() - started < 2
    assert all(_gone(int(pid)) for pid in pids.read_text().split())


ALERTING = ["SPY", "--date", DAY, "--start", "14:46", "--seed", "0"]  # confirms at 14:50 ET


def _command(tmp_path: Path) -> tuple[str, Path]:
    pids = tmp_path / "pids"
    escaping = f"setsid sleep 300 >/dev/null 2>&1 & echo $! >> {pids}"  # out of the group
    return f"echo $$ >> {pids}; {escaping}; sleep 300 & echo $! >> {pids}; sleep 300", pids


def test_quitting_the_dashboard_ends_its_alert_commands(tmp_path):
    command, pids = _command(tmp_path)
    pid, master = launch([*ALERTING, "--demo", "--speed", "120", "--alert-cmd", command])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (
        pids.exists() and len(pids.read_text().split()) >= 3
    ):
        read_for(master, 0.2)
    assert pids.exists(), "no alert ran a command"
    os.write(master, b"q")
    status = ended_within(pid, 20)
    seen = read_for(master, 0.3)
    os.close(master)
    assert status == 0, _text(seen)[-2000:]
    deadline = time.monotonic() + 2  # SIGKILL is sent: its end is the kernel's
    while time.monotonic() < deadline and not all(_gone(int(p)) for p in pids.read_text().split()):
        time.sleep(0.05)
    left = [p for p in pids.read_text().split() if not _gone(int(p))]
    assert not left, (pids.read_text(), [Path(f"/proc/{p}/stat").read_text()[:80] for p in left])


def test_sigterm_ends_headless_at_once_with_its_alert_commands(tmp_path):
    command, pids = _command(tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "hedgeflow_tui", *ALERTING, "--headless", "--demo", "--speed",
         "120", "--alert-cmd", command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert process.stdout is not None
    for line in process.stdout:
        record = json.loads(line)
        if record["type"] == "alert" and not record["history"]:
            break
    while not (pids.exists() and len(pids.read_text().split()) >= 3):
        time.sleep(0.05)
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=30)
    assert process.returncode == 143
    assert time.monotonic() - started < 3  # not the command's 10 s timeout
    time.sleep(0.2)
    assert all(_gone(int(p)) for p in pids.read_text().split())
