"""Fault injection for resilience tests: off unless `SimConfig.faults` is above zero.

Each hedge-flow or series request draws, from a seeded generator, whether it fails and how:
a 500, a 502 with an HTML body (a proxy), a 429 with `Retry-After` (in seconds of the
simulator's market clock), a slow answer (past a client's timeout), a truncated JSON body, or
bars duplicated and out of order. Two kinds are not transport faults but bad data, drawn only
when asked for by name and only on series requests: `skewed_flow`, a series answer whose
`hedge_flow_*_cumulative` fields disagree with the hedge-flow endpoint, and `null_flow`, a series
answer whose `hedge_flow_*` fields are all null.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading

from starlette.responses import HTMLResponse, JSONResponse, Response

from hedgeflow_tui.api.model import Endpoint

ALL_FAULTS = ("500", "502_html", "429", "slow", "truncated", "shuffled")
SERIES_FAULTS = ("skewed_flow", "null_flow")  # only on series answers
NULLED_FIELDS = (
    "hedge_flow_call_cumulative",
    "hedge_flow_put_cumulative",
    "hedge_flow_cumulative_all",
)
# on request only: a proxy's HTML 403, and the quota's 429 with no rate-limit headers at all
PROXY_FAULTS = ("403_html", "429_bare")
BARE_FAULTS = ("429_bare",)  # answered without the X-RateLimit-* headers
KNOWN_FAULTS = ALL_FAULTS + SERIES_FAULTS + PROXY_FAULTS
SKEW = 25_000.0  # delta-dollars added to the series' call cumulative by `skewed_flow`


class FaultInjector:
    def __init__(self, rate: float, kinds: tuple[str, ...], seed: int, slow_seconds: float) -> None:
        unknown = set(kinds) - set(KNOWN_FAULTS)
        if unknown:
            raise ValueError(f"unknown fault kinds: {', '.join(sorted(unknown))}")
        self.rate = rate
        self.kinds = kinds
        self.slow_seconds = slow_seconds
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.injected: dict[str, int] = dict.fromkeys(kinds, 0)

    def draw(self, endpoint: Endpoint = "hedge-flow") -> str | None:
        """The fault for this request to `endpoint`, or None."""
        kinds = [k for k in self.kinds if endpoint == "series" or k not in SERIES_FAULTS]
        if self.rate <= 0 or not kinds:
            return None
        with self._lock:
            if self._rng.random() >= self.rate:
                return None
            kind = self._rng.choice(kinds)
            self.injected[kind] += 1
            return kind

    async def apply(self, kind: str, body: dict) -> Response:
        """The faulty answer standing in for `body`."""
        if kind == "500":
            return JSONResponse({"status": "ERROR", "message": "internal error (injected)"}, 500)
        if kind == "502_html":
            return HTMLResponse("<html><body><h1>502 Bad Gateway</h1></body></html>", 502)
        if kind == "429":
            return JSONResponse(
                {
                    "status": "ERROR",
                    "error": "Too many requests",
                    "message": "slow down (injected)",
                },
                429,
                headers={"Retry-After": "1"},
            )
        if kind == "403_html":
            return HTMLResponse("<html><body><h1>403 Forbidden</h1>nginx</body></html>", 403)
        if kind == "429_bare":
            return JSONResponse(
                {
                    "status": "ERROR",
                    "error": "Quota exceeded",
                    "message": "Daily limit reached (injected)",
                    "current_plan": "Growth",
                    "limit": 2500,
                    "upgrade_to": "Alpha",
                    "reset_at": "2026-06-13T00:00:00Z",
                },
                429,
            )
        if kind == "slow":
            await asyncio.sleep(self.slow_seconds)
            return JSONResponse(body)
        if kind == "skewed_flow":
            bars = [
                bar | {"hedge_flow_call_cumulative": bar["hedge_flow_call_cumulative"] + SKEW}
                if isinstance(bar.get("hedge_flow_call_cumulative"), float)
                else bar
                for bar in body.get("bars", [])
            ]
            return JSONResponse(body | {"bars": bars})
        if kind == "null_flow":
            nulled = [
                {key: None if key in NULLED_FIELDS else value for key, value in bar.items()}
                for bar in body.get("bars", [])
            ]
            return JSONResponse(body | {"bars": nulled})
        if kind == "truncated":
            text = json.dumps(body)
            return Response(text[: len(text) // 2], media_type="application/json")
        bars = list(body.get("bars", []))
        with self._lock:
            shuffled = bars + bars[: len(bars) // 2]
            self._rng.shuffle(shuffled)
        return JSONResponse(body | {"bars": shuffled})
