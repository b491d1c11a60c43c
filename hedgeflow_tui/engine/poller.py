"""Polls one symbol's calls, puts and price series at each bar close and merges them into the store.

Schedule: shortly after each bucket closes (market time, from an injectable clock), not a free
running interval. The first poll back-fills the requested window from both endpoints (calls,
puts and series, concurrently, merged as one batch), which also cross-checks the series' flow
fields against the hedge-flow endpoint. Then, on the lean cycle (`--requests auto` or `lean`),
one `series` request per bar close carries calls, puts and price; the hedge-flow endpoint is asked
again only for buckets whose flow the series lacks, on `r`, and every `check_every` closes as the
quota allows (auto). When the store finds the two disagreeing, the poller says so and takes flow
from the hedge-flow endpoint for the rest of the session: the full cycle, calls + puts + series at
every close, which `--requests full` asks for from the start. Later polls ask only for the
minutes that cover the last bar held of each series, widened to any gap the store reports.
Failures back off exponentially with jitter (honouring `Retry-After`) and keep the last good data;
a bad key, a plan too low or an unknown symbol stop the poller with a clear status.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta

from hedgeflow_tui.api.client import FlashAlphaClient
from hedgeflow_tui.api.errors import ApiError, ErrorKind, RateLimited
from hedgeflow_tui.api.model import Account, Response
from hedgeflow_tui.config.settings import REQUEST_MODES
from hedgeflow_tui.engine.coverage import Coverage
from hedgeflow_tui.engine.quota import Cycle, QuotaPlanner, QuotaView, polls_left
from hedgeflow_tui.engine.settle import SettleLearner
from hedgeflow_tui.engine.status import PollState, PollStatus, SourceKind
from hedgeflow_tui.engine.store import Change, FlowMismatch, SessionView, Store
from hedgeflow_tui.market.bars import BAR_SECONDS, bar_delta
from hedgeflow_tui.market.calendar import SESSION_OPEN, closed_today_text, is_session, session_text
from hedgeflow_tui.market.clock import ET, Clock, session_bounds

__all__ = ["PollStatus", "Poller", "QuotaView"]

CROSS_CHECK_SECONDS = 3600  # market seconds between cross-checks on `--requests auto`
SETTLE_SECONDS = 2.0  # market seconds after a bucket closes before asking for it
NO_SESSION_RECHECK = 300.0  # market seconds between checks while there is no 0DTE session
NO_SESSION_GRACE = timedelta(minutes=15)  # keep the bar cadence this long after the first close
BACKOFF_BASE = 1.0  # market seconds
BACKOFF_CAP = 60.0
MAX_MINUTES = 390
FIRST_WINDOW_MARGIN = timedelta(minutes=15)  # nothing held: the session so far, and this more
PRICE_GRACE = timedelta(minutes=5)  # after the close, stop waiting for a missing last price
CACHE_SECONDS = 15.0  # the server caches an answer this long (Basic/Growth; none on Alpha)
# Polls after a close whose answer lacked the bucket, a second apart (before the next close):
# each asks for a window one minute wider than the last, so a cache keyed by the request answers
# afresh, and a late bucket costs a second, not the cache's 15 s (nor a whole bar).
CATCH_UP_WAIT, MAX_CATCHUPS = 1.0, 8
EMPTY_CATCHUPS, EMPTY_CATCH_UP_WAIT = 2, 5.0  # before any bar is held (see _first_bar_catch_up_in)
CACHED_SLACK = 1.0  # market seconds: an answer this much older than its request was cached


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
        requests: str = "auto",
        catch_ups: bool = True,
        max_failures: int | None = None,
    ) -> None:
        if requests not in REQUEST_MODES:
            raise ValueError(f"requests must be one of {', '.join(REQUEST_MODES)}")
        self.client = client
        self.store = store
        self.symbol = symbol
        self.bar_size = bar_size
        self.clock = clock
        self.source = source
        self.minutes = minutes
        self.planner = planner or QuotaPlanner()
        self.requests = requests
        self.lean = requests != "full"
        check_every = max(1, CROSS_CHECK_SECONDS // BAR_SECONDS[bar_size])
        self.planner.register(
            symbol, lean=self.lean, check_every=check_every if requests == "auto" else None
        )
        self._check_next = False  # `r`: the next poll cross-checks
        self._flow_checked = False  # the hedge-flow endpoint's back-fill came with the first bars
        self.coverage = Coverage(store, symbol, bar_size)
        store.subscribe(self._on_store_change)
        self.catch_ups = catch_ups  # False: one poll per close, whatever it brought (benchmarks)
        self.max_failures = max_failures  # failed polls in a row before stopping; None: no end
        self.settle = SettleLearner()  # market seconds after a close before its first poll
        self._tracked: datetime | None = None  # the closed bucket the polls are waiting for
        self._resolved: datetime | None = None  # the last closed bucket whose lag was learnt
        self._lacking_at: float | None = None  # its close to the last answer that lacked it, s
        self._catchups = 0  # catch-up polls since the last close's
        self._chased_out = False  # the last close's catch-ups all went out
        self._empty_catchups = 0  # catch-ups sent before any bar was held
        self.catchups_sent = 0  # catch-up polls this session
        self._cache_by_request = True  # a wider window is answered afresh (until shown not)
        self._sent_at: datetime | None = None  # when the last poll's first request went out
        self._widened = False  # the last poll's window was widened for a catch-up
        self._answer_as_of: datetime | None = None  # the oldest answer of the last poll
        self.as_of: datetime | None = None  # the newest answer's as_of
        self.data_as_of: datetime | None = None  # the newest data_as_of the answers gave
        self._note: str | None = None
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
        """Poll now, every endpoint (a cross-check on the lean cycle)."""
        self._check_next = True
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
                failures += 1
                wait = self._after_failure(error, failures)
                if wait is not None and failures >= (self.max_failures or failures + 1):
                    self._report(
                        "stopped",
                        f"stopped: {failures} failed polls in a row (--max-retries "
                        f"{self.max_failures}); last: {error.message}",
                        reason=error.kind,
                    )
                    return
            else:
                failures = 0
                wait = self._after_success()
            if wait is None:
                return
            await self._sleep(wait)

    def _after_failure(self, error: ApiError, failures: int) -> float | None:
        """Say what failed; market seconds until the retry, None when polling must stop (a
        fatal error, or a quota used up after the session's close)."""
        if error.fatal:
            self._report("stopped", f"stopped: {error.message}", reason=error.kind)
            return None
        if isinstance(error, RateLimited) and error.quota_exhausted and self._past_close():
            missing = (
                f"bars after {_hhmm(self.status.last_bar)} missing"
                if self.store.session(self.symbol, self.bar_size) is not None
                else "no bars: the quota was used up before any answer"
            )
            self._report(
                "stopped",
                f"stopped: the session is over and the server still refuses "
                f"({error.message}); {missing}",
                reason=error.kind,
            )
            return None
        delay = self._backoff(failures, error)
        state: PollState = "rate_limited" if isinstance(error, RateLimited) else "retrying"
        self._report(
            state, f"{error.message}; retrying in {delay:.0f}s", retry_in=delay, reason=error.kind
        )
        return delay

    def _after_success(self) -> float | None:
        """Market seconds until the next poll (a catch-up, or the next close's), None when the
        day has nothing more to give."""
        if self._closed_today():
            return None  # a holiday or weekend: nothing will come today, the status said why
        if self._session_over():
            self._report("closed", "session closed: all bars in")
            return None
        if self._not_covered():
            return None
        self._replan()  # once per cycle, before the plan is read
        if self._quota_used_up():
            return self._wait_for_quota()
        if self.catch_ups:
            self._observe_publication()
        catch_up = self._catch_up_in()
        if catch_up is not None:
            self._catchups += 1
            self.catchups_sent += 1
            return catch_up
        self._chased_out = self._catchups >= MAX_CATCHUPS
        self._catchups = 0
        recheck = self._empty_recheck_in()
        if recheck is not None:
            return recheck
        skipped = self._closes_planned_without_requests()
        self._poll_index += skipped
        return self._seconds_to_next_poll() + skipped * BAR_SECONDS[self.bar_size]

    def _closes_planned_without_requests(self) -> int:
        """The coming bar closes at which the quota plan sends nothing (it polls every Nth):
        the poller sleeps over them, so that the next poll said is the one that asks. The
        session's last close is always polled."""
        _, close = session_bounds(self._session_day())
        left = polls_left(self.clock.now(), close, BAR_SECONDS[self.bar_size])
        nothing = Cycle(series=False, flow=False)
        skipped = 0
        while (
            skipped < left - 1
            and self.planner.cycle(self.symbol, self._poll_index + skipped) == nothing
        ):
            skipped += 1
        return skipped

    def _quota_used_up(self) -> bool:
        """The answers' quota headers say not one request is left today."""
        return self.planner.limit is not None and self.planner.remaining == 0

    def _wait_for_quota(self) -> float | None:
        """No request left: say when the quota resets and wait for it, or for the session's
        close, whichever comes first; then ask once more (a 429 then ends the session's polling
        as any quota refusal after the close does). Past the close already: stop here."""
        rate = self.client.rate_limit
        reset = rate.reset_at if rate is not None else None
        resets = f"resets {reset:%Y-%m-%d %H:%M} UTC" if reset is not None else "resets 00:00 UTC"
        if self._past_close():
            self._report(
                "stopped",
                f"stopped: the session is over and the daily quota is used up ({resets}); "
                f"bars after {_hhmm(self.status.last_bar)} missing",
                reason=ErrorKind.RATE_LIMITED,
            )
            return None
        now = self.clock.now()
        _, close = session_bounds(self._session_day())
        until = close + PRICE_GRACE if reset is None else min(reset, close + PRICE_GRACE)
        wait = max(SETTLE_SECONDS, (until - now).total_seconds())
        self._check_next = True  # the next poll asks, whatever the plan says
        self._report(
            "rate_limited",
            f"daily quota used up, {resets}; no bars until then",
            retry_in=wait,
            reason=ErrorKind.RATE_LIMITED,
        )
        return wait

    async def poll_once(self) -> None:
        """One cycle: fetch what the quota plan allows, merge what arrived, raise the worst
        error. On the lean cycle, buckets whose flow the series lacks are asked of the hedge-flow
        endpoint at once, in a second batch."""
        view = self.store.session(self.symbol, self.bar_size)
        cycle = self._cycle(view)
        self._check_next = False
        self._answer_as_of = None
        self._sent_at = self.clock.now()
        self._widened = False
        await self._fetch(self._requests(view, cycle))
        self._check_cache_key()
        if cycle.series and self.planner.plan == "alpha":
            await self._fetch_strikes(view)
        view = self.store.session(self.symbol, self.bar_size)
        flowed = cycle.flow
        if not self._flow_checked and view is not None and view.rows:
            if not flowed:  # the first bars: the hedge-flow endpoint's back-fill and check
                minutes = _minutes_since(view.rows[0].t, self.clock.now(), self.minutes)
                await self._fetch(self._flow_requests(minutes, minutes))
                view, flowed = self.store.session(self.symbol, self.bar_size), True
            self._flow_checked = True
        if self.lean and not flowed and view is not None and view.flow_gap_from is not None:
            minutes = _minutes_since(view.flow_gap_from, self.clock.now(), self.minutes)
            await self._fetch(self._flow_requests(minutes, minutes))
            view = self.store.session(self.symbol, self.bar_size)
        if view is not None and view.mismatch is not None:
            self._on_mismatch(view.mismatch)
        self._check_session_start(view)
        self._poll_index += 1
        self._last_success = self.clock.now()
        if view is not None and view.no_session:
            self._report("no_session", self._no_session_text())
        else:
            self._report("ok", "ok")

    def _cycle(self, view: SessionView | None) -> Cycle:
        if self._check_next:
            return Cycle(series=True, flow=True)  # `r`
        if view is None or view.last_t is None:
            # nothing held: one request says whether there is anything (an empty answer is also
            # how an unknown symbol is answered); the hedge-flow back-fill follows the first bars
            return Cycle(series=True, flow=False)
        return self.planner.cycle(self.symbol, self._poll_index)

    def _requests(self, view: SessionView | None, cycle: Cycle) -> list[Awaitable[Response]]:
        """The requests of this cycle. On the lean cycle the series window also covers the last
        bucket whose flow is held, and a cross-check asks the hedge-flow endpoint for the same
        window, so both answers cover the same buckets."""
        requests: list[Awaitable[Response]] = []
        spot_since = _last_known(view, "spot")
        if self.lean:
            series_minutes = self._window(
                view,
                _earliest(
                    spot_since, _last_known(view, "cum_calls"), _last_known(view, "cum_puts")
                ),
            )
            if cycle.flow:
                requests += self._flow_requests(series_minutes, series_minutes)
        else:
            series_minutes = self._window(view, spot_since)
            if cycle.flow:
                requests += self._flow_requests(
                    self._window(view, _last_known(view, "cum_calls")),
                    self._window(view, _last_known(view, "cum_puts")),
                )
        if cycle.series:
            requests.append(self.client.series(self.symbol, self.bar_size, series_minutes))
        return requests

    def _flow_requests(self, calls_minutes: int, puts_minutes: int) -> list[Awaitable[Response]]:
        return [
            self.client.hedge_flow(self.symbol, "calls", self.bar_size, calls_minutes),
            self.client.hedge_flow(self.symbol, "puts", self.bar_size, puts_minutes),
        ]

    async def _fetch(self, requests: list[Awaitable[Response]]) -> None:
        """Send these requests concurrently, merge what arrived as one batch, raise the worst
        error."""
        if not requests:
            return
        results = await asyncio.gather(*requests, return_exceptions=True)
        self.planner.observe(self.client.rate_limit)
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result, ApiError):
                raise result
        answers: list[Response] = [r for r in results if not isinstance(r, BaseException)]
        errors = [r for r in results if isinstance(r, ApiError)]
        if answers:
            oldest = min(answer.as_of for answer in answers)
            if self._answer_as_of is None or oldest < self._answer_as_of:
                self._answer_as_of = oldest
            self.as_of = _latest(self.as_of, *(answer.as_of for answer in answers))
            self.data_as_of = _latest(self.data_as_of, *(a.data_as_of for a in answers))
            for answer in answers:
                self.clock.sync(answer.as_of)
            self.store.apply(answers)
            if self.on_batch is not None:
                self.on_batch(self.symbol, self.bar_size)
        if errors:
            raise _worst(errors)

    async def _fetch_strikes(self, view: SessionView | None) -> None:
        """The per-strike flow (Alpha: unlimited and uncached), with the series at each close;
        on another plan never asked. A failed request never stops the flow: it is kept in the
        strike book for the ladder to say, the ladder keeps its last bars, and the next close
        asks again."""
        since = None
        if view is not None and self.store.strikes.has(self.symbol):
            since = max(self.store.strikes.bar_times(self.symbol))
        try:
            answer = await self.client.strike_flow(
                self.symbol, _minutes_since(since, self.clock.now(), self.minutes)
            )
        except ApiError as error:
            self.store.strikes.failed(self.symbol, error.message)
            return
        self.store.apply([answer])
        if self.on_batch is not None:
            self.on_batch(self.symbol, self.bar_size)  # recorded as a poll of its own

    def _check_session_start(self, view: SessionView | None) -> None:
        """The first bars held should be the open's: a server that counts `minutes` back from
        now (not from the close) cannot reach them after 16:00 + the 390 minutes it allows.
        Nothing can ask further back, so say which bars are missing."""
        if self._note is not None or view is None or not view.rows:
            return
        first, open_ = view.rows[0].t, self._session_open()
        reach = self.clock.now() - timedelta(minutes=MAX_MINUTES)  # counted back from now
        if first > open_ and reach > open_ and self.minutes >= MAX_MINUTES:
            self._note = (
                f"bars before {_hhmm(first)} are out of the server's reach "
                f"(its {MAX_MINUTES}-minute window ends now, not at the close)"
            )

    def _on_mismatch(self, mismatch: FlowMismatch) -> None:
        """The series' flow cannot be trusted this session: say so, and go to the full cycle."""
        if self._note is None:
            at = mismatch.t.astimezone(ET).strftime("%H:%M:%S")
            self._note = (
                f"series flow disagrees with hedge-flow ({mismatch.leg} at {at} ET: "
                f"{mismatch.series:,.0f} vs {mismatch.hedge_flow:,.0f}); flow from hedge-flow"
            )
        if self.lean:
            self.lean = False
            self.planner.set_lean(self.symbol, False)

    async def _read_account(self) -> Account | None:
        """The plan and quota from `/v1/account`; None when it cannot be read."""
        try:
            return await self.client.account()
        except ApiError:
            return None

    # --- schedule -----------------------------------------------------------------------------

    def _window(self, view: SessionView | None, since: datetime | None) -> int:
        """Minutes to ask for: back to `since` (or the gap before it; with nothing held, the
        session so far), one more per catch-up since the close (see CATCH_UP_WAIT)."""
        now = self.clock.now()
        if view is None or since is None:  # with a margin for the time the request takes
            since = self._session_open() - FIRST_WINDOW_MARGIN
            minutes = min(self.minutes, _minutes_since(since, now, self.minutes))
        else:
            if view.backfill_from is not None and view.backfill_from < since:
                since = view.backfill_from
            minutes = _minutes_since(since, now, self.minutes)
        if self._catchups and minutes + self._catchups <= MAX_MINUTES:
            self._widened = True
            return minutes + self._catchups
        return minutes

    def _no_session_text(self) -> str:
        """Why there are no bars: closed today, not open yet, or the source has none."""
        day = self._session_day()
        closed = closed_today_text(day)
        if closed is not None:
            return closed
        now = self.clock.now().astimezone(ET)
        if now.date() == day and now.time() < SESSION_OPEN:
            return f"before the open: the session opens {session_text(day)}"
        return "no 0DTE session right now"

    def _past_no_session_grace(self) -> bool:
        """Long enough after the first close (whatever the bar size) that empty answers mean no
        session, not one whose first bar is late."""
        first_close = self._session_open() + bar_delta(self.bar_size)
        return self.clock.now() - first_close > NO_SESSION_GRACE

    def _holds_bars(self) -> bool:
        view = self.store.session(self.symbol, self.bar_size)
        return view is not None and bool(view.rows)

    def _session_open(self) -> datetime:
        return session_bounds(self._session_day())[0]

    def _session_day(self) -> date:
        view = self.store.session(self.symbol, self.bar_size)
        if view is not None and view.expiration is not None:
            return view.expiration
        return self.clock.now().astimezone(ET).date()

    def _closed_today(self) -> bool:
        """The market calendar has no session today and the source agrees (empty bars)."""
        view = self.store.session(self.symbol, self.bar_size)
        return view is not None and view.no_session and not is_session(self._session_day())

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
        """The session closed long enough ago that waiting for its bars is pointless. Its day is
        the one the answers told (the clock re-anchored on their time); before any answer, the
        clock's own (the wall clock's against a remote server), and a day without a session has
        nothing to wait for."""
        day = self._session_day()
        if self.store.session(self.symbol, self.bar_size) is None and not is_session(day):
            return True
        _, close = session_bounds(day)
        return self.clock.now() >= close + PRICE_GRACE

    def _cache_seconds(self) -> float:
        """How long the server caches an answer: none on Alpha, 15 s on the others."""
        return 0.0 if self.planner.plan == "alpha" else CACHE_SECONDS

    def _fresh_in(self) -> float:
        """Market seconds until the same requests can get a fresh answer (0: now)."""
        if self._answer_as_of is None:
            return 0.0
        fresh_at = self._answer_as_of + timedelta(seconds=self._cache_seconds())
        return max(0.0, (fresh_at - self.clock.now()).total_seconds())

    def _catch_up_in(self) -> float | None:
        """When the store still lacks the bucket that closed last (the answers' bars did not hold
        it: not yet published, or a cached answer from before), market seconds until asking
        again: soon, a bounded number of times, and never past the next close's poll. Asking
        the same window again waits out the server's cache. None: no catch-up."""
        if not self.catch_ups or self._catchups >= MAX_CATCHUPS:
            return None
        if not (self.planner.catchups or self.settle.learning) or not self._awaits_publication():
            return None
        if not self._holds_bars():
            return self._first_bar_catch_up_in()
        wait = CATCH_UP_WAIT
        if not self._cache_by_request:
            wait = max(wait, self._fresh_in())
        return wait if wait < self._seconds_to_next_poll() else None

    def _first_bar_catch_up_in(self) -> float | None:
        """Before any bar is held, a few widely spaced catch-ups at the first close seen (a
        symbol that is not covered looks the same until the market is known open), none once
        another symbol's bars say the market is open."""
        if self._empty_catchups >= EMPTY_CATCHUPS:
            return None
        if self.coverage.market_open(self._session_day(), self.clock.now()):
            return None
        self._empty_catchups += 1
        wait = max(EMPTY_CATCH_UP_WAIT, self._fresh_in() if not self._cache_by_request else 0.0)
        return wait if wait < self._seconds_to_next_poll() else None

    def _not_covered(self) -> bool:
        """Empty answers while the market is known open: say this symbol is not covered, and
        stop polling it (see `Coverage`)."""
        view = self.store.session(self.symbol, self.bar_size)
        now = self.clock.now()
        self.coverage.observe(view is not None and view.no_session, now)
        if not self.coverage.not_covered(self._session_day(), now):
            return False
        self._report(
            "stopped",
            f"stopped: no 0DTE data for {self.symbol} (its answers stay empty while the market "
            "is open)",
            reason=ErrorKind.SYMBOL_NOT_FOUND,
        )
        return True

    def _on_store_change(self, change: Change) -> None:
        """Another symbol's bars came while this one's answers were empty: ask again now, once
        (the market is known open: this one may not be covered)."""
        if change.symbol != self.symbol and change.rows and self.coverage.waiting():
            self.coverage.woken = True
            self._wake.set()

    def _empty_recheck_in(self) -> float | None:
        """While the answers are empty on a session day: ask again soon once the market is known
        open, so that a symbol not covered is named within minutes (see `Coverage`)."""
        recheck = self.coverage.recheck_in(self._session_day(), self.clock.now())
        if recheck is None:
            return None
        return max(self._fresh_in(), min(recheck, self._seconds_to_next_poll()))

    def _check_cache_key(self) -> None:
        """A catch-up's wider window answered from the cache (its `as_of` before the request):
        the server's cache is not keyed by the whole request, so catch-ups wait it out."""
        sent, answered = self._sent_at, self._answer_as_of
        if not self._widened or sent is None or answered is None:
            return
        if (sent - answered).total_seconds() > CACHED_SLACK:
            self._cache_by_request = False

    def _awaits_publication(self) -> bool:
        """The store lacks the bucket that closed last (or its flow or price): the answers'
        bars did not hold it. Judged by the bars alone: `data_as_of` feed times are delivery
        times, about now, and say nothing of which buckets are published."""
        expected = self._closed_bucket()
        return expected is not None and self._lacks_closed_bucket(expected)

    def _observe_publication(self) -> None:
        """Teach the settle how late the bucket that closed last came, from the offsets of the
        answers (their `as_of` after its close) that lacked it and that held it."""
        expected = self._closed_bucket()
        view = self.store.session(self.symbol, self.bar_size)
        if expected is None or self._answer_as_of is None or view is None:
            return
        if expected == self._resolved:
            return
        if expected != self._tracked:
            self._resolve_tracked(None)
            self._tracked, self._lacking_at = expected, None
        offset = (self._answer_as_of - expected - bar_delta(self.bar_size)).total_seconds()
        if self._lacks_closed_bucket(expected):
            if offset >= 0:  # an answer from before the close says nothing of the lag
                self._lacking_at = offset
        else:
            self._resolve_tracked(offset)

    def _resolve_tracked(self, held_at: float | None) -> None:
        """The tracked bucket came `held_at` seconds after its close (None: not before the
        next close)."""
        if self._tracked is None:
            return
        if self._lacking_at is not None and held_at is not None:
            # it came after the last answer that lacked it and by the first that held it: a
            # second apart, the latter; further apart (the first bar's catch-ups), between
            lacking = self._lacking_at
            self.settle.late(
                held_at if held_at - lacking <= CATCH_UP_WAIT else (lacking + held_at) / 2
            )
        elif self._lacking_at is not None and self._holds_bars() and not self._chased_out:
            # (no bars at all: no session to learn from; chased to the end: a bucket upstream
            # may never publish, which says nothing of the others)
            self.settle.unresolved(self._lacking_at)
        elif held_at is not None and held_at <= self.settle.settle + CATCH_UP_WAIT:
            self.settle.fitted()  # the first poll, at the settle, held it
        self._resolved, self._tracked = self._tracked, None

    def _closed_bucket(self) -> datetime | None:
        """The start of the bucket that closed last; None before the first close."""
        now = self.clock.now()
        size = BAR_SECONDS[self.bar_size]
        open_, close = session_bounds(self._session_day())
        if now < open_ + timedelta(seconds=size):
            return None
        closes = int((min(now, close) - open_).total_seconds() // size)  # none after the close
        return open_ + timedelta(seconds=(closes - 1) * size)

    def _lacks_closed_bucket(self, expected: datetime) -> bool:
        """The store lacks the bucket starting at `expected`, or its flow or price."""
        view = self.store.session(self.symbol, self.bar_size)
        if view is None or (view.no_session and self._past_no_session_grace()):
            return False
        if view.rows:
            newest = view.rows[-1]
            complete = None not in (newest.calls, newest.puts, newest.spot)
            if newest.t >= expected and complete:
                return False
        return True

    def _seconds_to_next_poll(self) -> float:
        return max(self._fresh_in(), self._seconds_to_close())

    def _replan(self) -> None:
        """Tell the quota planner how many polls the rest of the session holds."""
        _, close = session_bounds(self._session_day())
        self.planner.replan(polls_left(self.clock.now(), close, BAR_SECONDS[self.bar_size]))

    def _seconds_to_close(self) -> float:
        now = self.clock.now()
        size = BAR_SECONDS[self.bar_size]
        open_ = session_bounds(self._session_day())[0]
        view = self.store.session(self.symbol, self.bar_size)
        first_close = open_ + timedelta(seconds=size)
        if now < first_close:  # nothing can come before it; before the open, check now and then
            wait = (first_close - now).total_seconds()
            return (wait if now >= open_ else min(NO_SESSION_RECHECK, wait)) + SETTLE_SECONDS
        if view is not None and view.no_session and self._past_no_session_grace():
            return NO_SESSION_RECHECK
        since_open = (now - open_).total_seconds()
        next_close = open_ + timedelta(seconds=(math.floor(since_open / size) + 1) * size)
        return max(0.0, (next_close - now).total_seconds()) + self.settle.settle

    def _backoff(self, failures: int, error: ApiError) -> float:
        """Exponential backoff with full jitter, never shorter than the server's Retry-After."""
        ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (failures - 1))
        delay = self._rng.uniform(ceiling / 2, ceiling)
        if isinstance(error, RateLimited) and error.retry_after is not None:
            delay = max(delay, error.retry_after)
        return delay

    async def _sleep(self, market_seconds: float) -> None:
        """Sleep on the market clock; `pause` and `resume` cut it short, and so does
        `refresh_now`, though never to send a request the server can only answer from its
        cache: a refresh then waits until a fresh answer can exist."""
        due = self.clock.now() + timedelta(seconds=market_seconds)
        remaining = market_seconds
        while await self._nap(remaining):
            if not self._check_next or self.paused:
                return
            # a refresh pressed again while waiting for the cache keeps waiting
            remaining = min(self._fresh_in(), (due - self.clock.now()).total_seconds())
            if remaining <= 0:
                return

    async def _nap(self, market_seconds: float) -> bool:
        """Sleep up to `market_seconds`, showing when the next poll comes; True when woken."""
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
        return waker.done() and not sleeper.done()

    # --- status -------------------------------------------------------------------------------

    def _status(
        self,
        state: PollState,
        message: str,
        *,
        next_in: float | None = None,
        retry_in: float | None = None,
        reason: ErrorKind | None = None,
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
            note=self._note,
            as_of=self.as_of,
            data_as_of=self.data_as_of,
        )

    def _report(
        self,
        state: PollState,
        message: str,
        *,
        retry_in: float | None = None,
        reason: ErrorKind | None = None,
    ) -> None:
        self.status = self._status(state, message, retry_in=retry_in, reason=reason)
        self._emit()

    def _emit(self) -> None:
        if self.on_status is not None:
            self.on_status(self.status)


def _latest(*times: datetime | None) -> datetime | None:
    known = [t for t in times if t is not None]
    return max(known) if known else None


def _earliest(*times: datetime | None) -> datetime | None:
    known = [t for t in times if t is not None]
    return min(known) if known else None


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
