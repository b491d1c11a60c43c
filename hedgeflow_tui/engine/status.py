"""One symbol's connection state: what the poller reports and the status line, the state panel,
headless `status` lines and replay show. Plain data, so those can import it without the poller
(and without httpx)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from hedgeflow_tui.api.errors import ErrorKind
from hedgeflow_tui.engine.quota import QuotaView

SourceKind = Literal["LIVE", "SIMULATED", "REMOTE", "REPLAY"]
PollState = Literal[
    "loading", "ok", "no_session", "closed", "retrying", "rate_limited", "paused", "stopped"
]


@dataclass(frozen=True, slots=True)
class PollStatus:
    """One symbol's connection state, as the status bar and headless `status` lines show it."""

    symbol: str
    source: SourceKind
    state: PollState
    message: str  # one line, never a traceback, never the key
    last_success: datetime | None  # market time of the last successful poll
    last_bar: datetime | None  # bucket start of the newest bar held
    next_poll: datetime | None  # market time of the next scheduled poll
    retry_in: float | None  # seconds until the next retry, when retrying
    quota: QuotaView | None
    reason: ErrorKind | None = None  # what went wrong behind "stopped" / "retrying"
    note: str | None = None  # what the data itself warrants saying, e.g. a flow mismatch
    as_of: datetime | None = None  # the newest answer's as_of: when the server computed it
    data_as_of: datetime | None = None  # the newest answer's feeds' last delivery (data_as_of)
