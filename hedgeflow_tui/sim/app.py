"""The simulator's ASGI app: the FlashAlpha API (its documented routes, defaults, validation,
quota headers and errors) over the model.

Simulated now comes from the clock given to `create_app`; only buckets closed by then are served
(bucket start + bar size <= now). A `minutes` window holds the buckets starting at or after
now - minutes (now capped at the 16:00 close, so `minutes=390` after the close is the whole day).
Per bucket, `bar` is the sum of its 30 s flows and `cumulative` the running total at its end;
series values are the bucket's last 30 s sample. The hidden regime is served only on the
sim-only route `/sim/v1/truth/{symbol}` (with the episodes so far, labelled by outcome from the
samples served: `squeeze` or `absorbed_chase`, sim/truth.py), never in the FlashAlpha-shaped
answers. A gamma flip is `null` when the dealers' net gamma has no sign change.

Live timing (`SimConfig.publish_lag`, `SimConfig.cache`), on by default: each 30 s sample becomes
visible only some seconds after it is taken (the lag, seeded jitter per sample), so an answer right
after a close may lack the bucket that just closed; and, as on the Basic/Growth plans, an answer is
cached for 15 s keyed by the full request (path and query), so asking the same again within that
time returns the same answer, its `as_of` (when it was computed) included.

As FlashAlpha documents them (see docs/design/real-api.md): each `data_as_of` feed time is when
that feed last delivered to the node, a few seconds before now during the session (the close
after it), never the end of the newest sample; an unknown symbol is a 200 with empty `bars` on
hedge-flow and series (`unknown_symbol="404"`: the `symbol_not_found` error instead); plan names
are written as the API writes them (`Growth`); the 429's `reset_at` is an ISO time. Whether the
still-open bucket is served is not documented: `open_bucket=True` serves it, from the samples
published so far, as the newest bar.
"""

from __future__ import annotations

import asyncio
import math
import random
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hedgeflow_tui.api.model import Endpoint, Side, is_side, iso
from hedgeflow_tui.market.bars import BAR_SECONDS, bar_delta
from hedgeflow_tui.market.calendar import is_session
from hedgeflow_tui.market.clock import ET, Clock, session_bounds
from hedgeflow_tui.sim.faults import ALL_FAULTS, BARE_FAULTS, FaultInjector
from hedgeflow_tui.sim.market import SAMPLE_SECONDS, SYMBOLS, SessionPath, session_run
from hedgeflow_tui.sim.session import default_session_date
from hedgeflow_tui.sim.truth import episodes

PLANS: dict[str, int | None] = {"free": 5, "basic": 100, "growth": 2500, "alpha": None}
UNKNOWN_SYMBOL_ANSWERS = ("empty", "404")
FEEDS = ("equity_feed", "equity_options_feed", "index_feed", "index_options_feed", "flow_feed")
FEED_DELIVERY = 3.0  # market seconds: a feed delivers to the node every few seconds
PLAN_ORDER = ("free", "basic", "growth", "alpha")
PLAN_CACHE: dict[str, float] = {"free": 15.0, "basic": 15.0, "growth": 15.0, "alpha": 0.0}
ENDPOINT_VERSION = "hedgeflow-sim/1"
DEFAULT_PUBLISH_LAG = 4.0  # market seconds: live timing unless told otherwise


@dataclass(frozen=True)
class SimConfig:
    seed: int = 7
    date: date | None = None  # None: default_session_date()
    api_key: str | None = None  # when set, every /v1 request must carry it in X-Api-Key
    plan: str = "growth"
    faults: float = 0.0  # probability that a hedge-flow or series request fails
    fault_kinds: tuple[str, ...] = ALL_FAULTS
    fault_seed: int = 0
    slow_seconds: float = 2.0  # real seconds a "slow" fault waits
    latency: float = 0.0  # real seconds added to every answer (benchmarks)
    publish_lag: float = DEFAULT_PUBLISH_LAG  # market seconds from a 30 s sample to its
    # publication (mean); 0: at once
    lag_jitter: float = 0.5  # each sample's lag is publish_lag x (1 +- this), seeded
    cache: float | None = None  # answer cache in market seconds; None: the plan's (PLAN_CACHE)
    open_bucket: bool = False  # also serve the bucket still open, from its published samples
    minutes_from_now: bool = False  # `minutes` counts back from now even after the close
    unknown_symbol: str = "empty"  # "empty": 200 with no bars (documented); "404": symbol_not_found

    @property
    def max_publish_lag(self) -> float:
        """The longest a sample can wait for its publication (the lag at its full jitter)."""
        return self.publish_lag * (1 + self.lag_jitter)


class _Quota:
    """The day's request count against the plan's limit (resets at midnight UTC)."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.used = 0
        self._day: date | None = None  # the UTC day `used` counts
        self._lock = threading.Lock()

    def spend(self, now: datetime) -> bool:
        """Count one request at market time `now`; the count starts again at the reset time the
        headers announce (midnight UTC)."""
        with self._lock:
            day = now.astimezone(UTC).date()
            if self._day != day:
                self._day, self.used = day, 0
            if self.limit is not None and self.used >= self.limit:
                return False
            self.used += 1
            return True

    def headers(self, now: datetime) -> dict[str, str]:
        reset = _next_midnight(now)
        remaining = "unlimited" if self.limit is None else str(max(0, self.limit - self.used))
        return {
            "X-RateLimit-Limit": "unlimited" if self.limit is None else str(self.limit),
            "X-RateLimit-Remaining": remaining,
            "X-RateLimit-Reset": str(int(reset.timestamp())),
        }


def _next_midnight(now: datetime) -> datetime:
    day = now.astimezone(UTC).date()
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC)


def _regime(flip: float | None, net_gex: float) -> str:
    """The series' regime word: "unknown" where the flip is withheld, as documented."""
    if flip is None:
        return "unknown"
    return "positive_gamma" if net_gex >= 0 else "negative_gamma"


def _error(status: int, body: dict, headers: dict | None = None) -> JSONResponse:
    return JSONResponse(body, status, headers=headers)


def create_app(config: SimConfig, clock: Clock) -> Starlette:
    day = config.date or default_session_date()
    if config.plan not in PLANS:
        raise ValueError(f"unknown plan {config.plan!r}: one of {', '.join(PLANS)}")
    if config.unknown_symbol not in UNKNOWN_SYMBOL_ANSWERS:
        raise ValueError(f"unknown_symbol must be one of {', '.join(UNKNOWN_SYMBOL_ANSWERS)}")
    quota = _Quota(PLANS[config.plan])
    faults = FaultInjector(
        config.faults, config.fault_kinds, config.fault_seed, config.slow_seconds
    )
    open_, close = session_bounds(day)
    cache_seconds = PLAN_CACHE[config.plan] if config.cache is None else config.cache
    answers: dict[tuple, tuple[datetime, dict]] = {}  # the answer cache, keyed by the request
    trading_day = is_session(day)  # none on weekends and NYSE holidays

    def follow_clock(now: datetime) -> None:
        """Play the clock's day once the clock has left the configured one (a dashboard open
        overnight sees the next session open): each day its own seeded session."""
        nonlocal day, open_, close, trading_day
        today = now.astimezone(ET).date()
        if today > day:
            day, trading_day = today, is_session(today)
            open_, close = session_bounds(today)
            answers.clear()  # cached answers are the previous day's

    def path(symbol: str, samples: int) -> SessionPath:
        """The session, simulated at least up to its first `samples` 30 s samples."""
        return session_run(symbol, day, config.seed).upto(samples)

    def window(request: Request, now: datetime) -> tuple[str, int] | JSONResponse:
        bar = request.query_params.get("bar", "30s")
        if bar not in BAR_SECONDS:
            return _error(
                400,
                {"error": "invalid_bar", "message": f"bar must be one of {', '.join(BAR_SECONDS)}"},
            )
        try:
            minutes = int(request.query_params.get("minutes", "60"))
        except ValueError:
            return _error(
                400, {"error": "invalid_minutes", "message": "minutes must be an integer"}
            )
        return bar, min(390, max(1, minutes))

    def lag(sample: int) -> float:
        """Market seconds between the end of 30 s sample `sample` and its publication."""
        if config.publish_lag <= 0:
            return 0.0
        u = random.Random(config.seed * 1_000_003 + sample).random()
        return config.publish_lag * (1 + config.lag_jitter * (2 * u - 1))

    def published(now: datetime) -> int:
        """How many of the session's 30 s samples are published by `now`."""
        if not trading_day or now < open_:
            return 0
        taken = int(min(now, close).timestamp() - open_.timestamp()) // SAMPLE_SECONDS
        while (
            taken > 0 and open_ + timedelta(seconds=taken * SAMPLE_SECONDS + lag(taken - 1)) > now
        ):
            taken -= 1
        return taken

    def feed_times(now: datetime) -> dict[str, str | None]:
        """`data_as_of` as documented: when each feed last delivered to the node, every few
        seconds during the session (seeded per feed and second), the close after it."""
        delivered = min(now, close + timedelta(seconds=FEED_DELIVERY)) if trading_day else now
        second = int(delivered.timestamp())
        times: dict[str, str | None] = {"node": "hedgeflow-sim"}
        for index, feed in enumerate(FEEDS):
            behind = random.Random(second * 7 + index).random() * FEED_DELIVERY
            times[feed] = iso(delivered - timedelta(seconds=behind))
        return times

    def buckets(bar: str, minutes: int, now: datetime) -> tuple[int, int, int]:
        """The window's buckets whose samples are published by now: sample-index range
        [first, last) of bucket indices, and how many samples are published (the still-open
        bucket, when served, is bucket `last` - 1 and holds fewer than a bucket's samples)."""
        if not trading_day or now < open_:
            return 0, 0, 0
        size = BAR_SECONDS[bar]
        samples = published(now)
        per = size // SAMPLE_SECONDS
        last = -(-samples // per) if config.open_bucket else samples // per
        end = now if config.minutes_from_now else min(now, close)
        since = end - timedelta(minutes=minutes)
        first = max(0, -int((open_ - since).total_seconds() // size))
        return first, last, samples

    async def guarded(request: Request, handler, *, faultable: Endpoint | None) -> Response:
        if config.latency:
            await asyncio.sleep(config.latency)
        now = clock.now()
        follow_clock(now)
        if config.api_key is not None and request.headers.get("x-api-key") != config.api_key:
            return _error(
                401, {"title": "Unauthorized", "status": 401, "detail": "Invalid API key."}
            )
        if not quota.spend(now):
            reset = quota.headers(now)["X-RateLimit-Reset"]
            return _error(
                429,
                {
                    "status": "ERROR",
                    "error": "Quota exceeded",
                    "message": f"daily limit of {quota.limit} requests reached",
                    "current_plan": plan_name(config.plan),
                    "limit": quota.limit,
                    "upgrade_to": "Alpha",
                    "reset_at": iso(_next_midnight(now)),
                },
                headers={"Retry-After": str(int(reset) - int(now.timestamp()))}
                | quota.headers(now),
            )
        key = (request.url.path, tuple(sorted(request.query_params.multi_items())))
        cached = answers.get(key) if faultable else None
        if cached is not None and (now - cached[0]).total_seconds() < cache_seconds:
            answer = cached[1]  # the earlier answer, its as_of and data_as_of included
        else:
            answer = handler(request, now)
            if faultable and cache_seconds > 0 and not isinstance(answer, Response):
                answers[key] = (now, answer)
        if isinstance(answer, Response):
            answer.headers.update(quota.headers(now))
            return answer
        kind = faults.draw(faultable) if faultable else None
        response = await faults.apply(kind, answer) if kind else JSONResponse(answer)
        if kind not in BARE_FAULTS:
            response.headers.update(quota.headers(now))
        return response

    def plan_check(
        symbol: str,
        required: str = "growth",
        message: str = "0DTE hedge flow needs the Growth plan or higher",
    ) -> JSONResponse | None:
        """The documented 403 `tier_restricted` below the `required` plan, or (with
        `--unknown-symbol 404`) 404 for a symbol not modelled; None when neither."""
        if PLAN_ORDER.index(config.plan) < PLAN_ORDER.index(required):
            return _error(
                403,
                {
                    "status": "ERROR",
                    "error": "tier_restricted",
                    "message": message,
                    "current_plan": plan_name(config.plan),
                    "required_plan": plan_name(required),
                },
            )
        if symbol not in SYMBOLS and config.unknown_symbol == "404":
            return _error(
                404, {"error": "symbol_not_found", "message": f"no 0DTE data for {symbol}"}
            )
        return None

    def envelope(symbol: str, now: datetime, bar: str) -> dict:
        return {"symbol": symbol, "expiration": day.isoformat(), "as_of": iso(now), "bar_size": bar}

    def hedge_flow(request: Request, now: datetime):
        symbol = request.path_params["symbol"].upper()
        side = request.query_params.get("side", "all")
        if not is_side(side):
            return _error(
                400, {"error": "invalid_side", "message": "side must be all, calls or puts"}
            )
        refused = plan_check(symbol)
        if refused is not None:
            return refused
        parsed = window(request, now)
        if isinstance(parsed, Response):
            return parsed
        bar, minutes = parsed
        first, last, samples = buckets(bar, minutes, now) if symbol in SYMBOLS else (0, 0, 0)
        bars = []
        if last > first:
            flows = _flows(path(symbol, samples), side, bar, samples)
            cumulative = np.cumsum(flows)
            bars = [
                {
                    "t": iso(open_ + bar_delta(bar) * i),
                    "bar": float(flows[i]),
                    "cumulative": float(cumulative[i]),
                }
                for i in range(first, last)
            ]
        return envelope(symbol, now, bar) | {
            "side": side,
            "bars": bars,
            "endpoint_version": ENDPOINT_VERSION,
            "data_as_of": feed_times(now),
        }

    def series(request: Request, now: datetime):
        symbol = request.path_params["symbol"].upper()
        refused = plan_check(symbol)
        if refused is not None:
            return refused
        parsed = window(request, now)
        if isinstance(parsed, Response):
            return parsed
        bar, minutes = parsed
        first, last, samples = buckets(bar, minutes, now) if symbol in SYMBOLS else (0, 0, 0)
        if last <= first:
            return envelope(symbol, now, bar) | {"bars": [], "data_as_of": feed_times(now)}
        session = path(symbol, samples)
        per = BAR_SECONDS[bar] // SAMPLE_SECONDS
        cum_calls = np.cumsum(session.calls[:samples])
        cum_puts = np.cumsum(session.puts[:samples])
        bars = []
        for i in range(first, last):
            s = min((i + 1) * per, samples) - 1  # the bucket's last published 30 s sample
            gex = float(session.net_gex[s])
            flip = None if math.isnan(session.gamma_flip[s]) else float(session.gamma_flip[s])
            # as documented (SDK 1.4.0): "available", or why the flip is withheld (null), the
            # regime then "unknown"; the model withholds it only where net gamma keeps one sign
            status = "available" if flip is not None else "no_boundary"
            bars.append(
                {
                    "t": iso(open_ + bar_delta(bar) * i),
                    "spot": float(session.spot[s]),
                    "net_gex": gex,
                    "net_dex": None,
                    "gamma_flip": flip,
                    "gamma_flip_status": status,
                    "call_wall": float(session.call_wall[s]),
                    "put_wall": float(session.put_wall[s]),
                    "magnet": None,
                    "pin_score": None,
                    "pin_probability_pct": None,
                    "regime": _regime(flip, gex),
                    "atm_iv": float(session.atm_iv[s]),
                    "charm_dollars_per_hour": None,
                    "hedge_flow_call_cumulative": float(cum_calls[s]),
                    "hedge_flow_put_cumulative": float(cum_puts[s]),
                    "hedge_flow_cumulative_all": float(cum_calls[s] + cum_puts[s]),
                }
            )
        return envelope(symbol, now, bar) | {"bars": bars, "data_as_of": feed_times(now)}

    def strike_flow(request: Request, now: datetime):
        """Alpha only, 1m bars only: per strike and bar, the hedge flow of the model's own
        per-strike book (whole dollars that sum, bar by bar, to the hedge-flow endpoint's `all`
        bar), the dealers' gamma-$ traded, and the customer contracts."""
        symbol = request.path_params["symbol"].upper()
        refused = plan_check(symbol, "alpha", "0DTE strike flow needs the Alpha plan")
        if refused is not None:
            return refused
        if request.query_params.get("bar", "1m") != "1m":
            return _error(400, {"error": "bar_unavailable", "message": "bar must be 1m"})
        parsed = window(request, now)
        if isinstance(parsed, Response):
            return parsed
        _, minutes = parsed
        first, last, published_samples = buckets("1m", minutes, now)
        session = path(symbol, published_samples)
        per = 60 // SAMPLE_SECONDS
        totals = _flows(session, "all", "1m", published_samples)
        bars = []
        for i in range(first, last):
            end = min((i + 1) * per, published_samples)  # a bucket still open: so far
            taken = slice(i * per, end)
            delta = _whole(session.strike_delta[taken].sum(axis=0), float(totals[i]))
            bars.append(
                {
                    "t": iso(open_ + bar_delta("1m") * i),
                    "spot": float(session.spot[end - 1]),
                    "signed_delta_dollars": delta.tolist(),
                    "signed_gamma_dollars": np.round(
                        session.strike_gamma[taken].sum(axis=0)
                    ).tolist(),
                    "contracts": session.strike_contracts[taken].sum(axis=0).tolist(),
                }
            )
        empty = not bars
        return envelope(symbol, now, "1m") | {
            "underlying_price": bars[-1]["spot"] if bars else None,
            "tier_used": "raw",
            "strikes_grid": [] if empty else session.strikes.tolist(),
            "bars": bars,
            "gap_intervals": [],
            "data_as_of": feed_times(now),
        }

    def account(request: Request, now: datetime):
        limit = quota.limit
        return {
            "plan": config.plan,
            "daily_limit": "unlimited" if limit is None else str(limit),
            "remaining": "unlimited" if limit is None else str(max(0, limit - quota.used)),
            "usage_today": quota.used,
            "resets_at": iso(_next_midnight(now)),
        }

    def truth(request: Request) -> JSONResponse:
        symbol = request.path_params["symbol"].upper()
        if symbol not in SYMBOLS:
            return _error(404, {"error": "symbol_not_found", "message": f"no model of {symbol}"})
        bar = request.query_params.get("bar", "30s")
        if bar not in BAR_SECONDS:
            return _error(400, {"error": "invalid_bar", "message": "unknown bar"})
        follow_clock(clock.now())
        first, last, samples = buckets(bar, 390, clock.now())
        session = path(symbol, samples)
        per = BAR_SECONDS[bar] // SAMPLE_SECONDS
        return JSONResponse(
            {
                "symbol": symbol,
                "seed": config.seed,
                "bar_size": bar,
                "bars": [
                    {
                        "t": iso(open_ + bar_delta(bar) * i),
                        "regime": session.regime[min((i + 1) * per, samples) - 1],
                    }
                    for i in range(first, last)
                ],
                "episodes": [
                    {
                        "start": iso(e.start),
                        "end": iso(e.end),
                        "direction": e.direction,
                        "kind": e.kind,
                        "move_bp": e.move_bp,
                        "flow_z": e.flow_z,
                        "price_z": e.price_z,
                    }
                    for e in episodes(session, BAR_SECONDS[bar], upto=min(samples, last * per))
                ],
            }
        )

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    def route(handler, faultable: Endpoint | None):
        async def endpoint(request: Request) -> Response:
            return await guarded(request, handler, faultable=faultable)

        return endpoint

    app = Starlette(
        routes=[
            Route("/v1/flow/zero-dte/hedge-flow/{symbol}", route(hedge_flow, "hedge-flow")),
            Route("/v1/flow/zero-dte/series/{symbol}", route(series, "series")),
            Route("/v1/flow/zero-dte/strike-flow/{symbol}", route(strike_flow, "strike-flow")),
            Route("/v1/account", route(account, None)),
            Route("/health", health),
            Route("/sim/v1/truth/{symbol}", truth),
        ]
    )
    app.state.faults = faults
    app.state.quota = quota
    return app


def _whole(values: np.ndarray, total: float) -> np.ndarray:
    """`values` in whole dollars that sum to `total` (a whole number): each rounded down, then
    the shortfall given a dollar at a time to the largest fractions (largest remainders)."""
    whole = np.floor(values)
    short = round(total - float(whole.sum()))
    order = np.argsort(whole - values)  # the largest fractions first
    steps, rest = divmod(abs(short), len(values))
    sign = 1 if short >= 0 else -1
    whole += sign * steps
    whole[order[:rest] if short >= 0 else order[::-1][:rest]] += sign
    return whole


def plan_name(plan: str) -> str:
    """A plan as the API writes it in its answers: `Growth`."""
    return plan.capitalize()


def _flows(session: SessionPath, side: Side, bar: str, samples: int) -> np.ndarray:
    """Whole-dollar flow per bucket of `bar` for `side`: the sum of its first `samples` 30 s
    samples (a bucket still open holds those published so far)."""
    per = BAR_SECONDS[bar] // SAMPLE_SECONDS
    if side == "calls":
        flows = session.calls[:samples]
    elif side == "puts":
        flows = session.puts[:samples]
    else:
        flows = session.calls[:samples] + session.puts[:samples]
    padded = np.zeros(-(-samples // per) * per)
    padded[:samples] = flows
    return padded.reshape(-1, per).sum(axis=1)
