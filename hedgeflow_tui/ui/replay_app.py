"""A recording played through the dashboard: the REPLAY badge, and keys to play, pause, step,
seek and change the speed. Seeking rebuilds the store and the detector quietly up to the poll
sought (from where its sessions began), so the alert log shows what had fired by then. Polls are
read from the file as they are played (`RecordingIndex`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType
from textual.timer import Timer

from hedgeflow_tui.config.settings import Settings
from hedgeflow_tui.engine.status import PollState, PollStatus
from hedgeflow_tui.storage.recording.index import RecordingIndex
from hedgeflow_tui.storage.recording.replay import ReplayDriver

if TYPE_CHECKING:
    from hedgeflow_tui.storage.history import History
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
)

SPEEDS = tuple(2.0**k for k in range(-3, 7))  # 1/8x .. 64x: + and - step through these
REPLAY_SPEED = 32.0
# keys shown as one footer entry each, so every replay key fits in 80 columns
STEP = Binding.Group("Step", compact=True)
ENDS = Binding.Group("Start/End", compact=True)
SPEED = Binding.Group("Speed", compact=True)


def speed_text(speed: float) -> str:
    """1/8x, 1/2x, 1x, 32x (and any speed given on the command line as it is)."""
    if speed < 1 and (1 / speed).is_integer():
        return f"1/{1 / speed:g}x"
    return f"{speed:g}x"


class ReplayApp(DashboardApp):
    PALETTE_HINT = False
    MODE = "replay"
    HELP_NOTES = f"""\
**Replay.** The recording's polls play at the pace they were recorded, times the speed
({speed_text(SPEEDS[0])} .. {speed_text(SPEEDS[-1])}). Stepping back or seeking re-reads the
recording up to that poll quietly: the alert log shows what had fired by then, as history.

**Status.** REPLAY · poll N/M · speed · playing, paused or end of recording; other bar sizes the
recording holds are named (`b` shows the next).
"""
    BINDINGS: ClassVar[list[BindingType]] = [
        QUIT,
        SENSITIVITY,
        NEXT_SYMBOL,
        OVERVIEW,
        PAST,
        HELP,
        Binding("space", "replay_pause", "Pause", id="replay.pause", tooltip="Pause"),
        Binding("space", "replay_play", "Play", id="replay.play", tooltip="Play"),
        Binding(
            "b",
            "cycle_bar",
            "Bar size",
            id="bar",
            tooltip="Next bar size held in the recording",
        ),
        Binding(  # a recording of one size: `b` says so
            "b",
            "one_bar_size",
            "Bar size",
            show=False,
            tooltip="Next bar size held in the recording",
        ),
        Binding(
            "left",
            "replay_back",
            "Step back",
            id="replay.back",
            tooltip="One poll back",
            group=STEP,
        ),
        Binding(
            "right",
            "replay_forward",
            "Step forward",
            id="replay.forward",
            tooltip="One poll forward",
            group=STEP,
        ),
        Binding(
            "home",
            "replay_home",
            "Start",
            id="replay.home",
            tooltip="Start of recording",
            group=ENDS,
        ),
        Binding(
            "end",
            "replay_end",
            "End",
            id="replay.end",
            tooltip="End of recording",
            group=ENDS,
        ),
        Binding(
            "plus,equals_sign",
            "replay_faster",
            "Faster",
            id="replay.faster",
            key_display="+",
            tooltip="Replay twice as fast",
            group=SPEED,
        ),
        Binding(
            "minus",
            "replay_slower",
            "Slower",
            id="replay.slower",
            key_display="-",
            tooltip="Replay half as fast",
            group=SPEED,
        ),
        # the chart's view keys: in the help and the command palette; the replay's own keys
        # fill the footer at 80 columns
        *(
            replace(binding, show=False)
            for binding in (
                WINDOW,
                ZOOM,
                *cursor_keys("shift+left", "shift+right"),  # the arrows step the replay
                LIVE_EDGE,
            )
        ),
    ]

    def __init__(self, settings: Settings, recording: RecordingIndex) -> None:
        super().__init__(settings, recording.symbols, recording.bar_size)
        # every bar size the recording holds, in the order it first appears (`b` cycles them)
        self.bar_sizes = recording.bar_sizes or [recording.bar_size]
        self._footer_playing = True
        self.driver = ReplayDriver(recording, self.store, settings.speed or REPLAY_SPEED)
        self._timer: Timer | None = None
        header = recording.headers[0] if recording.headers else {}
        self._recorded = (str(header.get("source", "LIVE")), header.get("seed"))
        self._history: tuple[History, str] | None = None  # opened read-only when first needed
        self._history_tried = False

    def strike_plan(self, symbol: str) -> str | None:
        from hedgeflow_tui.ui.widgets.strike_ladder import REPLAYED

        return REPLAYED  # a recording says nothing of the plan, only what was answered

    def past_source(self) -> tuple[History, str] | None:
        """The session history, read-only, and the recording's market (its header's source)."""
        if not self._history_tried:
            self._history_tried = True
            from hedgeflow_tui.storage.history import market_of, open_history

            history, _ = open_history(self.settings.history, write=False)
            if history is not None:
                self._history = (history, market_of(*self._recorded))
        return self._history

    def on_unmount(self) -> None:
        if self._history is not None:
            self._history[0].close()

    def current_statuses(self) -> Iterable[PollStatus]:
        return [self._status(symbol) for symbol in self.symbols]

    def market_now(self) -> datetime | None:
        return self.driver.now()

    def market_speed(self) -> float:
        return self.driver.speed

    def on_mount(self) -> None:
        self.sub_title = f"REPLAY · {self.driver.total} polls"

    def views_mounted(self) -> None:
        self._schedule()

    def _status(self, symbol: str) -> PollStatus:
        driver = self.driver
        view = self.store.session(symbol, self.bar_size)
        state: PollState = "closed" if driver.at_end else "ok" if driver.playing else "paused"
        where = "end of recording" if driver.at_end else "playing" if driver.playing else "paused"
        return PollStatus(
            symbol=symbol,
            source="REPLAY",
            state=state,
            message=(
                f"poll {driver.position}/{driver.total} · {speed_text(driver.speed)} · {where}"
                f"{self._bar_sizes_note()}"
            ),
            last_success=driver.now(),
            last_bar=view.last_t if view else None,
            next_poll=None,
            retry_in=None,
            quota=None,
        )

    # --- playing ------------------------------------------------------------------------------

    def _schedule(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(self.driver.delay(), self._tick)

    def _tick(self) -> None:
        driver = self.driver
        if driver.playing and driver.step():
            self.refresh_statuses()
            self._schedule()
        elif driver.at_end:
            driver.playing = False
            self.refresh_statuses()

    def _seek(self, position: int) -> None:
        """Rebuild the store and detector from the first poll to `position`, quietly."""
        driver = self.driver
        self._announcing = False
        try:
            driver.rewind(position)
            self.trackers.clear()
            while driver.position < position and driver.step():
                pass
        finally:
            self._announcing = True
        for symbol in self.symbols:
            self.view_of(symbol).reset(self.bar_size)
            self.relog(symbol)
        self.refresh_statuses()

    # --- keys ---------------------------------------------------------------------------------

    def refresh_statuses(self) -> None:
        super().refresh_statuses()
        if self._footer_playing != self.driver.playing:  # the footer says Play or Pause
            self._footer_playing = self.driver.playing
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """space is Pause while playing and Play while paused; `b` only with several sizes."""
        shown = super().check_action(action, parameters)
        if shown is not True:
            return shown
        if action == "replay_pause":
            return self.driver.playing
        if action == "replay_play":
            return not self.driver.playing
        if action == "cycle_bar":
            return len(self.bar_sizes) > 1
        if action == "one_bar_size":
            return len(self.bar_sizes) == 1
        return True

    def action_replay_play(self) -> None:
        driver = self.driver
        if driver.at_end:
            self._seek(0)
        driver.playing = True
        self._schedule()
        self.refresh_statuses()

    def action_replay_pause(self) -> None:
        self.driver.playing = False
        self.refresh_statuses()

    def action_cycle_bar(self) -> None:
        """Show the next bar size the recording holds (the store holds them all)."""
        sizes = self.bar_sizes
        self.bar_size = sizes[(sizes.index(self.bar_size) + 1) % len(sizes)]
        self.show_chart_view(self.chart_view.fit_bar(self.bar_size))
        self._seek(self.driver.position)  # the detector runs again over this bar size

    def action_one_bar_size(self) -> None:
        self.notify(
            f"this recording holds {self.bar_size} bars only: record another bar size "
            "(--record with --bar) to switch sizes in a replay",
            title="b: bar size",
            timeout=5,
        )

    def _bar_sizes_note(self) -> str:
        others = [size for size in self.bar_sizes if size != self.bar_size]
        return f" · also {', '.join(others)} (b)" if others else ""

    def action_replay_forward(self) -> None:
        self.driver.playing = False
        self.driver.step()
        self.refresh_statuses()

    def action_replay_back(self) -> None:
        self.driver.playing = False
        self._seek(max(0, self.driver.position - 1))

    def action_replay_home(self) -> None:
        self.driver.playing = False
        self._seek(0)

    def action_replay_end(self) -> None:
        """The end of the recording, and the cursor back to its newest bar (as `end` in live
        mode)."""
        self.driver.playing = False
        self._seek(self.driver.total)
        self.action_live_edge()

    def action_replay_faster(self) -> None:
        self.driver.speed = next((s for s in SPEEDS if s > self.driver.speed), SPEEDS[-1])
        self.refresh_statuses()

    def action_replay_slower(self) -> None:
        slower = [s for s in SPEEDS if s < self.driver.speed]
        self.driver.speed = slower[-1] if slower else SPEEDS[0]
        self.refresh_statuses()
