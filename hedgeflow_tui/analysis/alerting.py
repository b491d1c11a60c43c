"""Per-symbol alert trackers fed from store changes: the one setup shared by the dashboard,
headless mode and replay."""

from __future__ import annotations

from hedgeflow_tui.analysis.detector import Alert, AlertTracker, Signal, detector_config
from hedgeflow_tui.engine.store import Change, Store


class AlertTrackers:
    """One `AlertTracker` per symbol, tuned for the bar size it reads, fed the whole session
    after every store change; a new session (a newer expiration) or another bar size starts a
    fresh tracker, so one day's run never spills into the next."""

    def __init__(self, store: Store, sensitivity: str = "normal") -> None:
        self.store = store
        self.sensitivity = sensitivity
        self._trackers: dict[str, tuple[str, AlertTracker]] = {}  # symbol: (bar size, tracker)

    def update(self, change: Change) -> list[Alert]:
        """The alerts this change fired."""
        held = self._trackers.get(change.symbol)
        if held is None or change.new_session or held[0] != change.bar_size:
            config = detector_config(change.bar_size, self.sensitivity)
            held = self._trackers[change.symbol] = (
                change.bar_size,
                AlertTracker(change.symbol, config),
            )
        view = self.store.session(change.symbol, change.bar_size)
        return held[1].update(view.rows if view is not None else ())

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

    def alerts(self, symbol: str) -> list[Alert]:
        """The session's alerts so far, history included (the alert log, chart markers)."""
        held = self._trackers.get(symbol)
        return held[1].alerts if held is not None else []

    def clear(self) -> None:
        self._trackers.clear()
