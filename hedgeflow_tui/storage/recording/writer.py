"""Recording every successful answer as it arrives (the format: `recording.format`)."""

from __future__ import annotations

import contextlib
import errno
import gzip
import io
import json
import os
import stat
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, BinaryIO

from hedgeflow_tui.api.model import iso
from hedgeflow_tui.config.settings import Settings, data_dir
from hedgeflow_tui.storage.recording.format import FORMAT, VERSION, RecordingError

if TYPE_CHECKING:
    from hedgeflow_tui.api.client import Exchange
    from hedgeflow_tui.engine.sources import Source

SECRET_PARAMS = {"apikey", "api_key", "x-api-key", "key", "token"}


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
