"""Reading a recording back, front to back, as the batches the poller merged."""

from __future__ import annotations

import gzip
import json
import stat
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, assert_never

from hedgeflow_tui.api.model import (
    DataError,
    Response,
    is_endpoint,
    parse_hedge_flow,
    parse_series,
    parse_strike_flow,
)
from hedgeflow_tui.config.checks import MAX_SEED, SYMBOL
from hedgeflow_tui.market.bars import BAR_SECONDS
from hedgeflow_tui.storage.recording.format import FORMAT, VERSION, RecordingError

GZIP_MAGIC = b"\x1f\x8b"
SOURCES = ("LIVE", "REMOTE", "SIMULATED")  # a header's `source`
MAX_LINE = 16 * 1024 * 1024  # bytes; one recorded answer is capped at the client's 4 MiB body
READ_CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Batch:
    """One poll cycle as it was merged live."""

    symbol: str
    bar_size: str
    as_of: datetime
    responses: tuple[Response, ...]
    lines: tuple[int, ...] = ()  # where `RecordingStream`'s keeper put its answers' lines


@dataclass
class Recording:
    headers: list[dict[str, Any]]
    batches: list[Batch]
    skipped: int = 0  # unreadable lines passed over (a torn last line, a corrupt one)
    symbols: list[str] = field(default_factory=list)
    ended_early: bool = False  # a gzip file cut short: read up to its last whole part

    @property
    def bar_size(self) -> str:
        return self.batches[0].bar_size if self.batches else self.headers[0]["bar_size"]


def _bounded_lines(handle: BinaryIO | gzip.GzipFile) -> Iterator[tuple[int, bytes | None]]:
    """(offset, line) for each of the handle's lines, the line None when it is longer than
    `MAX_LINE` (skipped without holding it); offsets count from where the handle starts."""
    offset = 0
    while True:
        line = handle.readline(MAX_LINE + 1)
        if not line:
            return
        start, offset = offset, offset + len(line)
        if len(line) > MAX_LINE and not line.endswith(b"\n"):
            while True:  # drain the rest of the over-long line, a bounded piece at a time
                rest = handle.readline(READ_CHUNK)
                offset += len(rest)
                if not rest or rest.endswith(b"\n"):
                    break
            yield start, None
            continue
        yield start, line


def is_compressed(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(2) == GZIP_MAGIC


def _raw_lines(path: Path, ended_early: Callable[[], None]) -> Iterator[tuple[int, bytes | None]]:
    """The file's lines and their offsets (in the decompressed text for a gzip file, which is
    read up to its last whole flush: a kill cuts it short, and `ended_early` is told)."""
    if not is_compressed(path):
        with path.open("rb") as handle:
            yield from _bounded_lines(handle)
        return
    with gzip.open(path, "rb") as handle:
        try:
            yield from _bounded_lines(handle)
        except (EOFError, zlib.error, gzip.BadGzipFile):
            ended_early()
            return


def decode(raw: bytes | None) -> dict[str, Any] | None:
    """One line's record, None when it is not a JSON object."""
    if raw is None:
        return None
    try:
        record = json.loads(raw.decode())  # UTF-8, as written: no encoding to detect
    except (ValueError, RecursionError):
        return None
    return record if isinstance(record, dict) else None


def _check_header(record: dict[str, Any]) -> None:
    if record.get("format") != FORMAT:
        raise RecordingError("not a hedgeflow-tui recording")
    version = record.get("version")
    if not isinstance(version, int) or version < 1:
        raise RecordingError("recording has no valid format version")
    if version > VERSION:
        raise RecordingError(
            f"recording format v{version} is newer than this hedgeflow-tui "
            f"reads (v{VERSION}): upgrade hedgeflow-tui"
        )
    if record.get("bar_size") not in BAR_SECONDS:
        raise RecordingError("recording header has no valid bar_size")
    symbols = record.get("symbols", [])
    if not isinstance(symbols, list) or not all(is_symbol(s) for s in symbols):
        raise RecordingError("recording header has no valid symbols list")
    if record.get("source", "LIVE") not in SOURCES:
        raise RecordingError(f"recording header has no valid source (one of {', '.join(SOURCES)})")
    seed = record.get("seed")
    if seed is not None and (
        not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= MAX_SEED
    ):
        raise RecordingError("recording header has no valid seed")


def is_symbol(value: object) -> bool:
    """A symbol as the command line takes it: 1-10 letters, digits, '.', '^' or '-' (never
    terminal control, whatever a file or a server says)."""
    return isinstance(value, str) and bool(SYMBOL.fullmatch(value))


def parse_response(record: dict[str, Any]) -> tuple[str, Response] | None:
    """(symbol, parsed answer) for a hedge-flow or series record; None for account answers
    and for an endpoint this version does not know."""
    endpoint = record.get("endpoint")
    if not is_endpoint(endpoint):
        return None
    parsed: Response
    match endpoint:
        case "hedge-flow":
            parsed = parse_hedge_flow(record.get("body"))
        case "series":
            parsed = parse_series(record.get("body"))
        case "strike-flow":
            parsed = parse_strike_flow(record.get("body"))
        case "account":
            return None
        case _:  # every endpoint is read above: mypy says so if one is added to the model
            assert_never(endpoint)
    if not is_symbol(parsed.symbol):
        raise DataError("symbol is not 1-10 letters, digits, '.', '^' or '-'")
    return parsed.symbol, parsed


Keeper = Callable[[int, bytes], int]  # (offset in the text, a response line) -> where it is kept


class RecordingStream:
    """A recording read front to back, one batch at a time: memory for one poll, not the file.

    Opening it reads and checks the first header (`RecordingError`, one line); iterating yields
    every whole batch in order, and a trailing cycle without its batch line (the run was killed
    mid-cycle) as a last batch. `skipped` counts the unreadable lines passed over. With `keep`,
    each answer's line is handed to it and the batch's `lines` are what it returned."""

    def __init__(self, path: Path, keep: Keeper | None = None) -> None:
        self.path = path
        self.headers: list[dict[str, Any]] = []
        self.symbols: list[str] = []
        self.skipped = 0
        self.batches_read = 0
        self.ended_early = False  # a gzip file cut short (`Recording.ended_early`)
        self._keep = keep
        try:
            if not stat.S_ISREG(path.stat().st_mode):
                raise RecordingError(f"cannot read recording {path.name}: not a regular file")
            self._lines = _raw_lines(path, self._ended_early)
            first = decode(next(self._lines, (0, None))[1])
        except OSError as error:
            raise RecordingError(f"cannot read recording {path.name}: {error.strerror}") from None
        if first is None or first.get("kind") != "header":
            raise RecordingError(f"{path.name} is not a hedgeflow-tui recording")
        self._header(first)

    @property
    def bar_size(self) -> str:
        return str(self.headers[0]["bar_size"])

    def _ended_early(self) -> None:
        self.ended_early = True

    def _header(self, record: dict[str, Any]) -> None:
        _check_header(record)
        self.headers.append(record)
        for symbol in record.get("symbols", []):
            if symbol not in self.symbols:
                self.symbols.append(symbol)

    def __iter__(self) -> Iterator[Batch]:
        pending: dict[str, _Pending] = {}
        try:
            for offset, raw in self._lines:
                record = decode(raw)
                if record is None:
                    self.skipped += 1
                    continue
                batch = self._take(record, pending, offset, raw)
                if batch is not None:
                    self.batches_read += 1
                    yield batch
        except OSError as error:
            raise RecordingError(
                f"cannot read recording {self.path.name}: {error.strerror}"
            ) from None
        for symbol, (items, lines) in pending.items():
            batch = _batch(symbol, items[-1].bar_size, items, lines)
            if batch is not None:
                self.batches_read += 1
                yield batch

    def _take(
        self, record: dict[str, Any], pending: dict[str, _Pending], offset: int, raw: bytes | None
    ) -> Batch | None:
        kind = record.get("kind")
        try:
            if kind == "header":
                self._header(record)
            elif kind == "response":
                parsed = parse_response(record)
                if parsed is not None:
                    items, lines = pending.setdefault(parsed[0], ([], []))
                    items.append(parsed[1])
                    if self._keep is not None and raw is not None:
                        lines.append(self._keep(offset, raw))
            elif kind == "batch":
                symbol, bar_size = record["symbol"], record["bar_size"]
                if not is_symbol(symbol) or bar_size not in BAR_SECONDS:
                    raise RecordingError("batch line without a valid symbol or bar size")
                items, lines = pending.pop(symbol, ([], []))
                return _batch(symbol, bar_size, items, lines)
            else:
                self.skipped += 1
        except (DataError, RecordingError, KeyError, TypeError):
            self.skipped += 1
        return None


_Pending = tuple[list[Response], list[int]]  # a symbol's answers since its last batch line


def read_recording(path: Path) -> Recording:
    """The whole recording in memory, for the replay screen's seeking back and forth."""
    stream = RecordingStream(path)
    batches = list(stream)
    return Recording(stream.headers, batches, stream.skipped, stream.symbols, stream.ended_early)


def _batch(
    symbol: str, bar_size: str, items: list[Response], lines: list[int] | None = None
) -> Batch | None:
    if not items:
        return None
    return Batch(
        symbol=symbol,
        bar_size=bar_size,
        as_of=max(response.as_of for response in items),
        responses=tuple(items),
        lines=tuple(lines or ()),
    )
