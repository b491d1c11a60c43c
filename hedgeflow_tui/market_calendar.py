"""The NYSE calendar: which days have a regular session, which close early, and what to say on
a day without one. Holidays and early closes come from the maintained `holidays` library
(`holidays.financial_holidays("NYSE")`, with its half-day category); NYSE early closes are at
13:00 ET. One module that the clock, the poller, the quota planner, the simulator and the
no-session texts all ask."""

from __future__ import annotations

from datetime import date, time, timedelta
from functools import lru_cache

SESSION_OPEN = time(9, 30)
SESSION_CLOSE = time(16, 0)
EARLY_CLOSE = time(13, 0)


@lru_cache(maxsize=8)
def _year(year: int) -> tuple[dict[date, str], dict[date, str]]:
    """The year's full-day closures and early closes, by day, with their names (the library is
    imported on first use, off the start-up path)."""
    import holidays
    from holidays.constants import HALF_DAY, PUBLIC

    closed = holidays.financial_holidays("NYSE", years=year, categories=(PUBLIC,))
    early = holidays.financial_holidays("NYSE", years=year, categories=(HALF_DAY,))
    return dict(closed.items()), dict(early.items())


def closed_reason(day: date) -> str | None:
    """Why `day` has no regular session (a holiday's name, or the weekend), or None."""
    if day.weekday() >= 5:
        return "weekend"
    return _year(day.year)[0].get(day)


def is_session(day: date) -> bool:
    return closed_reason(day) is None


def close_time(day: date) -> time:
    """The session's close in ET: 13:00 on an early-close day, else 16:00."""
    return EARLY_CLOSE if day in _year(day.year)[1] else SESSION_CLOSE


def next_session(after: date) -> date:
    """The first day after `after` with a regular session."""
    day = after + timedelta(days=1)
    while not is_session(day):
        day += timedelta(days=1)
    return day


def previous_session(day: date) -> date:
    """`day` if it has a session, else the last day before it that had one."""
    while not is_session(day):
        day -= timedelta(days=1)
    return day


def session_text(day: date) -> str:
    """e.g. "Fri 2026-11-27 09:30 ET, early close 13:00"."""
    text = f"{day:%a %Y-%m-%d} {SESSION_OPEN:%H:%M} ET"
    close = close_time(day)
    return text if close == SESSION_CLOSE else f"{text}, early close {close:%H:%M}"


def closed_today_text(day: date) -> str | None:
    """e.g. "closed today: Thanksgiving Day; next session Fri 2026-11-27 09:30 ET, early close
    13:00", or None when `day` has a session."""
    reason = closed_reason(day)
    if reason is None:
        return None
    return f"closed today: {reason}; next session {session_text(next_session(day))}"
