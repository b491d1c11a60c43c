"""What every store change goes through, in a live feed and in a replay alike: each symbol's
detector (the alert trackers), then the session history, then the subscribers. A bar that a
subscriber prints or paints is already in the history."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hedgeflow_tui.analysis.alerting import AlertTrackers
from hedgeflow_tui.analysis.detector import Alert
from hedgeflow_tui.engine.store import Change, Store
from hedgeflow_tui.storage.history import HistoryFeed


@dataclass(frozen=True, slots=True)
class Update:
    """A store change and the alerts it fired."""

    change: Change
    alerts: list[Alert]


UpdateObserver = Callable[[Update], None]


class FlowPipeline:
    """The store, the detector over it, and the history it feeds. `wants` picks the changes the
    detector reads (the dashboard: those of the bar size shown; a poller of the previous size
    may finish its last poll after a change of size)."""

    def __init__(
        self,
        sensitivity: str,
        history: HistoryFeed | None = None,
        *,
        wants: Callable[[Change], bool] | None = None,
    ) -> None:
        self.store = Store()
        self.trackers = AlertTrackers(self.store, sensitivity)
        self.history = history
        self.on_history_error: Callable[[str], None] | None = None  # told once, when it stops
        self._wants = wants
        self._observers: list[UpdateObserver] = []
        self.store.subscribe(self._on_change)

    def subscribe(self, observer: UpdateObserver) -> None:
        self._observers.append(observer)

    def _on_change(self, change: Change) -> None:
        """Runs inside the store's `apply`: the detector sees every batch."""
        if self._wants is not None and not self._wants(change):
            return
        update = Update(change, self.trackers.update(change))
        self._record(update)
        for observer in self._observers:
            observer(update)

    def _record(self, update: Update) -> None:
        feed = self.history
        change = update.change
        view = self.store.session(change.symbol, change.bar_size)
        if feed is None or view is None or feed.error is not None:
            return
        feed.record(view, change.rows, update.alerts)
        if feed.error is not None and self.on_history_error is not None:
            self.on_history_error(feed.error)
