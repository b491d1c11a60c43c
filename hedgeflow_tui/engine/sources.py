"""Which server the data comes from, and the clock that goes with it.

- `--base-url URL` → that server (REMOTE), e.g. a `hedgeflow-sim` on 127.0.0.1;
- else a FlashAlpha key (environment or config file) → the live API (LIVE);
- else, or with `--demo` → the built-in simulator in-process through `httpx.ASGITransport`
  (SIMULATED), sharing one scaled clock with the poller.
Every source is reached through the same `FlashAlphaClient`. `check_source` says whether the
settings make a source at all without importing the HTTP stack or the simulator, so the dashboard
can paint first and open the source in a worker.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from hedgeflow_tui.config.settings import ConfigError, Settings
from hedgeflow_tui.engine.quota import QuotaPlanner
from hedgeflow_tui.engine.status import SourceKind
from hedgeflow_tui.market.clock import Clock, ScaledClock

# the host of client.LIVE_BASE_URL (tested), named when it cannot be reached: not imported from
# the client, so that a source opens without the HTTP stack
LIVE_HOST = "lab.flashalpha.com"

if TYPE_CHECKING:  # httpx and the client are imported when a source is opened
    from hedgeflow_tui.api.client import ExchangeObserver, FlashAlphaClient

SIM_BASE_URL = "http://simulator"


@dataclass
class Source:
    kind: SourceKind  # LIVE, SIMULATED or REMOTE (REPLAY is not a source to poll)
    clock: Clock
    description: str  # one line for the badge and status lines; never the key
    _connect: Callable[[ExchangeObserver | None], FlashAlphaClient] = field(repr=False)
    host: str | None = None  # the server's host[:port], named when it cannot be reached

    def make_client(self, observer: ExchangeObserver | None = None) -> FlashAlphaClient:
        return self._connect(observer)

    @staticmethod
    def make_planner() -> QuotaPlanner:
        return QuotaPlanner()


def check_source(settings: Settings) -> None:
    """Raise `ConfigError` when the settings name no usable source (cheap: imports nothing)."""
    if _simulated(settings):
        return
    sim_only = [
        flag
        for flag, value in (
            ("--seed", settings.seed != Settings.seed),
            ("--start", settings.start),
            ("--date", settings.date),
        )
        if value
    ]
    if sim_only:
        raise ConfigError(f"{', '.join(sim_only)} apply only to the built-in simulator (--demo)")
    if settings.base_url is None and settings.speed not in (None, 1.0):
        raise ConfigError("--speed applies only to the simulator (--demo or --base-url)")


def _simulated(settings: Settings) -> bool:
    return settings.demo or (settings.base_url is None and not settings.api_key)


def open_source(settings: Settings, clock: Clock | None = None) -> Source:
    """Pick the source the settings ask for. `clock` overrides the source's own (tests)."""
    check_source(settings)
    if settings.base_url is not None and not settings.demo:
        base_url = settings.base_url.rstrip("/")  # checked with the settings (config.RULES)
        clock = clock or ScaledClock(speed=settings.speed or 1.0)
        host = urlsplit(base_url).netloc
        return Source(
            "REMOTE",
            clock,
            f"server {host}",
            lambda observer: _client(settings, base_url, observer),
            host,
        )
    if not _simulated(settings):
        return Source(
            "LIVE",
            clock or ScaledClock(),
            "FlashAlpha live API",
            lambda observer: _client(settings, None, observer),
            LIVE_HOST,
        )
    return _simulator(settings, clock)


def _simulator(settings: Settings, clock: Clock | None) -> Source:
    import httpx

    from hedgeflow_tui.api.client import FlashAlphaClient
    from hedgeflow_tui.sim import (
        DEFAULT_START,
        DEMO_SPEED,
        SimConfig,
        create_app,
        default_session_date,
        sim_clock,
    )

    day = date.fromisoformat(settings.date) if settings.date else default_session_date()
    start = settings.start or DEFAULT_START
    clock = clock or sim_clock(day, start, settings.speed or DEMO_SPEED)
    config = SimConfig(seed=settings.seed, date=day)
    if settings.plan is not None:
        config = replace(config, plan=settings.plan)
    app = create_app(config, clock)
    description = f"simulated market, seed {settings.seed}, {day.isoformat()}"

    def connect(observer: ExchangeObserver | None) -> FlashAlphaClient:
        transport = httpx.ASGITransport(app=app)
        return FlashAlphaClient(
            SIM_BASE_URL, transport=transport, timeout=settings.timeout, observer=observer
        )

    return Source("SIMULATED", clock, description, connect)


def _client(
    settings: Settings, base_url: str | None, observer: ExchangeObserver | None
) -> FlashAlphaClient:
    """A client of `base_url`, or of the live API when None."""
    from hedgeflow_tui.api.client import LIVE_BASE_URL, FlashAlphaClient

    return FlashAlphaClient(
        base_url or LIVE_BASE_URL,
        settings.api_key,
        timeout=settings.timeout,
        observer=observer,
        tls=_tls(),
    )


@cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every symbol's client: each would load the CA bundle again."""
    import httpx

    return httpx.create_ssl_context()
