"""The dashboard in a real pseudo-terminal, driven by the bytes a terminal sends (terminal.py):
where Textual's terminal driver and the test pilot differ (the screen's auto-focus as a terminal
starts, mouse reports, key sequences), what a person types must do what the footer says."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from terminal import Terminal, terminal

pytestmark = pytest.mark.xdist_group("terminal")  # one worker: each test runs an app process

DEMO = ["--demo", "--speed", "30", "--no-history", "--date", "2026-06-12"]


def cursor_time(text: str) -> str | None:
    """The parked bar's time on the readout line (its wide form, or a narrow one)."""
    found = re.search(r"(?:cursor |^ )(\d\d:\d\d)(?::00 ET| flow/cum)", text, re.MULTILINE)
    return found.group(1) if found else None


def minutes(hhmm: str) -> int:
    return int(hhmm[:2]) * 60 + int(hhmm[3:])


def still_spy(term: Terminal) -> None:
    """The shown symbol is still the first. Waited for, not read once: on a loaded machine a
    frame has reached the emulator torn (bytes missing mid-frame, about 1 run in 25 with three
    busy loops beside it); the status line, repainted every second, mends it, while a switched
    symbol stays switched."""
    shown = term.wait_for(
        lambda text: "SPY 0DTE" in text or "QQQ 0DTE" in text, what="the shown symbol"
    )
    assert "SPY 0DTE" in shown and "QQQ 0DTE" not in shown, shown


def test_the_arrows_park_the_cursor_and_never_switch_the_symbol():
    with terminal(["SPY", "QQQ", *DEMO], 120, 40) as term:
        term.wait_for("per-bar flow", what="the first data frame")
        term.wait_for(lambda text: "←→wz View" in footer(text), what="the footer's View group")
        term.press("left")
        parked = cursor_time(term.wait_for(lambda text: cursor_time(text) is not None))
        assert parked is not None
        term.press("left", "left", "right")
        moved = cursor_time(term.wait_for(lambda text: cursor_time(text) != parked))
        assert moved is not None and minutes(moved) == minutes(parked) - 1
        still_spy(term)
        term.press("tab")
        term.wait_for("QQQ 0DTE", what="tab shows the next symbol")
        term.press("escape")
        term.wait_for(lambda text: cursor_time(text) is None, what="escape: back to the live edge")


def test_after_the_help_the_palette_or_the_overview_the_arrows_reach_the_cursor_again():
    """A screen over the dashboard gives the focus back as it closes: nothing there may keep
    it (Textual restores the focus a screen had, and focuses the first focusable widget)."""
    with terminal(["SPY", "QQQ", *DEMO], 120, 40) as term:
        term.wait_for("per-bar flow", what="the first data frame")
        for opened, shown in (("?", "escape closes"), ("ctrl+p", "Search for"), ("o", "Overview")):
            term.press(opened)
            term.wait_for(shown, what=f"{opened} opens its screen")
            term.press("escape")

            def closed(text: str, shown: str = shown) -> bool:
                return shown not in text

            term.wait_for(closed, what="escape closes it")
            term.press("left")
            term.wait_for(lambda text: cursor_time(text) is not None, what=f"← after {opened}")
            still_spy(term)
            term.press("escape")  # back to the live edge for the next round
            term.wait_for(lambda text: cursor_time(text) is None, what="esc: live edge")


def test_after_a_click_parks_the_cursor_the_arrows_move_it():
    with terminal(["SPY", *DEMO], 120, 40) as term:
        term.wait_for("per-bar flow", what="the first data frame")
        clicked = None
        for _ in range(3):  # the layout may still move as the first frames settle: click again
            lines = term.text().splitlines()
            zero = next(i for i, line in enumerate(lines) if line.lstrip().startswith("0┤"))
            term.click(30, zero)
            try:
                parked = term.wait_for(lambda text: cursor_time(text) is not None, timeout=5)
            except AssertionError:
                continue
            clicked = cursor_time(parked)
            break
        assert clicked is not None, term.text()
        term.press("left")
        before = minutes(clicked) - 1
        term.wait_for(
            lambda text: minutes(cursor_time(text) or "00:00") == before, what="← after the click"
        )


def footer(text: str) -> str:
    return text.splitlines()[-1]


def data_and_footer(keys: tuple[str, ...]) -> Callable[[str], bool]:
    """The first data frame is shown, with every one of `keys` in the footer (waited for, never
    read once: see `still_spy`)."""
    return lambda text: "per-bar flow" in text and all(key in footer(text) for key in keys)


def test_at_80_columns_the_footer_keeps_its_keys_whole_and_spares_the_rest():
    with terminal(["SPY", "QQQ", *DEMO], 80, 24) as term:
        keys = ("tab Next symbol", "←→wz View", "q Quit", "? Help", "^p palette")
        shown = footer(term.wait_for(data_and_footer(keys), what=", ".join(keys)))
        assert "s Sensitivity" not in shown and "b Bar size" not in shown  # in help, palette
        term.press("s")  # still bound
        term.wait_for("sensitivity: high", what="s still cycles the sensitivity")
    with terminal(["SPY", "QQQ", *DEMO], 120, 30) as term:
        wide = ("s Sensitivity", "b Bar size")
        term.wait_for(data_and_footer(wide), what=", ".join(wide))


def test_at_80x24_the_help_says_what_runs_the_sensitivity_and_how_to_close_it():
    with terminal(["SPY", *DEMO], 80, 24) as term:
        term.wait_for("alerts · sensitivity normal (s)", what="the sensitivity in force")
        term.press("s")
        term.wait_for("alerts · sensitivity high (s)", what="s: the next sensitivity")
        term.press("?")
        wanted = (
            "escape closes",  # how to close the help, unscrolled
            "hedgeflow-tui · simulated market",
            "Squeeze alert sensitivity now: high",
        )
        # the help's text may come a frame after its border
        term.wait_for(lambda text: all(w in text for w in wanted), what=" and ".join(wanted))
        term.press("escape")
        term.wait_for(lambda text: "escape closes" not in text, what="escape closes the help")


def test_ctrl_c_quits():
    with terminal(["SPY", *DEMO], 100, 30) as term:
        term.wait_for("per-bar flow", what="the first data frame")
        term.press("ctrl+c")
        assert term.wait_exit() == 0


@pytest.fixture(scope="module")
def two_symbol_recording(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("terminal")
    path = folder / "session.jsonl"
    run = ["SPY", "QQQ", "--headless", "--record", str(path), "--start", "15:50", *DEMO]
    run += ["--speed", "120"]  # the last --speed given counts
    subprocess.run(
        [sys.executable, "-m", "hedgeflow_tui", *run],
        check=True,
        capture_output=True,
        timeout=60,
        env=os.environ | {"HEDGEFLOW_DATA_DIR": str(folder / "data")},
    )
    return path


def poll_number(text: str) -> int:
    found = re.search(r"poll (\d+)/\d+", text)
    assert found, text
    return int(found.group(1))


def test_replay_the_arrows_step_a_paused_replay_and_keep_the_symbol(two_symbol_recording):
    with terminal(["--replay", str(two_symbol_recording), "--no-history"], 80, 24) as term:
        keys = ("tab Next symbol", "q Quit", "? Help", "←→ Step", "Start/End", "+- Speed")
        term.wait_for(data_and_footer(keys), what=", ".join(keys))
        term.press("space")  # pause
        at = poll_number(term.wait_for(lambda text: "paused" in text and "poll " in text))
        term.press("right")
        term.wait_for(f"poll {at + 1}/", what="→ steps one poll")
        term.press("right", "right", "left")
        term.wait_for(f"poll {at + 2}/", what="← steps one poll back")
        still_spy(term)
        term.press("ctrl+p")
        term.press(*"step forward")
        term.wait_for("One poll forward", what="the palette's step command")
        term.press("\r")
        term.wait_for(f"poll {at + 3}/", what="the palette's step")
