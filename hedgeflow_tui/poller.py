"""Polls one symbol's calls, puts and price series at each bar close and merges them into the store.

(Skeleton: the implementation is being written.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class QuotaView:
    """What the quota planner knows and projects, for the status line."""

    plan: str | None
    limit: int | None  # per day; None = unlimited
    remaining: int | None
    projected: int  # requests the rest of the session needs at the current cadence
    series_every: int  # the price series is fetched every Nth poll (1 = every poll)
    flow_every: int  # hedge flow is fetched every Nth bar close (1 = every close)
    note: str  # one line, e.g. "ok" or "slowed price series to every 3rd bar to fit 412 left"


@dataclass(frozen=True, slots=True)
class PollStatus:
    """One symbol's connection state, as the status bar and headless `status` lines show it."""

    symbol: str
    source: str  # "LIVE" | "SIMULATED" | "REMOTE" | "REPLAY"
    state: str  # "loading" | "ok" | "no_session" | "retrying" | "rate_limited" | "paused" | "stopped"
    message: str  # one line, never a traceback, never the key
    last_success: datetime | None  # market time of the last successful poll
    last_bar: datetime | None  # bucket start of the newest bar held
    next_poll: datetime | None  # market time of the next scheduled poll
    retry_in: float | None  # real seconds until the next retry, when retrying
    quota: QuotaView | None
