"""Hostile commands and command-line values: `--alert-cmd` that hangs, floods or forks, values
that pass the parser but would fail later, a crashing or signalled dashboard in a real terminal.
"""

from __future__ import annotations

import asyncio
import io
import os
import pty
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from dashboard import run_dashboard
from stepped_clock import stepped_clock
from terminal import read_for

from hedgeflow_tui.analysis.detector import Alert
from hedgeflow_tui.cli.main import parse_settings
from hedgeflow_tui.config.settings import Settings
from hedgeflow_tui.engine.sources import open_source
from hedgeflow_tui.output.alert_command import AlertCommand
from hedgeflow_tui.output.headless import run_headless

ALERT = Alert(
    symbol="SPY",
    kind="squeeze_building",
    direction="up",
    t=datetime(2026, 6, 12, 19, 30, tzinfo=UTC),
    bars=5,
    run_flow=1e9,
    attribution="call-driven buying",
    price_confirms=True,
    cum_all=2e9,
)


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in "ZX"  # a zombie waiting for its reaper has stopped running


# --- --alert-cmd ------------------------------------------------------------------------------


async def test_a_timeout_kills_the_whole_process_group(tmp_path):
    pid_file = tmp_path / "child.pid"
    command = AlertCommand(f"sleep 30 & echo $! > {pid_file}; wait", timeout=0.5)
    started = time.monotonic()
    problem = await command.run(ALERT)
    assert problem == "--alert-cmd took longer than 0.5s and was stopped"
    assert time.monotonic() - started < 2
    child = int(pid_file.read_text())
    for _ in range(40):
        if _gone(child):
            break
        await asyncio.sleep(0.05)
    assert _gone(child), "the background child outlived the timeout"


async def test_at_most_a_few_commands_run_at_once():
    command = AlertCommand("sleep 0.3", max_running=2)
    results = await asyncio.gather(*(command.run(ALERT) for _ in range(3)))
    assert results[:2] == [None, None]
    assert results[2] == "--alert-cmd: 2 still running, squeeze_building alert for SPY not sent"
    assert await command.run(ALERT) is None  # the slots are free again


async def test_output_is_capped_escaped_and_scrubbed():
    script = (
        "import sys; sys.stdin.read(); sys.stderr.write('x' * 2_000_000 + "
        "'\\n\\x1b]0;title\\x07\\x1b[2J[/]bad sk-cmd-key-77\\n'); sys.exit(3)"
    )
    command = AlertCommand(f'{sys.executable} -c "{script}"', secret="sk-cmd-key-77")
    problem = await command.run(ALERT)
    assert problem is not None
    assert problem == "--alert-cmd exited with 3: ]0;title[2J[/]bad ***"


async def test_the_command_never_sees_the_api_key(tmp_path, monkeypatch):
    monkeypatch.setenv("FLASHALPHA_API_KEY", "sk-env-secret")
    out = tmp_path / "env.txt"
    command = AlertCommand(f"cat > /dev/null; env > {out}")
    assert await command.run(ALERT) is None
    environment = out.read_text()
    assert "sk-env-secret" not in environment and "PATH=" in environment


@pytest.mark.parametrize("users_setting", [None, "4"])
def test_the_command_gets_the_users_openblas_setting_not_ours(tmp_path, users_setting):
    """The package sets OPENBLAS_NUM_THREADS=1 for itself when the user has not set it; the
    user's command must see the user's environment, not that."""
    out = tmp_path / "env.txt"
    script = (
        "import asyncio, sys; from hedgeflow_tui.output.alert_command import AlertCommand; "
        "from test_hostile_commands import ALERT; "
        f"sys.exit(asyncio.run(AlertCommand('cat > /dev/null; env > {out}').run(ALERT)) or 0)"
    )
    environment = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if users_setting is not None:
        environment["OPENBLAS_NUM_THREADS"] = users_setting
    environment["PYTHONPATH"] = str(Path(__file__).parent)
    finished = subprocess.run([sys.executable, "-c", script], env=environment, timeout=60)
    assert finished.returncode == 0
    seen = [line for line in out.read_text().splitlines() if line.startswith("OPENBLAS_")]
    assert seen == ([] if users_setting is None else [f"OPENBLAS_NUM_THREADS={users_setting}"])


async def test_headless_runs_the_alert_command_on_every_alert_that_is_news(tmp_path):
    received = tmp_path / "alerts.jsonl"
    settings = Settings(
        headless=True,
        demo=True,
        seed=58,  # SPY squeezes open at 14:36 and 14:50 ET on the calibrated model
        date="2026-06-12",
        start="14:40",  # the morning's alerts are back-filled: printed as history, not sent
        alert_cmd=f"cat >> {received}",
    )
    out = io.StringIO()
    source = open_source(settings, clock=stepped_clock(date(2026, 6, 12), "14:40"))
    assert await asyncio.wait_for(run_headless(settings, source, out), 60) == 0
    printed = [line for line in out.getvalue().splitlines() if '"type":"alert"' in line]
    news = [line for line in printed if '"history":false' in line]
    assert news and len(news) < len(printed)
    # on virtual time a burst can find MAX_RUNNING commands still running: that alert is
    # dropped, and a status line says so; every other one reached the command, as printed
    dropped = [line for line in out.getvalue().splitlines() if "not sent" in line]
    got = received.read_text().splitlines()
    assert got and set(got) <= set(news)
    assert len(got) + len(dropped) == len(news)


# --- command-line values ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, words",
    [
        (["--speed", "inf"], "--speed must be a positive number up to 100000"),
        (["--speed", "1e12"], "--speed must be a positive number up to 100000"),
        (["--seed", "-5"], "--seed must be a whole number from 0 to 4294967295"),
        (["--date", "9999-12-31"], "--date must be YYYY-MM-DD in 2000..2100"),
        (["--base-url", "http://127.0.0.1:99999"], "must have a port from 1 to 65535"),
    ],
)
def test_values_that_would_fail_later_are_refused_at_start(capsys, args, words):
    with pytest.raises(SystemExit) as exit_:
        parse_settings(["SPY", *args])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err


async def test_symbols_that_are_not_textual_ids_get_their_own_tabs():
    from hedgeflow_tui.ui.live_app import LiveApp

    settings = Settings(symbols=["^SPX", "BRK.B", "SPY"], demo=True, date="2026-06-12")
    app = LiveApp(settings, open_source(settings))
    async with run_dashboard(app) as pilot:
        for _ in range(200):
            if all(s.state != "loading" for s in app.statuses.values()):
                break
            await pilot.pause(0.05)
        assert app.view_of("^SPX").symbol == "^SPX" and app.view_of("BRK.B").symbol == "BRK.B"
        await pilot.press("tab")
        await pilot.press("tab")
    assert app.return_code in (None, 0)
    assert app.statuses["BRK.B"].message.startswith("stopped: no 0DTE data for BRK.B")


# --- the dashboard in a real terminal ---------------------------------------------------------


def _in_terminal(code: str) -> tuple[int, bytes, int]:
    """Run `code` in a child on a pseudo-terminal; (pid, everything it drew so far, master fd)."""
    pid, master = pty.fork()
    if pid == 0:  # the child: a real terminal, the real CLI
        os.environ.pop("FLASHALPHA_API_KEY", None)
        os.environ["TERM"] = "xterm-256color"
        os.execv(sys.executable, [sys.executable, "-c", code])
    return pid, b"", master


def _finish(pid: int, master: int, seen: bytes, timeout: float = 15) -> tuple[int, bytes]:
    deadline = time.monotonic() + timeout
    status = None
    while time.monotonic() < deadline:
        seen += read_for(master, 0.2)
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise AssertionError("the dashboard did not end")
    seen += read_for(master, 0.2)
    os.close(master)
    return os.waitstatus_to_exitcode(status), seen


ALT_SCREEN_ON, ALT_SCREEN_OFF = b"\x1b[?1049h", b"\x1b[?1049l"
DEMO = "['SPY', '--demo', '--date', '2026-06-12', '--speed', '60']"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_restore_the_terminal(signum):
    code = f"from hedgeflow_tui.cli.main import main; raise SystemExit(main({DEMO}))"
    pid, seen, master = _in_terminal(code)
    seen += read_for(master, 30, until=b"SPY")  # the first frame, in the alternate screen
    assert ALT_SCREEN_ON in seen, seen[-300:]
    time.sleep(0.5)
    os.kill(pid, signum)
    exit_code, seen = _finish(pid, master, seen)
    assert exit_code == 128 + signum  # the shell's status for the signal: 143, 129
    assert ALT_SCREEN_OFF in seen.split(ALT_SCREEN_ON)[-1]  # left the alternate screen
    assert b"\x1b[?25h" in seen.split(ALT_SCREEN_ON)[-1]  # the cursor is shown again


def test_a_crash_in_the_dashboard_exits_non_zero():
    code = (
        "from hedgeflow_tui.ui.widgets import symbol_view\n"
        "def boom(*args, **kwargs): raise RuntimeError('boom')\n"
        "symbol_view.SymbolView.show_status = boom\n"
        f"from hedgeflow_tui.cli.main import main; raise SystemExit(main({DEMO}))\n"
    )
    pid, seen, master = _in_terminal(code)
    exit_code, seen = _finish(pid, master, seen, timeout=40)
    assert exit_code == 1
    assert b"RuntimeError" in seen and ALT_SCREEN_OFF in seen
