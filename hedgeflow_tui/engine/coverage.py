"""Whether a symbol is covered at all: FlashAlpha answers an unknown or uncovered symbol on the
hedge-flow and series endpoints with a normal 200 and empty `bars`, the same answer as "no 0DTE
session now". The two are told apart by whether the market is known to be open: another symbol
holds bars for the same day, or the clock is past the session's first close by more than any
publication lag. A symbol whose answers stay empty then, over two polls at least `SPAN` apart,
is not covered.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hedgeflow_tui.engine.store import Store
from hedgeflow_tui.market.bars import bar_delta
from hedgeflow_tui.market.calendar import is_session
from hedgeflow_tui.market.clock import session_bounds

PUBLICATION_ALLOWANCE = timedelta(seconds=60)  # after the first close: its bar is out by then
SPAN = timedelta(seconds=30)  # between the first empty answer and the one that decides
RECHECK_SECONDS = 30.0  # market seconds between polls once the market is known open


class Coverage:
    def __init__(self, store: Store, symbol: str, bar_size: str) -> None:
        self.store = store
        self.symbol = symbol
        self.bar_size = bar_size
        self._first_empty: datetime | None = None  # the first empty answer of a run of them
        self.woken = False  # the poller was woken once by another symbol's bars

    def waiting(self) -> bool:
        """Empty answers so far, and no wake-up yet for another symbol's bars."""
        return self._first_empty is not None and not self.woken

    def observe(self, empty: bool, now: datetime) -> None:
        """The last poll's answers were all empty (no bar held), or not."""
        if not empty:
            self._first_empty = None
        elif self._first_empty is None:
            self._first_empty = now

    def not_covered(self, day: date, now: datetime) -> bool:
        """Empty answers while another symbol holds bars of the day, or for at least `SPAN`
        while the clock says the market is open."""
        first = self._first_empty
        if first is None:
            return False
        if self._others_hold_bars(day):
            return True
        return now - first >= SPAN and self.market_open(day, now)

    def recheck_in(self, day: date, now: datetime) -> float | None:
        """Market seconds until asking again while the answers are empty: soon once the market
        is known open, and no later than the moment the clock will say so. None: not empty, or
        a day without a session."""
        if self._first_empty is None:
            return None
        if self.market_open(day, now):
            return RECHECK_SECONDS
        open_at = self._clock_says_open_at(day)
        if open_at is None or now >= open_at:
            return None
        return (open_at - now).total_seconds()

    def market_open(self, day: date, now: datetime) -> bool:
        """Another symbol holds bars of this day's session, or the clock is well into it."""
        if self._others_hold_bars(day):
            return True
        open_at = self._clock_says_open_at(day)
        return open_at is not None and open_at <= now < session_bounds(day)[1]

    def _others_hold_bars(self, day: date) -> bool:
        return bool(self.store.symbols_with_bars(day) - {self.symbol})

    def _clock_says_open_at(self, day: date) -> datetime | None:
        if not is_session(day):
            return None
        open_ = session_bounds(day)[0]
        return open_ + bar_delta(self.bar_size) + PUBLICATION_ALLOWANCE
