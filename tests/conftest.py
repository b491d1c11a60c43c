"""Shared fixtures: a real simulator server on 127.0.0.1, and no user config or key."""

from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest
import uvicorn

from hedgeflow_tui.sim import SimConfig, create_app


@pytest.fixture(autouse=True)
def no_user_config(tmp_path, monkeypatch):
    """Tests never read the user's config file or API key."""
    monkeypatch.delenv("FLASHALPHA_API_KEY", raising=False)
    monkeypatch.setenv("HEDGEFLOW_CONFIG", str(tmp_path / "no-config.toml"))


class SimServer:
    """`hedgeflow-sim`'s app served by uvicorn in a thread; can be stopped and started again on
    the same port (the simulated clock keeps running meanwhile)."""

    def __init__(self, config: SimConfig, clock) -> None:
        self.app = create_app(config, clock)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="error",
                                lifespan="off", timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.02)
        raise RuntimeError("simulator server did not start")

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._server.force_exit = True
            self._thread.join(timeout=10)
            self._server = None


@pytest.fixture
def sim_server():
    """Factory: `sim_server(config=SimConfig(...), clock=...)` → a started `SimServer`."""
    servers: list[SimServer] = []

    def start(config: SimConfig | None = None, clock=None) -> SimServer:
        from hedgeflow_tui.sim import sim_clock

        config = config or SimConfig()
        server = SimServer(config, clock or sim_clock(config.date, "12:00", 1.0))
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
