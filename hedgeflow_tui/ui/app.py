"""What the live dashboard and the replay share: one tab per symbol over one store, the
detector's alerts announced, the status line (the shown tab's), the symbol and help keys.

Data flow: the flow pipeline (`engine/pipeline.py`: the store, each symbol's detector, the
history) tells the app of every update, which posts it as a `FlowChanged` message; its handler
repaints that symbol's view and announces new alerts (notification, bell, `--alert-cmd`). What
feeds the store is the mode's own: the engine's pollers (`ui/live_app.py`) or a recording
(`ui/replay_app.py`), each with its own keys.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import signal
import sys
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import replace
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.driver import Driver
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widget import MountError
from textual.widgets import Header, Static, TabbedContent, TabPane, Tabs
from textual.worker import Worker, WorkerState

from hedgeflow_tui.config.settings import SENSITIVITIES, Settings
from hedgeflow_tui.ui.chart.view import ChartView, move_cursor
from hedgeflow_tui.ui.first_frame import loading_text, symbol_id, tab_id
from hedgeflow_tui.ui.footer import DashboardFooter
from hedgeflow_tui.ui.palette import UNCHECKABLE_THEMES, css_variables

if TYPE_CHECKING:  # imported after the first frame (the views, the store, the detector)
    from hedgeflow_tui.analysis.alerting import AlertTrackers, AnyAlert
    from hedgeflow_tui.analysis.past_curves import PastCurveCache
    from hedgeflow_tui.engine.pipeline import FlowPipeline, Update
    from hedgeflow_tui.engine.status import PollStatus
    from hedgeflow_tui.engine.store import Change, Store
    from hedgeflow_tui.output.alert_command import AlertCommand  # only with --alert-cmd
    from hedgeflow_tui.storage.history import History
    from hedgeflow_tui.ui.screens.overview import OverviewScreen
    from hedgeflow_tui.ui.widgets import FlowChart, StatusBar
    from hedgeflow_tui.ui.widgets.overview_row import OverviewFacts
    from hedgeflow_tui.ui.widgets.symbol_view import SymbolView

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
COMPACT_BELOW_ROWS = 32  # shorter terminals fold the banner and the alert log (app.tcss)

# The keys both modes have; each mode lists them among its own, in the footer's order. Only
# `tab` is a priority key: nothing on the dashboard takes focus (the tabs neither), so the app's
# keys reach it, and a screen over it (help, command palette) keeps its own keys.
QUIT = Binding("q", "quit", "Quit", id="quit", tooltip="Quit hedgeflow-tui")
NEXT_SYMBOL = Binding(
    "tab",
    "next_symbol",
    "Next symbol",
    id="next-symbol",
    priority=True,  # over the screen's own `tab` (focus)
    tooltip="Show the next symbol's tab",
)
HELP = Binding(
    "question_mark", "help", "Help", id="help", key_display="?", tooltip="Keys and states"
)
OVERVIEW = Binding(
    "o",
    "overview",
    "Overview",
    id="overview",
    show=False,  # in the help and the palette: the footer has no room left at 80 columns
    tooltip="Every symbol at a glance; enter opens one's tab",
)
PAST = Binding(
    "c",
    "toggle_past",
    "Past sessions",
    id="past",
    show=False,  # in the help and the palette
    tooltip="Compare with past sessions: the median one's cumulative and the previous one's",
)
OVERVIEW_FIRST = 4  # symbols from which the overview is the first screen
# the keys that act on the shown tab's view: not offered while the overview covers the tabs
OVER_THE_TABS = ("next_symbol", "cycle_window", "cycle_zoom", "cursor_back", "cursor_forward")
SENSITIVITY = Binding(
    "s",
    "cycle_sensitivity",
    "Sensitivity",
    id="sensitivity",
    tooltip="Squeeze alert sensitivity: low, normal, high (re-reads the session quietly)",
)


# the keys that do not wait for the views (mounted just after the first frame)
ALWAYS = ("quit", "help_quit", "help", "next_symbol", "command_palette")

# The chart's view: the same keys in both modes (the cursor's arrows are the live mode's own;
# the replay keeps its arrows for stepping and moves the cursor with shift+arrows). One footer
# entry for all of them, so the live footer still fits in 80 columns.
VIEW = Binding.Group("View", compact=True)
WINDOW = Binding(
    "w",
    "cycle_window",
    "Window",
    id="window",
    tooltip="Chart flow: session cumulative, or rolling 5m, 15m, 30m, 1h (longer than the bar)",
    group=VIEW,
)
ZOOM = Binding(
    "z",
    "cycle_zoom",
    "Zoom",
    id="zoom",
    tooltip="Chart range: whole session, last 2h, last 1h, last 30m",
    group=VIEW,
)
LIVE_EDGE = Binding(
    "escape",
    "live_edge",
    "Live edge",
    id="live-edge",
    tooltip="Cursor back to the live edge",
    group=VIEW,
)


def cursor_keys(back: str, forward: str) -> list[Binding]:
    """The cursor's keys."""
    return [
        Binding(
            back,
            "cursor_back",
            "Cursor back",
            id="cursor.back",
            tooltip="Park the cursor one bar back (readout of that bar)",
            group=VIEW,
        ),
        Binding(
            forward,
            "cursor_forward",
            "Cursor forward",
            id="cursor.forward",
            tooltip="Move the parked cursor one bar forward",
            group=VIEW,
        ),
    ]


class FlowChanged(Message):
    def __init__(self, update: Update) -> None:
        super().__init__()
        self.change = update.change
        self.alerts = update.alerts


class SymbolTabs(TabbedContent):
    """The symbols' tabs, switched by `tab` and by a click, never focused: focused (Textual
    focuses the first focusable widget as a terminal's screen starts, before any `on_mount`),
    they take the arrow keys (← → switch the symbol instead of moving the chart's cursor) and
    put them first in the footer, splitting its View group."""

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, Tabs):
                widget.can_focus = False
            yield widget


class DashboardApp(App[None]):
    """The shared dashboard; `LiveApp` and `ReplayApp` feed it and add their keys."""

    CSS_PATH = Path(__file__).parent / "app.tcss"  # absolute: subclasses live elsewhere
    # a compact footer, so the keys fit in 80 columns; the replay's need all of them (no ^p hint)
    PALETTE_HINT = True
    TITLE = "hedgeflow-tui"
    # left out of the footer when it cannot hold every key (in the help and the palette still)
    SPARE_KEYS: ClassVar[tuple[str, ...]] = ("cycle_sensitivity", "cycle_bar")
    MODE: ClassVar[str]  # "live" or "replay": the help screen's title
    HELP_NOTES: ClassVar[str]  # what this mode's status line says (help, after the keys)

    def __init__(self, settings: Settings, symbols: list[str], bar_size: str) -> None:
        super().__init__(driver_class=_terminal_driver())
        for theme in UNCHECKABLE_THEMES:
            self.unregister_theme(theme)
        self.settings = settings
        self.palette = settings.theme
        self.symbols = symbols
        self.bar_size = bar_size
        self.alert_errors: list[str] = []
        self.alert_command: AlertCommand | None = None
        if settings.alert_cmd:
            from hedgeflow_tui.output.alert_command import AlertCommand

            self.alert_command = AlertCommand(settings.alert_cmd, secret=settings.api_key)
        self._announcing = True  # off while a replay seeks: alerts go to the log only
        # what the charts show (window, zoom, cursor), the same for every symbol
        self.chart_view = ChartView(window=settings.window).fit_bar(bar_size)
        self.views_ready = False  # the views are mounted after the first frame (on_ready)
        self.long_lived_frozen = False  # see freeze_long_lived
        self._freeze_pending = False
        self.status_bar: StatusBar | None = None  # the shown symbol's status, from on_ready
        self.past_shown = False  # the past sessions' curves on the charts (`c`)
        self._strikes_shown: dict[str, tuple] = {}  # per symbol: what its ladder was drawn from
        self._past_curves: PastCurveCache | None = None

    @cached_property
    def pipeline(self) -> FlowPipeline:
        """The store of every symbol's bars and the detector over it, made when first needed:
        after the first frame. It reads the bar size shown only."""
        from hedgeflow_tui.engine.pipeline import FlowPipeline

        settings = self.settings
        pipeline = FlowPipeline(
            settings.sensitivity,
            wants=self._shown_bar_size,
            rules=settings.alert_rules,
            levels=settings.level_alerts,
        )
        pipeline.subscribe(self._flow_updated)
        return pipeline

    @property
    def store(self) -> Store:
        return self.pipeline.store

    @property
    def trackers(self) -> AlertTrackers:
        """Each symbol's detector over the store."""
        return self.pipeline.trackers

    # --- what each mode provides --------------------------------------------------------------

    def current_statuses(self) -> Iterable[PollStatus]:
        """Every symbol's status as it should be shown now."""
        raise NotImplementedError

    def market_now(self) -> datetime | None:
        """The market time the status line counts from."""
        raise NotImplementedError

    def market_speed(self) -> float:
        """Market seconds per real second (turns market countdowns into real ones)."""
        raise NotImplementedError

    def source_host(self) -> str | None:
        """The data source's server, named when it cannot be reached."""
        return None

    def views_mounted(self) -> None:
        """Every symbol's view is up: the mode starts feeding the store."""

    def strike_plan(self, symbol: str) -> str | None:
        """The plan the strike ladder's note names: the account's, once it is known."""
        status = next((s for s in self.current_statuses() if s.symbol == symbol), None)
        return status.quota.plan if status is not None and status.quota is not None else None

    def _show_strikes(self, symbol: str) -> None:
        """The symbol's strike ladder (the session's and the current run's), redrawn only when
        a strike-flow answer came or failed, the run moved, or the plan became known."""
        if not self.views_ready:
            return
        book = self.store.strikes
        signal = self.trackers.signal(symbol)
        run = signal.start if signal is not None and signal.state != "quiet" else None
        key = (book.version(symbol), run, self.strike_plan(symbol))
        if self._strikes_shown.get(symbol) == key:
            return
        self._strikes_shown[symbol] = key
        session = book.totals(symbol)
        running = book.totals(symbol, run) if run is not None and session is not None else None
        with suppress(NoMatches):
            self.view_of(symbol).show_strikes(session, running, key[2], book.failure(symbol))

    def past_source(self) -> tuple[History, str] | None:
        """The session history and the market of this mode's data (the past curves' source);
        None when there is none."""
        return None

    # --- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        """The first frame: the chrome, and a tab per symbol saying it is loading. The views
        (and the store, detector and widgets they import) come after it (`on_ready`)."""
        yield Header()
        with SymbolTabs(id="symbols"):
            for symbol in self.symbols:
                with TabPane(symbol, id=tab_id(symbol)):
                    yield Static(loading_text(symbol), classes="loading")
        yield DashboardFooter(self.SPARE_KEYS, show_command_palette=self.PALETTE_HINT)

    async def on_ready(self) -> None:
        """After the first frame: the status line over the tabs (at the screen's level, so that
        repainting it every second re-renders none of the views: Textual's compositor redraws
        every widget whose clip holds a repainted line), each symbol's view in its tab, then
        the mode's data."""
        from hedgeflow_tui.ui.widgets import StatusBar
        from hedgeflow_tui.ui.widgets.symbol_view import SymbolView

        try:
            with self.batch_update():  # the view's own state panel takes the loading text's place
                self.status_bar = StatusBar(id="status")
                await self.mount(self.status_bar, before=self.query_one(TabbedContent))
                for symbol in self.symbols:
                    pane = self.query_one(f"#{tab_id(symbol)}", TabPane)
                    await pane.remove_children()
                    view = SymbolView(symbol, palette=self.palette, shown=self.chart_view)
                    await pane.mount(view)
                    view.show_sensitivity(self.trackers.sensitivity)
        except (MountError, NoMatches):
            if self.return_code is None:
                raise
            return  # told to end (SIGTERM, q) while the views were mounted: nothing to show
        self.views_ready = True
        self.refresh_bindings()  # the keys that act on the views (check_action)
        if len(self.symbols) >= OVERVIEW_FIRST:
            self.action_overview()
        self.views_mounted()

    def get_css_variables(self) -> dict[str, str]:
        """The data colours for app.tcss ($flow-up, $flow-down, ...) from ui/palette.py, for
        the current theme: light themes get the palette's light variant."""
        palette = getattr(self, "palette", "default")  # Textual asks before __init__ is done
        return super().get_css_variables() | css_variables(palette, self.current_theme.dark)

    def on_mount(self) -> None:
        self.set_interval(1.0, self.refresh_statuses)
        self.say_window_dropped()

    def say_window_dropped(self) -> None:
        """A window no longer than the bar (from the config, or a replay's bar size) is not
        shown; the chart says cumulative and a notification says why."""
        if self.chart_view.window != self.settings.window:
            self.notify(
                f"window {self.settings.window} is not longer than the {self.bar_size} bar: "
                "showing the cumulative",
                title="--window",
                severity="warning",
                timeout=6,
            )

    def on_load(self) -> None:
        self._catch_stop_signals()  # before the terminal is taken (application mode)

    def _catch_stop_signals(self) -> None:
        """SIGINT (a `kill`: in the app Ctrl+C is a key), SIGTERM and SIGHUP end the app like `q`
        does, so the terminal is restored (alternate screen, mouse tracking, cursor) instead of
        being left as the process died; the exit status is the shell's for that signal (128 + its
        number: 130, 143, 129)."""
        loop = asyncio.get_running_loop()
        for signum in STOP_SIGNALS:
            with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):
                loop.add_signal_handler(signum, self.exit, None, 128 + signum)

    def freeze_long_lived(self) -> None:
        """After the first data frame, what the app holds then (Textual, the widgets, the
        session so far, the past sessions read for the gauge) is moved out of Python's cyclic
        garbage collector's reach (`gc.freeze`): these objects live as long as the app, yet each
        full collection walked every one of them, a pause that landed in whatever ran then (a
        poll's frame, a key). What is created later is collected as before; the app's exit gives
        the objects back to the collector."""
        gc.collect()  # garbage made so far is not kept
        gc.freeze()
        self.long_lived_frozen = True

    def on_unmount(self) -> None:
        if self.alert_command is not None:  # a command still running ends with the app
            self.alert_command.stop_all()
        if self.long_lived_frozen:  # another app may run in this process (the tests do)
            gc.unfreeze()
        loop = asyncio.get_running_loop()
        for signum in STOP_SIGNALS:
            with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):
                loop.remove_signal_handler(signum)

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.height < COMPACT_BELOW_ROWS, "-compact")

    def view_of(self, symbol: str) -> SymbolView:
        """The symbol's view; `NoMatches` before it is mounted (after the first frame)."""
        from hedgeflow_tui.ui.widgets.symbol_view import SymbolView

        return self.query_one(f"#view-{symbol_id(symbol)}", SymbolView)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Worker failures surface as a notification, never a traceback (`LiveApp` also marks
        the symbol's status; Textual runs both handlers)."""
        if event.state == WorkerState.ERROR:
            self.notify(
                worker_error(event.worker),
                title="hedgeflow-tui",
                severity="error",
                timeout=10,
                markup=False,
            )

    # --- data ---------------------------------------------------------------------------------

    def _shown_bar_size(self, change: Change) -> bool:
        return change.bar_size == self.bar_size  # not a poller of the previous size finishing

    def _flow_updated(self, update: Update) -> None:
        """Runs inside the store's `apply`, after the detector and the history."""
        if self._announcing:
            self.post_message(FlowChanged(update))

    def on_flow_changed(self, message: FlowChanged) -> None:
        symbol = message.change.symbol
        try:
            self.repaint(symbol)
            view = self.view_of(symbol)
        except NoMatches:  # a change arriving while the app is torn down: nothing to paint
            return
        if not self.long_lived_frozen and not self._freeze_pending:
            self._freeze_pending = True
            self.call_after_refresh(self.freeze_long_lived)  # once the data frame is shown
        if message.change.new_session:  # the next day's session (overnight): its own alerts
            view.clear_alerts()
        for alert in message.alerts:
            view.add_alert(alert)
            if not alert.history:  # past alerts from back-filled bars: logged, not announced
                self._announce(alert)
        self._show_overview()

    def repaint(self, symbol: str) -> None:
        if self.past_shown:
            self._show_past(symbol)
        self.view_of(symbol).show_data(
            self.store.session(symbol, self.bar_size),
            self.trackers.signal(symbol),
            self.bar_size,
            self.trackers.alerts(symbol),
        )
        self._show_strikes(symbol)
        self._mark_tab(symbol)

    def _mark_tab(self, symbol: str) -> None:
        """A symbol whose banner is up, or whose data is stale, says so on its tab, so another
        tab still sees it."""
        signal = self.trackers.signal(symbol)
        label = symbol
        if signal is not None and signal.state != "quiet":
            label = f"{symbol} {'▲' if signal.direction == 'up' else '▼'} SQUEEZE"
        if self.view_of(symbol).stale_since is not None:
            label = f"{label} · STALE"
        tab = self.query_one(TabbedContent).get_tab(tab_id(symbol))
        if str(tab.label) != label:
            tab.label = label

    def _announce(self, alert: AnyAlert) -> None:
        from hedgeflow_tui.analysis.levels import LevelAlert
        from hedgeflow_tui.ui.widgets.alert_log import LABELS, level_text

        arrow = "▲" if alert.direction == "up" else "▼"
        if isinstance(alert, LevelAlert):
            self.notify(
                f"{arrow} {LABELS[alert.kind]} · {level_text(alert)}",
                title=f"{alert.symbol} level alert",
                severity="warning",
                timeout=8,
                markup=False,
            )
        else:
            severity: SeverityLevel = "error" if alert.kind == "squeeze_confirmed" else "warning"
            if alert.kind == "squeeze_ended":
                severity = "information"
            self.notify(
                f"{arrow} {LABELS[alert.kind]} · {alert.bars} bars · {alert.attribution}",
                title=f"{alert.symbol} squeeze alert",
                severity=severity,
                timeout=8,
            )
        if self.settings.bell:
            self.bell()
        if self.alert_command is not None:
            self.run_worker(
                self._alert_command(self.alert_command, alert),
                group="alert-cmd",
                exit_on_error=False,
            )

    async def _alert_command(self, command: AlertCommand, alert: AnyAlert) -> None:
        problem = await command.run(alert)
        if problem is not None:
            self.alert_errors.append(problem)
            self.notify(
                problem, title="--alert-cmd failed", severity="error", timeout=8, markup=False
            )

    # --- status -------------------------------------------------------------------------------

    def show_status(self, status: PollStatus) -> None:
        from hedgeflow_tui.market.clock import (
            ET,  # the time zone's file: read after the first frame
        )

        now, speed = self.market_now() or datetime.now(ET), self.market_speed()
        # Before the view's widgets are mounted, or after they are gone (a late status, or the
        # 1 s refresh while the app is torn down), there is nothing to update: the status line
        # is redrawn every second anyway.
        with suppress(NoMatches):
            self.view_of(status.symbol).show_status(
                status, bar_size=self.bar_size, now=now, speed=speed, host=self.source_host()
            )
            self._mark_tab(status.symbol)
            if self.status_bar is not None and status.symbol == self.active_symbol():
                view = self.store.session(status.symbol, self.bar_size)
                self.status_bar.show(
                    status,
                    bar_size=self.bar_size,
                    now=now,
                    expiration=view.expiration if view else None,
                    speed=speed,
                )
        # the plan it names is known from the first status; a strike-flow answer comes after
        # its poll's bars: the ladder is looked at with every status, and every second
        self._show_strikes(status.symbol)

    def refresh_statuses(self) -> None:
        """Every second (ages and countdowns move), after replay steps, and when another tab
        is shown (the status line follows it)."""
        for status in self.current_statuses():
            self.show_status(status)
        self._show_overview()

    def on_tabbed_content_tab_activated(self) -> None:
        if self.views_ready:  # not for the first tab's activation, on the first frame
            self.refresh_statuses()

    # --- keys ---------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.views_ready and action not in ALWAYS:
            return None  # shown dimmed until the views are mounted, just after the first frame
        if action in OVER_THE_TABS and self.overview_shown():
            return False  # the overview covers the tabs: their keys are not offered
        if action == "next_symbol":
            return len(self.symbols) > 1  # one tab: no key for it in the footer
        if action == "live_edge":
            return self.chart_view.cursor is not None  # only while the cursor is parked
        return True

    # --- the past sessions' curves --------------------------------------------------------------

    def action_toggle_past(self) -> None:
        """The median past session's cumulative and the previous session's on every chart, or
        not; says why where there are too few sessions to draw."""
        self.past_shown = not self.past_shown
        if not self.past_shown:
            for symbol in self.symbols:
                self.view_of(symbol).show_past(None)
            return
        if self.past_source() is None:
            self.past_shown = False
            self.notify(
                "no session history to compare with (--no-history, or it cannot be read)",
                title="past sessions",
                severity="warning",
                timeout=6,
            )
            return
        missing = [note for symbol in self.symbols if (note := self._show_past(symbol))]
        from hedgeflow_tui.analysis.past_curves import MIN_SESSIONS

        if missing:
            self.notify(
                f"the past curves need {MIN_SESSIONS} stored sessions "
                f"({self.bar_size} bars): {', '.join(missing)}",
                title="past sessions",
                severity="warning",
                timeout=8,
            )

    def _show_past(self, symbol: str) -> str | None:
        """Draw `symbol`'s past curves; what is missing when they cannot be drawn."""
        from hedgeflow_tui.analysis.past_curves import PastCurveCache, TooFew
        from hedgeflow_tui.storage.history import HistoryError, session_day

        source = self.past_source()
        view = self.store.session(symbol, self.bar_size)
        day = session_day(view) if view is not None else None
        if source is None or day is None:
            return f"{symbol} no bars yet" if source is not None else None
        history, market = source
        if self._past_curves is None or self._past_curves.history is not history:
            self._past_curves = PastCurveCache(history)
        try:
            curves = self._past_curves.curves(symbol, self.bar_size, market, day)
        except HistoryError as error:
            return f"{symbol} {error}"
        with suppress(NoMatches):
            self.view_of(symbol).show_past(None if isinstance(curves, TooFew) else curves)
        return f"{symbol} {curves.stored} stored" if isinstance(curves, TooFew) else None

    # --- the overview -------------------------------------------------------------------------

    def action_overview(self) -> None:
        """Every symbol at a glance (a screen over the tabs), or back from it."""
        from hedgeflow_tui.ui.screens.overview import OverviewScreen

        if self.overview_shown():
            self.pop_screen()
            return
        screen = OverviewScreen(self.symbols, self.palette)
        self.push_screen(screen)
        shown = self.active_symbol()
        if shown is not None:
            self.call_after_refresh(screen.select, shown)

    def overview_facts(self, symbol: str) -> OverviewFacts:
        """What the overview shows of `symbol` now."""
        from hedgeflow_tui.ui.widgets.overview_row import OverviewFacts

        status = next((s for s in self.current_statuses() if s.symbol == symbol), None)
        try:
            stale = self.view_of(symbol).stale_since
        except NoMatches:
            stale = None
        return OverviewFacts(
            symbol=symbol,
            view=self.store.session(symbol, self.bar_size),
            signal=self.trackers.signal(symbol),
            status=status,
            stale_since=stale,
            now=self.market_now(),
        )

    def _overview(self) -> OverviewScreen | None:
        """The overview, when it is the screen shown (none at all while the app is torn down)."""
        from hedgeflow_tui.ui.screens.overview import OverviewScreen

        stack = self.screen_stack
        return stack[-1] if stack and isinstance(stack[-1], OverviewScreen) else None

    def overview_shown(self) -> bool:
        return self._overview() is not None

    def _show_overview(self) -> None:
        overview = self._overview()
        if overview is not None:
            overview.show_all()

    def show_symbol(self, symbol: str) -> None:
        """Show `symbol`'s tab."""
        self.query_one(TabbedContent).active = tab_id(symbol)

    def action_next_symbol(self) -> None:
        tabs = self.query_one(TabbedContent)
        ids = [tab_id(symbol) for symbol in self.symbols]
        tabs.active = ids[(ids.index(tabs.active) + 1) % len(ids)] if tabs.active in ids else ids[0]

    def action_cycle_sensitivity(self) -> None:
        """Next sensitivity: the detector re-reads every symbol's session; its alerts go to the
        log as history, announced by nothing."""
        now = SENSITIVITIES[
            (SENSITIVITIES.index(self.trackers.sensitivity) + 1) % len(SENSITIVITIES)
        ]
        self.trackers.set_sensitivity(now)
        for symbol in self.symbols:
            self.relog(symbol)
            self.view_of(symbol).show_sensitivity(now)
        self.notify(f"squeeze alert sensitivity: {now}", timeout=3)

    def relog(self, symbol: str) -> None:
        """Show `symbol`'s alert log and banner afresh from its tracker."""
        view = self.view_of(symbol)
        view.clear_alerts()
        for alert in self.trackers.alerts(symbol):
            view.add_alert(alert)
        self.repaint(symbol)

    # --- the chart's view ----------------------------------------------------------------------

    def show_chart_view(self, shown: ChartView) -> None:
        """Show every symbol's chart in view `shown` (only the chart, readout and sparkline
        repaint)."""
        parked = self.chart_view.cursor is not None
        self.chart_view = shown
        for symbol in self.symbols:
            with suppress(NoMatches):
                self.view_of(symbol).show_view(shown)
        if parked != (shown.cursor is not None):
            self.refresh_bindings()  # Live edge is offered only while parked

    def active_symbol(self) -> str | None:
        """The symbol whose tab is shown."""
        active = self.query_one(TabbedContent).active
        return next((symbol for symbol in self.symbols if active == tab_id(symbol)), None)

    def active_view(self) -> SymbolView | None:
        symbol = self.active_symbol()
        return self.view_of(symbol) if symbol is not None else None

    def action_cycle_window(self) -> None:
        self.show_chart_view(self.chart_view.next_window(self.bar_size))

    def action_cycle_zoom(self) -> None:
        self.show_chart_view(self.chart_view.next_zoom())

    def action_cursor_back(self) -> None:
        self._move_cursor(-1)

    def action_cursor_forward(self) -> None:
        self._move_cursor(1)

    def _move_cursor(self, bars: int) -> None:
        view = self.active_view()
        if view is None:
            return
        cursor = move_cursor(view.cursor_times(), self.chart_view.cursor, bars)
        self.show_chart_view(replace(self.chart_view, cursor=cursor))

    def action_live_edge(self) -> None:
        self.show_chart_view(replace(self.chart_view, cursor=None))

    def on_flow_chart_picked(self, message: FlowChart.Picked) -> None:
        self.show_chart_view(replace(self.chart_view, cursor=message.t))

    def action_help_quit(self) -> None:
        """ctrl+c quits, as a terminal user expects (Textual's own only says to press ctrl+q;
        in the command palette's input it still copies)."""
        self.exit()

    def action_help(self) -> None:
        # Markdown is slow to import: not at launch
        from hedgeflow_tui.ui.screens.help import HelpScreen, help_text

        state = (
            f"Squeeze alert sensitivity now: **{self.trackers.sensitivity}** "
            f"(`s` cycles low, normal, high)."
        )
        text = help_text(self, self.help_title(), self.BINDINGS, self.HELP_NOTES, state)
        self.push_screen(HelpScreen(text))

    def save_screen(self) -> None:
        """The palette's Screenshot: saved, and the path said; or why it could not be."""
        folder = screenshot_dir()
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = self.save_screenshot(path=str(folder))
        except OSError as error:
            self.notify(
                f"could not save it in {folder}: {error.strerror or error}",
                title="Screenshot",
                severity="error",
                markup=False,
            )
            return
        self.notify(f"saved to {path}", title="Screenshot", timeout=8, markup=False)

    def help_title(self) -> str:
        """What runs, as the help's title says it."""
        return self.MODE

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Every key of this mode is also a command in the palette; Screenshot is ours."""
        for command in super().get_system_commands(screen):
            if command.title != "Screenshot":
                yield command
                continue
            yield SystemCommand(
                command.title,
                "Save an SVG of the screen (Downloads, else the data dir): the path is said",
                lambda: self.set_timer(0.1, self.save_screen),  # once the palette is gone
            )
        for binding in self.BINDINGS:
            if not isinstance(binding, Binding) or binding.action in ("quit", "help"):
                continue
            if not self.check_action(binding.action, ()):
                continue  # e.g. Resume while polling
            yield SystemCommand(
                binding.description,
                binding.tooltip,
                getattr(self, f"action_{binding.action}"),
            )
        yield SystemCommand("Help", "Keys and states", self.action_help)


def _terminal_driver() -> type[Driver] | None:
    """Ours on Linux and macOS (`ui/terminal_driver.py`: safe when the terminal goes away),
    unless TEXTUAL_DRIVER names one; elsewhere Textual's choice."""
    if sys.platform == "win32" or os.environ.get("TEXTUAL_DRIVER"):
        return None
    from hedgeflow_tui.ui.terminal_driver import HangupSafeDriver

    return HangupSafeDriver


def screenshot_dir() -> Path:
    """Where a screenshot goes: the user's Downloads folder when it exists (Textual's choice),
    else `screenshots` in the data dir (made if need be)."""
    from platformdirs import user_downloads_dir

    from hedgeflow_tui.config.settings import data_dir

    downloads = Path(user_downloads_dir())
    return downloads if downloads.is_dir() else data_dir() / "screenshots"


def worker_error(worker: Worker[object]) -> str:
    return f"internal error: {type(worker.error).__name__}: {worker.error}"
