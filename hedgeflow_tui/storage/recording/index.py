"""A recording indexed in one pass, so the replay screen can seek without holding it: where each
poll's answers are, read back and parsed again when the poll is played.

Memory is a few numbers a poll, not the answers. A plain file is read back in
place; a gzip file cannot be read at an offset, so the lines of its answers are copied, as they
are read, to an unnamed temporary file, which the system removes when it is closed.
"""

from __future__ import annotations

import tempfile
from array import array
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from hedgeflow_tui.api.model import DataError, HedgeFlowResponse, Response
from hedgeflow_tui.engine.store import LEGS
from hedgeflow_tui.storage.recording.format import RecordingError
from hedgeflow_tui.storage.recording.reader import (
    MAX_LINE,
    Batch,
    RecordingStream,
    decode,
    is_compressed,
    parse_response,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


class RecordingIndex:
    """The polls of a recording, by number: `batch(i)` reads poll i back from disk.

    `session_start(i)` is the earliest poll a seek to poll i has to replay from: before it, every
    session the store holds at poll i had not begun (a newer expiration replaces what came
    before, in the store and in the alert trackers alike)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            compressed = is_compressed(path)
        except OSError as error:
            raise RecordingError(f"cannot read recording {path.name}: {error.strerror}") from None
        # the spool lives as long as the index: `close` closes it
        self._spool: IO[bytes] | None = tempfile.TemporaryFile() if compressed else None  # noqa: SIM115
        self._names: list[tuple[str, str]] = []  # (symbol, bar size) of each kind of poll
        self._name = array("H")  # per poll: index into _names
        self._as_of = array("q")  # per poll: microseconds since the epoch
        self._first = array("q", [0])  # per poll: its first line in _lines; one more at the end
        self._lines = array("q")  # where each answer's line is, poll after poll
        self._starts = array("q")  # per poll: where a seek to it replays from
        self._sessions = _Sessions()
        try:
            stream = RecordingStream(path, keep=self._copy if compressed else _in_place)
            for batch in stream:
                self._add(batch)
        except BaseException:
            self.close()
            raise
        self.headers = stream.headers
        self.skipped = stream.skipped
        in_polls = list(dict.fromkeys(symbol for symbol, _ in self._names_in_order()))
        self.symbols = stream.symbols or in_polls
        # every bar size the recording holds, in the order it first appears
        self.bar_sizes = list(dict.fromkeys(size for _, size in self._names_in_order()))
        self.bar_size = self.bar_sizes[0] if self.bar_sizes else stream.bar_size
        self._reader: IO[bytes] = self._spool if self._spool is not None else path.open("rb")

    def __enter__(self) -> RecordingIndex:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        for handle in (getattr(self, "_reader", None), self._spool):
            if handle is not None:
                handle.close()

    @property
    def total(self) -> int:
        return len(self._name)

    def as_of(self, position: int) -> datetime:
        """The market time of poll `position` (its newest answer's `as_of`)."""
        return EPOCH + self._as_of[position] * MICROSECOND

    def session_start(self, position: int) -> int:
        """The poll a store rebuilt up to poll `position` (not included) has to start from."""
        return self._starts[position - 1] if position > 0 else 0

    def batch(self, position: int) -> Batch:
        """Poll `position`, read back and parsed; an answer changed on disk since is left out."""
        symbol, bar_size = self._names[self._name[position]]
        responses: list[Response] = []
        for offset in self._lines[self._first[position] : self._first[position + 1]]:
            self._reader.seek(offset)
            record = decode(self._reader.readline(MAX_LINE + 1))
            try:
                parsed = parse_response(record) if record is not None else None
            except (DataError, KeyError, TypeError):
                parsed = None
            if parsed is not None:
                responses.append(parsed[1])
        return Batch(symbol, bar_size, self.as_of(position), tuple(responses))

    def _add(self, batch: Batch) -> None:
        name = (batch.symbol, batch.bar_size)
        if name not in self._names:
            self._names.append(name)
        self._name.append(self._names.index(name))
        self._as_of.append((batch.as_of - EPOCH) // MICROSECOND)
        self._lines.extend(batch.lines)
        self._first.append(len(self._lines))
        self._starts.append(self._sessions.after(len(self._name) - 1, batch.responses))

    def _names_in_order(self) -> list[tuple[str, str]]:
        return [self._names[i] for i in dict.fromkeys(self._name)]

    def _copy(self, offset: int, line: bytes) -> int:
        """Keeps an answer's line of a gzip file in the spool; where it is there."""
        assert self._spool is not None
        where = self._spool.tell()
        self._spool.write(line)
        return where


def _in_place(offset: int, line: bytes) -> int:
    return offset


class _Sessions:
    """Follows, poll after poll, which session the store holds for each symbol and bar size, by
    the store's own rule (`Store._apply_to`), to know where each of them began."""

    def __init__(self) -> None:
        self._expiration: dict[tuple[str, str], Any] = {}  # the held session's expiration
        self._began: dict[tuple[str, str], int] = {}  # the poll the held session began at

    def after(self, position: int, responses: tuple[Response, ...]) -> int:
        """The earliest poll any session held after poll `position` began at."""
        touched: dict[tuple[str, str], list[Response]] = {}
        for response in responses:
            if isinstance(response, HedgeFlowResponse) and response.side not in LEGS:
                continue
            touched.setdefault((response.symbol, response.bar_size), []).append(response)
        for key, answers in touched.items():
            newest = max((a.expiration for a in answers if a.expiration is not None), default=None)
            if key not in self._expiration:
                self._expiration[key], self._began[key] = newest, position
            elif self._expiration[key] is None:
                self._expiration[key] = newest
            elif newest is not None and newest > self._expiration[key]:
                self._expiration[key], self._began[key] = newest, position
        return min(self._began.values(), default=position)
