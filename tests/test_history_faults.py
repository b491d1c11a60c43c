"""The history when it is not what it should be: damaged, someone else's, in a folder that cannot
be made, locked by another process, on read-only media. The run goes on, says so in one line, and
every bar it printed ends up stored where it can be."""

from __future__ import annotations

import json
import os
import shlex
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from dashboard import run_dashboard
from headless_demo import headless_demo

from hedgeflow_tui.config.settings import Settings
from hedgeflow_tui.engine.sources import open_source
from hedgeflow_tui.engine.store import Row, SessionView
from hedgeflow_tui.market.clock import FrozenClock
from hedgeflow_tui.storage.history import (
    SCHEMA_VERSION,
    History,
    HistoryError,
    HistoryFeed,
    history_path,
)
from hedgeflow_tui.storage.recording.writer import Recorder
from hedgeflow_tui.ui.live_app import LiveApp
from hedgeflow_tui.ui.widgets import FlowChart, RangeGauge

DAY = date(2026, 6, 12)
AT = datetime(2026, 6, 12, 19, 33, 30, tzinfo=UTC)


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 60):
    return subprocess.run(
        [sys.executable, "-m", "hedgeflow_tui", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def run_demo(*flags: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """A headless demo from 15:40 ET to the close (390 bars back-filled and printed)."""
    command = [*headless_demo("SPY", speed=1200, start="15:40", day=DAY), *flags]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)


def one_line(result: subprocess.CompletedProcess, code: int, words: str) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and words in result.stderr, result.stderr


def _session(day: date, bars: int = 390) -> SessionView:
    opened = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=13, minutes=30)
    rows, cum = [], 0.0
    for i in range(bars):
        flow = float((i * 7919) % 1000 - 500) * 1e4
        cum += flow
        rows.append(Row(opened + timedelta(minutes=i), flow, 0.0, flow, cum, 0.0, cum, 600.0))
    return SessionView("SPY", "1m", day, None, tuple(rows), None, False, None, rows[-1].t)


def damaged_history() -> Path:
    """30 stored SPY sessions (sim:5), then pages in the middle of the file overwritten: the
    header and the schema still read, the bars do not."""
    history = History.open()
    feed = HistoryFeed(history, "sim:5")
    for back in range(1, 31):
        view = _session(DAY - timedelta(days=back))
        feed.record(view, view.rows, [])
    history.close()
    path = history_path()
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.seek(size // 3)
        handle.write(os.urandom(size // 3))
    db = sqlite3.connect(path)
    with pytest.raises(sqlite3.DatabaseError):
        db.execute("SELECT SUM(cum_all) FROM bars").fetchall()
    db.close()
    return path


def foreign_history(version: int = SCHEMA_VERSION) -> Path:
    """Someone else's database, at our schema version (or another)."""
    path = history_path()
    path.parent.mkdir(parents=True)
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE notes (text TEXT)")
    db.execute(f"PRAGMA user_version={version}")
    db.commit()
    db.close()
    return path


@pytest.mark.parametrize("make", [damaged_history, foreign_history])
def test_the_history_command_says_what_is_wrong_in_one_line(make):
    make()
    one_line(run_cli("history"), 2, "history")
    one_line(run_cli("history", "--symbol", "SPY", "--export", "csv"), 2, "history")


@pytest.mark.parametrize("version", [SCHEMA_VERSION, 1])
def test_a_foreign_database_is_named_as_such(version):
    foreign_history(version)
    if version == SCHEMA_VERSION:  # an older one is read as not migrated yet: nothing stored
        with pytest.raises(HistoryError, match="not a hedgeflow-tui history"):
            History.open(write=False)
    with pytest.raises(HistoryError, match="not a hedgeflow-tui history"):
        History.open()  # never migrated


async def until(pilot, condition, timeout: float = 30.0) -> None:  # noqa: ASYNC109
    waited = 0.0
    while not condition():
        assert waited < timeout, "condition not reached"
        await pilot.pause(0.05)
        waited += 0.05


@pytest.mark.parametrize("make", [damaged_history, foreign_history])
async def test_the_dashboard_runs_on_with_history_off(make):
    make()
    settings = Settings(symbols=["SPY"], bar="1m", seed=5, date=DAY.isoformat())
    app = LiveApp(settings, open_source(settings, clock=FrozenClock(AT)))
    async with run_dashboard(app, size=(120, 40)) as pilot:
        await until(pilot, lambda: app.query_one(FlowChart).data is not None)
        # the gauge's read or the first write meets the damage first, as the pages fall: the
        # history is off either way
        await until(pilot, lambda: (app.history_note or "").startswith("history off:"))
        assert "history off:" in str(app.query_one(RangeGauge).render())
        assert app.session is not None and app.session.history is None
        await pilot.press("b")  # the dashboard still answers its keys
        await until(pilot, lambda: app.bar_size == "5m")
    assert app.return_code in (None, 0)


def _malformed() -> sqlite3.DatabaseError:
    error = sqlite3.DatabaseError("database disk image is malformed")
    error.sqlite_errorcode = sqlite3.SQLITE_CORRUPT  # as SQLite's own errors carry it
    return error


@pytest.mark.parametrize("on_damage", [True, False])
def test_a_write_that_finds_the_database_damaged_stops_the_feed(monkeypatch, on_damage):
    """Damage is for good: told once and the feed stops (no write retried each poll); a feed
    told of no damage keeps the bars and retries them, as for any failed write."""
    history = History.open()
    writes: list[int] = []

    def write(*args: object, **kwargs: object) -> None:
        writes.append(1)
        raise _malformed()

    monkeypatch.setattr(history, "write", write)
    told: list[Exception] = []
    problems: list[str | None] = []
    feed = HistoryFeed(
        history, "sim:5", on_problem=problems.append, on_damage=told.append if on_damage else None
    )
    first, second = _session(DAY, 10), _session(DAY, 20)
    feed.record(first, first.rows, [])
    feed.record(second, second.rows[10:], [])
    if on_damage:
        assert writes == [1] and [str(e) for e in told] == ["database disk image is malformed"]
        assert problems == [] and feed.finish() is None
    else:
        assert len(writes) == 2 and problems == [
            "history not saved: database disk image is malformed"
        ]
        assert feed.finish() == "history: 20 bars not saved: database disk image is malformed"
    history.close()


def test_headless_goes_on_without_a_history_it_finds_damaged_while_writing():
    damaged_history()
    result = run_demo("--seed", "5")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    said = result.stderr.splitlines()
    assert len(said) == 1 and said[0].startswith("hedgeflow-tui: history off: "), said
    bars = {json.loads(line)["t"] for line in result.stdout.splitlines() if '"bar"' in line}
    assert len(bars) == 390


# --- a data dir that cannot be made -----------------------------------------------------------


def _unmakeable(tmp_path: Path) -> dict[str, str]:
    blocker = tmp_path / "file"
    blocker.write_text("")
    return {**os.environ, "HEDGEFLOW_DATA_DIR": str(blocker / "sub")}


def test_headless_prints_every_bar_when_the_data_dir_cannot_be_made(tmp_path):
    env = _unmakeable(tmp_path)
    result = run_demo(env=env)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"hedgeflow-tui: history off: cannot create the folder {tmp_path / 'file' / 'sub'}: "
        "Not a directory"
    ]
    bars = {json.loads(line)["t"] for line in result.stdout.splitlines() if '"bar"' in line}
    assert len(bars) == 390


def test_the_history_command_says_the_data_dir_cannot_be_made(tmp_path):
    env = _unmakeable(tmp_path)
    recording = tmp_path / "r.jsonl"
    Recorder(recording, source="SIMULATED", description="t", bar_size="1m", symbols=[]).close()
    one_line(run_cli("history", "--import", str(recording), env=env), 2, "cannot create the folder")
    assert run_cli("history", env=env).stdout == "no sessions stored yet\n"


async def test_the_dashboard_runs_when_the_data_dir_cannot_be_made(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("HEDGEFLOW_DATA_DIR", str(blocker / "sub"))
    settings = Settings(symbols=["SPY"], bar="1m", seed=5, date=DAY.isoformat())
    app = LiveApp(settings, open_source(settings, clock=FrozenClock(AT)))
    async with run_dashboard(app, size=(120, 40)) as pilot:
        await until(pilot, lambda: app.query_one(FlowChart).data is not None)
        assert (app.history_note or "").startswith("history off: cannot create the folder")
        # not stuck "Loading SPY..." (the status follows the first data in a message of its own)
        await until(pilot, lambda: app.statuses["SPY"].state != "loading")


# --- another process holding the write lock ---------------------------------------------------


def test_a_write_lock_held_elsewhere_delays_no_line_and_loses_no_bar():
    """Another process takes the database's write lock (BEGIN IMMEDIATE) for 3 s mid-session:
    bars keep being printed meanwhile, and at the end every printed bar is stored."""
    process = subprocess.Popen(
        [sys.executable, "-m", "hedgeflow_tui", "SPY", "--headless", "--demo", "--bar", "30s",
         "--speed", "1200", "--date", DAY.isoformat(), "--start", "14:00"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    printed: list[tuple[float, dict]] = []
    locked: list[float] = []

    def hold_the_lock() -> None:
        holder = sqlite3.connect(history_path(), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        locked.append(time.monotonic())
        time.sleep(3)
        holder.execute("ROLLBACK")
        locked.append(time.monotonic())
        holder.close()

    holder = None
    for line in process.stdout:
        record = json.loads(line)
        if record["type"] == "bar":
            printed.append((time.monotonic(), record))
            if len(printed) == 60 and holder is None:
                holder = threading.Thread(target=hold_the_lock)
                holder.start()
    errors = process.stderr.read()
    assert process.wait(timeout=30) == 0, errors
    assert holder is not None
    holder.join()
    assert "Traceback" not in errors and "history not saved" in errors
    during = [r for t, r in printed if locked[0] < t < locked[1]]
    assert len(during) >= 20  # the loop went on printing while the database was locked
    history = History.open(write=False)
    stored = {
        row.t.strftime("%Y-%m-%dT%H:%M:%SZ"): row
        for session in history.sessions()
        for row in history.rows(session.id)
    }
    history.close()
    latest = {record["t"]: record for _, record in printed}
    assert len(latest) >= 240
    assert all(stored[t].cum_all == record["cum_all"] for t, record in latest.items())


# --- files and locks --------------------------------------------------------------------------


def test_the_history_files_are_private(tmp_path):
    old = os.umask(0o022)
    try:
        history = History.open()
        view = _session(DAY, 5)
        HistoryFeed(history, "sim:5").record(view, view.rows, [])
        history.close()
    finally:
        os.umask(old)
    for path in history_path().parent.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_a_lock_that_cannot_be_taken_is_not_called_another_writer():
    path = history_path()
    path.parent.mkdir(parents=True)
    (path.parent / (path.name + ".lock")).mkdir()  # a folder where the lock file goes
    history = History.open()
    assert not history.writable
    assert history.note is not None and "another hedgeflow-tui" not in history.note
    assert history.note.startswith("history read-only: cannot lock history.sqlite3.lock")
    history.close()
    other = History.open()  # ours is now blocked... by a folder, still not another writer
    assert "another" not in (other.note or "")
    other.close()


def test_a_second_writer_is_still_named_as_such():
    first = History.open()
    second = History.open()
    assert second.note == "history read-only: another hedgeflow-tui is writing it"
    second.close()
    first.close()


def _can_mount() -> bool:
    try:
        return subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode == 0
    except OSError:
        return False


@pytest.mark.skipif(not _can_mount(), reason="needs a mount namespace (unshare -m) of its own")
def test_a_history_on_read_only_media_is_listed(tmp_path):
    """The data dir bind-mounted read-only (in a mount namespace of the child's own): SQLite
    cannot make the WAL's -shm file there, so the database is read immutable."""
    history = History.open()
    view = _session(DAY, 5)
    HistoryFeed(history, "sim:5").record(view, view.rows, [])
    history.close()
    folder = shlex.quote(str(history_path().parent))
    command = f"{shlex.quote(sys.executable)} -m hedgeflow_tui history"
    result = subprocess.run(
        ["unshare", "-m", "sh", "-c",
         f"mount --bind {folder} {folder} && mount -o remount,ro,bind {folder} && {command}"],
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "SPY" in result.stdout and "sim:5" in result.stdout
