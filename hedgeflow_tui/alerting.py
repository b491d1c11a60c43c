"""Per-symbol alert trackers fed from store changes: the one setup shared by the dashboard,
headless mode and replay."""

from __future__ import annotations

from hedgeflow_tui.config import Settings
from hedgeflow_tui.detector import Alert, AlertTracker, DetectorConfig, Signal
from hedgeflow_tui.store import Change, Store


def detector_config(settings: Settings) -> DetectorConfig:
    return DetectorConfig(squeeze_bars=settings.squeeze_bars, noise_floor=settings.noise_floor)


class AlertTrackers:
    """One `AlertTracker` per symbol, fed the whole session after every store change; a new
    session (a newer expiration) starts a fresh tracker, so one day's run never spills into the
    next."""

    def __init__(self, store: Store, config: DetectorConfig) -> None:
        self.store = store
        self.config = config
        self._trackers: dict[str, AlertTracker] = {}

    def update(self, change: Change) -> list[Alert]:
        """The alerts this change fired."""
        tracker = self._trackers.get(change.symbol)
        if tracker is None or change.new_session:
            tracker = self._trackers[change.symbol] = AlertTracker(change.symbol, self.config)
        view = self.store.session(change.symbol, change.bar_size)
        return tracker.update(view.rows if view is not None else ())

    def signal(self, symbol: str) -> Signal | None:
        tracker = self._trackers.get(symbol)
        return tracker.signal if tracker is not None else None

    def alerts(self, symbol: str) -> list[Alert]:
        tracker = self._trackers.get(symbol)
        return tracker.alerts if tracker is not None else []

    def clear(self) -> None:
        self._trackers.clear()
