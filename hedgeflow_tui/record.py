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

import gzip
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hedgeflow_tui.client import Exchange
from hedgeflow_tui.config import Settings, data_dir
from hedgeflow_tui.model import DataError, Response, iso, parse_hedge_flow, parse_series

if TYPE_CHECKING:
    from hedgeflow_tui.sources import Source

FORMAT = "hedgeflow-recording"
VERSION = 1
GZIP_MAGIC = b"\x1f\x8b"
SECRET_PARAMS = {"apikey", "api_key", "x-api-key", "key", "token"}


class RecordingError(ValueError):
    """A file that is not a recording this version can read; the message is one line."""


class Recorder:
    """Appends to a recording; usable as the client's observer and the poller's `on_batch`."""

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
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._flush_each_record = path.suffix != ".gz"  # a gzip file: at each poll's end
        self._file = (
            gzip.open(path, "at", encoding="utf-8")  # noqa: SIM115 (kept open for the session; closed by close())
            if path.suffix == ".gz"
            else path.open("a", encoding="utf-8")
        )
        self._write(
            {
                "kind": "header",
                "format": FORMAT,
                "version": VERSION,
                "created": iso(datetime.now(UTC)),
                "source": source,
                "description": description,
                "bar_size": bar_size,
                "symbols": symbols,
            }
            | ({} if seed is None else {"seed": seed}),
            flush=True,
        )

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
        self._file.close()

    def _write(self, record: dict[str, Any], flush: bool = False) -> None:
        self._file.write(json.dumps(record, separators=(",", ":")) + "\n")
        if flush or self._flush_each_record:
            self._file.flush()


@dataclass(frozen=True, slots=True)
class Batch:
    """One poll cycle as it was merged live."""

    symbol: str
    bar_size: str
    as_of: datetime
    responses: tuple[Response, ...]


@dataclass
class Recording:
    headers: list[dict[str, Any]]
    batches: list[Batch]
    skipped: int = 0  # unreadable lines passed over (a torn last line, a corrupt one)
    symbols: list[str] = field(default_factory=list)

    @property
    def bar_size(self) -> str:
        return self.batches[0].bar_size if self.batches else self.headers[0]["bar_size"]


def _raw_lines(path: Path) -> Iterator[bytes]:
    """The file's lines; a gzip file is read up to its last whole flush (a kill cuts it short)."""
    with path.open("rb") as handle:
        compressed = handle.read(2) == GZIP_MAGIC
    if not compressed:
        with path.open("rb") as handle:
            yield from handle
        return
    with gzip.open(path, "rb") as handle:
        try:
            yield from handle
        except (EOFError, zlib.error, gzip.BadGzipFile):
            return


def _lines(path: Path) -> Iterator[dict[str, Any] | None]:
    for raw in _raw_lines(path):
        try:
            record = json.loads(raw)
        except ValueError:
            yield None
            continue
        yield record if isinstance(record, dict) else None


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


def _parse_response(record: dict[str, Any]) -> tuple[str, Response] | None:
    """(symbol, parsed answer) for a hedge-flow or series record; None for account answers."""
    endpoint = record.get("endpoint")
    parsed: Response
    if endpoint == "hedge-flow":
        parsed = parse_hedge_flow(record.get("body"))
    elif endpoint == "series":
        parsed = parse_series(record.get("body"))
    else:
        return None
    return parsed.symbol, parsed


def read_recording(path: Path) -> Recording:
    """Every whole batch of the file, in order; a trailing cycle without its batch line (the run
    was killed mid-cycle) is kept as a last batch."""
    try:
        records = list(_lines(path))
    except OSError as error:
        raise RecordingError(f"cannot read recording {path.name}: {error.strerror}") from None
    if not records or records[0] is None or records[0].get("kind") != "header":
        raise RecordingError(f"{path.name} is not a hedgeflow-tui recording")
    recording = Recording(headers=[], batches=[])
    pending: dict[str, list[Response]] = {}
    for record in records:
        if record is None:
            recording.skipped += 1
            continue
        kind = record.get("kind")
        try:
            if kind == "header":
                _check_header(record)
                recording.headers.append(record)
                for symbol in record.get("symbols", []):
                    if symbol not in recording.symbols:
                        recording.symbols.append(symbol)
            elif kind == "response":
                parsed = _parse_response(record)
                if parsed is not None:
                    pending.setdefault(parsed[0], []).append(parsed[1])
            elif kind == "batch":
                symbol = record["symbol"]
                batch = _batch(symbol, record["bar_size"], pending.pop(symbol, []))
                if batch is not None:
                    recording.batches.append(batch)
            else:
                recording.skipped += 1
        except (DataError, KeyError, TypeError):
            recording.skipped += 1
    for symbol, items in pending.items():
        batch = _batch(symbol, items[-1].bar_size, items)
        if batch is not None:
            recording.batches.append(batch)
    return recording


def _batch(symbol: str, bar_size: str, items: list[Response]) -> Batch | None:
    if not items:
        return None
    return Batch(
        symbol=symbol,
        bar_size=bar_size,
        as_of=max(response.as_of for response in items),
        responses=tuple(items),
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
        stamp = f"{day.isoformat()}-{settings.bar}"
        return {
            symbol: recorder(folder / f"{symbol}-{stamp}.jsonl.gz", [symbol])
            for symbol in settings.symbols
        }
    return {}


def close_all(recorders: dict[str, Recorder]) -> None:
    for recorder in set(recorders.values()):
        recorder.close()
