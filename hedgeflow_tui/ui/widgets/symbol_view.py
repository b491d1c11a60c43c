"""One symbol's dashboard: banner, chart, cursor readout, sparkline, attribution, range gauge,
regime, alert log, and a state panel standing in for the charts while there is nothing to chart.
Its status is drawn by the app's one status line, above the tabs, while its tab is the one shown
(ui/app.py); the view keeps what follows from it (staleness, the panel's text)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.widgets import Static

from hedgeflow_tui.analysis.alerting import AnyAlert
from hedgeflow_tui.analysis.detector import Signal, session_attribution
from hedgeflow_tui.api.errors import ErrorKind
from hedgeflow_tui.engine.status import PollStatus
from hedgeflow_tui.engine.store import Row, SessionView
from hedgeflow_tui.engine.strikes import StrikeTotals
from hedgeflow_tui.market.calendar import previous_session
from hedgeflow_tui.market.clock import ET, SESSION_OPEN
from hedgeflow_tui.ui.chart.view import ChartView, in_range
from hedgeflow_tui.ui.first_frame import loading_text, symbol_id
from hedgeflow_tui.ui.widgets import (
    AlertLog,
    AttributionBars,
    CursorReadout,
    FlowChart,
    FlowSparkline,
    RangeGauge,
    RegimeLine,
    SqueezeBanner,
)
from hedgeflow_tui.ui.widgets.banner import summary_text
from hedgeflow_tui.ui.widgets.status import connection, stale_since
from hedgeflow_tui.ui.widgets.strike_ladder import StrikeLadder, plan_line

if TYPE_CHECKING:  # the history's modules (sqlite3): not before the first frame
    from hedgeflow_tui.analysis.gauge import GaugeReading
    from hedgeflow_tui.analysis.past_curves import PastCurves


def before_the_open(now: datetime | None) -> bool:
    """A weekday morning in New York, before 09:30."""
    local = now.astimezone(ET) if now is not None else None
    return local is not None and local.weekday() < 5 and local.time() < SESSION_OPEN


def state_panel_text(
    symbol: str,
    status: PollStatus | None,
    *,
    now: datetime | None = None,
    speed: float = 1.0,
    host: str | None = None,
) -> str:
    """What to say while a symbol has no bars to show, and what to do about it."""
    if status is None or status.state == "loading":
        return loading_text(symbol)
    if status.state == "no_session" and status.source == "SIMULATED" and before_the_open(now):
        return (
            f"The simulated market has not opened yet for {symbol} (it opens at 09:30 ET).\n\n"
            f"Wait for the open, or start the simulation elsewhere in the day: "
            f"`hedgeflow-tui {symbol} --demo --start 10:30`."
        )
    if status.state == "no_session":
        if status.message.startswith("closed today") and status.source == "SIMULATED":
            day = (now or datetime.now(ET)).astimezone(ET).date()
            traded = previous_session(day - timedelta(days=1))
            return (
                f"No 0DTE session for {symbol}: {status.message}.\n\nThe simulated market "
                f"keeps the exchange's calendar: pick a day it traded, e.g. "
                f"`hedgeflow-tui {symbol} --demo --date {traded.isoformat()}`."
            )
        if status.message.startswith("closed today"):
            return (
                f"No 0DTE session for {symbol}: {status.message}.\n\nRun "
                f"`hedgeflow-tui {symbol} --demo` to watch the simulated market."
            )
        return (
            f"No 0DTE session for {symbol} right now.\n\nWait for the open (09:30 ET), or "
            f"run `hedgeflow-tui {symbol} --demo` to watch the simulated market."
        )
    if status.reason == ErrorKind.BAD_KEY:
        return (
            "FlashAlpha rejected the API key.\n\nCheck FLASHALPHA_API_KEY or api_key in the "
            "config file, then restart."
        )
    if status.reason == ErrorKind.PLAN_TOO_LOW:
        return (
            f"{status.message}.\n\n0DTE hedge flow needs the FlashAlpha Growth plan or higher; "
            f"upgrade, or run with --demo."
        )
    if status.reason == ErrorKind.SYMBOL_NOT_FOUND:
        return f"No 0DTE data for {symbol}: the 0DTE symbols are SPY, SPX and QQQ."
    retry = connection(status, now, speed) if now is not None else status.message
    if status.state == "rate_limited":
        return f"Rate-limited by the server.\n\n{retry}"
    if status.state == "retrying":
        where = host or "the data source"
        return (
            f"Cannot reach {where}.\n\n{retry}\n\n"
            f"Offline, or no key? `hedgeflow-tui {symbol} --demo` runs on the built-in simulator."
        )
    if status.state == "stopped":
        return f"Stopped.\n\n{status.message}"
    if status.source == "REPLAY" and status.state == "paused":  # at the start (home)
        return (
            f"Start of the recording: no poll of {symbol} played yet.\n\n"
            "Press space to play, or → to step one poll."
        )
    return f"Waiting for the first bars of {symbol}…"


class SymbolView(Vertical):
    def __init__(self, symbol: str, *, palette: str, shown: ChartView | None = None) -> None:
        super().__init__(id=f"view-{symbol_id(symbol)}", classes="symbol-view")
        self.symbol = symbol
        self.palette = palette
        self.status: PollStatus | None = None
        self.has_rows = False
        self.stale_since: datetime | None = None  # the data is stale since this time
        self._signal: Signal | None = None
        self._rows: Sequence[Row] = ()
        self._alerts: Sequence[AnyAlert] = ()
        self._view: SessionView | None = None
        self._bar_size = ""
        self._sparkline_shown: tuple[list[Row], bool] = ([], False)
        self.shown = shown or ChartView()  # what part of the session the chart shows, and how
        self.past: PastCurves | None = None  # the past sessions' curves, while they are shown
        self._panel_text = state_panel_text(symbol, None)
        self._strike_note = ""

    def compose(self) -> ComposeResult:
        yield SqueezeBanner(id="banner")
        yield Static(self._panel_text, id="state-panel")
        with Vertical(id="dashboard"):
            with Horizontal(id="chart-row"):
                yield FlowChart(id="chart", palette=self.palette)
                yield StrikeLadder(id="ladder", palette=self.palette)
            yield CursorReadout(id="readout")
            yield FlowSparkline(id="sparkline", palette=self.palette)
            yield AttributionBars(id="attribution", palette=self.palette)
            yield RangeGauge(id="gauge")
            yield RegimeLine(id="regime")
            yield Static("", id="strike-note")
            yield AlertLog(id="alerts", palette=self.palette)

    def on_mount(self) -> None:
        try:
            self._toggle_panel()
        except NoMatches:
            if self.app.return_code is None:
                raise
            # the app was told to end (a signal at start-up) and took the children already

    def show_data(
        self,
        view: SessionView | None,
        signal: Signal | None,
        bar_size: str,
        alerts: Sequence[AnyAlert] = (),
    ) -> None:
        rows = view.rows if view is not None else ()
        self._view, self._bar_size = view, bar_size
        self._rows, self._alerts = rows, alerts
        self._show_view()
        run = signal.attribution if signal is not None and signal.bars else None
        self.query_one(AttributionBars).show(session_attribution(rows), run)
        self._signal = signal
        self._show_banner()
        self.query_one(RegimeLine).show(view.regime if view is not None else None)
        self.has_rows = any(r.cum_all is not None for r in rows)
        self._toggle_panel()

    def show_past(self, past: PastCurves | None) -> None:
        """The past sessions' curves on the chart (None: none)."""
        if past != self.past:
            self.past = past
            self._show_view()

    def show_view(self, shown: ChartView) -> None:
        """Another window, zoom or cursor: only the chart, the readout and the sparkline
        change."""
        self.shown = shown
        self._show_view()

    def cursor_times(self) -> list[datetime]:
        """The buckets the cursor can park on: those the chart draws."""
        return [r.t for r in self._rows if r.cum_all is not None or r.all is not None]

    def _show_view(self) -> None:
        chart = self.query_one(FlowChart)
        chart.show(self._view, self._bar_size, self._alerts, self.shown, self.past)
        data = chart.data
        rows = list(self._rows)
        if data is not None and data.x_range is not None:  # the sparkline follows the zoom
            rows = rows[in_range(rows, data.bar, *data.x_range)]
        whole_range = self.shown.span is not None  # zoomed: the whole range, summed to fit
        if (rows, whole_range) != self._sparkline_shown:  # a cursor step leaves it as it is
            self._sparkline_shown = (rows, whole_range)
            self.query_one(FlowSparkline).show(rows, whole_range=whole_range)
        self._show_readout()

    def _show_readout(self) -> None:
        data, cursor = self.query_one(FlowChart).data, self.shown.cursor
        row = next((r for r in self._rows if r.t == cursor), None) if cursor else None
        rolling = None
        if row is not None and data is not None and self.shown.rolling is not None:
            at = data.times.index(row.t) if row.t in data.times else None
            rolling = (self.shown.window, data.all[at] if at is not None else None)
        fired = [a for a in self._alerts if row is not None and a.t == row.t]
        self.query_one(CursorReadout).show(row, fired, rolling)

    def show_status(
        self,
        status: PollStatus,
        *,
        bar_size: str,
        now: datetime,
        speed: float,
        host: str | None = None,  # the data source's server, named when it cannot be reached
    ) -> None:
        """The banner's staleness and the state panel's text (the status line is the app's)."""
        self.status = status
        self.stale_since = stale_since(status, bar_size, now)
        self._show_banner()
        text = state_panel_text(self.symbol, status, now=now, speed=speed, host=host)
        if text != self._panel_text:  # the panel's height is fixed: no layout for a new text
            self._panel_text = text
            # the status message holds server text: shown as plain text, never parsed as markup
            self.query_one("#state-panel", Static).update(Text(text), layout=False)
        self._toggle_panel()

    def _show_banner(self) -> None:
        closed = self.status is not None and self.status.state == "closed"
        self.query_one(SqueezeBanner).show(
            self._signal,
            stale_since=self.stale_since,
            summary=summary_text(self._rows, self._alerts) if closed and self._rows else None,
        )

    def show_run_context(self, context: str | None) -> None:
        self.query_one(SqueezeBanner).show_context(context)

    def show_gauge(self, reading: GaugeReading | None, about: str) -> None:
        """Today against past sessions; the gauge stays hidden in modes without a history."""
        gauge = self.query_one(RangeGauge)
        gauge.add_class("-on")
        gauge.show(reading, about)

    def show_strikes(
        self,
        session: StrikeTotals | None,
        run: StrikeTotals | None,
        plan: str | None,
        failure: str | None = None,
    ) -> None:
        """The strike ladder beside the chart, and the line saying why there is none or why
        it stopped moving."""
        self.query_one(StrikeLadder).show(session, run)
        note = plan_line(plan, session is not None, failure)
        line = self.query_one("#strike-note", Static)
        line.set_class(note is None, "-off")  # app.tcss: hidden, and always when compact
        if note is not None and note != self._strike_note:
            self._strike_note = note
            line.update(Text(note), layout=False)

    def add_alert(self, alert: AnyAlert) -> None:
        self.query_one(AlertLog).add(alert)

    def clear_alerts(self) -> None:
        self.query_one(AlertLog).clear()

    def show_sensitivity(self, sensitivity: str) -> None:
        """The squeeze alert sensitivity in force, on the alert log's frame (`s` changes it)."""
        self.query_one(AlertLog).border_title = f"alerts · sensitivity {sensitivity} (s)"

    def reset(self, bar_size: str) -> None:
        """Forget the alerts and the bars shown: a new bar size, or a replay seeking."""
        self.query_one(AlertLog).clear()
        self.has_rows = False
        self.show_data(None, None, bar_size)

    def _toggle_panel(self) -> None:
        panel = not self.has_rows
        self.query_one("#state-panel").display = panel
        self.query_one("#dashboard").display = not panel
        self.query_one(SqueezeBanner).display = not panel
