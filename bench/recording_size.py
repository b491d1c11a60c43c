"""Size of a recording of a whole session at 30s bars (headless, --record, simulator at high
speed), raw and gzip-compressed.

    python3 bench/recording_size.py
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import io
import tempfile
import zlib
from pathlib import Path

from _common import DAY, table

from hedgeflow_tui.config.settings import Settings
from hedgeflow_tui.engine.sources import open_source
from hedgeflow_tui.output.headless import run_headless
from hedgeflow_tui.storage.recording.reader import read_recording


def flushed_per_record(raw: bytes) -> bytes:
    """gzip -6 of the lines with a sync flush after each line, as the writer did before."""
    packer = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = []
    for line in raw.splitlines(keepends=True):
        parts.append(packer.compress(line))
        parts.append(packer.flush(zlib.Z_SYNC_FLUSH))
    parts.append(packer.flush())
    return b"".join(parts)


async def record(path: Path, start: str) -> None:
    """A headless session of SPY at 30s bars from `start` to the close, recorded to `path`."""
    settings = Settings(
        symbols=["SPY"],
        bar="30s",
        headless=True,
        seed=7,
        start=start,
        date=DAY.isoformat(),
        speed=600.0,
        record=path,
        history=False,  # the user's history is no place for a benchmark's sessions
    )
    await run_headless(settings, open_source(settings), io.StringIO())


async def main(start: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "spy.jsonl"
        await record(path, start)
        raw = path.read_bytes()
        packed = gzip.compress(raw, 6)
        polls = len(read_recording(path).batches)
        per_record = len(flushed_per_record(raw))
        live = Path(folder) / "spy.jsonl.gz"  # what --record PATH.gz writes, flushed per poll
        await record(live, start)
        flushed = live.stat().st_size
    print(f"recording of SPY at 30s bars from {start} ET to the close ({polls} polls)")
    print(f"flushed per poll / whole file compressed: {flushed / len(packed):.2f}x")
    print(
        table(
            ["form", "KiB", "per poll"],
            [
                ["JSON lines", f"{len(raw) / 1024:.0f}", f"{len(raw) / polls:.0f} B"],
                [
                    "--record PATH.gz (flushed at the end of each poll)",
                    f"{flushed / 1024:.0f}",
                    f"{flushed / polls:.0f} B",
                ],
                [
                    "the same flushed after every record (the writer before)",
                    f"{per_record / 1024:.0f}",
                    f"{per_record / polls:.0f} B",
                ],
                [
                    "gzip -6 of the whole file afterwards",
                    f"{len(packed) / 1024:.0f}",
                    f"{len(packed) / polls:.0f} B",
                ],
            ],
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the last hour only")
    args = parser.parse_args()
    asyncio.run(main("15:00" if args.quick else "09:30"))
