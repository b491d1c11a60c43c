"""The squeeze banner: what the detector reads now, in the words of its alerts. Never flickers:
content and classes change only when what it says changes.

It agrees with the alert log and the tab label because all three come from the same tracker:
BUILDING / CONFIRMED while an episode is open, a reversal notice on the bar that reversed one,
and never "quiet" on the session's largest bar or while evidence is half-way to an alert.
While no new bar arrives it is dimmed and says since when (STALE) and what it said then (its
headline only when the whole would not fit); once the session has closed it sums up the day.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from rich.cells import cell_len
from textual.widgets import Static

from hedgeflow_tui.analysis.alerting import AnyAlert
from hedgeflow_tui.analysis.detector import WATCH_LEVEL, Alert, Signal, session_attribution
from hedgeflow_tui.engine.store import Row
from hedgeflow_tui.output.format import et_time, money

STATE_CLASSES = (
    "-quiet",
    "-building",
    "-confirmed",
    "-up",
    "-down",
    "-reversal",
    "-stale",
    "-summary",
)
SQUEEZE_KINDS = ("squeeze_building", "squeeze_confirmed")


def squeezes_of_the_day(alerts: Sequence[AnyAlert]) -> list[tuple[Alert, bool]]:
    """Each squeeze episode as (its first alert, whether it was confirmed), oldest first."""
    episodes: list[tuple[Alert, bool]] = []
    open_episode = False
    squeezes = (alert for alert in alerts if isinstance(alert, Alert))  # no level alerts
    for alert in sorted(squeezes, key=lambda a: a.t):
        if alert.kind in SQUEEZE_KINDS and open_episode and alert.kind == "squeeze_confirmed":
            first, _ = episodes[-1]
            episodes[-1] = (first, True)
        elif alert.kind in SQUEEZE_KINDS:
            episodes.append((alert, alert.kind == "squeeze_confirmed"))
            open_episode = True
        else:
            open_episode = False
    return episodes


def summary_text(rows: Sequence[Row], alerts: Sequence[AnyAlert]) -> str:
    """After the close: net flow, which leg drove it, and the day's squeezes."""
    share = session_attribution(rows)
    net = next((r.cum_all for r in reversed(rows) if r.cum_all is not None), None)
    episodes = squeezes_of_the_day(alerts)
    if episodes:
        listed = ", ".join(
            f"{'▲' if a.direction == 'up' else '▼'} {et_time(a.t)}{' confirmed' if sure else ''}"
            for a, sure in episodes
        )
        squeezes = f"{len(episodes)} squeeze{'s' if len(episodes) > 1 else ''}: {listed}"
    else:
        squeezes = "no squeeze today"
    return f"Session closed · net flow {money(net)} · {share.label} · {squeezes}"


def banner_text(signal: Signal | None) -> tuple[str, set[str]]:
    if signal is None or signal.direction is None:
        return "No squeeze: dealer hedge flow is quiet", {"-quiet"}
    up = signal.direction == "up"
    arrow = "▲" if up else "▼"
    doing = "buying" if up else "selling"
    if signal.state == "quiet":
        if signal.reversal:
            return (
                f"{arrow} HEDGING REVERSED: dealers now {doing} after a squeeze the other way",
                {"-quiet", "-reversal"},
            )
        if signal.largest and signal.last_flow is not None:
            return (
                f"{arrow} No squeeze yet: dealers {doing} {money(signal.last_flow)} in one bar, "
                "the session's largest",
                {"-quiet"},
            )
        if signal.evidence >= WATCH_LEVEL:
            return (
                f"{arrow} No squeeze yet: dealer {doing} at {signal.evidence:.0%} of the alert "
                f"level · {signal.why}",
                {"-quiet"},
            )
        return "No squeeze: dealer hedge flow is quiet", {"-quiet"}
    side = "▲ UPSIDE" if up else "▼ DOWNSIDE"
    state = "SQUEEZE CONFIRMED" if signal.state == "confirmed" else "SQUEEZE BUILDING"
    text = (
        f"{side} {state} · {signal.why} · run {signal.bars} bars {money(signal.run_flow)} · "
        f"{signal.attribution.label}"
    )
    return text, {f"-{signal.state}", "-up" if up else "-down"}


def headline(text: str) -> str:
    """The banner's first words: "▲ UPSIDE SQUEEZE CONFIRMED", "▼ No squeeze yet"."""
    return re.split(r": | · ", text, maxsplit=1)[0]


class SqueezeBanner(Static):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.text: str | None = None
        self.classes_shown: set[str] | None = None
        self.signal: Signal | None = None
        self.context: str | None = None
        self.stale_since: datetime | None = None
        self.summary: str | None = None
        self.show(None)

    def show(
        self,
        signal: Signal | None,
        *,
        stale_since: datetime | None = None,
        summary: str | None = None,
    ) -> None:
        """The signal; or, once the session has closed, its `summary`; dimmed and marked when
        the data is stale (no new bar since `stale_since`)."""
        self.signal = signal
        self.stale_since = stale_since
        self.summary = summary
        self._paint()

    def show_context(self, context: str | None) -> None:
        """How the run compares with history ("largest 5-bar run in 30 sessions"), on the
        banner's lower border while a squeeze is open (live mode, from the session history)."""
        self.context = context
        self._paint()

    def _paint(self) -> None:
        shown = self.context if self.active_signal() else None
        if self.border_subtitle != (shown or ""):
            self.border_subtitle = shown or ""
        if self.summary is not None:
            text, classes = self.summary, {"-summary"}
        else:
            text, classes = banner_text(self.signal)
        if self.stale_since is not None:
            text = self._stale_text(text)
            classes = classes | {"-stale"}
        if text != self.text:
            self.text = text
            self.update(text, layout=False)  # a fixed height (app.tcss): no layout pass
        if classes != self.classes_shown:  # each class change restyles the banner
            self.classes_shown = classes
            self.remove_class(*STATE_CLASSES)
            self.add_class(*classes)

    def _stale_text(self, text: str) -> str:
        """Since when no bar came, and what the banner said then: in full where it fits on the
        banner's line, else its headline (the words before the first ':' or '·')."""
        prefix = f"STALE since {et_time(self.stale_since)} ET (no new bars) · was: "
        width = self.size.width
        if width and cell_len(prefix + text) > width:
            return prefix + headline(text)
        return prefix + text

    def on_resize(self) -> None:
        self._paint()  # the stale text is fitted to the width

    def active_signal(self) -> bool:
        return self.signal is not None and self.signal.state in ("building", "confirmed")

    @property
    def active(self) -> bool:
        return self.has_class("-building") or self.has_class("-confirmed")
