"""Hostile files: `--record` targets, recordings and config files that are not what they claim.

Each ends in one line on stderr and status 2 at start, or in a visible status mid-session, never
a traceback or a hang; every file here is a real file (or FIFO, or device) on this machine.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import resource
import signal
import stat
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from hedgeflow_tui.cli.main import parse_settings
from hedgeflow_tui.config.settings import Settings
from hedgeflow_tui.output.replay import replay_headless
from hedgeflow_tui.storage.recording import reader
from hedgeflow_tui.storage.recording.format import RecordingError
from hedgeflow_tui.storage.recording.reader import RecordingStream, read_recording
from hedgeflow_tui.storage.recording.writer import Recorder

DEMO = ["SPY", "--headless", "--demo", "--date", "2026-06-12"]
HEADER = {"kind": "header", "format": "hedgeflow-recording", "version": 1, "bar_size": "1m"}


def run_cli(*args: str, timeout: float = 60, preexec=None, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hedgeflow_tui", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=preexec,
        env=env,
    )


def one_line_exit_2(result: subprocess.CompletedProcess, words: str) -> None:
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert words in result.stderr
    assert result.stdout == ""


# --- --record targets -------------------------------------------------------------------------


def test_record_refuses_a_symlink(tmp_path):
    target = tmp_path / "elsewhere.jsonl"
    target.write_text("precious\n")
    link = tmp_path / "session.jsonl"
    link.symlink_to(target)
    one_line_exit_2(run_cli(*DEMO, "--record", str(link)), "it is a symlink")
    assert target.read_text() == "precious\n"


@pytest.mark.parametrize("kind", ["fifo", "dev_full", "directory"])
def test_record_refuses_anything_but_a_regular_file(tmp_path, kind):
    if kind == "fifo":
        path = tmp_path / "pipe.jsonl"
        os.mkfifo(path)
        words = "not a regular file"
    elif kind == "dev_full":
        path = Path("/dev/full")
        words = "not a regular file"
    else:
        path = tmp_path
        words = "--record must be a file, not a folder"
    one_line_exit_2(run_cli(*DEMO, "--record", str(path), timeout=20), words)


def test_record_into_a_missing_or_read_only_directory(tmp_path):
    one_line_exit_2(
        run_cli(*DEMO, "--record", str(tmp_path / "no" / "such" / "dir.jsonl")),
        "--record must be in a folder that exists",
    )
    if os.geteuid() == 0:  # root writes anywhere chmod allows: a mount that refuses new files
        read_only, words = Path("/sys/hedgeflow-test.jsonl"), "Permission denied"
    else:
        folder = tmp_path / "ro"
        folder.mkdir(mode=0o500)
        read_only, words = folder / "x.jsonl", "--record must be in a folder you can write to"
    one_line_exit_2(run_cli(*DEMO, "--record", str(read_only)), words)


HEAVY = ("httpx", "numpy", "holidays", "textual")


@pytest.mark.parametrize("kind", ["missing folder", "file as folder", "read-only folder"])
def test_a_bad_record_path_fails_before_the_source_modules_load(tmp_path, kind):
    if kind == "missing folder":
        path, words = tmp_path / "no" / "x.jsonl", "must be in a folder that exists"
    elif kind == "file as folder":
        (tmp_path / "file").write_text("")
        path, words = tmp_path / "file" / "x.jsonl", "must be in a folder that exists"
    else:
        if os.geteuid() == 0:
            pytest.skip("root writes into a read-only folder")
        (tmp_path / "ro").mkdir(mode=0o500)
        path, words = tmp_path / "ro" / "x.jsonl", "must be in a folder you can write to"
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "hedgeflow_tui", "SPY", "--record", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if not line.startswith("import time:")]
    assert errors == [f"hedgeflow-tui: error: --record {words}, got {str(path)!r}"]
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()}
    assert not imported & set(HEAVY), imported & set(HEAVY)


@pytest.mark.parametrize("name", ["session.jsonl", "session.jsonl.gz"])
def test_a_new_recording_is_private(tmp_path, name):
    path = tmp_path / name
    old = os.umask(0o022)
    try:
        recorder = Recorder(path, source="SIMULATED", description="t", bar_size="1m", symbols=[])
        recorder.close()
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_recording(path).headers[0]["bar_size"] == "1m"


def _file_size_limit(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_disk_full_at_start_is_one_line_and_status_2(tmp_path):
    result = run_cli(*DEMO, "--record", str(tmp_path / "s.jsonl"), preexec=_file_size_limit(10))
    one_line_exit_2(result, "File too large")


def test_a_disk_full_mid_session_says_so_and_keeps_what_was_written(tmp_path):
    """The file may grow to 200 KB: the session's first polls fit, later ones do not."""
    path = tmp_path / "s.jsonl"
    result = run_cli(
        *DEMO,
        "--start",
        "15:40",
        "--speed",
        "1200",
        "--record",
        str(path),
        preexec=_file_size_limit(200_000),
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    stopped = [line for line in lines if "recording stopped" in (line.get("message") or "")]
    assert stopped and "File too large" in stopped[0]["message"]
    assert lines[-1]["state"] == "closed"  # polling went on to the end of the session
    recording = read_recording(path)
    assert recording.batches and path.stat().st_size <= 200_000


# --- recordings -------------------------------------------------------------------------------


def _write_recording(path: Path, lines: list[bytes | str]) -> None:
    data = b"".join((line if isinstance(line, bytes) else line.encode()) + b"\n" for line in lines)
    if path.suffix == ".gz":
        data = gzip.compress(data, compresslevel=1)
    path.write_bytes(data)


def _flow(bar: float, t: str = "2026-06-12T15:00:00Z") -> str:
    body = {
        "symbol": "SPY",
        "expiration": "2026-06-12",
        "as_of": "2026-06-12T15:01:00Z",
        "side": "calls",
        "bar_size": "1m",
        "bars": [{"t": t, "bar": bar, "cumulative": bar}],
    }
    return json.dumps({"kind": "response", "endpoint": "hedge-flow", "params": {}, "body": body})


BATCH = json.dumps({"kind": "batch", "symbol": "SPY", "bar_size": "1m"})


def test_a_header_without_bar_size_is_refused_in_one_line(tmp_path):
    path = tmp_path / "r.jsonl"
    _write_recording(path, [json.dumps({k: v for k, v in HEADER.items() if k != "bar_size"})])
    with pytest.raises(RecordingError, match="no valid bar_size"):
        RecordingStream(path)
    one_line_exit_2(run_cli("--replay", str(path), "--headless"), "no valid bar_size")


def test_an_over_long_line_in_a_small_gz_is_skipped_in_bounded_memory(tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "MAX_LINE", 64 * 1024)
    path = tmp_path / "r.jsonl.gz"
    huge = b'{"kind":"response","body":"' + b"x" * (16 * 1024 * 1024) + b'"}'
    _write_recording(path, [json.dumps(HEADER), huge, _flow(1.0), BATCH])
    assert path.stat().st_size < 100_000
    tracemalloc.start()
    try:
        recording = read_recording(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert recording.skipped == 1 and len(recording.batches) == 1
    assert peak < 4 * 1024 * 1024


def test_values_near_1e308_in_a_recording_are_bad_data_skipped(tmp_path):
    path = tmp_path / "r.jsonl"
    _write_recording(path, [json.dumps(HEADER), _flow(1e308), BATCH, _flow(2.0), BATCH])
    out = io.StringIO()
    assert replay_headless(Settings(), RecordingStream(path), out) == 0
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["calls"] for line in lines if line["type"] == "bar"] == [2.0]
    assert "1 unreadable lines skipped" in lines[-1]["message"]


def test_replay_streams_the_file(tmp_path):
    """Headless replay holds one poll at a time, not the file (here ~6 MB of polls)."""
    path = tmp_path / "r.jsonl"
    polls = []
    for i in range(2000):
        minute = f"2026-06-12T{13 + i // 60 % 7:02d}:{i % 60:02d}:00Z"
        polls += [_flow(float(i), minute), BATCH]
    _write_recording(path, [json.dumps(HEADER), *polls])
    tracemalloc.start()
    try:
        stream = RecordingStream(path)
        count = sum(1 for _ in stream)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 2000
    assert peak < path.stat().st_size / 4


def test_flags_the_recording_overrides_are_named_with_replay(tmp_path):
    path = tmp_path / "r.jsonl"
    _write_recording(path, [json.dumps(HEADER), _flow(1.0), BATCH])
    result = run_cli("--replay", str(path), "QQQ", "--bar", "5m", "--seed", "3", "--headless")
    assert result.returncode == 0, result.stderr
    assert result.stderr == (
        "hedgeflow-tui: warning: SYMBOL, --bar, --seed ignored with --replay: "
        "the recording sets them\n"
    )


def test_replay_refuses_a_non_regular_file():
    with pytest.raises(RecordingError, match="not a regular file"):
        RecordingStream(Path("/dev/zero"))


# --- the config file --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["fifo", "dev_zero", "huge"])
def test_the_config_file_must_be_a_small_regular_file(tmp_path, kind):
    if kind == "fifo":
        path = tmp_path / "config.toml"
        os.mkfifo(path)
        words = ": not a regular file"
    elif kind == "dev_zero":
        path = Path("/dev/zero")
        words = ": not a regular file"
    else:
        path = tmp_path / "config.toml"
        path.write_text("# padding\n" * 10_000)
        words = ": over 64 KiB"
    env = {k: v for k, v in os.environ.items() if k != "FLASHALPHA_API_KEY"}
    env["HEDGEFLOW_CONFIG"] = str(path)
    one_line_exit_2(run_cli(*DEMO, timeout=20, env=env), words)


@pytest.mark.parametrize("mode, warned", [(0o644, True), (0o640, True), (0o600, False)])
def test_a_key_in_a_config_file_others_can_read_is_warned_about(
    tmp_path, monkeypatch, capsys, mode, warned
):
    path = tmp_path / "config.toml"
    path.write_text('api_key = "sk-config-secret"\n')
    path.chmod(mode)
    monkeypatch.setenv("HEDGEFLOW_CONFIG", str(path))
    settings = parse_settings(["SPY"])
    assert settings.api_key == "sk-config-secret"
    err = capsys.readouterr().err
    assert ("holds api_key and others can read it: chmod 600 it" in err) == warned
    assert "sk-config-secret" not in err
