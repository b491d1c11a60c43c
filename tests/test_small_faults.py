"""Config files that are folders or carry a byte order mark, and money past the largest suffix."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from hedgeflow_tui.output.format import money


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hedgeflow_tui", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
    )


@pytest.mark.parametrize("args", [["--headless", "--demo"], ["history", "--import", "x.jsonl"]])
def test_a_config_path_that_is_a_folder_is_one_line_and_status_2(tmp_path, args):
    folder = tmp_path / "config.toml"
    folder.mkdir()
    result = run_cli(*args, env={"HEDGEFLOW_CONFIG": str(folder)})
    assert result.returncode == 2
    assert result.stderr == f"hedgeflow-tui: error: config file {folder}: is a folder, not a file\n"


def test_a_config_file_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(b'\xef\xbb\xbfbar = "5m"\nhistory = false\n')
    result = run_cli(
        "SPY", "--headless", "--demo", "--date", "2026-06-12", "--start", "15:40", "--speed",
        "1200", env={"HEDGEFLOW_CONFIG": str(path)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert '"bar_size":"5m"' in result.stdout


@pytest.mark.parametrize(
    ("value", "shown", "short"),
    [
        (2e15, "+$2.00e15", "+2.00e15"),
        (-1.998e15, "−$2.00e15", "−2.00e15"),
        (1.2345e12, "+$1.23T", "+1.23T"),
        (999.96e9, "+$1.00T", "+1.00T"),
        (999.6e9, "+$999.6B", "+1.00T"),
        (999.4e9, "+$999.4B", "+999B"),
        (12.3e6, "+$12.3M", "+12.3M"),
        (9.996e6, "+$10.0M", "+10.0M"),
        (999.5, "+$1.00K", "+1.00K"),
        (840e3, "+$840.0K", "+840K"),
        (float("inf"), "—", "—"),
    ],
)
def test_money_reads_at_every_size(value, shown, short):
    assert money(value) == shown
    assert money(value, short=True) == short
