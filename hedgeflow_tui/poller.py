"""Polls one symbol's calls, puts and price series at each bar close and merges them into the store.

Schedule: shortly after each bucket closes (market time, from an injectable clock), not a free
running interval. The first poll back-fills the requested window; later polls ask only for the
minutes that cover the last bar held of each series, widened to any gap the store reports.
Calls, puts and series are fetched concurrently and merged as one batch. Failures back off
exponentially with jitter (honouring `Retry-After`) and keep the last good data; a bad key, a plan
too low or an unknown symbol stop the poller with a clear status.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta

from hedgeflow_tui.client import ApiError, FlashAlphaClient, RateLimited
from hedgeflow_tui.clock import ET, Clock, session_bounds
from hedgeflow_tui.model import BAR_SECONDS, Account, Response, bar_delta
from hedgeflow_tui.quota import QuotaPlanner, QuotaView, polls_left
from hedgeflow_tui.status import PollState, PollStatus, SourceKind
from hedgeflow_tui.store import SessionView, Store

__all__ = ["PollStatus", "Poller", "QuotaView"]

SETTLE_SECONDS = 2.0  # market seconds after a bucket closes before asking for it
NO_SESSION_RECHECK = 300.0  # market seconds between checks while there is no 0DTE session
NO_SESSION_GRACE = timedelta(minutes=15)  # keep the bar cadence this long after the open
BACKOFF_BASE = 1.0  # market seconds
BACKOFF_CAP = 60.0
MAX_MINUTES = 390
PRICE_GRACE = timedelta(minutes=5)  # after the close, stop waiting for a missing last price


StatusObserver = Callable[[PollStatus], None]


def _worst(errors: list[ApiError]) -> ApiError:
    """The error that decides what happens next: fatal first, then rate limits."""
    return max(errors, key=lambda e: (e.fatal, isinstance(e, RateLimited)))


def _minutes_since(since: datetime | None, now: datetime, cap: int) -> int:
    if since is None:
        return cap
    return max(1, min(MAX_MINUTES, math.ceil((now - since).total_seconds() / 60) + 1))


class Poller:
    def __init__(
        self,
        client: FlashAlphaClient,
        store: Store,
        symbol: str,
        bar_size: str,
        clock: Clock,
        *,
        source: SourceKind,
        minutes: int = MAX_MINUTES,
        planner: QuotaPlanner | None = None,
        on_status: StatusObserver | None = None,
        on_batch: Callable[[str, str], None] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.client = client
        self.store = store
        self.symbol = symbol
        self.bar_size = bar_size
        self.clock = clock
        self.source = source
        self.minutes = minutes
        self.planner = planner or QuotaPlanner()
        self.planner.register(symbol)
        self.on_status = on_status
        self.on_batch = on_batch  # told (symbol, bar_size) after each batch is merged
        self._rng = rng or random.Random()
        self._wake = asyncio.Event()
        self._resumed = asyncio.Event()
        self._resumed.set()
        self._poll_index = 0
        self._last_success: datetime | None = None
        self.status = self._status("loading", "loading the session so far")

    # --- control ------------------------------------------------------------------------------

    @property
    def paused(self) -> bool:
        return not self._resumed.is_set()

    def pause(self) -> None:
        self._resumed.clear()
        self._wake.set()
        self._report("paused", "paused: press p to resume")

    def resume(self) -> None:
        self._resumed.set()
        self._wake.set()

    def refresh_now(self) -> None:
        self._wake.set()

    # --- the loop -----------------------------------------------------------------------------

    async def run(self) -> None:
        """Poll until cancelled, until the session is over, or until a fatal error."""
        await self.planner.start(self._read_account)
        failures = 0
        while True:
            await self._resumed.wait()
            try:
                await self.poll_once()
            except ApiError as error:
                if error.fatal:
                    self._report(
                        "stopped", f"stopped: {error.message}", reason=type(error).__name__
                    )
                    return
                if isinstance(error, RateLimited) and error.quota_exhausted and self._past_close():
                    self._report(
                        "stopped",
                        f"stopped: the session is over and the server still refuses "
                        f"({error.message}); bars after {_hhmm(self.status.last_bar)} missing",
                        reason=type(error).__name__,
                    )
                    return
                failures += 1
                delay = self._backoff(failures, error)
                state: PollState = "rate_limited" if isinstance(error, RateLimited) else "retrying"
                self._report(
                    state,
                    f"{error.message}; retrying in {delay:.0f}s",
                    retry_in=delay,
                    reason=type(error).__name__,
                )
                await self._sleep(delay)
                continue
            failures = 0
            if self._session_over():
                self._report("closed", "session closed: all bars in")
                return
            await self._sleep(self._seconds_to_next_poll())

    async def poll_once(self) -> None:
        """One cycle: fetch what the quota plan allows, merge what arrived, raise the worst
        error."""
        view = self.store.session(self.symbol, self.bar_size)
        fetch_flow, fetch_series = self.planner.should_fetch(self._poll_index)
        requests: list[Awaitable[Response]] = []
        if fetch_flow or view is None:
            for side, since in (
                ("calls", _last_known(view, "cum_calls")),
                ("puts", _last_known(view, "cum_puts")),
            ):
                minutes = self._window(view, since)
                requests.append(self.client.hedge_flow(self.symbol, side, self.bar_size, minutes))
        if fetch_series or view is None:
            minutes = self._window(view, _last_known(view, "spot"))
            requests.append(self.client.series(self.symbol, self.bar_size, minutes))
        results = await asyncio.gather(*requests, return_exceptions=True)
        self.planner.observe(self.client.rate_limit)
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result, ApiError):
                raise result
        answers: list[Response] = [r for r in results if not isinstance(r, BaseException)]
        errors = [r for r in results if isinstance(r, ApiError)]
        if answers:
            for answer in answers:
                self.clock.sync(answer.as_of)
            self.store.apply(answers)
            if self.on_batch is not None:
                self.on_batch(self.symbol, self.bar_size)
        if errors:
            raise _worst(errors)
        self._poll_index += 1
        self._last_success = self.clock.now()
        view = self.store.session(self.symbol, self.bar_size)
        if view is not None and view.no_session:
            self._report("no_session", "no 0DTE session right now")
        else:
            self._report("ok", "ok")

    async def _read_account(self) -> Account | None:
        """The plan and quota from `/v1/account`; None when it cannot be read."""
        try:
            return await self.client.account()
        except ApiError:
            return None

    # --- schedule -----------------------------------------------------------------------------

    def _window(self, view: SessionView | None, since: datetime | None) -> int:
        if view is None or since is None:
            return self.minutes
        if view.backfill_from is not None and view.backfill_from < since:
            since = view.backfill_from
        return _minutes_since(since, self.clock.now(), self.minutes)

    def _session_day(self) -> date:
        view = self.store.session(self.symbol, self.bar_size)
        if view is not None and view.expiration is not None:
            return view.expiration
        return self.clock.now().astimezone(ET).date()

    def _session_over(self) -> bool:
        """Every bucket of the session has closed and been fetched, the last one's price too
        (unless the server has still not given it some minutes after the close)."""
        _, close = session_bounds(self._session_day())
        view = self.store.session(self.symbol, self.bar_size)
        if view is None or view.no_session or view.last_t is None:
            return False
        last_bucket = close - bar_delta(self.bar_size)
        now = self.clock.now()
        if now < close or view.last_t < last_bucket or view.backfill_from is not None:
            return False
        return view.rows[-1].spot is not None or now >= close + PRICE_GRACE

    def _past_close(self) -> bool:
        """The session closed long enough ago that waiting for its bars is pointless; only known
        once an answer has told the session's day and re-anchored the clock on its time."""
        if self.store.session(self.symbol, self.bar_size) is None:
            return False
        _, close = session_bounds(self._session_day())
        return self.clock.now() >= close + PRICE_GRACE

    def _seconds_to_next_poll(self) -> float:
        now = self.clock.now()
        size = BAR_SECONDS[self.bar_size]
        open_, close = session_bounds(self._session_day())
        self.planner.replan(polls_left(now, close, size))
        view = self.store.session(self.symbol, self.bar_size)
        first_close = open_ + timedelta(seconds=size)
        if now < first_close:
            return min(NO_SESSION_RECHECK, (first_close - now).total_seconds()) + SETTLE_SECONDS
        if view is not None and view.no_session and now - open_ > NO_SESSION_GRACE:
            return NO_SESSION_RECHECK
        since_open = (now - open_).total_seconds()
        next_close = open_ + timedelta(seconds=(math.floor(since_open / size) + 1) * size)
        return max(0.0, (next_close - now).total_seconds()) + SETTLE_SECONDS

    def _backoff(self, failures: int, error: ApiError) -> float:
        """Exponential backoff with full jitter, never shorter than the server's Retry-After."""
        ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (failures - 1))
        delay = self._rng.uniform(ceiling / 2, ceiling)
        if isinstance(error, RateLimited) and error.retry_after is not None:
            delay = max(delay, error.retry_after)
        return delay

    async def _sleep(self, market_seconds: float) -> None:
        """Sleep on the market clock; `refresh_now`, `pause` and `resume` cut it short."""
        self._wake.clear()
        self.status = self._status(
            self.status.state,
            self.status.message,
            next_in=market_seconds,
            retry_in=self.status.retry_in,
            reason=self.status.reason,
        )
        self._emit()
        sleeper = asyncio.ensure_future(self.clock.sleep(market_seconds))
        waker = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            waker.cancel()

    # --- status -------------------------------------------------------------------------------

    def _status(
        self,
        state: PollState,
        message: str,
        *,
        next_in: float | None = None,
        retry_in: float | None = None,
        reason: str | None = None,
    ) -> PollStatus:
        view = self.store.session(self.symbol, self.bar_size)
        now = self.clock.now()
        return PollStatus(
            symbol=self.symbol,
            source=self.source,
            state=state,
            message=message,
            last_success=self._last_success,
            last_bar=view.last_t if view is not None else None,
            next_poll=now + timedelta(seconds=next_in) if next_in is not None else None,
            retry_in=retry_in,
            quota=self.planner.view(),
            reason=reason,
        )

    def _report(
        self,
        state: PollState,
        message: str,
        *,
        retry_in: float | None = None,
        reason: str | None = None,
    ) -> None:
        self.status = self._status(state, message, retry_in=retry_in, reason=reason)
        self._emit()

    def _emit(self) -> None:
        if self.on_status is not None:
            self.on_status(self.status)


def _hhmm(t: datetime | None) -> str:
    return t.astimezone(ET).strftime("%H:%M ET") if t is not None else "the open"


def _last_known(view: SessionView | None, field: str) -> datetime | None:
    """The newest bucket whose `field` is known."""
    if view is None:
        return None
    for row in reversed(view.rows):
        if getattr(row, field) is not None:
            return row.t
    return None
