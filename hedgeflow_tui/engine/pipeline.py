"""What every store change goes through, in a live feed and in a replay alike: each symbol's
detector and level alerts (the alert trackers: `rules` are the config's `[[alert]]` tables,
`levels` the gamma flip and walls), then the session history, then the subscribers. The history
takes the bars for its writer (a thread of its own in a live feed: `HistoryFeed`); an update
carries the number of that record, so that a subscriber can wait until it is stored (headless
prints a bar once its write was tried)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hedgeflow_tui.analysis.alerting import AlertTrackers, AnyAlert
from hedgeflow_tui.config.alert_rules import FlowRule
from hedgeflow_tui.engine.store import Change, Store
from hedgeflow_tui.storage.history import HistoryFeed


@dataclass(frozen=True, slots=True)
class Update:
    """A store change and the alerts it fired."""

    change: Change
    alerts: list[AnyAlert]
    record: int = 0  # the history's record of it (`HistoryFeed.settled`); 0 without a history


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
        rules: tuple[FlowRule, ...] = (),
        levels: bool = True,
    ) -> None:
        self.store = Store()
        self.trackers = AlertTrackers(self.store, sensitivity, rules, levels=levels)
        self.history = history
        self._wants = wants
        self._observers: list[UpdateObserver] = []
        self.store.subscribe(self._on_change)

    def subscribe(self, observer: UpdateObserver) -> None:
        self._observers.append(observer)

    def _on_change(self, change: Change) -> None:
        """Runs inside the store's `apply`: the detector sees every batch."""
        if self._wants is not None and not self._wants(change):
            return
        alerts = self.trackers.update(change)
        update = Update(change, alerts, self._record(change, alerts))
        for observer in self._observers:
            observer(update)

    def _record(self, change: Change, alerts: list[AnyAlert]) -> int:
        feed = self.history
        view = self.store.session(change.symbol, change.bar_size)
        if feed is None or view is None:
            return 0
        return feed.record(view, change.rows, alerts)
