"""Per-symbol alert trackers fed from store changes: the one setup shared by the dashboard,
headless mode and replay. Squeeze alerts (the detector) and level alerts (gamma flip, walls,
the user's flow rules) go the same way: log, chart, notification, bell, `--alert-cmd`, lines."""

from __future__ import annotations

from collections.abc import Sequence

from hedgeflow_tui.analysis.detector import Alert, AlertTracker, Signal, detector_config
from hedgeflow_tui.analysis.levels import LevelAlert, LevelTracker
from hedgeflow_tui.config.alert_rules import FlowRule
from hedgeflow_tui.engine.store import Change, Store

AnyAlert = Alert | LevelAlert


class AlertTrackers:
    """One `AlertTracker` per symbol, tuned for the bar size it reads, fed the whole session
    after every store change; a new session (a newer expiration) or another bar size starts a
    fresh tracker, so one day's run never spills into the next."""

    def __init__(
        self,
        store: Store,
        sensitivity: str = "normal",
        rules: Sequence[FlowRule] = (),
        *,
        levels: bool = True,
    ) -> None:
        self.store = store
        self.sensitivity = sensitivity
        self.rules = tuple(rules)
        self.levels = levels  # alerts on the gamma flip and the walls
        self._trackers: dict[str, tuple[str, AlertTracker]] = {}  # symbol: (bar size, tracker)
        self._levels: dict[str, LevelTracker] = {}

    def update(self, change: Change) -> list[AnyAlert]:
        """The alerts this change fired, in bar order."""
        held = self._trackers.get(change.symbol)
        if held is None or change.new_session or held[0] != change.bar_size:
            config = detector_config(change.bar_size, self.sensitivity)
            held = self._trackers[change.symbol] = (
                change.bar_size,
                AlertTracker(change.symbol, config),
            )
            self._levels[change.symbol] = LevelTracker(
                change.symbol, self.rules, levels=self.levels
            )
        view = self.store.session(change.symbol, change.bar_size)
        rows = view.rows if view is not None else ()
        squeezes: list[AnyAlert] = list(held[1].update(rows))
        levels = self._levels[change.symbol].update(rows)
        return sorted([*squeezes, *levels], key=lambda a: a.t) if levels else squeezes

    def set_sensitivity(self, sensitivity: str) -> None:
        """Re-read every symbol's session at `sensitivity`: its alerts come back as history."""
        self.sensitivity = sensitivity
        for symbol, (bar_size, _) in list(self._trackers.items()):
            tracker = AlertTracker(symbol, detector_config(bar_size, sensitivity))
            view = self.store.session(symbol, bar_size)
            tracker.update(view.rows if view is not None else (), history=True)
            self._trackers[symbol] = (bar_size, tracker)

    def signal(self, symbol: str) -> Signal | None:
        held = self._trackers.get(symbol)
        return held[1].signal if held is not None else None

    def alerts(self, symbol: str) -> list[AnyAlert]:
        """The session's alerts so far, history included (the alert log, chart markers)."""
        held = self._trackers.get(symbol)
        squeezes: list[AnyAlert] = list(held[1].alerts) if held is not None else []
        levels = self._levels.get(symbol)
        if levels is None or not levels.alerts:
            return squeezes
        return sorted([*squeezes, *levels.alerts], key=lambda a: a.t)

    def clear(self) -> None:
        self._trackers.clear()
        self._levels.clear()
