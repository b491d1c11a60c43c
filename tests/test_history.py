"""The session history: written as bars arrive, exported like a replay, imported from recordings,
kept apart per market, one writer, nothing committed lost to SIGKILL, no secret stored."""

from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from headless_demo import headless_demo
from stepped_clock import SteppedClock, stepped_clock

from hedgeflow_tui.api.model import (
    FlowBar,
    HedgeFlowResponse,
    SeriesBar,
    SeriesResponse,
    Side,
    iso,
)
from hedgeflow_tui.cli.main import main
from hedgeflow_tui.config.settings import Settings
from hedgeflow_tui.engine.pipeline import FlowPipeline
from hedgeflow_tui.engine.sources import open_source
from hedgeflow_tui.engine.store import Row, SessionView
from hedgeflow_tui.market.clock import session_bounds
from hedgeflow_tui.output.headless import run_headless
from hedgeflow_tui.output.jsonlines import JsonLinesSink
from hedgeflow_tui.sim import SimConfig
from hedgeflow_tui.storage import history as history_module
from hedgeflow_tui.storage.history import (
    SCHEMA_VERSION,
    History,
    HistoryError,
    HistoryFeed,
    history_path,
)

DAY = date(2026, 6, 12)


async def headless_session(
    tmp_path: Path, clock: SteppedClock | None = None, **overrides: Any
) -> str:
    """A headless run to the close on a stepped clock (no real waiting): the given one, shared
    with a server, or one from the simulator's start."""
    defaults: dict[str, Any] = {
        "symbols": ["SPY", "QQQ"],
        "bar": "1m",
        "headless": True,
        "seed": 0,  # SPY squeezes confirm at 11:04 and 14:50 ET
        "date": DAY.isoformat(),
        "start": "14:00",
    }
    settings = Settings(**(defaults | overrides))
    if clock is None:
        clock = stepped_clock(DAY, settings.start or "", sleepers=len(settings.symbols))
    out = io.StringIO()
    assert await run_headless(settings, open_source(settings, clock=clock), out) == 0
    return out.getvalue()


def cli(capsys, *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as stop:
        code = int(stop.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def replay_csv(capsys, path: Path, symbol: str) -> list[str]:
    """The replay's CSV of `symbol`."""
    code, out, _ = cli(capsys, "--replay", str(path), "--export", "csv")
    assert code == 0
    lines = out.splitlines()
    return [lines[0]] + [line for line in lines[1:] if line.startswith(f"{symbol},")]


async def test_a_session_is_stored_as_it_runs_and_exports_like_the_replay_csv(tmp_path, capsys):
    recording = tmp_path / "session.jsonl"
    printed = await headless_session(tmp_path, record=recording)
    code, exported, _ = cli(capsys, "history", "--symbol", "SPY", "--export", "csv")
    assert code == 0
    assert exported.splitlines() == replay_csv(capsys, recording, "SPY")  # the series'
    assert len(exported.splitlines()) == 1 + 390  # other metrics too (those the model serves)
    header, last = exported.splitlines()[0].split(","), exported.splitlines()[-1].split(",")
    assert all(last[header.index(name)] != "" for name in ("atm_iv", "gamma_flip_status"))
    alerts = [json.loads(x) for x in printed.splitlines() if '"type":"alert"' in x]
    assert alerts and "squeeze_" in exported  # the session's alerts are stored with their bars

    code, listing, _ = cli(capsys, "history")
    assert code == 0
    lines = listing.splitlines()
    assert lines[0].split() == ["symbol", "day", "bar", "market", "bars", "net", "flow", "squeezes"]
    spy = next(line.split() for line in lines if line.startswith("SPY"))
    assert spy[:5] == ["SPY", DAY.isoformat(), "1m", "sim:0", "390"]
    episodes, inside = 0, False  # an episode: from building/confirmed to ended/reversal
    for alert in (a for a in alerts if a["symbol"] == "SPY"):
        if alert["kind"] in ("squeeze_building", "squeeze_confirmed") and not inside:
            episodes, inside = episodes + 1, True
        elif alert["kind"] in ("squeeze_ended", "reversal"):
            inside = False
    assert int(spy[6]) == episodes >= 1
    assert any(line.startswith("QQQ") for line in lines)


async def test_import_of_a_recording_builds_the_same_history(tmp_path, capsys):
    recording = tmp_path / "session.jsonl.gz"
    await headless_session(tmp_path, record=recording, history=False, symbols=["SPY"])
    assert not history_path().exists()  # --no-history: nothing written
    code, out, _ = cli(capsys, "history", "--import", str(recording))
    assert code == 0 and "1 new sessions imported" in out
    code, exported, _ = cli(
        capsys, "history", "--symbol", "SPY", "--day", "2026-06-12", "--export", "csv"
    )
    assert exported.splitlines() == replay_csv(capsys, recording, "SPY")
    code, listing, _ = cli(capsys, "history", "--market", "sim")
    assert "sim:0" in listing  # the recording's header says which simulated market it was
    code, again, _ = cli(capsys, "history", "--import", str(recording))
    assert code == 0
    assert "0 new sessions imported, 1 already stored (0 bars added)" in again, again
    assert cli(capsys, "history", "--symbol", "SPY", "--export", "csv")[1] == exported  # idempotent


def test_config_file_can_turn_history_off(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text("history = false\n")
    monkeypatch.setenv("HEDGEFLOW_CONFIG", str(config))
    from hedgeflow_tui.cli.main import parse_settings

    assert parse_settings(["SPY"]).history is False
    config.write_text("")
    assert parse_settings(["SPY"]).history is True
    assert parse_settings(["SPY", "--no-history"]).history is False


@pytest.mark.parametrize(
    "args",
    [
        ("history", "--export", "csv"),
        ("history", "--day", "12/06/2026"),
        ("history", "--bar", "2m"),
        ("history", "--import", "missing.jsonl"),
    ],
)
def test_bad_history_arguments_fail_in_one_line(capsys, args):
    code, _, err = cli(capsys, *args)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "error" in err


def test_empty_history_lists_nothing(capsys):
    assert cli(capsys, "history") == (0, "no sessions stored yet\n", "")
    assert not history_path().exists()  # listing never creates the database


async def test_no_api_key_or_host_is_stored(sim_server, tmp_path):
    key = "sk-very-secret-0123456789"
    clock = stepped_clock(DAY, "15:40")
    server = sim_server(config=SimConfig(seed=1, date=DAY, api_key=key), clock=clock)
    await headless_session(
        tmp_path,
        clock,
        symbols=["SPY"],
        seed=7,
        date=None,
        start=None,
        base_url=server.url,
        api_key=key,
    )
    files = list(history_path().parent.iterdir())
    assert history_path() in files
    stored = History.open(write=False).sessions()
    assert [(s.symbol, s.market) for s in stored] == [("SPY", "remote")] and stored[0].bars > 0
    for file in files:
        data = file.read_bytes()
        for secret in (key, "127.0.0.1", "localhost", "http"):
            assert secret.encode() not in data, f"{secret} in {file.name}"


def _view(day: date, cums: list[float], symbol: str = "SPY") -> SessionView:
    opened = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=13, minutes=30)
    rows, cum = [], 0.0
    for i, flow in enumerate(cums):
        cum += flow
        t = opened + timedelta(minutes=i)
        rows.append(Row(t, flow, 0.0, flow, cum, 0.0, cum, 100.0))
    return SessionView(symbol, "1m", day, None, tuple(rows), None, False, None, rows[-1].t)


def test_sessions_of_each_market_stay_apart_and_peaks_are_running_maxima(tmp_path):
    history = History.open()
    live, sim = HistoryFeed(history, "live"), HistoryFeed(history, "sim:7")
    for back in range(1, 4):
        day = DAY - timedelta(days=back)
        view = _view(day, [1.0, -5.0, 2.0, 3.0])
        live.record(view, view.rows, [])
        view = _view(day, [100.0, 100.0, 100.0, 100.0])
        sim.record(view, view.rows, [])
    points = history.same_time("SPY", "1m", "live", DAY, timedelta(minutes=2))
    assert [(p.day, p.cum_all, p.peak) for p in points] == [
        (DAY - timedelta(days=k), -2.0, 5.0) for k in (1, 2, 3)
    ]
    assert {p.cum_all for p in history.same_time("SPY", "1m", "sim:7", DAY, timedelta(0))} == {
        100.0
    }
    # an hour in, none of them was recorded: their points are empty, not the last known value
    late = history.same_time("SPY", "1m", "live", DAY, timedelta(hours=1))
    assert all(p.cum_all is None for p in late)
    assert history.same_time("SPY", "1m", "live", DAY - timedelta(days=3), timedelta(0)) == []
    history.close()


def test_a_revised_bar_rewrites_the_later_peaks(tmp_path):
    history = History.open()
    feed = HistoryFeed(history, "live")
    view = _view(DAY, [1.0, 2.0, 3.0])
    feed.record(view, view.rows, [])
    revised = _view(DAY, [9.0, 2.0, 3.0])
    feed.record(revised, revised.rows[:1], [])
    (session,) = history.sessions()
    stored = history._query("SELECT peak FROM bars WHERE session_id=? ORDER BY t", (session.id,))
    assert [p for (p,) in stored] == [9.0, 9.0, 9.0]
    history.close()


def test_one_writer_a_second_opens_read_only_and_sees_the_data(tmp_path):
    writer = History.open()
    view = _view(DAY, [1.0, 2.0])
    HistoryFeed(writer, "live").record(view, view.rows, [])
    second = History.open()  # e.g. a second dashboard
    assert writer.writable and not second.writable
    assert second.note and "read-only" in second.note
    assert [s.bars for s in second.sessions()] == [2]
    feed = HistoryFeed(second, "live")
    feed.record(view, view.rows, [])  # a reader's feed writes nothing and does not fail
    assert feed.error is None
    view = _view(DAY, [1.0, 2.0, 3.0])
    HistoryFeed(writer, "live").record(view, view.rows[2:], [])  # the writer is not blocked
    assert [s.bars for s in second.sessions()] == [3]
    writer.close()
    third = History.open()  # the lock goes with the writer
    assert third.writable
    third.close()
    second.close()


def test_a_second_headless_run_keeps_running_without_writing(tmp_path):
    holder = History.open()
    result = subprocess.run(
        headless_demo("SPY", bar="5m", speed=3000, start="15:30"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    assert "history read-only: another hedgeflow-tui is writing it" in result.stderr
    assert '"type":"bar"' in result.stdout
    assert holder.sessions() == []
    holder.close()


def test_schema_is_versioned_and_migrated_once(tmp_path, monkeypatch):
    history = History.open()
    view = _view(DAY, [1.0])
    HistoryFeed(history, "live").record(view, view.rows, [])
    history.close()
    db = sqlite3.connect(history_path())
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()
    # a new migration applies on open and keeps the data
    extra = "CREATE INDEX bars_by_spot ON bars (spot)"
    monkeypatch.setattr(history_module, "MIGRATIONS", (*history_module.MIGRATIONS, extra))
    monkeypatch.setattr(history_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    history = History.open()
    assert history._query("PRAGMA user_version") == [(SCHEMA_VERSION + 1,)]
    assert [s.bars for s in history.sessions()] == [1]
    history.close()
    # a failing migration is rolled back whole
    broken = (*history_module.MIGRATIONS, "CREATE TABLE fine (x); CREATE TABLE bars (x)")
    monkeypatch.setattr(history_module, "MIGRATIONS", broken)
    monkeypatch.setattr(history_module, "SCHEMA_VERSION", SCHEMA_VERSION + 2)
    with pytest.raises(HistoryError):
        History.open()
    db = sqlite3.connect(history_path())
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
    assert not db.execute("SELECT name FROM sqlite_master WHERE name='fine'").fetchall()
    db.close()
    monkeypatch.setattr(history_module, "MIGRATIONS", broken[:-1])
    monkeypatch.setattr(history_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    assert History.open().writable  # and the failed open let the lock go


def test_a_newer_schema_is_refused_in_one_line(tmp_path, capsys):
    history_path().parent.mkdir(parents=True)
    db = sqlite3.connect(history_path())
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 5}")
    db.close()
    with pytest.raises(HistoryError, match="newer than this hedgeflow-tui"):
        History.open()
    code, _, err = cli(capsys, "history")
    assert code == 2 and "upgrade hedgeflow-tui" in err


STORED_FIELDS = (
    *("calls", "puts", "all", "cum_calls", "cum_puts", "cum_all"),
    *("spot", "net_gex", "gamma_flip"),
)


def stored_as_printed(row: Row, line: dict[str, Any]) -> bool:
    """Whether a bar line's values are in the stored row: each one the same, except that a value
    the line printed as unknown (null) may be stored known. A poll's bars are committed before
    their lines are printed, one line at a time, so a kill can land between the commit of a
    revision (a price that came after the flows, say) and the printing of its lines: the row is
    then a revision ahead of the line, never behind it."""
    return all(line[name] in (None, getattr(row, name)) for name in STORED_FIELDS)


def test_sigkill_loses_no_bar_already_printed(tmp_path):
    """Every bar line the process printed was committed before it was printed: after a kill -9
    each one is in the database with the values printed (or a revision filling in what the line
    left unknown), and the database is intact."""
    process = subprocess.Popen(
        headless_demo("SPY", "QQQ", bar="30s", speed=1200, start="12:00"),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    lines: list[str] = []
    bars, deadline = 0, time.monotonic() + 30
    while time.monotonic() < deadline and bars < 700:
        lines.append(process.stdout.readline())
        bars += '"type":"bar"' in lines[-1]
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    lines += process.stdout.read().splitlines(keepends=True)  # printed before the kill, unread
    printed = [json.loads(line) for line in lines if '"type":"bar"' in line and line[-1] == "\n"]
    assert len(printed) >= 700
    db = sqlite3.connect(history_path())
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    history = History.open()
    sessions = history.sessions()
    assert sorted((s.symbol, s.bar_size) for s in sessions) == [("QQQ", "30s"), ("SPY", "30s")]
    stored = {
        (session.symbol, iso(row.t)): row
        for session in sessions
        for row in history.rows(session.id)
    }
    latest = {(bar["symbol"], bar["t"]): bar for bar in printed}  # a revision is printed again
    for key, bar in latest.items():
        assert key in stored and stored_as_printed(stored[key], bar), (key, bar, stored.get(key))
    history.close()


def test_a_revision_is_stored_before_its_lines_are_printed():
    """Headless prints a bar line once its poll's bars are committed: the flows first (no price
    yet), then the price's revision of them. A kill -9 as any line is about to be printed finds
    that line's bar stored; as the revision's first line is, it finds the whole revision stored
    and older lines printed: the database is a revision ahead of the output, never behind."""
    history = History.open()
    reader = History.open(write=False)
    deferred: list[Callable[[], None]] = []  # the event loop's callbacks, run by `settle`
    feed = HistoryFeed(history, "sim:0", background=True, call_soon=deferred.append)
    pipeline = FlowPipeline("normal", feed)
    out = _KilledAtEachLine(reader)
    pipeline.subscribe(JsonLinesSink(out, feed, pipeline=pipeline).on_update)

    def settle(number: int) -> None:
        give_up = time.monotonic() + 10
        while not feed.settled(number) and time.monotonic() < give_up:
            time.sleep(0.01)
        assert feed.settled(number)
        while deferred:
            deferred.pop(0)()

    pipeline.store.apply([_flows("calls", [10.0, 25.0, 22.0]), _flows("puts", [-4.0, -6.0, -1.0])])
    settle(1)
    pipeline.store.apply([_prices([500.0, 500.5, 501.0])])
    settle(2)
    feed.finish()
    assert [(line["t"][11:16], line["spot"]) for line, _, _ in out.kills] == [
        ("13:30", None),
        ("13:31", None),
        ("13:32", None),
        ("13:30", 500.0),
        ("13:31", 500.5),
        ("13:32", 501.0),
    ]
    for line, stored, _ in out.kills:  # a line is stored before it is printed
        row = stored.get(line["t"])
        assert row is not None and (row.all, row.spot) == (line["all"], line["spot"]), line
    first, stored, shown = out.kills[3]  # killed as the revision's first line is printed
    assert [row.spot for row in stored.values()] == [500.0, 500.5, 501.0]
    assert [line["spot"] for line in shown.values()] == [None, None, None]
    assert all(stored_as_printed(stored[t], line) for t, line in shown.items())
    lost = replace(stored[first["t"]], spot=None)  # what a lost price would look like
    assert not stored_as_printed(lost, first)
    assert not stored_as_printed(stored[first["t"]], first | {"spot": 499.5})
    reader.close()
    history.close()


class _KilledAtEachLine(io.StringIO):
    """Headless mode's standard output, noting before it takes each bar line what a kill -9 at
    that moment would leave: (the line, the bars stored, the bars printed before it)."""

    def __init__(self, reader: History) -> None:
        super().__init__()
        self.reader = reader
        self.kills: list[tuple[dict[str, Any], dict[str, Row], dict[str, dict[str, Any]]]] = []
        self.shown: dict[str, dict[str, Any]] = {}

    def write(self, text: str) -> int:
        line = json.loads(text)
        if line["type"] == "bar":
            stored = {
                iso(row.t): row
                for session in self.reader.sessions()
                for row in self.reader.rows(session.id)
            }
            self.kills.append((line, stored, dict(self.shown)))
            self.shown[line["t"]] = line
        return super().write(text)


def _flows(side: Side, cums: list[float]) -> HedgeFlowResponse:
    """A hedge-flow answer for the first buckets of DAY."""
    opened = session_bounds(DAY)[0]
    bars = tuple(FlowBar(opened + timedelta(minutes=i), None, c) for i, c in enumerate(cums))
    return HedgeFlowResponse("SPY", DAY, opened + timedelta(minutes=10), side, "1m", bars)


def _prices(spots: list[float]) -> SeriesResponse:
    """A series answer with the price of the first buckets of DAY."""
    opened = session_bounds(DAY)[0]
    bars = tuple(SeriesBar(opened + timedelta(minutes=i), spot) for i, spot in enumerate(spots))
    return SeriesResponse("SPY", DAY, opened + timedelta(minutes=11), "1m", bars)


def test_demo_past_sessions_follow_the_market_calendar():
    from hedgeflow_tui.storage.demo_history import past_days

    days = past_days(date(2026, 11, 30), 5)  # the Monday after Thanksgiving
    assert days == [
        date(2026, 11, 27),  # early close, still a session
        date(2026, 11, 25),  # Thanksgiving Day (the 26th) skipped
        date(2026, 11, 24),
        date(2026, 11, 23),
        date(2026, 11, 20),
    ]


def _store_days(market: str = "live", bars=("1m", "5m"), days: int = 3) -> None:
    history = History.open()
    feed = HistoryFeed(history, market)
    for bar in bars:
        for back in range(days):
            view = _view(DAY - timedelta(days=back), [1.0, 2.0])
            feed.record(replace(view, bar_size=bar), view.rows, [])
    history.close()


def test_the_listing_groups_days_by_series_and_lists_the_days_of_one(capsys):
    _store_days()
    code, listing, _ = cli(capsys, "history")
    lines = listing.splitlines()
    assert code == 0 and len(lines) == 1 + 2 + 1, listing  # header, 2 series, the hint
    assert lines[0].split()[:4] == ["symbol", "bar", "market", "sessions"]
    assert lines[1].split()[:6] == ["SPY", "1m", "live", "3", "2026-06-10", "2026-06-12"]
    assert "--bar" in lines[-1]
    _, days, _ = cli(capsys, "history", "--bar", "5m")
    assert len(days.splitlines()) == 1 + 3 and days.splitlines()[0].split()[1] == "day"


def test_export_of_several_bar_sizes_asks_for_one(capsys):
    _store_days()
    code, _, err = cli(capsys, "history", "--symbol", "SPY", "--export", "csv")
    assert code == 2 and "2 bar sizes (1m, 5m): pick one with --bar" in err
    code, out, _ = cli(capsys, "history", "--symbol", "SPY", "--bar", "5m", "--export", "csv")
    assert code == 0 and {line.split(",")[1] for line in out.splitlines()[1:]} == {"5m"}


def test_a_filter_matching_nothing_says_so_not_that_nothing_is_stored(capsys):
    _store_days(market="sim:7", bars=("1m",), days=1)
    code, out, _ = cli(capsys, "history", "--market", "remote")
    assert code == 0 and out == "no stored session matches --market remote\n"
