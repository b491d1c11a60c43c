"""The Textual app: one tab per symbol, each fed by its own poller (or by a recording) through
the shared store and detector.

Data flow: pollers run in workers and merge answers into the `Store`; the store's observer runs
each symbol's `AlertTracker` and posts a `FlowChanged` message; its handler repaints that
symbol's view and announces new alerts (notification, bell, `--alert-cmd`). Poller status
changes arrive as `StatusChanged` messages.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from textual import events
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from hedgeflow_tui.clock import ET
from hedgeflow_tui.config import Settings
from hedgeflow_tui.detector import Alert, AlertTracker
from hedgeflow_tui.headless import detector_config
from hedgeflow_tui.model import BAR_SIZES
from hedgeflow_tui.poller import Poller, PollStatus
from hedgeflow_tui.record import Recording, close_all, recorders_for
from hedgeflow_tui.sources import Source
from hedgeflow_tui.store import Change, Store
from hedgeflow_tui.ui.alert_command import run_alert_command
from hedgeflow_tui.ui.replay_driver import ReplayDriver
from hedgeflow_tui.ui.symbol_view import SymbolView
from hedgeflow_tui.ui.widgets.alert_log import LABELS

REPLAY_SPEED = 30.0
COMPACT_BELOW_ROWS = 32  # shorter terminals fold the banner and the alert log (app.tcss)


class FlowChanged(Message):
    def __init__(self, change: Change, alerts: list[Alert]) -> None:
        super().__init__()
        self.change = change
        self.alerts = alerts


class StatusChanged(Message):
    def __init__(self, status: PollStatus) -> None:
        super().__init__()
        self.status = status


LIVE_ACTIONS = {"toggle_pause", "refresh", "cycle_bar"}
REPLAY_ACTIONS = {
    "replay_play",
    "replay_back",
    "replay_forward",
    "replay_home",
    "replay_end",
    "replay_faster",
    "replay_slower",
}


class HedgeflowApp(App):
    CSS_PATH = Path(__file__).parent / "app.tcss"  # absolute: subclasses live elsewhere
    TITLE = "hedgeflow-tui"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="quit", tooltip="Quit hedgeflow-tui"),
        Binding("p", "toggle_pause", "Pause", id="pause", tooltip="Pause or resume polling"),
        Binding("r", "refresh", "Refresh", id="refresh", tooltip="Poll every symbol now"),
        Binding(
            "b",
            "cycle_bar",
            "Bar size",
            id="bar",
            tooltip="Next bar size (30s, 1m, 5m, 15m); reloads the session",
        ),
        Binding(
            "tab",
            "next_symbol",
            "Next symbol",
            id="next-symbol",
            priority=True,
            tooltip="Show the next symbol's tab",
        ),
        Binding(
            "question_mark", "help", "Help", id="help", key_display="?", tooltip="Keys and states"
        ),
        Binding(
            "space",
            "replay_play",
            "Play/pause",
            id="replay.play",
            tooltip="Play or pause the replay",
            priority=True,
        ),
        Binding(
            "left", "replay_back", "Back", id="replay.back", tooltip="One poll back", priority=True
        ),
        Binding(
            "right",
            "replay_forward",
            "Forward",
            id="replay.forward",
            tooltip="One poll forward",
            priority=True,
        ),
        Binding(
            "home",
            "replay_home",
            "Start",
            id="replay.home",
            tooltip="Start of recording",
            priority=True,
        ),
        Binding(
            "end", "replay_end", "End", id="replay.end", tooltip="End of recording", priority=True
        ),
        Binding(
            "plus,equals_sign",
            "replay_faster",
            "Faster",
            id="replay.faster",
            key_display="+",
            tooltip="Replay twice as fast",
        ),
        Binding(
            "minus",
            "replay_slower",
            "Slower",
            id="replay.slower",
            key_display="-",
            tooltip="Replay half as fast",
        ),
    ]

    def __init__(
        self,
        settings: Settings,
        source: Source | None = None,
        *,
        recording: Recording | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.source = source
        self.palette = settings.theme
        self.bar_size = recording.bar_size if recording else settings.bar
        if recording is None:
            self.symbols = settings.symbols
        else:
            in_batches = dict.fromkeys(batch.symbol for batch in recording.batches)
            self.symbols = recording.symbols or list(in_batches)
        self.store = Store()
        self.store.subscribe(self._on_store_change)
        self.trackers: dict[str, AlertTracker] = {}
        self.pollers: dict[str, Poller] = {}
        self.statuses: dict[str, PollStatus] = {}
        self.recorders = {}
        self.replay = (
            ReplayDriver(recording, self.store, settings.speed or REPLAY_SPEED)
            if recording is not None
            else None
        )
        self._announcing = True  # off while a replay seeks: alerts go to the log only
        self._replay_timer = None
        self.alert_errors: list[str] = []

    @classmethod
    def for_replay(cls, settings: Settings, recording: Recording) -> HedgeflowApp:
        return cls(settings, None, recording=recording)

    # --- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(id="symbols"):
            for symbol in self.symbols:
                with TabPane(symbol, id=f"tab-{symbol}"):
                    yield SymbolView(symbol, palette=self.palette)
        yield Footer()

    def on_mount(self) -> None:
        if self.palette == "colorblind":
            self.add_class("-colorblind")
        if self.replay is not None:
            self.sub_title = f"REPLAY · {len(self.replay.recording.batches)} polls"
            self._schedule_replay()
        else:
            self.sub_title = f"{self.source.kind} · {self.source.description}"
            self._start_pollers()
        self.set_interval(1.0, self._refresh_statuses)

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.height < COMPACT_BELOW_ROWS, "-compact")

    def view_of(self, symbol: str) -> SymbolView:
        return self.query_one(f"#view-{symbol}", SymbolView)

    # --- live polling -------------------------------------------------------------------------

    def _start_pollers(self) -> None:
        source = self.source
        if not self.recorders:
            day = source.clock.now().astimezone(ET).date()
            self.recorders = recorders_for(replace(self.settings, bar=self.bar_size), source, day)
        planner = source.make_planner()
        for symbol in self.symbols:
            recorder = self.recorders.get(symbol)
            client = source.make_client(recorder.exchange if recorder else None)
            poller = Poller(
                client,
                self.store,
                symbol,
                self.bar_size,
                source.clock,
                source=source.kind,
                minutes=self.settings.minutes,
                planner=planner,
                on_status=lambda status: self.post_message(StatusChanged(status)),
                on_batch=recorder.batch if recorder else None,
            )
            self.pollers[symbol] = poller
            self.statuses[symbol] = poller.status
            self.run_worker(
                self._poll(poller, client),
                name=f"poll-{symbol}",
                group="pollers",
                exit_on_error=False,
            )

    @staticmethod
    async def _poll(poller: Poller, client) -> None:
        try:
            await poller.run()
        finally:
            await client.aclose()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker failures surface: a status and a notification, no traceback."""
        worker = event.worker
        if event.state != WorkerState.ERROR:
            return
        message = f"internal error: {type(worker.error).__name__}: {worker.error}"
        if worker.group == "pollers":
            symbol = worker.name.removeprefix("poll-")
            status = self.statuses.get(symbol)
            if status is not None:
                self.post_message(
                    StatusChanged(replace(status, state="stopped", message=f"stopped: {message}"))
                )
        self.notify(message, title="hedgeflow-tui", severity="error", timeout=10)

    def on_unmount(self) -> None:
        close_all(self.recorders)

    # --- data ---------------------------------------------------------------------------------

    def _on_store_change(self, change: Change) -> None:
        """Runs inside the store's `apply`: the detector sees every batch, as in headless mode."""
        if change.bar_size != self.bar_size:
            return  # a poller of the previous bar size finishing its last poll
        tracker = self.trackers.get(change.symbol)
        if tracker is None or change.new_session:
            tracker = self.trackers[change.symbol] = AlertTracker(
                change.symbol, detector_config(self.settings)
            )
        view = self.store.session(change.symbol, change.bar_size)
        alerts = tracker.update(view.rows if view else ())
        if self._announcing:
            self.post_message(FlowChanged(change, alerts))

    def on_flow_changed(self, message: FlowChanged) -> None:
        symbol = message.change.symbol
        self._repaint(symbol)
        view = self.view_of(symbol)
        for alert in message.alerts:
            view.add_alert(alert)
            self._announce(alert)

    def _repaint(self, symbol: str) -> None:
        tracker = self.trackers.get(symbol)
        self.view_of(symbol).show_data(
            self.store.session(symbol, self.bar_size),
            tracker.signal if tracker else None,
            self.bar_size,
            tracker.alerts if tracker else (),
        )
        self._mark_tab(symbol)

    def _mark_tab(self, symbol: str) -> None:
        """A symbol whose banner is up says so on its tab, so another tab still sees it."""
        tracker = self.trackers.get(symbol)
        signal = tracker.signal if tracker else None
        label = symbol
        if signal is not None and signal.state != "quiet":
            label = f"{symbol} {'▲' if signal.direction == 'up' else '▼'} SQUEEZE"
        tab = self.query_one(TabbedContent).get_tab(f"tab-{symbol}")
        if str(tab.label) != label:
            tab.label = label

    def _announce(self, alert: Alert) -> None:
        arrow = "▲" if alert.direction == "up" else "▼"
        severity = "error" if alert.kind == "squeeze_confirmed" else "warning"
        if alert.kind in ("squeeze_ended",):
            severity = "information"
        self.notify(
            f"{arrow} {LABELS[alert.kind]} · {alert.bars} bars · {alert.attribution}",
            title=f"{alert.symbol} squeeze alert",
            severity=severity,
            timeout=8,
        )
        if self.settings.bell:
            self.bell()
        if self.settings.alert_cmd:
            self.run_worker(self._alert_command(alert), group="alert-cmd", exit_on_error=False)

    async def _alert_command(self, alert: Alert) -> None:
        problem = await run_alert_command(self.settings.alert_cmd, alert)
        if problem is not None:
            self.alert_errors.append(problem)
            self.notify(problem, title="--alert-cmd failed", severity="error", timeout=8)

    # --- status -------------------------------------------------------------------------------

    def on_status_changed(self, message: StatusChanged) -> None:
        status = message.status
        self.statuses[status.symbol] = status
        self._show_status(status)

    def _show_status(self, status: PollStatus) -> None:
        view = self.store.session(status.symbol, self.bar_size)
        if self.replay is not None:
            now, speed = self.replay.now(), self.replay.speed
        else:
            now, speed = self.source.clock.now(), self.source.clock.speed
        self.view_of(status.symbol).show_status(
            status,
            bar_size=self.bar_size,
            now=now or datetime.now(ET),
            expiration=view.expiration if view else None,
            speed=speed,
        )

    def _refresh_statuses(self) -> None:
        if self.replay is not None:
            for symbol in self.symbols:
                self._show_status(self._replay_status(symbol))
            return
        for status in self.statuses.values():
            self._show_status(status)

    # --- live keys ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in LIVE_ACTIONS and self.replay is not None:
            return False
        return not (action in REPLAY_ACTIONS and self.replay is None)

    def action_toggle_pause(self) -> None:
        pause = not any(p.paused for p in self.pollers.values())
        for poller in self.pollers.values():
            poller.pause() if pause else poller.resume()

    def action_refresh(self) -> None:
        for poller in self.pollers.values():
            poller.refresh_now()

    def action_cycle_bar(self) -> None:
        """Next bar size: stop the pollers, forget the old bars, back-fill at the new size."""
        self.workers.cancel_group(self, "pollers")
        self.store.clear(bar_size=self.bar_size)
        self.bar_size = BAR_SIZES[(BAR_SIZES.index(self.bar_size) + 1) % len(BAR_SIZES)]
        self.trackers.clear()
        for symbol in self.symbols:
            self.view_of(symbol).reset()
        self.notify(f"bar size {self.bar_size}: loading the session", timeout=3)
        self._start_pollers()

    def action_next_symbol(self) -> None:
        tabs = self.query_one(TabbedContent)
        ids = [f"tab-{symbol}" for symbol in self.symbols]
        tabs.active = ids[(ids.index(tabs.active) + 1) % len(ids)] if tabs.active in ids else ids[0]

    def action_help(self) -> None:
        from hedgeflow_tui.ui.help import HelpScreen  # Markdown is slow to import: not at launch

        self.push_screen(HelpScreen())

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for binding in self.BINDINGS:
            if binding.action in ("quit", "help") or self.check_action(binding.action, ()) is False:
                continue
            yield SystemCommand(
                binding.description, binding.tooltip, getattr(self, f"action_{binding.action}")
            )
        yield SystemCommand("Help", "Keys and states", self.action_help)

    # --- replay -------------------------------------------------------------------------------

    def _replay_status(self, symbol: str) -> PollStatus:
        driver = self.replay
        view = self.store.session(symbol, self.bar_size)
        state = "closed" if driver.at_end else "ok" if driver.playing else "paused"
        where = "end of recording" if driver.at_end else "playing" if driver.playing else "paused"
        return PollStatus(
            symbol=symbol,
            source="REPLAY",
            state=state,
            message=(f"poll {driver.position}/{driver.total} · {driver.speed:g}x · {where}"),
            last_success=driver.now(),
            last_bar=view.last_t if view else None,
            next_poll=None,
            retry_in=None,
            quota=None,
        )

    def _schedule_replay(self) -> None:
        if self._replay_timer is not None:
            self._replay_timer.stop()
        self._replay_timer = self.set_timer(self.replay.delay(), self._replay_tick)

    def _replay_tick(self) -> None:
        driver = self.replay
        if driver.playing and driver.step():
            self._refresh_statuses()
            self._schedule_replay()
        elif driver.at_end:
            driver.playing = False
            self._refresh_statuses()

    def _seek(self, position: int) -> None:
        """Rebuild the store and detector from the first poll to `position`, quietly."""
        driver = self.replay
        self._announcing = False
        try:
            driver.rewind()
            self.trackers.clear()
            while driver.position < position and driver.step():
                pass
        finally:
            self._announcing = True
        for symbol in self.symbols:
            view = self.view_of(symbol)
            view.reset()
            tracker = self.trackers.get(symbol)
            for alert in tracker.alerts if tracker else ():
                view.add_alert(alert)
            self._repaint(symbol)
        self._refresh_statuses()

    def action_replay_play(self) -> None:
        driver = self.replay
        if driver.at_end:
            self._seek(0)
        driver.playing = not driver.playing
        if driver.playing:
            self._schedule_replay()
        self._refresh_statuses()

    def action_replay_forward(self) -> None:
        self.replay.playing = False
        self.replay.step()
        self._refresh_statuses()

    def action_replay_back(self) -> None:
        self.replay.playing = False
        self._seek(max(0, self.replay.position - 1))

    def action_replay_home(self) -> None:
        self.replay.playing = False
        self._seek(0)

    def action_replay_end(self) -> None:
        self.replay.playing = False
        self._seek(self.replay.total)

    def action_replay_faster(self) -> None:
        self.replay.speed *= 2
        self._refresh_statuses()

    def action_replay_slower(self) -> None:
        self.replay.speed /= 2
        self._refresh_statuses()
