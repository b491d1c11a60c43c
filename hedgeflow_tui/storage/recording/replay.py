"""Plays a recording into a store, batch by batch, as the pollers merged it live."""

from __future__ import annotations

from datetime import datetime

from hedgeflow_tui.engine.store import Store
from hedgeflow_tui.storage.recording.index import RecordingIndex

MIN_DELAY = 0.02  # real seconds between batches, at most speed
MAX_DELAY = 5.0


class ReplayDriver:
    """Reads each poll from the recording's file when it is played: memory for the sessions
    shown, not for the recording."""

    def __init__(self, recording: RecordingIndex, store: Store, speed: float) -> None:
        self.recording = recording
        self.store = store
        self.speed = speed
        self.position = 0  # batches applied so far
        self.playing = True

    @property
    def total(self) -> int:
        return self.recording.total

    @property
    def at_end(self) -> bool:
        return self.position >= self.total

    def step(self) -> bool:
        """Apply the next batch; False at the end."""
        if self.at_end:
            return False
        self.store.apply(self.recording.batch(self.position).responses)
        self.position += 1
        return True

    def rewind(self, position: int = 0) -> None:
        """Empty the store, to be played again up to `position`: from the poll where the
        sessions held there began (earlier polls cannot change them)."""
        self.store.clear()
        self.position = self.recording.session_start(min(position, self.total))

    def delay(self) -> float:
        """Real seconds to wait before the next batch: the market time between them / speed."""
        if self.position == 0 or self.at_end:
            return MIN_DELAY
        gap = (
            self.recording.as_of(self.position) - self.recording.as_of(self.position - 1)
        ).total_seconds()
        return min(MAX_DELAY, max(MIN_DELAY, gap / self.speed))

    def now(self) -> datetime | None:
        """Market time of the last batch applied."""
        if self.position == 0:
            return self.recording.as_of(0) if self.total else None
        return self.recording.as_of(self.position - 1)
