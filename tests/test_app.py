"""The dashboard under `App.run_test`: data on the first frame, keys, states, alerts, resizes."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import pytest
from dashboard import run_dashboard
from stepped_clock import stepped_clock
from textual.widgets import Input, TabbedContent
from textual_parts import (
    footer_keys,
    footer_labels,
    palette_prompts,
    record_notifications,
    toasts,
)

from hedgeflow_tui.analysis.detector import OPENING, Alert, AlertTracker, detector_config
from hedgeflow_tui.config.settings import Settings
from hedgeflow_tui.engine.sources import Source, open_source
from hedgeflow_tui.market.clock import FrozenClock
from hedgeflow_tui.sim import SimConfig, sim_clock, simulate_session
from hedgeflow_tui.sim.rows import rows_at
from hedgeflow_tui.ui.live_app import LiveApp
from hedgeflow_tui.ui.palette import palette_for, widget_palette
from hedgeflow_tui.ui.screens.help import HelpScreen
from hedgeflow_tui.ui.widgets import (
    AlertLog,
    AttributionBars,
    FlowChart,
    FlowSparkline,
    RegimeLine,
    SqueezeBanner,
    StatusBar,
)
from hedgeflow_tui.ui.widgets.alert_log import LABELS, alert_line
from hedgeflow_tui.ui.widgets.symbol_view import SymbolView

DAY = date(2026, 6, 12)
SEED = 23  # the simulated session every dashboard test here watches
ENDS = ("squeeze_ended", "reversal")
# a mid-session time of that session (the alert tests find their own, see first_squeeze)
BEFORE_SQUEEZE = datetime(2026, 6, 12, 17, 6, 30, tzinfo=UTC)
# after the close, once the session's last sample is published (live timing: lag and jitter)
ALL_PUBLISHED = datetime(2026, 6, 12, 20, 0, tzinfo=UTC) + timedelta(
    seconds=SimConfig().max_publish_lag
)


def make_app(
    symbols=("SPY",), at=BEFORE_SQUEEZE, clock: FrozenClock | None = None, **overrides
) -> tuple[LiveApp, FrozenClock]:
    settings = Settings(
        symbols=list(symbols),
        bar=overrides.pop("bar", "1m"),
        seed=overrides.pop("seed", SEED),
        date=overrides.pop("date", DAY.isoformat()),
        **overrides,
    )
    clock = clock or FrozenClock(at)
    source = open_source(settings, clock=clock)
    return LiveApp(settings, source), clock


def first_squeeze(seed: int = SEED, bar_minutes: int = 1) -> datetime:
    """When the detector's first squeeze alert of the simulated SPY session is known (its bar's
    close), found from the model directly, so the tests follow the detector's tuning."""
    rows = rows_at(simulate_session("SPY", DAY, seed), 60 * bar_minutes)
    tracker = AlertTracker("SPY", detector_config(f"{bar_minutes}m"))
    for end, row in enumerate(rows, start=1):
        session, t = rows[:end], row.t
        if any(alert.kind in OPENING for alert in tracker.update(session)):
            return t + timedelta(minutes=bar_minutes)
    raise AssertionError(f"no squeeze alert in seed {seed}")


def remote_app(url: str, **overrides) -> LiveApp:
    settings = Settings(symbols=["SPY"], bar="1m", base_url=url, timeout=1.0, **overrides)
    return LiveApp(settings, open_source(settings))


async def until(pilot, condition, timeout: float = 15.0) -> None:  # noqa: ASYNC109
    waited = 0.0
    while not condition():
        assert waited < timeout, "condition not reached"
        await pilot.pause(0.02)
        waited += 0.02


async def next_bar(pilot, app: LiveApp, clock: FrozenClock) -> None:
    """A minute later on the frozen clock, `r`, and the SPY bar that closed meanwhile arrives
    (`r` pressed while a poll is finishing can find nothing to do: it is pressed again)."""
    before = rows(app)
    clock.advance(60)
    for tick in range(750):
        if rows(app) > before:
            assert rows(app) == before + 1
            return
        if tick % 20 == 0:
            await pilot.press("r")
        await pilot.pause(0.02)
    raise AssertionError("the next bar never arrived")


def rows(app: LiveApp, symbol: str = "SPY") -> int:
    data = app.query_one(f"#view-{symbol}").query_one(FlowChart).data
    return len(data.all) if data else 0


def panel_text(app: LiveApp, symbol: str = "SPY") -> str:
    return str(app.query_one(f"#view-{symbol}").query_one("#state-panel").render())


async def test_first_frame_shows_the_session_so_far_and_the_source():
    app, _ = make_app()
    async with run_dashboard(app, size=(120, 40)) as pilot:
        await until(pilot, lambda: rows(app) > 0)
        assert rows(app) == 216  # 09:30 .. 13:05, every closed 1m bar

        def status() -> str:  # the poll's status follows its data in a message of its own
            return str(app.query_one(StatusBar).render())

        await until(pilot, lambda: "quota" in status())
        assert "SIMULATED" in status() and "SPY" in status()
        assert not app.query_one("#state-panel").display


class ChromeFirst(LiveApp):
    """Notes what the screen showed when the source opened."""

    painted = False
    at_open: tuple[bool, str] | None = None

    def on_mount(self) -> None:  # runs before LiveApp's handler, which asks for its own refresh
        self.call_after_refresh(lambda: setattr(self, "painted", True))

    def _source_opened(self, source: Source) -> None:
        self.at_open = (self.painted, panel_text(self))
        super()._source_opened(source)


async def test_chrome_is_painted_before_the_source_opens_then_the_data_arrives():
    settings = Settings(symbols=["SPY"], bar="1m", seed=5, date=DAY.isoformat(), demo=True)
    app = ChromeFirst(settings)  # as the command line starts it: no source yet
    async with run_dashboard(app, size=(120, 40)) as pilot:
        await until(pilot, lambda: rows(app) > 0)
        assert app.at_open is not None
        painted, panel = app.at_open
        assert painted and "Loading SPY" in panel
        assert app.source is not None and app.sub_title.startswith("SIMULATED · ")
        assert not app.query_one("#state-panel").display


class FirstFrame(LiveApp):
    """Notes what the first frame holds, and which keys it offers."""

    seen: tuple[list[str], int, bool | None, bool | None] | None = None

    def on_mount(self) -> None:  # runs before DashboardApp's: its refresh is the first frame
        self.call_after_refresh(self._note)

    def _note(self) -> None:
        loading = [str(pane.render()) for pane in self.query(".loading")]
        keys = self.check_action("cycle_sensitivity", ()), self.check_action("quit", ())
        self.seen = (loading, len(self.query(SymbolView)), *keys)


async def test_the_first_frame_is_the_chrome_and_a_loading_tab_then_the_views():
    settings = Settings(symbols=["SPY", "QQQ"], bar="1m", seed=5, date=DAY.isoformat(), demo=True)
    app = FirstFrame(settings)
    async with run_dashboard(app, size=(120, 40)) as pilot:
        assert app.seen == (
            [
                "Loading SPY: fetching the session so far…",
                "Loading QQQ: fetching the session so far…",
            ],
            0,  # no view yet
            None,  # a key acting on the views is shown dimmed, and does nothing
            True,
        )
        assert not app.query(".loading") and len(app.query(SymbolView)) == 2
        assert app.check_action("cycle_sensitivity", ()) is True
        await until(pilot, lambda: rows(app) > 0)


def test_the_first_frame_leaves_the_views_store_detector_and_http_stack_for_after_it():
    code = "import sys, hedgeflow_tui.cli.main, hedgeflow_tui.ui.live_app; print(*sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(run.stdout.split())
    later = {
        "hedgeflow_tui.ui.widgets.symbol_view",
        "hedgeflow_tui.ui.widgets",
        "hedgeflow_tui.engine.store",
        "hedgeflow_tui.analysis.detector",
        "hedgeflow_tui.api.model",
        "httpx",
        "numpy",
    }
    assert "hedgeflow_tui.ui.app" in loaded and not later & loaded


async def test_p_pauses_and_resumes_and_r_polls_now():
    app, clock = make_app()
    async with run_dashboard(app) as pilot:
        await until(pilot, lambda: rows(app) > 0)
        await pilot.press("p")
        await until(pilot, lambda: app.statuses["SPY"].state == "paused")
        assert app.pollers["SPY"].paused
        await pilot.press("p")
        assert not app.pollers["SPY"].paused
        before = rows(app)
        clock.advance(120)
        await pilot.press("r")
        await until(pilot, lambda: rows(app) == before + 2)


async def test_b_cycles_the_bar_size_and_back_fills():
    app, _ = make_app()
    async with run_dashboard(app) as pilot:
        await until(pilot, lambda: rows(app) == 216)
        await pilot.press("b")
        assert app.bar_size == "5m"
        await until(pilot, lambda: rows(app) == 43)  # 09:30 .. 13:00 in 5m bars
        assert app.store.session("SPY", "1m") is None


async def test_tab_moves_to_the_next_symbol_and_help_opens():
    app, _ = make_app(symbols=("SPY", "QQQ"))
    async with run_dashboard(app) as pilot:
        await until(pilot, lambda: rows(app, "QQQ") > 0 and rows(app, "SPY") > 0)
        tabs = app.query_one("#symbols", TabbedContent)
        assert tabs.active == "tab-SPY"
        await pilot.press("tab")
        assert tabs.active == "tab-QQQ"
        await pilot.press("tab")
        assert tabs.active == "tab-SPY"
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_the_status_line_follows_the_tab_shown():
    """One status line, above the tabs: the shown symbol's text and state, as soon as its tab
    is shown."""
    # AAPL: FlashAlpha's empty answers while SPY's bars say the market is open: its poller stops
    app, _ = make_app(symbols=("SPY", "AAPL"), clock=stepped_clock(DAY, "13:06", sleepers=2))
    async with run_dashboard(app) as pilot:
        await until(pilot, lambda: rows(app) > 0 and app.statuses["AAPL"].state == "stopped")
        app.refresh_statuses()
        status = app.query_one(StatusBar)
        assert len(app.query(StatusBar)) == 1 and status.parent is app.screen
        assert status.region.y < app.query_one(TabbedContent).region.y
        assert " SPY " in str(status.render()) and status.has_class("-ok")
        await pilot.press("tab")
        assert " AAPL " in str(status.render()) and status.has_class("-stopped")
        await pilot.press("tab")
        assert " SPY " in str(status.render()) and not status.has_class("-stopped")


async def test_an_alert_notifies_logs_and_runs_the_alert_command(tmp_path, monkeypatch):
    out = tmp_path / "alert.json"
    app, clock = make_app(
        at=first_squeeze() - timedelta(minutes=3, seconds=30),
        alert_cmd=(
            f"{sys.executable} -c \"import sys; open(r'{out}', 'w').write(sys.stdin.read())\""
        ),
        bell=True,
        level_alerts=False,  # the squeeze's alone (tests/test_levels.py: the levels')
    )
    notes = record_notifications(app, monkeypatch)
    async with run_dashboard(app, notifications=True) as pilot:
        await until(pilot, lambda: rows(app) > 0)
        log = app.query_one(AlertLog)
        for _ in range(8):
            if any(not alert.history for alert in log.alerts):
                break
            await next_bar(pilot, app, clock)
        live = [alert for alert in log.alerts if not alert.history]
        assert live and live[-1].kind in OPENING, "no squeeze alert fired"
        assert any("squeeze alert" in kw.get("title", "") for _, kw in notes)
        await until(pilot, lambda: out.exists() and out.read_text())
        record = json.loads(out.read_text())
        assert record["type"] == "alert" and record["symbol"] == "SPY"
        assert record["history"] is False
        assert app.query_one(SqueezeBanner).active
        tab = app.query_one("#symbols", TabbedContent).get_tab("tab-SPY")
        assert "SQUEEZE" in str(tab.label)


async def test_alerts_before_the_start_are_logged_as_history_and_not_announced(
    tmp_path, monkeypatch
):
    out = tmp_path / "alert.json"
    app, _ = make_app(
        at=ALL_PUBLISHED,
        alert_cmd=f"{sys.executable} -c \"open(r'{out}', 'w').write('ran')\"",
        bell=True,
    )
    bells: list[int] = []
    notes = record_notifications(app, monkeypatch)
    monkeypatch.setattr(app, "bell", lambda: bells.append(1))
    async with run_dashboard(app, notifications=True) as pilot:
        await until(pilot, lambda: rows(app) == 390)
        await pilot.pause(0.5)
        log = app.query_one(AlertLog)
        assert log.alerts and all(alert.history for alert in log.alerts)
        assert log.alerts == list(reversed(app.trackers.alerts("SPY")))  # for the chart too
        assert not any("squeeze alert" in kw.get("title", "") for _, kw in notes)
        assert not bells and not out.exists()


def session_alerts(seed: int = SEED) -> list[Alert]:
    """The detector's alerts over the whole simulated SPY session at 1m, bar by bar."""
    session = rows_at(simulate_session("SPY", DAY, seed), 60)
    tracker = AlertTracker("SPY", detector_config("1m"))
    for end in range(1, len(session) + 1):
        tracker.update(session[:end])
    return tracker.alerts


async def test_banner_tab_and_log_agree_from_a_squeeze_to_its_end():
    """Bar by bar through the session's first squeeze until its end is logged: the banner and
    the tab say SQUEEZE exactly while the newest log line opens an episode, never "quiet"
    then; the end (faded or reversed) is logged with its own direction's arrow and colour."""
    alerts = session_alerts()
    opening = next(i for i, a in enumerate(alerts) if a.kind in OPENING)
    end = next(a for a in alerts[opening:] if a.kind in ("squeeze_ended", "reversal"))
    bar = timedelta(minutes=1)
    # the bar before the opening one is in; each step publishes one more bar
    app, clock = make_app(at=alerts[opening].t + timedelta(seconds=SimConfig().max_publish_lag))
    async with run_dashboard(app) as pilot:
        await until(pilot, lambda: rows(app) > 0)
        log, banner = app.query_one(AlertLog), app.query_one(SqueezeBanner)
        tab = app.query_one("#symbols", TabbedContent).get_tab("tab-SPY")
        colours = widget_palette(log)

        def newest() -> list[tuple[str, str, datetime]]:
            squeezes = [a for a in log.alerts if a.kind in (*OPENING, *ENDS)]  # no level alerts
            return [(a.kind, a.direction, a.t) for a in squeezes[:1]]

        while newest() != [(end.kind, end.direction, end.t)]:
            assert clock.now() < end.t + 3 * bar, "the episode's end was not logged"
            await next_bar(pilot, app, clock)
            await pilot.pause()
            squeezes = [a for a in log.alerts if a.kind in (*OPENING, *ENDS)]
            active = bool(squeezes) and squeezes[0].kind in OPENING
            assert banner.active == active == ("SQUEEZE" in str(tab.label)), banner.text
            assert not active or "quiet" not in (banner.text or "")
        line = alert_line(next(a for a in log.alerts if a.kind in ENDS), colours)
        arrow, colour = ("▲", colours.up) if end.direction == "up" else ("▼", colours.down)
        assert f"{arrow} {LABELS[end.kind]}" in line.plain
        assert any(
            colour in str(span.style) and arrow in line.plain[span.start : span.end]
            for span in line.spans
        )
        assert not banner.active and "SQUEEZE" not in str(tab.label)
        if end.kind == "reversal":
            assert f"{arrow} HEDGING REVERSED" in (banner.text or "")


async def test_s_cycles_the_squeeze_sensitivity_and_rereads_the_session_quietly():
    app, _ = make_app(at=ALL_PUBLISHED)
    async with run_dashboard(app) as pilot:
        await until(pilot, lambda: rows(app) == 390)
        assert app.trackers.sensitivity == "normal"
        await pilot.press("s")
        assert app.trackers.sensitivity == "high"
        log = app.query_one(AlertLog)
        assert log.alerts == list(reversed(app.trackers.alerts("SPY")))
        assert all(alert.history for alert in log.alerts)
        await pilot.press("s")
        assert app.trackers.sensitivity == "low"
        await pilot.press("s")
        assert app.trackers.sensitivity == "normal"


async def test_a_failing_alert_command_is_shown_and_not_fatal():
    app, clock = make_app(at=first_squeeze() - timedelta(minutes=3, seconds=30), alert_cmd="exit 3")
    async with run_dashboard(app, notifications=True) as pilot:
        await until(pilot, lambda: rows(app) > 0)
        for _ in range(8):
            if app.alert_errors:
                break
            await next_bar(pilot, app, clock)
        await until(pilot, lambda: app.alert_errors)
        assert "exited with 3" in app.alert_errors[0]
        assert app.is_running


async def test_the_alert_log_says_an_ended_squeezes_own_total_and_its_fade_apart():
    """Seed 42 at 15:45 ET: the upside squeeze that ended at 15:42 gave its run back."""
    app, _ = make_app(at=datetime(2026, 6, 12, 19, 45, tzinfo=UTC), seed=42)
    async with run_dashboard(app, size=(120, 40)) as pilot:
        log = app.query_one(AlertLog)
        await until(pilot, lambda: any(a.kind == "squeeze_ended" for a in log.alerts))
        await pilot.pause()
        shown = str(log.render()).splitlines()
        line = next(text for text in shown if "ended" in text)
        assert line.startswith("15:42 ▲ ended     4 bars +$166.0M"), line
        assert line.endswith("· then faded 2 bars −$174.6M"), line


async def test_no_session_on_a_weekend_says_what_to_do():
    app, _ = make_app(date="2026-06-13", at=datetime(2026, 6, 13, 16, 0, tzinfo=UTC))
    async with run_dashboard(app) as pilot:
        await until(pilot, lambda: app.statuses["SPY"].state == "no_session")
        assert app.query_one("#state-panel").display
        assert "No 0DTE session" in panel_text(app) and "--demo" in panel_text(app)


async def test_unknown_symbol_is_named():
    # FlashAlpha answers it with empty bars, as "no session now": the clock says the market is
    # open, so a second empty answer 30 s later names it
    app, clock = make_app(symbols=("AAPL",), clock=stepped_clock(DAY, "13:06"))
    async with run_dashboard(app) as pilot:
        await until(pilot, lambda: app.statuses["AAPL"].state == "stopped")
        assert "No 0DTE data for AAPL" in panel_text(app, "AAPL")
        assert clock.now() <= stepped_clock(DAY, "13:06").now() + timedelta(minutes=1)


@pytest.mark.parametrize(
    "config, overrides, expected",
    [
        ({"api_key": "right"}, {"api_key": "wrong"}, "rejected the API key"),
        ({"plan": "basic"}, {}, "Growth plan"),
    ],
)
async def test_fatal_states_have_their_own_panel(sim_server, config, overrides, expected):
    server = sim_server(config=SimConfig(date=DAY, **config), clock=sim_clock(DAY, "11:00", 1.0))
    app = remote_app(server.url, **overrides)
    async with run_dashboard(app) as pilot:
        await until(
            pilot, lambda: app.statuses.get("SPY") and app.statuses["SPY"].state == "stopped"
        )
        assert expected in panel_text(app)
        assert "wrong" not in str(app.query_one(StatusBar).render())


async def test_rate_limited_and_network_down_show_retrying_states(sim_server):
    server = sim_server(
        config=SimConfig(date=DAY, faults=1.0, fault_kinds=("429",)),
        clock=sim_clock(DAY, "11:00", 1.0),
    )
    app = remote_app(server.url)
    async with run_dashboard(app) as pilot:
        await until(pilot, lambda: app.statuses["SPY"].state == "rate_limited")
        assert "Rate-limited" in panel_text(app)
        assert app.query_one(StatusBar).has_class("-retrying")
    dead = sim_server(config=SimConfig(date=DAY), clock=sim_clock(DAY, "11:00", 1.0))
    dead.stop()
    app = remote_app(dead.url)
    async with run_dashboard(app) as pilot:
        await until(pilot, lambda: app.statuses["SPY"].state == "retrying")
        assert "Cannot reach" in panel_text(app)


async def test_last_data_is_kept_and_marked_stale_while_retrying(sim_server):
    server = sim_server(config=SimConfig(date=DAY), clock=sim_clock(DAY, "11:00", 240.0))
    app = remote_app(server.url, speed=240.0)
    async with run_dashboard(app) as pilot:
        await until(pilot, lambda: rows(app) > 0)
        held = rows(app)
        server.stop()
        await until(pilot, lambda: app.statuses["SPY"].state == "retrying", timeout=20)
        await until(pilot, lambda: app.query_one(StatusBar).has_class("-stale"), timeout=20)
        assert rows(app) >= held and not app.query_one("#state-panel").display


async def test_survives_resizes_while_data_arrives():
    app, clock = make_app(symbols=("SPY", "QQQ"))
    async with run_dashboard(app, size=(80, 24)) as pilot:
        await until(pilot, lambda: rows(app) > 0)
        for width, height in [(40, 12), (60, 20), (250, 70), (120, 40), (40, 12), (80, 24)]:
            await pilot.resize_terminal(width, height)
            await next_bar(pilot, app, clock)
        assert app.is_running and rows(app) == 216 + 6


def plot_text(chart: FlowChart) -> str:
    return "".join(segment.text for segment in chart.render().segments)


async def test_a_short_terminal_folds_the_banner_and_log_so_the_chart_keeps_its_room():
    app, _ = make_app()
    async with run_dashboard(app, size=(80, 24)) as pilot:
        await until(pilot, lambda: rows(app) > 0)
        await pilot.pause()
        assert app.has_class("-compact")
        assert app.query_one(SqueezeBanner).outer_size.height == 1
        chart = app.query_one(FlowChart)
        assert chart.size.height >= 10 and "cumulative dealer" not in plot_text(chart)
        for widget in (FlowSparkline, AttributionBars, RegimeLine):  # nothing wraps out of sight
            lines = str(app.query_one(widget).render()).splitlines()
            assert all(len(line) <= app.query_one(widget).size.width for line in lines), widget
        sparkline = str(app.query_one(FlowSparkline).render()).splitlines()
        assert "last" in sparkline[0] and "scale" in sparkline[1]
        assert str(app.query_one(AttributionBars).render()).splitlines()[1].startswith("run")
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert not app.has_class("-compact") and app.query_one(SqueezeBanner).outer_size.height == 3
        assert "cumulative dealer hedge flow" in plot_text(chart)  # redrawn for the new size


async def test_colorblind_theme():
    app, _ = make_app(theme="colorblind")
    async with run_dashboard(app) as pilot:
        await until(pilot, lambda: rows(app) > 0)
        assert app.query_one(FlowChart).palette == "colorblind"
        blue = palette_for("colorblind", dark=True).up  # the banner's colours, from one place
        assert app.get_css_variables()["flow-up"] == blue


async def test_every_key_is_also_in_the_command_palette():
    app, _ = make_app(symbols=("SPY", "QQQ"))
    async with run_dashboard(app) as pilot:
        await until(pilot, lambda: rows(app) > 0)
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert {"Pause", "Poll now", "Bar size", "Next symbol", "Help"} <= titles
        assert "Play" not in titles and "Resume" not in titles  # not paused: nothing to resume


async def test_the_palette_finds_poll_and_the_footer_says_resume_while_paused():
    app, _ = make_app()
    async with run_dashboard(app, size=(100, 30)) as pilot:
        await until(pilot, lambda: rows(app) > 0)
        await pilot.press("ctrl+p")
        await pilot.press(*"poll")

        await until(pilot, lambda: any("Poll now" in text for text in palette_prompts(app)))
        await pilot.press("escape")

        def footer() -> set[str]:
            return {key.description for key in footer_keys(app)}

        await until(pilot, lambda: "Pause" in footer())
        assert "Resume" not in footer()
        await pilot.press("p")
        await until(pilot, lambda: "Resume" in footer())
        assert "Pause" not in footer()
        assert "Resume" in {c.title for c in app.get_system_commands(app.screen)}


async def test_with_several_symbols_the_footer_keeps_the_view_keys_in_one_entry():
    app, _ = make_app(symbols=("SPY", "QQQ"))
    async with run_dashboard(app, size=(140, 30)) as pilot:
        await until(pilot, lambda: rows(app) > 0)
        await pilot.click("#symbols Tab")  # a click on a tab does not give the tabs focus
        await pilot.pause()
        labels = [str(label.render()) for label in footer_labels(app)]
        assert labels.count("View") == 1, labels
        keys = [key.key_display for key in footer_keys(app)]
        assert keys[keys.index("←") : keys.index("←") + 4] == ["←", "→", "w", "z"], keys
        assert "Next symbol" in {key.description for key in footer_keys(app)}


async def test_the_command_palette_keeps_its_keys_and_offers_the_cursor():
    app, _ = make_app()
    async with run_dashboard(app, size=(120, 30)) as pilot:
        await until(pilot, lambda: rows(app) > 0)
        await pilot.press("ctrl+p", *"cursor")

        await until(pilot, lambda: any("Cursor back" in text for text in palette_prompts(app)))
        await pilot.press("left", "left", "home", "space", "x")
        await pilot.pause()
        assert app.screen.query_one(Input).value == " xcursor"  # the keys edited the input
        assert app.chart_view.cursor is None  # and did not move the dashboard's cursor


async def test_at_80x24_an_alert_toast_leaves_the_regime_line_and_alert_log_visible():
    app, _ = make_app()
    async with run_dashboard(app, size=(80, 24), notifications=True) as pilot:
        await until(pilot, lambda: rows(app) > 0)
        for _ in range(2):  # two alerts at once, as from two symbols
            app.notify("▲ CONFIRMED · 11 bars · call-driven", title="SPY squeeze alert")
        await until(pilot, lambda: len(toasts(app)) == 2)
        await pilot.pause(0.3)
        covered = [app.query_one(w).region for w in (RegimeLine, AlertLog, StatusBar)]
        for toast in toasts(app):
            assert not any(toast.region.overlaps(region) for region in covered), toast.region


@pytest.mark.parametrize("downloads", [False, True])
async def test_the_palettes_screenshot_says_where_it_went_with_or_without_downloads(
    tmp_path, monkeypatch, downloads
):
    """No ~/Downloads: it goes to the data dir's `screenshots` (Textual's own failed, saying
    nothing of why); either way the notification names the file."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_DOWNLOAD_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    if downloads:
        (home / "Downloads").mkdir()
    app, _ = make_app()
    async with run_dashboard(app, size=(120, 30)) as pilot:
        await until(pilot, lambda: rows(app) > 0)
        await pilot.press("ctrl+p", *"screenshot")

        await until(pilot, lambda: any("Screenshot" in text for text in palette_prompts(app)))
        await pilot.press("enter")
        folder = home / "Downloads" if downloads else tmp_path / "data" / "screenshots"
        await until(pilot, lambda: folder.is_dir() and any(folder.glob("*.svg")))
        (saved,) = folder.glob("*.svg")
        await until(pilot, lambda: any(str(saved) in str(n.message) for n in app._notifications))
