"""Shared fixtures: a real simulator server on 127.0.0.1, and no user config or key."""

from __future__ import annotations

import pytest

from hedgeflow_tui.sim import SimConfig, default_session_date, sim_clock
from hedgeflow_tui.sim.threaded import ThreadedServer


@pytest.fixture(autouse=True)
def no_user_config(tmp_path, monkeypatch):
    """Tests never read the user's config file or API key, and write their recordings and
    history under tmp_path, never into the user's data dir."""
    monkeypatch.delenv("FLASHALPHA_API_KEY", raising=False)
    monkeypatch.setenv("HEDGEFLOW_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("HEDGEFLOW_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def sim_server():
    """Factory: `sim_server(config=SimConfig(...), clock=...)` → a started `ThreadedServer`."""
    servers: list[ThreadedServer] = []

    def start(config: SimConfig | None = None, clock=None) -> ThreadedServer:
        config = config or SimConfig()
        server = ThreadedServer(
            config, clock or sim_clock(config.date or default_session_date(), "12:00", 1.0)
        ).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
