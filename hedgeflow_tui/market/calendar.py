"""The NYSE calendar: which days have a regular session, which close early, and what to say on
a day without one. Holidays and early closes come from the maintained `holidays` library
(`holidays.financial_holidays("NYSE")`, with its half-day category); NYSE early closes are at
13:00 ET. One module that the clock, the poller, the quota planner, the simulator and the
no-session texts all ask.

The library builds a year's NYSE calendar only after importing every country's and exchange's
calendar (the costliest step on the way to the demo's first frame with data), so
each year's closures are kept in the user's cache dir (`cache_dir()`), one small JSON file a
year, tagged with the installed library (its `__init__.py`: path, modification time, size), and
read from there while that tag holds: an upgrade or reinstall recomputes them. A cache that
cannot be read or written is only slower."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import threading
from datetime import date, time, timedelta
from functools import lru_cache
from pathlib import Path

SESSION_OPEN = time(9, 30)
SESSION_CLOSE = time(16, 0)
EARLY_CLOSE = time(13, 0)


Closures = tuple[dict[date, str], dict[date, str]]  # full-day closures, early closes: names


@lru_cache(maxsize=8)
def _year(year: int) -> Closures:
    """The year's full-day closures and early closes, by day, with their names: from the cache
    when it holds them for the installed library, else from the library (then cached)."""
    tag = _library_tag()
    path = _cache_file(year)
    cached = _read(path, tag)
    if cached is not None:
        return cached
    closures = _from_library(year)
    _write(path, tag, closures)
    return closures


def _from_library(year: int) -> Closures:
    import holidays
    from holidays.constants import HALF_DAY, PUBLIC

    closed = holidays.financial_holidays("NYSE", years=year, categories=(PUBLIC,))
    early = holidays.financial_holidays("NYSE", years=year, categories=(HALF_DAY,))
    return dict(closed.items()), dict(early.items())


def _library_tag() -> str:
    """Which `holidays` is installed, found without importing it."""
    spec = importlib.util.find_spec("holidays")
    origin = spec.origin if spec is not None else None
    if origin is None:
        return "missing"  # the import will say so
    info = os.stat(origin)
    return f"{origin}:{info.st_mtime_ns}:{info.st_size}"


def _cache_file(year: int) -> Path:
    from hedgeflow_tui.config.settings import cache_dir

    return cache_dir() / f"nyse-{year}.json"


def _read(path: Path, tag: str) -> Closures | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["library"] != tag:
            return None
        closed, early = (
            {date.fromisoformat(day): str(name) for day, name in data[kind].items()}
            for kind in ("closed", "early")
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # none yet, or unreadable: the library answers
    return closed, early


def _write(path: Path, tag: str, closures: Closures) -> None:
    closed, early = closures
    data = {
        "library": tag,
        "closed": {day.isoformat(): name for day, name in closed.items()},
        "early": {day.isoformat(): name for day, name in early.items()},
    }
    partial = path.with_name(f"{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(json.dumps(data), encoding="utf-8")
        os.replace(partial, path)  # whole or not at all, whoever writes it at once
    except OSError:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)


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
