"""Record a session, replay it: the same bar and alert lines; crashes lose at most a line."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from headless_demo import headless_demo
from stepped_clock import stepped_clock

from hedgeflow_tui.config.settings import Settings
from hedgeflow_tui.engine.sources import open_source
from hedgeflow_tui.output.headless import run_headless
from hedgeflow_tui.output.replay import replay_headless
from hedgeflow_tui.sim import SimConfig
from hedgeflow_tui.storage.recording.format import RecordingError
from hedgeflow_tui.storage.recording.reader import RecordingStream, read_recording

DAY = date(2026, 6, 12)
SPEED = 900.0


def data_lines(text: str) -> list[str]:
    """The bar and alert lines, as printed (status lines differ: they speak of the source)."""
    return [line for line in text.splitlines() if json.loads(line)["type"] in ("bar", "alert")]


async def record_session(path: Path, symbols=("SPY", "QQQ"), bar="1m", start="14:00") -> str:
    settings = Settings(
        symbols=list(symbols),
        bar=bar,
        headless=True,
        seed=0,  # SPY squeezes confirm at 11:04 and 14:50 ET
        date=DAY.isoformat(),
        start=start,
        record=path,
    )
    out = io.StringIO()
    source = open_source(settings, clock=stepped_clock(DAY, start, sleepers=len(symbols)))
    assert await run_headless(settings, source, out) == 0
    return out.getvalue()


def short_recording(folder: Path) -> Path:
    """The last half hour of a simulated session at 5m bars, recorded."""
    path = folder / "short.jsonl"
    asyncio.run(record_session(path, symbols=("SPY",), bar="5m", start="15:30"))
    return path


async def test_replay_prints_the_same_bar_and_alert_lines_as_the_live_run(tmp_path):
    path = tmp_path / "session.jsonl"
    live = await record_session(path)
    recording = read_recording(path)
    assert recording.skipped == 0 and recording.symbols == ["SPY", "QQQ"]
    out = io.StringIO()
    stream = RecordingStream(path)
    assert replay_headless(Settings(symbols=["SPY"], replay=path), stream, out) == 0
    assert data_lines(out.getvalue()) == data_lines(live)
    assert any(json.loads(line)["type"] == "alert" for line in data_lines(live))


async def test_recording_holds_no_key_header_or_query_secret(sim_server, tmp_path):
    key = "sk-very-secret-0123456789"
    clock = stepped_clock(DAY, "15:40")
    server = sim_server(config=SimConfig(seed=1, date=DAY, api_key=key), clock=clock)
    path = tmp_path / "keyed.jsonl"
    settings = Settings(
        symbols=["SPY"],
        bar="1m",
        headless=True,
        base_url=server.url,
        api_key=key,
        record=path,
    )
    out = io.StringIO()
    assert await run_headless(settings, open_source(settings, clock=clock), out) == 0
    text = path.read_text()
    assert read_recording(path).batches
    assert key not in text and "X-Api-Key".lower() not in text.lower()
    assert key not in out.getvalue()


def test_a_torn_last_line_and_unknown_records_are_skipped(tmp_path):
    source = short_recording(tmp_path)
    path = tmp_path / "torn.jsonl"
    text = source.read_text()
    path.write_text(text + '{"kind": "future-thing", "x": 1}\n' + text.splitlines()[1][:40])
    recording = read_recording(path)
    assert recording.skipped == 2
    assert len(recording.batches) == len(read_recording(source).batches)


@pytest.mark.parametrize(
    "header, message",
    [
        (
            {"kind": "header", "format": "something-else", "version": 1},
            "not a hedgeflow-tui recording",
        ),
        ({"kind": "header", "format": "hedgeflow-recording", "version": 99}, "newer"),
    ],
)
def test_unreadable_recordings_are_refused_in_one_line(tmp_path, header, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(header) + "\n")
    with pytest.raises(RecordingError, match=message):
        read_recording(path)
    result = subprocess.run(
        [sys.executable, "-m", "hedgeflow_tui", "--replay", str(path), "--headless"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("name, grown", [("killed.jsonl", 200_000), ("killed.jsonl.gz", 12_000)])
def test_a_recording_killed_mid_write_replays_up_to_its_last_whole_record(tmp_path, name, grown):
    path = tmp_path / name
    process = subprocess.Popen(
        [*headless_demo("SPY", "QQQ", bar="30s", speed=120, start="12:00"), "--record", str(path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (not path.exists() or path.stat().st_size < grown):
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    size = path.stat().st_size
    recording = read_recording(path)
    assert recording.batches, "nothing whole survived"
    assert recording.skipped <= 1
    result = subprocess.run(
        [sys.executable, "-m", "hedgeflow_tui", "--replay", str(path), "--headless"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    bars = [json.loads(line) for line in result.stdout.splitlines()]
    assert any(line["type"] == "bar" for line in bars)
    assert path.stat().st_size == size


def test_export_csv_writes_the_merged_table(tmp_path):
    source = short_recording(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "hedgeflow_tui", "--replay", str(source), "--export", "csv"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows and list(rows[0]) == [
        "symbol",
        "bar_size",
        "t",
        "calls",
        "puts",
        "all",
        "cum_calls",
        "cum_puts",
        "cum_all",
        "spot",
        "magnet",
        "pin_score",
        "pin_probability_pct",
        "charm_dollars_per_hour",
        "net_dex",
        "atm_iv",
        "gamma_flip_status",
        "alerts",
    ]
    # the series' other metrics: what the answers carried, empty where null
    assert all(row["atm_iv"] and 0 < float(row["atm_iv"]) < 3 for row in rows if row["spot"])
    assert {row["gamma_flip_status"] for row in rows if row["spot"]} <= {"available", "no_boundary"}
    assert all(row["magnet"] == "" for row in rows)  # null in the simulator's answers
    for row in rows:
        if row["calls"] and row["puts"]:
            assert float(row["all"]) == pytest.approx(float(row["calls"]) + float(row["puts"]))
    times = [row["t"] for row in rows if row["symbol"] == rows[0]["symbol"]]
    assert times == sorted(times)
