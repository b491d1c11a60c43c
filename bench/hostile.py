"""Memory and time under hostile input, each case in a fresh process (peak RSS from the kernel).

    python3 bench/hostile.py [--quick]

- a 1 GiB chunked body and a gzip bomb (1 GiB of JSON whitespace, ~1 MiB sent) from a server on
  127.0.0.1, read by the client with its default 4 MiB cap;
- a `.gz` recording holding one 2 GiB line, replayed headless;
- a large plain recording (~200 MB; 20 MB with --quick) replayed headless, and opened the way
  the dashboard's replay opens it (indexed in one pass, then a seek to its last poll, which
  replays from where its last session began), with the CPU time (user + system) per MB and per
  poll. This synthetic file holds one-bucket polls: about 1,250 polls per MB, against about 720
  in a recording of 30s bars as `--record` writes it (bench/replay.py's), so per MB it is the
  slower case.
Baseline: the same interpreter importing the client and answering one small body.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from _common import table

CHILD = r"""
import asyncio, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from hedgeflow_tui.api.client import FlashAlphaClient
from hedgeflow_tui.api.errors import ApiError

MODE, SIZE = sys.argv[1], int(sys.argv[2])
BOMB = None
if MODE == "bomb":
    import zlib
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    BOMB = b"".join(packer.compress(b" " * (1 << 20)) for _ in range(SIZE >> 20)) + packer.flush()

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args): pass
    def do_GET(self):
        try:
            if MODE == "small":
                body = b'{"plan": "growth", "daily_limit": "2500", "remaining": "2400"}'
                self.send_response(200); self.send_header("Content-Length", str(len(body)))
                self.end_headers(); self.wfile.write(body); return
            if MODE == "bomb":
                self.send_response(200); self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(BOMB))); self.end_headers()
                self.wfile.write(BOMB); return
            self.send_response(200); self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b" " * 65536
            for _ in range(SIZE // len(chunk)):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass

server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
threading.Thread(target=server.serve_forever, daemon=True).start()

async def main():
    async with FlashAlphaClient(f"http://127.0.0.1:{server.server_address[1]}", timeout=60) as c:
        try:
            print(await c.account())
        except ApiError as error:
            print(error)
asyncio.run(main())
"""


INDEX_AND_SEEK = r"""
import sys
from pathlib import Path
from hedgeflow_tui.storage.recording.index import RecordingIndex
from hedgeflow_tui.engine.store import Store
from hedgeflow_tui.storage.recording.replay import ReplayDriver

with RecordingIndex(Path(sys.argv[1])) as index:
    driver = ReplayDriver(index, Store(), speed=1.0)
    driver.rewind(index.total)
    start = driver.position
    while driver.step():
        pass
    print(f"{index.total} polls indexed; the seek to the end replayed {index.total - start}")
"""


def peak_of(command: list[str]) -> tuple[float, float, float, str]:
    """(peak RSS in MiB, wall seconds, CPU seconds, last line of output) of a fresh process."""
    with tempfile.TemporaryFile("w+") as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, text=True)
        _, _, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        process.returncode = 0  # reaped above
        out.seek(0)
        lines = out.read().strip().splitlines()
    cpu = usage.ru_utime + usage.ru_stime
    return usage.ru_maxrss / 1024, elapsed, cpu, (lines[-1] if lines else "")[:70]


def big_line_recording(folder: Path, size: int) -> Path:
    path = folder / "big-line.jsonl.gz"
    header = {"kind": "header", "format": "hedgeflow-recording", "version": 1, "bar_size": "1m"}
    with gzip.open(path, "wb", compresslevel=1) as handle:
        handle.write(json.dumps(header).encode() + b"\n" + b'{"kind":"response","body":"')
        block = b"x" * (1 << 20)
        for _ in range(size >> 20):
            handle.write(block)
        handle.write(b'"}\n')
    return path


FIRST_DAY = date(2026, 1, 1)


def polls_in(path: Path) -> int:
    """The batch lines of a recording, counted a line at a time."""
    with path.open("rb") as handle:
        return sum(1 for line in handle if line.startswith(b'{"kind":"batch"'))


def large_recording(folder: Path, size: int) -> Path:
    """One SPY session of 1m polls (2-bucket windows of calls, puts and price), repeated over
    consecutive days until the file is `size` bytes."""
    path = folder / "large.jsonl"
    header = {"kind": "header", "format": "hedgeflow-recording", "version": 1, "bar_size": "1m"}
    lines = [json.dumps(header)]
    written, day = 0, 0
    with path.open("w") as handle:
        handle.write(lines[0] + "\n")
        while written < size:
            day_text = (FIRST_DAY + timedelta(days=day)).isoformat()  # valid, whatever the size
            for minute in range(390):
                hh, mm = divmod(13 * 60 + 30 + minute, 60)
                t = f"{day_text}T{hh:02d}:{mm:02d}:00Z"
                for side in ("calls", "puts"):
                    body = {
                        "symbol": "SPY",
                        "expiration": day_text,
                        "as_of": t,
                        "side": side,
                        "bar_size": "1m",
                        "bars": [{"t": t, "bar": 1e6, "cumulative": 1e6 * (minute + 1)}],
                    }
                    line = {
                        "kind": "response",
                        "endpoint": "hedge-flow",
                        "params": {},
                        "body": body,
                    }
                    text = json.dumps(line) + "\n"
                    handle.write(text)
                    written += len(text)
                series = {
                    "symbol": "SPY",
                    "expiration": day_text,
                    "as_of": t,
                    "bar_size": "1m",
                    "bars": [{"t": t, "spot": 600.0 + minute / 100}],
                }
                line = {"kind": "response", "endpoint": "series", "params": {}, "body": series}
                text = json.dumps(line) + '\n{"kind":"batch","symbol":"SPY","bar_size":"1m"}\n'
                handle.write(text)
                written += len(text)
            day += 1
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller inputs")
    parser.add_argument("--replay-only", action="store_true", help="only the large recording")
    flags = parser.parse_args()
    quick = flags.quick
    body = (64 if quick else 1024) << 20
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cases = [
            ("baseline: one small answer", [sys.executable, "-c", CHILD, "small", "0"]),
            (f"{body >> 20} MiB chunked body", [sys.executable, "-c", CHILD, "chunked", str(body)]),
            (
                f"gzip bomb, {body >> 20} MiB inflated",
                [sys.executable, "-c", CHILD, "bomb", str(body)],
            ),
        ]
        line = (128 if quick else 2048) << 20
        replay = [sys.executable, "-m", "hedgeflow_tui", "--headless", "--replay"]
        if flags.replay_only:
            cases = cases[:1]
        else:
            big = big_line_recording(folder, line)
            cases.append(
                (
                    f"{line >> 20} MiB line in a {big.stat().st_size >> 20} MiB .gz",
                    [*replay, str(big)],
                )
            )
        large = large_recording(folder, (20 if quick else 200) << 20)
        megabytes = large.stat().st_size / 1e6
        polls = polls_in(large)
        cases.append((f"{megabytes:.0f} MB recording, headless replay", [*replay, str(large)]))
        cases.append(
            (
                f"{megabytes:.0f} MB recording, dashboard replay: index, seek to the end",
                [sys.executable, "-c", INDEX_AND_SEEK, str(large)],
            )
        )
        for name, command in cases:
            peak, elapsed, cpu, last = peak_of(command)
            rows.append([name, f"{peak:.0f}", f"{elapsed:.1f}", f"{cpu:.1f}", last])
            if "headless replay" in name:
                per_mb, per_poll = cpu / megabytes, cpu / polls * 1e6
                rows[-1][-1] = f"{polls} polls; CPU {per_mb:.3f} s/MB, {per_poll:.0f} us/poll"
    print(table(["case", "peak RSS MiB", "wall s", "CPU s", "last line"], rows))


if __name__ == "__main__":
    main()
