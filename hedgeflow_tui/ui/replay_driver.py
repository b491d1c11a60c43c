"""Plays a recording into a store, batch by batch, as the pollers merged it live."""

from __future__ import annotations

from datetime import datetime

from hedgeflow_tui.record import Recording
from hedgeflow_tui.store import Store

MIN_DELAY = 0.02  # real seconds between batches, at most speed
MAX_DELAY = 5.0


class ReplayDriver:
    def __init__(self, recording: Recording, store: Store, speed: float) -> None:
        self.recording = recording
        self.store = store
        self.speed = speed
        self.position = 0  # batches applied so far
        self.playing = True

    @property
    def total(self) -> int:
        return len(self.recording.batches)

    @property
    def at_end(self) -> bool:
        return self.position >= self.total

    def step(self) -> bool:
        """Apply the next batch; False at the end."""
        if self.at_end:
            return False
        self.store.apply(self.recording.batches[self.position].responses)
        self.position += 1
        return True

    def rewind(self) -> None:
        self.store.clear()
        self.position = 0

    def delay(self) -> float:
        """Real seconds to wait before the next batch: the market time between them / speed."""
        if self.position == 0 or self.at_end:
            return MIN_DELAY
        gap = (
            self.recording.batches[self.position].as_of
            - self.recording.batches[self.position - 1].as_of
        ).total_seconds()
        return min(MAX_DELAY, max(MIN_DELAY, gap / self.speed))

    def now(self) -> datetime | None:
        """Market time of the last batch applied."""
        if self.position == 0:
            return self.recording.batches[0].as_of if self.recording.batches else None
        return self.recording.batches[self.position - 1].as_of
