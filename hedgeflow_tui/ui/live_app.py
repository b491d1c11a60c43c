"""The live dashboard: the engine's `FeedSession` (one poller per symbol, each in a worker,
merging into the shared store) painted; keys to pause, poll now and change the bar size. Poller
status changes arrive as `StatusChanged`.

Chrome first: the app paints its first frame (DashboardApp), mounts the views, then opens the
source (the HTTP stack, and the simulator with numpy) in a thread worker unless it was given one,
and starts the pollers once it is open.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType
from textual.css.query import NoMatches
from textual.message import Message
from textual.worker import Worker, WorkerState

from hedgeflow_tui.config.settings import Settings
from hedgeflow_tui.market.bars import BAR_SIZES
from hedgeflow_tui.ui.app import (
    HELP,
    LIVE_EDGE,
    NEXT_SYMBOL,
    OVERVIEW,
    PAST,
    QUIT,
    SENSITIVITY,
    WINDOW,
    ZOOM,
    DashboardApp,
    cursor_keys,
    worker_error,
)

if TYPE_CHECKING:  # the HTTP stack, the store and the history are imported after the first frame
    from hedgeflow_tui.analysis.gauge import GaugeHistory
    from hedgeflow_tui.analysis.run_context import RunHistory
    from hedgeflow_tui.engine.poller import Poller
    from hedgeflow_tui.engine.session import FeedSession
    from hedgeflow_tui.engine.sources import Source
    from hedgeflow_tui.engine.status import PollStatus
    from hedgeflow_tui.storage.history import History
    from hedgeflow_tui.storage.recording.writer import Recorder


class StatusChanged(Message):
    def __init__(self, status: PollStatus) -> None:
        super().__init__()
        self.status = status


class LiveApp(DashboardApp):
    MODE = "live"
    HELP_NOTES = """\
**Status.** ok · retrying in Ns (last data kept) · STALE with its age once no new bar has come
for two bar intervals (banner dimmed, tab marked) · rate-limited · paused · stopped: reason (bad
key, plan too low) · no 0DTE session (wait for 09:30 ET, or use `--demo`).
"""
    BINDINGS: ClassVar[list[BindingType]] = [
        # the chart's view first: one footer group entry needs its keys together
        *cursor_keys("left", "right"),
        WINDOW,
        ZOOM,
        # in the help and the palette: the footer has no room left at 80 columns
        replace(LIVE_EDGE, key="escape,end", key_display="esc/end", show=False),
        QUIT,
        Binding("p", "pause", "Pause", id="pause", tooltip="Pause polling"),
        Binding("p", "resume", "Resume", id="resume", tooltip="Resume polling"),
        Binding("r", "refresh", "Poll now", id="refresh", tooltip="Poll every symbol now"),
        Binding(
            "b",
            "cycle_bar",
            "Bar size",
            id="bar",
            tooltip="Next bar size (30s, 1m, 5m, 15m); reloads the session",
        ),
        SENSITIVITY,
        NEXT_SYMBOL,
        OVERVIEW,
        PAST,
        HELP,
    ]

    def __init__(
        self,
        settings: Settings,
        source: Source | None = None,
        recorders: dict[str, Recorder] | None = None,
    ) -> None:
        super().__init__(settings, settings.symbols, settings.bar)
        self.source = source  # None: opened by `open_source` after the first frame
        self.session: FeedSession | None = None  # the engine, once the source is open
        self.statuses: dict[str, PollStatus] = {}
        self.recorders = recorders  # None: the session opens them (`record_dir`)
        self.history_note: str | None = None
        self.building: tuple[int, int] | None = None  # past simulated sessions (done, to do)
        self.past_to_build = False  # the demo's past sessions, built after the first poll
        self.run_history: RunHistory | None = None
        self.gauge_history: GaugeHistory | None = None

    def help_title(self) -> str:
        """live, simulated market or remote server: as the status line's badge says."""
        kind = self.source.kind if self.source is not None else None
        return {"SIMULATED": "simulated market", "REMOTE": "remote server"}.get(kind or "", "live")

    def current_statuses(self) -> Iterable[PollStatus]:
        return self.statuses.values()

    def market_now(self) -> datetime:
        return self._source().clock.now()

    def market_speed(self) -> float:
        return self._source().clock.speed

    def source_host(self) -> str | None:
        return self.source.host if self.source is not None else None

    def on_mount(self) -> None:
        if self.source is None:
            self.sub_title = "opening the data source…"

    def views_mounted(self) -> None:
        if self.source is None:
            self._open_source()
        else:
            self._source_opened(self.source)

    @property
    def pollers(self) -> dict[str, Poller]:
        return self.session.pollers if self.session is not None else {}

    @property
    def history(self) -> History | None:
        return self.session.history if self.session is not None else None

    @property
    def market(self) -> str:
        """The history's market of the source (`market_of`), once it is open."""
        return self.session.market if self.session is not None else ""

    def past_source(self) -> tuple[History, str] | None:
        history = self.history
        return (history, self.market) if history is not None else None

    def on_unmount(self) -> None:
        if self.session is not None:
            self.session.close()
        elif self.recorders:
            from hedgeflow_tui.storage.recording.writer import close_all

            close_all(self.recorders)

    # --- the source ---------------------------------------------------------------------------

    def _open_source(self) -> None:
        self.run_worker(self._build_source, name="open-source", thread=True, exit_on_error=False)

    def _build_source(self) -> None:
        from hedgeflow_tui.engine.sources import open_source

        source = open_source(self.settings)  # the settings were checked before the app started
        self.call_from_thread(self._source_opened, source)

    def _source_opened(self, source: Source) -> None:
        from hedgeflow_tui.engine.session import FeedSession

        self.source = source
        self.sub_title = f"{source.kind} · {source.description}"
        session = FeedSession(
            self.settings,
            source,
            self.pipeline,
            recorders=self.recorders,
            bar_size=self.bar_size,
        )
        self.session = session
        session.subscribe(on_status=self._post_status)
        session.on_recording_failed = self._recording_failed
        session.on_history_problem = self._history_problem
        session.on_history_off = self._say_history_off
        self._history_opened(session)
        self._start_polls()

    def _recording_failed(self, message: str, symbols: list[str]) -> None:
        """A recording that stopped mid-session (a full disk): said, and kept in the title."""
        self.sub_title = f"{self.sub_title} · {message}"
        self.notify(message, title="--record", severity="error", timeout=30, markup=False)

    def _source(self) -> Source:
        if self.source is None:
            raise RuntimeError("the data source is not open yet")
        return self.source

    # --- history ------------------------------------------------------------------------------

    def _history_opened(self, session: FeedSession) -> None:
        """Every session goes into the history database (unless --no-history): say why not."""
        self.history_note = session.history_note
        if self.history_note:
            self.notify(self.history_note, title="history", severity="warning", timeout=8)
            if session.history is None:
                self._show_history_off()
        simulated = session.source.kind == "SIMULATED"
        history = session.history
        # after the first poll (on_status_changed): its child process and its history reads
        # would otherwise compete with the first fetch for the CPU
        self.past_to_build = history is not None and history.writable and simulated

    def _history_problem(self, problem: str | None) -> None:
        """The history's writer failed (kept, and tried again with the next poll), or works
        again."""
        self.history_note = problem
        if problem is not None:
            self.notify(
                f"{problem}: tried again with the next poll",
                title="history",
                severity="error",
                timeout=10,
                markup=False,
            )

    def _history_off(self, error: Exception) -> None:
        """The history cannot be read (damaged pages, a foreign database): the dashboard goes
        on without it, and says so."""
        note = f"history off: {error}"
        if self.session is not None:
            self.session.close_history(note)
        self._say_history_off(note)

    def _say_history_off(self, note: str) -> None:
        """The history is closed (`note`: why): in a notification and where the gauge goes."""
        self.history_note = note
        self.notify(note, title="history", severity="error", timeout=10, markup=False)
        self._show_history_off()

    def _show_history_off(self) -> None:
        """Where the gauge would be: why there is none."""
        for symbol in self.symbols:
            with contextlib.suppress(NoMatches):
                self.view_of(symbol).show_gauge(None, self.history_note or "")

    def _start_building_past(self) -> None:
        self.run_worker(
            self._build_past(), name="past-sessions", group="history", exit_on_error=False
        )

    async def _build_past(self) -> None:
        """The simulator's previous sessions, newest first, in a worker process, each written
        as it comes; the gauges repaint as they grow."""
        history = self.history
        assert history is not None
        from hedgeflow_tui.market.clock import ET
        from hedgeflow_tui.storage import (
            demo_history,  # numpy and the model: not before the first frame
        )
        from hedgeflow_tui.storage.history import HistoryError

        today = self._source().clock.now().astimezone(ET).date()
        try:
            todo = [
                (symbol, day)
                for day in demo_history.past_days(today, demo_history.PAST_SESSIONS)
                for symbol in self.symbols
                if not history.has_session(symbol, day, self.bar_size, self.market)
            ]
        except HistoryError as error:
            self._history_off(error)
            return
        if not todo:
            return
        self.building = (0, len(todo))
        for symbol in self.symbols:
            self._show_gauge(symbol)
        seed, sensitivity = self.settings.seed, self.settings.sensitivity
        try:
            done = 0
            async for sessions in demo_history.stream_sessions(todo, seed, sensitivity):
                try:
                    await asyncio.to_thread(
                        demo_history.store_sessions, history, sessions, self.market
                    )
                except (HistoryError, sqlite3.Error) as error:
                    self.notify(
                        f"past sessions not built: {error}",
                        title="history",
                        severity="warning",
                        timeout=8,
                        markup=False,
                    )
                    return
                done += 1
                self.building = (done, len(todo)) if done < len(todo) else None
                for symbol in self.symbols:
                    self._show_gauge(symbol)
        finally:
            self.building = None

    def repaint(self, symbol: str) -> None:
        super().repaint(symbol)
        self._show_gauge(symbol)

    def _show_gauge(self, symbol: str) -> None:
        """Today against the stored sessions of this symbol, bar size and market."""
        from hedgeflow_tui.storage.history import HistoryError

        try:
            self._read_gauge(symbol)
        except HistoryError as error:
            self._history_off(error)

    def _read_gauge(self, symbol: str) -> None:
        history = self.history
        if history is None:
            return
        from hedgeflow_tui.analysis.gauge import GaugeHistory
        from hedgeflow_tui.analysis.run_context import RunHistory
        from hedgeflow_tui.storage.history import market_label, session_day

        view = self.store.session(symbol, self.bar_size)
        day = session_day(view) if view is not None else None
        if view is None or day is None:
            return
        if self.gauge_history is None:
            self.gauge_history = GaugeHistory(history)
        reading = self.gauge_history.reading(symbol, self.bar_size, self.market, day, view.rows)
        about = [f"{symbol} {self.bar_size}", market_label(self.market)]
        if reading is not None:
            about.append(f"{reading.stored} stored")
        if self.building is not None:
            about.append(f"building past sessions {self.building[0]}/{self.building[1]}")
        if self.history_note:
            about.append(self.history_note)
        view_of = self.view_of(symbol)
        view_of.show_gauge(reading, " · ".join(about))
        if self.run_history is None:
            self.run_history = RunHistory(history)
        signal = self.trackers.signal(symbol)
        context = self.run_history.context(symbol, self.bar_size, self.market, day, signal)
        view_of.show_run_context(context.text if context is not None else None)

    # --- polling ------------------------------------------------------------------------------

    def _start_polls(self) -> None:
        """Each symbol's polling in a worker of the `pollers` group, session after session: a
        dashboard open overnight shows the next session when it opens."""
        session = self.session
        assert session is not None
        self.statuses.update(session.statuses)
        for symbol in self.symbols:
            self.run_worker(
                session.follow(symbol), name=f"poll-{symbol}", group="pollers", exit_on_error=False
            )

    def _post_status(self, status: PollStatus) -> None:
        self.post_message(StatusChanged(status))  # the poller runs in a worker: via a message

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A poller that failed shows it in its status line (the notification is the base's)."""
        worker = event.worker
        if event.state != WorkerState.ERROR or worker.group != "pollers":
            return
        status = self.statuses.get(worker.name.removeprefix("poll-"))
        if status is not None:
            message = f"stopped: {worker_error(worker)}"
            self.post_message(StatusChanged(replace(status, state="stopped", message=message)))

    def on_status_changed(self, message: StatusChanged) -> None:
        status = message.status
        self.statuses[status.symbol] = status
        self.show_status(status)
        self._show_overview()
        if self.past_to_build and status.state != "loading":
            self.past_to_build = False
            self.call_after_refresh(self._start_building_past)  # once its data is painted

    # --- keys ---------------------------------------------------------------------------------

    @property
    def paused(self) -> bool:
        return self.session is not None and self.session.paused

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`p` is Pause while polling and Resume while paused (the footer says which)."""
        shown = super().check_action(action, parameters)
        if shown is not True:
            return shown
        if action == "pause":
            return not self.paused
        if action == "resume":
            return self.paused
        return True

    def action_pause(self) -> None:
        if self.session is not None:
            self.session.pause()
        self.refresh_bindings()

    def action_resume(self) -> None:
        if self.session is not None:
            self.session.resume()
        self.refresh_bindings()

    def action_refresh(self) -> None:
        if self.session is not None:
            self.session.refresh()

    def action_cycle_bar(self) -> None:
        """Next bar size: stop the pollers, forget the old bars, back-fill at the new size."""
        if self.session is None:
            return  # still opening: the pollers start at the bar size given
        self.workers.cancel_group(self, "pollers")
        self.bar_size = BAR_SIZES[(BAR_SIZES.index(self.bar_size) + 1) % len(BAR_SIZES)]
        self.session.change_bar(self.bar_size)
        self.show_chart_view(self.chart_view.fit_bar(self.bar_size))
        for symbol in self.symbols:
            self.view_of(symbol).reset(self.bar_size)
        self.notify(f"bar size {self.bar_size}: loading the session", timeout=3)
        self._start_polls()
