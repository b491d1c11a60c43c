"""Shared fixtures: a real simulator server on 127.0.0.1, no user config or key, and a data dir
of the test's own (with, on request, simulated past sessions in its history)."""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import date
from pathlib import Path

import pytest
from threaded_server import ThreadedServer

from hedgeflow_tui.sim import SimConfig, default_session_date, sim_clock
from hedgeflow_tui.storage.demo_history import build_past
from hedgeflow_tui.storage.history import History, history_path


def pytest_configure(config):
    """A calendar cache of this run's own from the start: test modules ask the market calendar
    as they are imported (`session_bounds` at module level), before any fixture runs."""
    os.environ["HEDGEFLOW_CACHE_DIR"] = tempfile.mkdtemp(prefix="hedgeflow-test-cache-")


def pytest_unconfigure(config):
    shutil.rmtree(os.environ.pop("HEDGEFLOW_CACHE_DIR", ""), ignore_errors=True)


@pytest.fixture(autouse=True)
def no_user_config(tmp_path, monkeypatch):
    """Tests never read the user's config file or API key, and write their recordings, history
    and cached calendar under tmp_path, never into the user's data or cache dir."""
    monkeypatch.delenv("FLASHALPHA_API_KEY", raising=False)
    monkeypatch.setenv("HEDGEFLOW_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("HEDGEFLOW_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HEDGEFLOW_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture(autouse=True)
def no_animations(monkeypatch):
    """Textual's animations off (`animation_level` "none", as TEXTUAL_ANIMATIONS=none sets it):
    `pilot.press` waits for every animation to end (a tab's underline slides for ~0.3 s when a
    label changes), and no test is about them. The dashboards started as processes too."""
    monkeypatch.setattr("textual.constants.TEXTUAL_ANIMATIONS", "none")
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")


@pytest.fixture(autouse=True)
def no_past_sessions_built(monkeypatch):
    """The demo dashboard builds no simulated past sessions in the background unless a test asks
    for them (they cost a worker process and seconds of CPU per day)."""
    monkeypatch.setattr("hedgeflow_tui.storage.demo_history.PAST_SESSIONS", 0)


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


@pytest.fixture(scope="session")
def _past_templates(tmp_path_factory):
    """Histories of simulated past sessions, built once per (seed, day, count) per test run."""
    built: dict[tuple[int, date, int], Path] = {}

    def template(seed: int, day: date, count: int) -> Path:
        key = (seed, day, count)
        if key not in built:
            path = tmp_path_factory.mktemp("past") / "history.sqlite3"
            history = History.open(path)
            build_past(history, ["SPY"], day, seed, "normal", count)
            history.close()
            built[key] = path
        return built[key]

    return template


@pytest.fixture
def past_sessions(_past_templates):
    """`past_sessions(seed, day, count)`: this test's history holds the simulator's `count`
    SPY sessions before `day` (as the demo builds them), copied from a template."""

    def install(seed: int, day: date, count: int = 5) -> None:
        target = history_path()
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_past_templates(seed, day, count), target)

    assert os.environ["HEDGEFLOW_DATA_DIR"]  # never the user's own data dir
    return install
