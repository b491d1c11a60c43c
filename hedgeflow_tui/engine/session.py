"""The engine of one run: the source's clients, the quota planner, one poller per symbol, the
flow pipeline (store, detector, history) and the recorders, behind one subscription API.

Headless mode writes JSON lines from it and the dashboard paints from it; neither wires pollers
itself. The caller runs each symbol's `poll` coroutine (an asyncio task, or a Textual worker)
and cancels them to stop; `pause`, `resume`, `refresh` and `change_bar` act on every symbol.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from hedgeflow_tui.api.client import FlashAlphaClient
from hedgeflow_tui.api.errors import ErrorKind
from hedgeflow_tui.config.settings import Settings
from hedgeflow_tui.engine.pipeline import FlowPipeline, UpdateObserver
from hedgeflow_tui.engine.poller import Poller
from hedgeflow_tui.engine.sources import Source
from hedgeflow_tui.engine.status import PollStatus
from hedgeflow_tui.engine.store import Store
from hedgeflow_tui.market.calendar import SESSION_OPEN, is_session, next_session, session_text
from hedgeflow_tui.market.clock import ET
from hedgeflow_tui.storage.history import History, HistoryFeed, market_of, open_history
from hedgeflow_tui.storage.recording.writer import Recorder, close_all, recorders_for

StatusObserver = Callable[[PollStatus], None]
BEFORE_THE_OPEN = timedelta(minutes=5)  # a dashboard open overnight starts polling then
RecordingObserver = Callable[[str, list[str]], None]  # (message, the symbols it recorded)


class FeedSession:
    """Everything that feeds the store from `source` at one bar size at a time.

    Opening it opens the history (`history_note` says why there is none) and the recorders
    (`RecordingError` when a path cannot be written, unless the caller opened them)."""

    def __init__(
        self,
        settings: Settings,
        source: Source,
        pipeline: FlowPipeline | None = None,
        *,
        recorders: dict[str, Recorder] | None = None,
        bar_size: str | None = None,
    ) -> None:
        self.settings = settings
        self.source = source
        self.pipeline = pipeline or FlowPipeline(
            settings.sensitivity, rules=settings.alert_rules, levels=settings.level_alerts
        )
        self.bar_size = bar_size or settings.bar
        self.history: History | None
        self.history, self.history_note = open_history(settings.history)
        self.market = market_of(source.kind, settings.seed)
        self.on_history_problem: Callable[[str | None], None] | None = None
        # told the note once a write finds the database damaged and the history is closed
        self.on_history_off: Callable[[str], None] | None = None
        if self.history is not None:
            self.pipeline.history = _feed(
                self.history, self.market, self._history_problem, self._history_damaged
            )
        if recorders is None:
            day = source.clock.now().astimezone(ET).date()
            recorders = recorders_for(replace(settings, bar=self.bar_size), source, day)
        self.recorders = recorders
        for recorder in set(recorders.values()):
            symbols = [s for s in settings.symbols if recorders.get(s) is recorder]
            recorder.on_failure = self._recording_failed_for(symbols)
        self.on_recording_failed: RecordingObserver | None = None
        self.pollers: dict[str, Poller] = {}
        self.statuses: dict[str, PollStatus] = {}
        self._clients: dict[str, FlashAlphaClient] = {}
        self._status_observers: list[StatusObserver] = []
        self.build_pollers()

    @property
    def symbols(self) -> list[str]:
        return self.settings.symbols

    @property
    def store(self) -> Store:
        return self.pipeline.store

    def subscribe(
        self, on_update: UpdateObserver | None = None, on_status: StatusObserver | None = None
    ) -> None:
        """Be told of every store change with its alerts, and of every status change."""
        if on_update is not None:
            self.pipeline.subscribe(on_update)
        if on_status is not None:
            self._status_observers.append(on_status)

    # --- polling ------------------------------------------------------------------------------

    def build_pollers(self) -> None:
        """A poller and a client per symbol at the current bar size, with one quota plan."""
        self._planner = self.source.make_planner()
        for symbol in self.symbols:
            self._build_poller(symbol)

    def _build_poller(self, symbol: str) -> None:
        recorder = self.recorders.get(symbol)
        client = self.source.make_client(recorder.exchange if recorder else None)
        self._clients[symbol] = client
        poller = Poller(
            client,
            self.store,
            symbol,
            self.bar_size,
            self.source.clock,
            source=self.source.kind,
            minutes=self.settings.minutes,
            planner=self._planner,
            requests=self.settings.requests,
            max_failures=self.settings.max_retries,
            on_status=self._status_changed,
            on_batch=recorder.batch if recorder else None,
        )
        self.pollers[symbol] = poller
        self.statuses[symbol] = poller.status

    async def poll(self, symbol: str) -> None:
        """Poll `symbol` until its session is over, a fatal error, or cancellation; its client
        is closed either way."""
        poller, client = self.pollers[symbol], self._clients[symbol]  # a bar change replaces them
        try:
            await poller.run()
        finally:
            await client.aclose()

    async def follow(self, symbol: str) -> None:
        """Poll `symbol` session after session, for a dashboard left open overnight: once a
        session is over (or the day has none), wait for the next one's open, then poll it
        afresh. Its first answers name the new day, so the store, the detector and the history
        start a new session (back-filled, its alerts history, never announced). Ends on a stop
        that polling again cannot mend (bad key, plan too low, unknown symbol, --max-retries)
        or on cancellation; a quota used up waits for the next session too (it resets at
        midnight UTC)."""
        while True:
            await self.poll(symbol)
            status = self.statuses[symbol]
            if status.state == "stopped" and status.reason != ErrorKind.RATE_LIMITED:
                return
            if status.state == "stopped" and "--max-retries" in status.message:
                return
            await self._wait_for_next_session(symbol)
            self._build_poller(symbol)

    async def _wait_for_next_session(self, symbol: str) -> None:
        """Sleep (on the market clock) until shortly before the next session opens, saying
        when it does."""
        clock = self.source.clock
        now = clock.now().astimezone(ET)
        day = now.date()
        if not (is_session(day) and now.time() < SESSION_OPEN):
            day = next_session(day)
        opens = datetime.combine(day, SESSION_OPEN, ET)
        wake = max(now, opens - BEFORE_THE_OPEN)
        done = self.statuses[symbol]
        said = done.message.removeprefix("stopped: ")
        if "next session" not in said:  # a holiday's status names it already
            said = f"{said}; next session {session_text(day)}"
        self._status_changed(
            replace(
                done,
                message=said,
                next_poll=wake,
                retry_in=None,
            )
        )
        await clock.sleep((wake - clock.now()).total_seconds())

    def change_bar(self, bar_size: str) -> None:
        """Forget the bars of the old size and poll the session afresh at `bar_size`. The
        caller has cancelled the old polls and runs the new ones."""
        self.store.clear(bar_size=self.bar_size)
        self.pipeline.trackers.clear()
        self.bar_size = bar_size
        self.build_pollers()

    @property
    def paused(self) -> bool:
        return any(poller.paused for poller in self.pollers.values())

    def pause(self) -> None:
        for poller in self.pollers.values():
            poller.pause()

    def resume(self) -> None:
        for poller in self.pollers.values():
            poller.resume()

    def refresh(self) -> None:
        """Poll every symbol now, every endpoint."""
        for poller in self.pollers.values():
            poller.refresh_now()

    def close(self) -> str | None:
        """Close the recorders and the history (the clients close with their polls): the
        history's writer first writes what it still holds, waiting a few seconds for a lock
        another process holds; returns what could not be stored, if anything."""
        close_all(self.recorders)
        return self.close_history()

    def close_history(self, note: str | None = None) -> str | None:
        """Stop writing the history (`note`: why, when it is not the end of the run)."""
        feed, self.pipeline.history = self.pipeline.history, None
        left = feed.finish() if feed is not None else None
        if self.history is not None:
            self.history.close()
            self.history = None
            self.history_note = note
        return left

    def _history_problem(self, problem: str | None) -> None:
        if self.on_history_problem is not None:
            self.on_history_problem(problem)

    def _history_damaged(self, error: Exception) -> None:
        """No write can succeed any more: history off for the rest of the run, and said."""
        note = f"history off: {error}"
        self.close_history(note)
        if self.on_history_off is not None:
            self.on_history_off(note)

    # --- observers ----------------------------------------------------------------------------

    def _status_changed(self, status: PollStatus) -> None:
        self.statuses[status.symbol] = status
        for observer in self._status_observers:
            observer(status)

    def _recording_failed_for(self, symbols: list[str]) -> Callable[[str], None]:
        def failed(message: str) -> None:
            if self.on_recording_failed is not None:
                self.on_recording_failed(message, symbols)

        return failed


def _feed(
    history: History,
    market: str,
    on_problem: Callable[[str | None], None],
    on_damage: Callable[[Exception], None],
) -> HistoryFeed:
    """The history's feed: on an event loop, writing from a thread of its own (so that SQLite
    never blocks the loop), its news brought back to the loop."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return HistoryFeed(history, market, on_problem=on_problem, on_damage=on_damage)
    return HistoryFeed(
        history,
        market,
        background=True,
        call_soon=loop.call_soon_threadsafe,
        on_problem=on_problem,
        on_damage=on_damage,
    )
