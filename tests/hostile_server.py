"""A misbehaving FlashAlpha-shaped server on 127.0.0.1, for the hostile-input tests.

It speaks the API's paths and answers well-formed data by default; `server.modes` is a queue of
misbehaviours served one per request before the good answers resume (`server.sticky` repeats
one for every request). Every loop in it is bounded (a few MiB, a few seconds), so a test that
fails never leaves it running: it stops by itself, and `stop()` ends it at once.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

DAY = "2026-06-12"
AS_OF = f"{DAY}T16:00:00Z"  # noon ET
BARS_T = [f"{DAY}T15:{m:02d}:00Z" for m in range(50, 59)]
CHUNK = 64 * 1024
MAX_SENT = 64 * 1024 * 1024  # no misbehaviour sends more than this
MAX_DRIP_SECONDS = 5.0


def flow_body(symbol: str, side: str, bar: str, **changes: object) -> dict[str, object]:
    bars = [
        {"t": t, "bar": 1e6 * (i + 1), "cumulative": 1e6 * (i + 1)} for i, t in enumerate(BARS_T)
    ]
    body: dict[str, object] = {
        "symbol": symbol,
        "expiration": DAY,
        "as_of": AS_OF,
        "side": side,
        "bar_size": bar,
        "bars": bars,
    }
    body.update(changes)
    return body


def series_body(symbol: str, bar: str, **changes: object) -> dict[str, object]:
    bars = [{"t": t, "spot": 600.0 + i} for i, t in enumerate(BARS_T)]
    body: dict[str, object] = {
        "symbol": symbol,
        "expiration": DAY,
        "as_of": AS_OF,
        "bar_size": bar,
        "bars": bars,
    }
    body.update(changes)
    return body


@cache
def gzip_bomb() -> bytes:
    """16 MiB of JSON whitespace in about 16 KiB of gzip."""
    return gzip.compress(b" " * (16 * 1024 * 1024), compresslevel=6)


class Handler(BaseHTTPRequestHandler):
    server: HostileServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.server.requests.append(self.path)
        mode = self.server.next_mode()
        symbol = parts.path.rstrip("/").rsplit("/", 1)[-1]
        bar = query.get("bar", "1m")
        if "/series/" in parts.path:
            good: dict = series_body(symbol, bar)
        elif "/hedge-flow/" in parts.path:
            good = flow_body(symbol, query.get("side", "all"), bar)
        elif parts.path == "/v1/account":
            good = {
                "plan": "growth",
                "daily_limit": "2500",
                "remaining": "2400",
                "usage_today": 100,
            }
        else:
            good = {"status": "ok"}
        behaviour = MODES.get(mode or "good", MODES["good"])
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            behaviour(self, good)  # a client hanging up past a cap is what it should do

    # --- writing helpers --------------------------------------------------------------------

    def send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def send_json(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
        self.send(status, json.dumps(body).encode(), headers)

    def send_chunked(self, chunks: int, chunk: bytes, pause: float = 0.0) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        started = time.monotonic()
        for _ in range(chunks):
            if self.server.stopping.is_set() or time.monotonic() - started > MAX_DRIP_SECONDS:
                break
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.flush()
            if pause:
                time.sleep(pause)
        self.wfile.write(b"0\r\n\r\n")


def _good(h: Handler, good: dict) -> None:
    h.send_json(200, good, {"X-RateLimit-Limit": "2500", "X-RateLimit-Remaining": "2400"})


def _huge_chunked(h: Handler, good: dict) -> None:
    h.send_chunked(MAX_SENT // CHUNK, b"[" + b" " * (CHUNK - 1))


def _huge_length(h: Handler, good: dict) -> None:
    h.send_response(200)
    h.send_header("Content-Length", str(100 * 1024 * 1024))
    h.end_headers()
    h.wfile.write(b" " * CHUNK)


def _gzip_bomb(h: Handler, good: dict) -> None:
    h.send(200, gzip_bomb(), {"Content-Encoding": "gzip"})


def _drip(h: Handler, good: dict) -> None:
    body = json.dumps(good).encode()
    h.send_response(200)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    started = time.monotonic()
    for byte in body:
        if h.server.stopping.is_set() or time.monotonic() - started > MAX_DRIP_SECONDS:
            return
        h.wfile.write(bytes([byte]))
        h.wfile.flush()
        time.sleep(0.1)


def _nested(h: Handler, good: dict) -> None:
    h.send(200, b"[" * 100_000 + b"]" * 100_000)


def _nested_in_field(h: Handler, good: dict) -> None:
    deep = json.loads("[" * 500 + "]" * 500)
    h.send_json(200, good | {"bars": [{"t": AS_OF, "bar": deep}]})


def _changed(**changes: object) -> Callable[[Handler, dict], None]:
    def behaviour(h: Handler, good: dict) -> None:
        h.send_json(200, good | changes)

    return behaviour


def _bars_changed(**changes: object) -> Callable[[Handler, dict], None]:
    def behaviour(h: Handler, good: dict) -> None:
        bars = [bar | changes for bar in good["bars"]]
        h.send_json(200, good | {"bars": bars})

    return behaviour


def _headers(**headers: str) -> Callable[[Handler, dict], None]:
    def behaviour(h: Handler, good: dict) -> None:
        h.send_json(200, good, {k.replace("_", "-"): v for k, v in headers.items()})

    return behaviour


def _status(status: int, body: object, **headers: str) -> Callable[[Handler, dict], None]:
    def behaviour(h: Handler, good: dict) -> None:
        h.send_json(status, body, {k.replace("_", "-"): v for k, v in headers.items()})

    return behaviour


def _key_echo(h: Handler, good: dict) -> None:
    key = h.headers.get("X-Api-Key", "")
    body = {"status": "ERROR", "error": "tier_restricted", "message": f"key {key} is basic"}
    h.send_json(403, body | {"current_plan": f"basic {key}", "required_plan": "growth"})


ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x1b[?1049l\x1b[31mred\r\n\x9b1mC1\u202e"

MODES: dict[str, Callable[[Handler, dict], None]] = {
    "good": _good,
    "huge_chunked": _huge_chunked,
    "huge_length": _huge_length,
    "gzip_bomb": _gzip_bomb,
    "drip": _drip,
    "nested": _nested,
    "nested_in_field": _nested_in_field,
    "far_future_as_of": _changed(as_of="9999-12-31T23:59:59-05:00"),
    "ancient_as_of": _changed(as_of="0001-01-01T00:00:00+05:00"),
    "far_past_as_of": _changed(as_of="2001-01-02T16:00:00Z", expiration="2001-01-02", bars=[]),
    "huge_values": _bars_changed(bar=1e308, cumulative=1.7e308),
    "other_symbol": _changed(symbol="QQQ"),
    "other_side": _changed(side="puts"),
    "bad_reset_huge": _headers(
        X_RateLimit_Limit="2500", X_RateLimit_Remaining="9" * 5000, X_RateLimit_Reset="9" * 400
    ),
    "bad_reset_negative": _headers(
        X_RateLimit_Limit="2500", X_RateLimit_Remaining="-3", X_RateLimit_Reset="-99999999999"
    ),
    "retry_after_inf": _status(429, {"error": "slow down"}, Retry_After="inf"),
    "retry_after_huge": _status(429, {"error": "slow down"}, Retry_After="1e308"),
    "retry_after_nan": _status(429, {"error": "slow down"}, Retry_After="nan"),
    "quota_gone": _status(
        429,
        {"error": "Quota exceeded", "message": "daily limit reached"},
        Retry_After="86400",
        X_RateLimit_Limit="100",
        X_RateLimit_Remaining="0",
        X_RateLimit_Reset="1781308800",  # 2026-06-13 00:00 UTC
    ),
    "escape_401": _status(401, {"title": "Unauthorized", "detail": f"bad key{ESCAPES}"}),
    "markup_403": _status(
        403, {"error": "tier_restricted", "current_plan": "[/]", "required_plan": "[b]growth"}
    ),
    "key_echo_403": _key_echo,
    "html_500": lambda h, good: h.send(502, b"<html><body>Bad gateway</body></html>"),
}


class HostileServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        self.modes: deque[str] = deque()
        self.sticky: str | None = None
        self.requests: list[str] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that hung up mid-answer is what these tests expect

    def next_mode(self) -> str | None:
        with self._lock:
            return self.modes.popleft() if self.modes else self.sticky

    def start(self) -> HostileServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()
