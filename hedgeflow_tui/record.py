"""Recording every successful answer, and reading a recording back as the batches the poller merged.

Format: JSON lines, one record per line, flushed as it is written, so a crash or a kill loses at
most the line in flight and never what is already on disk; a torn last line is skipped on read.
JSON lines rather than SQLite: a recording is written once, front to back, and read once, front to
back; a text file does that with no locking and greps well. A PATH ending in `.gz` is written
gzip-compressed and flushed (Z_SYNC_FLUSH) at the end of each poll, so a kill loses at most the
poll in flight and the file stays readable up to the last whole poll; each flush ends a deflate
block, so flushing per record instead would cost a fifth more bytes for no gain.

    {"kind": "header", "format": "hedgeflow-recording", "version": 1, "created": ISO,
     "source": "SIMULATED", "description": "...", "bar_size": "1m", "symbols": ["SPY"],
     "seed": 7}   (seed: simulated sources only)
    {"kind": "response", "received": ISO, "endpoint": "hedge-flow" | "series" | "account",
     "params": {"symbol": ..., "side": ..., "bar": ..., "minutes": ...}, "body": {...}}
    {"kind": "batch", "symbol": "SPY", "bar_size": "1m"}

A `batch` line closes one poll cycle: the responses of that symbol since its previous batch line
were merged into the store together, and replay merges them together again, so replay sees the
same sequence of store changes, and so the same bar and alert lines, as the live run.
Only the answer bodies and the query are stored: never a header, a host, or the API key.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import io
import json
import os
import stat
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, BinaryIO, assert_never

from hedgeflow_tui.bars import BAR_SECONDS
from hedgeflow_tui.config import Settings, data_dir
from hedgeflow_tui.model import (
    DataError,
    Response,
    is_endpoint,
    iso,
    parse_hedge_flow,
    parse_series,
)

if TYPE_CHECKING:
    from hedgeflow_tui.client import Exchange
    from hedgeflow_tui.sources import Source

FORMAT = "hedgeflow-recording"
VERSION = 1
GZIP_MAGIC = b"\x1f\x8b"
SECRET_PARAMS = {"apikey", "api_key", "x-api-key", "key", "token"}
MAX_LINE = 16 * 1024 * 1024  # bytes; one recorded answer is capped at the client's 4 MiB body
READ_CHUNK = 1024 * 1024
MAX_SYMBOL = 10


class RecordingError(ValueError):
    """A file that is not a recording this version can read; the message is one line."""


FailureObserver = Callable[[str], None]


def _open_private(path: Path) -> tuple[BinaryIO, IO[str]]:
    """(the raw file, the text stream to write) for appending to `path`: created 0600, never
    through a symlink, only a regular file (a FIFO, a device or /dev/full is refused)."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK
    with contextlib.suppress(OSError):  # said plainly here; the checks after open() are the guard
        mode = os.lstat(path).st_mode
        if stat.S_ISLNK(mode):
            raise RecordingError(f"cannot record to {path}: it is a symlink")
        if not stat.S_ISREG(mode):
            raise RecordingError(f"cannot record to {path}: not a regular file")
    try:
        fd = os.open(path, flags, 0o600)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise RecordingError(f"cannot record to {path}: it is a symlink") from None
        raise RecordingError(f"cannot record to {path}: {error.strerror}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise RecordingError(f"cannot record to {path}: not a regular file")
    os.set_blocking(fd, True)
    raw = os.fdopen(fd, "ab")
    if path.suffix == ".gz":
        compressed = gzip.GzipFile(fileobj=raw, mode="ab")
        return raw, io.TextIOWrapper(compressed, encoding="utf-8")
    return raw, io.TextIOWrapper(raw, encoding="utf-8")


class Recorder:
    """Appends to a recording; usable as the client's observer and the poller's `on_batch`.

    Opening it writes the header, so a path that cannot be written fails here (`RecordingError`,
    one line). A write that fails later (a full disk) stops the recording, keeps what is on disk
    and tells `on_failure` once; polling goes on."""

    def __init__(
        self,
        path: Path,
        *,
        source: str,
        description: str,
        bar_size: str,
        symbols: list[str],
        seed: int | None = None,
    ) -> None:
        self.path = path
        self.on_failure: FailureObserver | None = None
        self.failure: str | None = None
        self.records = 0
        self._flush_each_record = path.suffix != ".gz"  # a gzip file: at each poll's end
        self._raw, self._file = _open_private(path)
        header = {
            "kind": "header",
            "format": FORMAT,
            "version": VERSION,
            "created": iso(datetime.now(UTC)),
            "source": source,
            "description": description,
            "bar_size": bar_size,
            "symbols": symbols,
        }
        self._write(header | ({} if seed is None else {"seed": seed}), flush=True)
        if self.failure is not None:
            raise RecordingError(f"cannot record to {path}: {self.failure}")

    def exchange(self, exchange: Exchange) -> None:
        params = {k: v for k, v in exchange.params.items() if k.lower() not in SECRET_PARAMS}
        self._write(
            {
                "kind": "response",
                "received": iso(exchange.received_at),
                "endpoint": exchange.endpoint,
                "params": params,
                "body": exchange.body,
            }
        )

    def batch(self, symbol: str, bar_size: str) -> None:
        self._write({"kind": "batch", "symbol": symbol, "bar_size": bar_size}, flush=True)

    def close(self) -> None:
        for stream in (self._file, self._raw):
            with contextlib.suppress(OSError, ValueError):
                stream.close()

    def _write(self, record: dict[str, Any], flush: bool = False) -> None:
        if self.failure is not None:
            return
        try:
            self._file.write(json.dumps(record, separators=(",", ":")) + "\n")
            if flush or self._flush_each_record:
                self._file.flush()
        except (OSError, ValueError) as error:
            reason = error.strerror if isinstance(error, OSError) else None
            self.failure = reason or "write failed"
            self.close()
            if self.records and self.on_failure is not None:
                self.on_failure(
                    f"recording stopped: {self.path.name}: {self.failure} "
                    f"({self.records} records kept)"
                )
            return
        self.records += 1


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


def _raw_lines(path: Path) -> Iterator[tuple[int, bytes | None]]:
    """The file's lines and their offsets (in the decompressed text for a gzip file, which is
    read up to its last whole flush: a kill cuts it short)."""
    if not is_compressed(path):
        with path.open("rb") as handle:
            yield from _bounded_lines(handle)
        return
    with gzip.open(path, "rb") as handle:
        try:
            yield from _bounded_lines(handle)
        except (EOFError, zlib.error, gzip.BadGzipFile):
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
    if not isinstance(symbols, list) or not all(
        isinstance(s, str) and 0 < len(s) <= MAX_SYMBOL for s in symbols
    ):
        raise RecordingError("recording header has no valid symbols list")


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
        case "account":
            return None
        case _:  # every endpoint is read above: mypy says so if one is added to the model
            assert_never(endpoint)
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
        self._keep = keep
        try:
            if not stat.S_ISREG(path.stat().st_mode):
                raise RecordingError(f"cannot read recording {path.name}: not a regular file")
            self._lines = _raw_lines(path)
            first = decode(next(self._lines, (0, None))[1])
        except OSError as error:
            raise RecordingError(f"cannot read recording {path.name}: {error.strerror}") from None
        if first is None or first.get("kind") != "header":
            raise RecordingError(f"{path.name} is not a hedgeflow-tui recording")
        self._header(first)

    @property
    def bar_size(self) -> str:
        return str(self.headers[0]["bar_size"])

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
                symbol = record["symbol"]
                items, lines = pending.pop(symbol, ([], []))
                return _batch(symbol, record["bar_size"], items, lines)
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
    return Recording(stream.headers, batches, stream.skipped, stream.symbols)


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


def recorders_for(settings: Settings, source: Source, day: date) -> dict[str, Recorder]:
    """The recorder each symbol writes to: one `--record PATH` for all symbols, or, with
    `record_dir` in the config file, one file per symbol and session date in the data dir."""

    def recorder(path: Path, symbols: list[str]) -> Recorder:
        return Recorder(
            path,
            source=source.kind,
            description=source.description,
            bar_size=settings.bar,
            symbols=symbols,
            seed=settings.seed if source.kind == "SIMULATED" else None,
        )

    if settings.record is not None:
        shared = recorder(settings.record, settings.symbols)
        return dict.fromkeys(settings.symbols, shared)
    if settings.record_dir:
        folder = data_dir() / "recordings"
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as error:
            raise RecordingError(f"cannot record to {folder}: {error.strerror}") from None
        stamp = f"{day.isoformat()}-{settings.bar}"
        return {
            symbol: recorder(folder / f"{symbol}-{stamp}.jsonl.gz", [symbol])
            for symbol in settings.symbols
        }
    return {}


def close_all(recorders: dict[str, Recorder]) -> None:
    for recorder in set(recorders.values()):
        recorder.close()
