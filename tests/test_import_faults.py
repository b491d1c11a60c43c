"""Recordings and databases crafted to attack or to mislead: `history --import` refuses what
cannot be a session and stores no terminal control; `history` and both CSV exports print none,
whatever a database holds; a recording cut short says so; batch lines cannot hide bars."""

from __future__ import annotations

import gzip
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hedgeflow_tui.storage.history import History, HistoryFeed, history_path

DAY = "2026-06-12"
CONTROL = ("\x1b", "\x07", "\x9b", "\u202e", "\r")


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hedgeflow_tui", *args], capture_output=True, text=True, timeout=60
    )


@pytest.fixture(scope="module")
def real_recording(tmp_path_factory) -> Path:
    """A whole simulated SPY session, recorded by the real command (one back-filling poll)."""
    folder = tmp_path_factory.mktemp("recording")
    path = folder / "session.jsonl"
    env = {**os.environ, "HEDGEFLOW_DATA_DIR": str(folder / "data")}
    subprocess.run(
        [sys.executable, "-m", "hedgeflow_tui", "SPY", "--headless", "--demo", "--date", DAY,
         "--start", "15:50", "--speed", "1200", "--record", str(path)],
        capture_output=True,
        check=True,
        env=env,
        timeout=60,
    )  # fmt: skip
    return path


def crafted(source: Path, target: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    records = [json.loads(line) for line in source.read_text().splitlines()]
    for record in records:
        edit(record)
    target.write_text("".join(json.dumps(r) + "\n" for r in records))
    return target


def refused_in_one_line(result: subprocess.CompletedProcess, words: str) -> None:
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and words in result.stderr, result.stderr
    assert not any(char in result.stderr for char in CONTROL)


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("source", "\x1b]0;owned\x07SIMULATED", "no valid source"),
        ("seed", {"\x1b[2J": 1}, "no valid seed"),
        ("seed", True, "no valid seed"),
        ("symbols", ["\x1b[31mSPY"], "no valid symbols"),
    ],
)
def test_a_header_field_carrying_control_is_refused(real_recording, tmp_path, field, value, words):
    def edit(record: dict[str, Any]) -> None:
        if record["kind"] == "header":
            record[field] = value

    path = crafted(real_recording, tmp_path / "evil.jsonl", edit)
    refused_in_one_line(run_cli("history", "--import", str(path)), words)
    assert not history_path().exists() or History.open(write=False).sessions() == []


@pytest.mark.parametrize(
    "symbol",
    ["\x1b]0;owned\x07", "SPY\u202eYPS", "S" * 200_000, "SPY\n"],
    ids=["title", "bidi", "huge", "newline"],  # an id is in the environment of the commands run
)
def test_answers_whose_symbol_is_not_a_symbol_are_skipped(real_recording, tmp_path, symbol):
    def edit(record: dict[str, Any]) -> None:
        if record["kind"] == "response" and record["endpoint"] != "account":
            record["body"]["symbol"] = symbol

    path = crafted(real_recording, tmp_path / "evil.jsonl", edit)
    answers = sum(
        1
        for line in path.read_text().splitlines()
        if json.loads(line).get("endpoint") in ("hedge-flow", "series")
    )  # every answer of the run, however many polls it took: each is skipped
    result = run_cli("history", "--import", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"evil.jsonl: 0 new sessions imported ({answers} lines skipped)\n"
    listing = run_cli("history").stdout
    assert listing == "no sessions stored yet\n"


def test_whatever_a_database_holds_is_printed_clean(tmp_path):
    """A database written by someone else: its strings never reach the terminal raw."""
    from datetime import date

    from test_history_faults import _session

    history = History.open()
    view = _session(date(2026, 6, 11), 3)
    HistoryFeed(history, "sim:5").record(view, view.rows, [])
    history.close()
    db = sqlite3.connect(history_path())
    evil = "\x1b]0;owned\x07\x1b[2J\x1b[31mEVIL\u202e"
    db.execute("UPDATE sessions SET symbol=?, market=?", (evil, evil))
    db.execute("UPDATE sessions SET bar_size=?", ("1m\x1b[5m",))
    sid = db.execute("SELECT id FROM sessions").fetchone()[0]
    t = db.execute("SELECT MIN(t) FROM bars").fetchone()[0]
    db.execute(
        "INSERT INTO alerts VALUES (?, ?, ?, ?, 3, 1.0, 'calls', 1, 1.0)",
        (sid, t, "squeeze\x1b[2J", "up\u202e"),
    )
    db.commit()
    db.close()
    listing = run_cli("history")
    exported = run_cli("history", "--symbol", "SPY", "--export", "csv")
    everything = run_cli("history", "--export", "csv", "--symbol", evil)
    for result in (listing, exported, everything):
        assert result.returncode in (0, 2), result.stderr
        assert not any(char in result.stdout + result.stderr for char in CONTROL), result
    assert "EVIL" in listing.stdout


# --- sessions that cannot be ------------------------------------------------------------------


def _expiration(day: str) -> Callable[[dict[str, Any]], None]:
    def edit(record: dict[str, Any]) -> None:
        if record["kind"] == "response" and record["endpoint"] != "account":
            record["body"]["expiration"] = day

    return edit


def _hours_earlier(hours: int) -> Callable[[dict[str, Any]], None]:
    def edit(record: dict[str, Any]) -> None:
        if record["kind"] == "response" and record["endpoint"] != "account":
            for bar in record["body"]["bars"]:
                hour = int(bar["t"][11:13]) - hours
                bar["t"] = f"{bar['t'][:11]}{hour:02d}{bar['t'][13:]}"

    return edit


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (_expiration("0001-01-01"), "outside 2000..2100"),
        (_expiration("9999-12-31"), "outside 2000..2100"),
        (_expiration("2026-06-14"), "2026-06-14: not a trading day"),  # a Sunday
        (_hours_earlier(9), "outside the session's hours"),
    ],
)
def test_import_refuses_a_session_that_cannot_be(real_recording, tmp_path, edit, words):
    path = crafted(real_recording, tmp_path / "odd.jsonl", edit)
    result = run_cli("history", "--import", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("odd.jsonl: 0 new sessions imported, 1 refused (SPY ")
    assert words in result.stdout
    assert run_cli("history").stdout == "no sessions stored yet\n"


def test_a_consistent_recording_is_still_imported(real_recording):
    result = run_cli("history", "--import", str(real_recording))
    assert result.stdout == "session.jsonl: 1 new sessions imported (0 lines skipped)\n"
    assert "SPY     2026-06-12  1m   sim:7   390" in run_cli("history").stdout


# --- batch lines and files cut short ----------------------------------------------------------


def test_a_batch_line_with_an_unknown_bar_size_hides_no_bar(real_recording, tmp_path):
    def edit(record: dict[str, Any]) -> None:
        if record["kind"] == "batch":
            record["bar_size"] = "7m"

    path = crafted(real_recording, tmp_path / "odd.jsonl", edit)
    exported = run_cli("--replay", str(path), "--export", "csv")
    replayed = run_cli("--replay", str(path), "--headless")
    assert exported.returncode == replayed.returncode == 0
    rows = exported.stdout.splitlines()[1:]
    bars = {json.loads(line)["t"] for line in replayed.stdout.splitlines() if '"bar"' in line}
    assert len(rows) == len(bars) == 390


def test_a_gzip_cut_in_half_says_the_file_ended_early(real_recording, tmp_path):
    whole = tmp_path / "whole.jsonl.gz"
    with gzip.open(whole, "wb") as handle:
        handle.write(real_recording.read_bytes())
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    result = run_cli("history", "--import", str(cut))
    assert result.returncode == 0, result.stderr
    assert "the file ends early" in result.stdout
    replayed = run_cli("--replay", str(cut), "--headless")
    assert "the file ends early" in replayed.stdout.splitlines()[-1]
    assert "ends early" not in run_cli("history", "--import", str(whole)).stdout
