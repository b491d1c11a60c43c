"""The NYSE calendar everywhere: holidays and early closes in the clock, the simulator, the
poller's status and headless mode."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime

import httpx

from hedgeflow_tui.config.settings import Settings
from hedgeflow_tui.engine.sources import open_source
from hedgeflow_tui.market import calendar as market_calendar
from hedgeflow_tui.market.calendar import (
    closed_reason,
    closed_today_text,
    is_session,
    next_session,
)
from hedgeflow_tui.market.clock import ET, FrozenClock, session_bounds
from hedgeflow_tui.output.headless import run_headless
from hedgeflow_tui.sim import SimConfig, default_session_date, simulate_session

THANKSGIVING = date(2026, 11, 26)
DAY_AFTER = date(2026, 11, 27)  # a 13:00 ET early close


def test_holidays_and_early_closes_come_from_the_calendar():
    assert closed_reason(THANKSGIVING) == "Thanksgiving Day" and not is_session(THANKSGIVING)
    assert closed_reason(date(2026, 11, 28)) == "weekend"
    assert is_session(DAY_AFTER) and next_session(THANKSGIVING) == DAY_AFTER
    assert closed_today_text(THANKSGIVING) == (
        "closed today: Thanksgiving Day; next session Fri 2026-11-27 09:30 ET, early close 13:00"
    )
    assert closed_today_text(DAY_AFTER) is None
    open_, close = session_bounds(DAY_AFTER)
    assert (open_.astimezone(ET).hour, close.astimezone(ET).hour) == (9, 13)
    assert session_bounds(date(2026, 6, 12))[1].astimezone(ET).hour == 16
    assert default_session_date(THANKSGIVING) == date(2026, 11, 25)


def test_the_simulator_plays_a_1300_session_on_an_early_close():
    path = simulate_session("SPY", DAY_AFTER, 3)
    assert len(path.spot) == 210 * 2  # 09:30-13:00 in 30 s samples
    assert path.spot.all()


def test_the_server_has_no_bars_on_a_holiday_and_stops_at_1300_on_an_early_close(sim_server):
    holiday = sim_server(
        config=SimConfig(date=THANKSGIVING),
        clock=FrozenClock(datetime(2026, 11, 26, 18, 0, tzinfo=UTC)),
    )
    early = sim_server(
        config=SimConfig(date=DAY_AFTER),
        clock=FrozenClock(datetime(2026, 11, 27, 21, 0, tzinfo=UTC)),
    )
    url = "/v1/flow/zero-dte/hedge-flow/SPY"
    params: dict[str, str | int] = {"bar": "1m", "minutes": 390}
    assert httpx.get(holiday.url + url, params=params).json()["bars"] == []
    bars = httpx.get(early.url + url, params=params).json()["bars"]
    assert len(bars) == 210 and bars[-1]["t"] == "2026-11-27T17:59:00Z"


async def test_headless_on_a_holiday_says_why_and_when_and_ends_with_0():
    settings = Settings(
        symbols=["SPY"], headless=True, demo=True, date=THANKSGIVING.isoformat(), speed=900.0
    )
    out = io.StringIO()
    assert await run_headless(settings, open_source(settings), out) == 0
    assert (
        '"state":"no_session","message":"closed today: Thanksgiving Day; next session '
        'Fri 2026-11-27 09:30 ET, early close 13:00"' in out.getvalue()
    )


CALENDAR_PROBE = """
import sys
from datetime import date
from hedgeflow_tui.market.calendar import close_time, closed_reason
print(closed_reason(date(2026, 11, 26)), close_time(date(2026, 11, 27)), "holidays" in sys.modules)
"""


def _probe_calendar(cache_dir) -> tuple[str, bool]:
    env = dict(os.environ, HEDGEFLOW_CACHE_DIR=str(cache_dir))
    out = subprocess.run(
        [sys.executable, "-c", CALENDAR_PROBE], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    return " ".join(out[:-1]), out[-1] == "True"


def test_a_years_calendar_is_cached_and_later_runs_need_not_import_the_library(tmp_path):
    first, imported = _probe_calendar(tmp_path)
    assert first == "Thanksgiving Day 13:00:00" and imported
    assert [path.name for path in tmp_path.iterdir()] == ["nyse-2026.json"]
    again, imported = _probe_calendar(tmp_path)
    assert again == first and not imported


def test_a_stale_or_broken_cache_is_recomputed_from_the_library(tmp_path, monkeypatch):
    monkeypatch.setenv("HEDGEFLOW_CACHE_DIR", str(tmp_path))
    cached = tmp_path / "nyse-2026.json"
    market_calendar._year.cache_clear()
    expected = market_calendar._year(2026)
    assert expected[0][THANKSGIVING] == "Thanksgiving Day" and DAY_AFTER in expected[1]
    data = json.loads(cached.read_text())
    data["closed"] = {}  # as cached by another version of the library: not believed
    data["library"] = "another holidays"
    cached.write_text(json.dumps(data))
    for broken in (None, "{not json", "[]"):
        if broken is not None:
            cached.write_text(broken)
        market_calendar._year.cache_clear()
        assert market_calendar._year(2026) == expected
        assert json.loads(cached.read_text())["closed"][THANKSGIVING.isoformat()]
    market_calendar._year.cache_clear()


def test_a_cache_that_cannot_be_written_only_costs_time(tmp_path, monkeypatch):
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    monkeypatch.setenv("HEDGEFLOW_CACHE_DIR", str(blocked / "cache"))
    market_calendar._year.cache_clear()
    assert closed_reason(THANKSGIVING) == "Thanksgiving Day"
    market_calendar._year.cache_clear()
