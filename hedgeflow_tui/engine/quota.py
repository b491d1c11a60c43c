"""Request budgeting: project what the rest of the session costs and slow down before running
out.

One planner is shared by every symbol's poller. It learns the plan from `/v1/account` once at
start, then follows the `X-RateLimit-*` headers of every answer (no requests spent on it).

It plans with the cheaper cycle first: a symbol on the lean cycle costs one `series` request per
bar close (flow and price in one answer), plus a cross-check of the hedge-flow endpoint (calls and
puts) every `check_every` closes; a symbol on the full cycle costs calls + puts + series. When
the projection exceeds what remains it gives up in this order: catch-up polls (asking again after
a close whose answer lacked the bucket, planned at CATCHUP_SHARE per close; without that share
they go on while the slack left above the plan lasts: the first closes of a run, which teach the
poller how late buckets come, need a few), cross-checks (rarer, then none),
the price series of full-cycle symbols (every 2nd, 3rd ... close), and only then the bar closes
polled at all; a thinned poll loses no bars, because the next one asks for a window that covers
everything since the last bar held. A full last poll is always kept in reserve.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from hedgeflow_tui.api.model import Account, RateLimit

FLOW_REQUESTS_PER_POLL = 2  # calls + puts; `all` is derived, never fetched
SERIES_REQUESTS_PER_POLL = 1


@dataclass(frozen=True, slots=True)
class QuotaView:
    """What the quota planner knows and projects, for the status line."""

    plan: str | None
    limit: int | None  # per day; None = unlimited
    remaining: int | None
    projected: int  # requests the rest of the session needs at the current cadence
    series_every: int  # the price series is fetched every Nth poll (1 = every poll)
    flow_every: int  # hedge flow is fetched every Nth bar close (1 = every close)
    note: str  # one line, e.g. "ok" or "slowed: price every 3 bars to fit 412 left"
    check_every: int | None = None  # lean cycle: cross-check every Nth close (None = never)


@dataclass(frozen=True, slots=True)
class Cycle:
    """The requests of one bar close for one symbol."""

    series: bool  # the series (price, and flow on the lean cycle)
    flow: bool  # the hedge-flow endpoint's calls and puts


MAX_SERIES_EVERY = 10  # beyond this the price overlay is too sparse to be worth thinning further
RESERVE_SHARE = 0.05  # keep 5% of what remains for retries
CATCHUP_SHARE = (
    0.1  # catch-up polls planned per bar close (measured: 0.05-0.1, bench/live_timing.py)
)
CATCHUP_SLACK = 5  # requests above the plan that still allow a catch-up (one late close's worth)
MAX_POLLS = 390 * 60 // 30  # a whole session at the smallest bar: no plan looks further


class QuotaPlanner:
    def __init__(self) -> None:
        self.plan: str | None = None
        self.limit: int | None = None
        self.remaining: int | None = None
        self.series_every = 1
        self.flow_every = 1
        self.check_every: int | None = None
        self.check_base: int | None = None  # cross-check cadence when the quota allows
        self.projected = 0
        self.last_poll = False  # the coming poll is the session's last: fetch everything
        self.catchups = True  # polls again after a close whose answer lacked the bucket
        self.catchup_share = CATCHUP_SHARE  # catch-ups planned per close and symbol cycle
        self._lean: dict[str, bool] = {}  # symbol -> on the lean cycle
        self._started = asyncio.Lock()
        self._account_read = False

    def register(self, symbol: str, *, lean: bool = False, check_every: int | None = None) -> None:
        """A symbol's poller: on the lean cycle (cross-checked every `check_every` closes, or
        never) or the full one."""
        self._lean[symbol] = lean
        if lean and check_every is not None:
            self.check_base = check_every
            self.check_every = self.check_every or check_every

    def set_lean(self, symbol: str, lean: bool) -> None:
        self._lean[symbol] = lean

    async def start(self, read_account: Callable[[], Awaitable[Account | None]]) -> None:
        """Read `/v1/account` once for all pollers; None (a failure) leaves the plan unknown."""
        async with self._started:
            if self._account_read:
                return
            self._account_read = True
            account = await read_account()
            if account is None:
                return
            self.plan = account.plan
            self.limit = account.daily_limit
            self.remaining = account.remaining

    def observe(self, rate_limit: RateLimit | None) -> None:
        """Follow the quota headers of a client's latest answer."""
        if rate_limit is None:
            return
        self.limit = rate_limit.limit
        self.remaining = rate_limit.remaining

    def requests_per_poll(
        self, flow_every: int, series_every: int, check_every: int | None = None
    ) -> float:
        """All symbols' requests per bar close at this cadence."""
        total = 0.0
        for lean in self._lean.values() or [False]:
            # a catch-up repeats the cycle's own requests
            total += self.catchup_share * (SERIES_REQUESTS_PER_POLL if lean else 3)
            if lean:
                checks = FLOW_REQUESTS_PER_POLL / check_every if check_every else 0.0
                total += SERIES_REQUESTS_PER_POLL / flow_every + checks
            else:
                total += FLOW_REQUESTS_PER_POLL / flow_every
                total += SERIES_REQUESTS_PER_POLL / series_every
        return total

    def final_poll_cost(self) -> int:
        """What one complete poll of every symbol costs: kept back so the session's last bars
        come in however thin the cadence before them."""
        return math.ceil(self.requests_per_poll(1, 1))

    def replan(self, polls_left: int) -> QuotaView:
        """Choose the cadence that fits the rest of the session into what remains, keeping a
        reserve for retries and for a complete last poll. Bounded time whatever the clock says."""
        polls_left = max(0, min(polls_left, MAX_POLLS))
        self.last_poll = polls_left <= 1
        self.flow_every, self.series_every, self.check_every = 1, 1, self.check_base
        self.catchups, self.catchup_share = True, CATCHUP_SHARE
        full_cycles = not all(self._lean.values())
        if self.remaining is not None:
            budget = self.remaining * (1 - RESERVE_SHARE) - self.final_poll_cost()
            if self._cost(polls_left) > budget:
                self.catchup_share = 0.0
                self.catchups = self._cost(polls_left) + CATCHUP_SLACK <= budget
            while self._cost(polls_left) > budget and self.check_every is not None:
                wider = self.check_every * 2
                self.check_every = wider if wider <= polls_left else None
            while (
                self._cost(polls_left) > budget
                and full_cycles
                and self.series_every < MAX_SERIES_EVERY
            ):
                self.series_every += 1
            if self._cost(polls_left) > budget:
                self.flow_every = self._flow_every_within(budget, polls_left)
        self.projected = self._cost(polls_left)
        return self.view()

    def _flow_every_within(self, budget: float, polls_left: int) -> int:
        """The smallest flow cadence (1..polls_left) whose cost fits `budget`, by bisection."""
        low, high = 1, max(1, polls_left)
        while low < high:
            middle = (low + high) // 2
            self.flow_every = middle
            if self._cost(polls_left) <= budget:
                high = middle
            else:
                low = middle + 1
        return low

    def _cost(self, polls_left: int) -> int:
        per_poll = self.requests_per_poll(self.flow_every, self.series_every, self.check_every)
        return math.ceil(polls_left * per_poll)

    def cycle(self, symbol: str, poll_index: int) -> Cycle:
        """What to fetch for `symbol` at its n-th bar close since start."""
        lean = self._lean.get(symbol, False)
        if self.last_poll:
            return Cycle(series=True, flow=not lean)
        due = poll_index % self.flow_every == 0
        if lean:
            check = self.check_every is not None and poll_index % self.check_every == 0
            return Cycle(series=due, flow=due and check)
        return Cycle(series=poll_index % self.series_every == 0, flow=due)

    def view(self) -> QuotaView:
        lean_only = bool(self._lean) and all(self._lean.values())
        if self.remaining is None and self.plan is None:
            note = "plan not known yet"  # never "unlimited" before the account says so
        elif self.remaining is None:
            note = "unlimited" if self.plan == "alpha" or self.limit is None else "quota unknown"
        elif self.projected > self.remaining:
            note = f"needs {self.projected} but {self.remaining} left"
        elif self.flow_every > 1 and lean_only:
            note = f"slowed: one request every {self.flow_every} bars to fit {self.remaining} left"
        elif self.flow_every > 1:
            note = f"slowed: flow every {self.flow_every} bars, price every {self.series_every}"
        elif self.series_every > 1:
            note = f"slowed: price every {self.series_every} bars to fit {self.remaining} left"
        elif not self.catchups:
            note = f"no catch-up polls, to fit {self.remaining} left"
        elif self.check_every != self.check_base:
            checks = f"every {self.check_every} bars" if self.check_every else "off"
            note = f"cross-checks {checks} to fit {self.remaining} left"
        else:
            note = "ok"
        return QuotaView(
            plan=self.plan,
            limit=self.limit,
            remaining=self.remaining,
            projected=self.projected,
            series_every=self.series_every,
            flow_every=self.flow_every,
            note=note,
            check_every=self.check_every,
        )


def polls_left(now: datetime, close: datetime, bar_seconds: int) -> int:
    """Bar closes from now to the session close, inclusive of the last one."""
    seconds = (close - now).total_seconds()
    return max(0, min(MAX_POLLS, math.ceil(seconds / bar_seconds)))
