"""The simulator served by uvicorn in a background thread of this process: for tests and
benchmarks that need a real HTTP server on 127.0.0.1 sharing a clock with the caller. A test
helper, so it lives with the tests and is not shipped in the wheel (bench/_common.py puts
this folder on the benchmarks' import path)."""

from __future__ import annotations

import socket
import threading
import time

import httpx
import uvicorn

from hedgeflow_tui.market.clock import Clock
from hedgeflow_tui.sim.app import SimConfig, create_app


class ThreadedServer:
    """Serves on a free loopback port; `stop()` and `start()` again keep the same port (the
    simulated clock runs on meanwhile), so a client sees the server die and come back."""

    def __init__(self, config: SimConfig, clock: Clock) -> None:
        self.app = create_app(config, clock)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> ThreadedServer:
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            log_level="critical",
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.02)
        raise RuntimeError("simulator server did not start")

    def stop(self) -> None:
        """Returns once the port refuses connections: the server is gone for any client. Its
        thread winds down by itself (uvicorn's shutdown sleeps 0.1 s more, which a suite that
        stops dozens of servers need not wait for); `start()` may reuse the port at once."""
        if self._server is not None:
            self._server.should_exit = True
            self._server.force_exit = True
            deadline = time.monotonic() + 10
            while self._accepts() and time.monotonic() < deadline:
                time.sleep(0.005)
            self._server = None

    def _accepts(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError:
            return False
        return True
