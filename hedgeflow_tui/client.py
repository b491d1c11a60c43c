"""Async client of the FlashAlpha API (and of the simulator, which speaks the same API).

Every failure becomes one of the `ApiError` types below with a short, key-free message; the
caller decides whether to retry (`retryable`) or stop (`fatal`). Each successful answer can be
handed to an observer (the recorder) as plain JSON, without headers or the key.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from hedgeflow_tui import __version__
from hedgeflow_tui.model import (
    Account,
    DataError,
    HedgeFlowResponse,
    RateLimit,
    SeriesResponse,
    parse_account,
    parse_hedge_flow,
    parse_series,
)

LIVE_BASE_URL = "https://lab.flashalpha.com"
HEDGE_FLOW_PATH = "/v1/flow/zero-dte/hedge-flow/{symbol}"
SERIES_PATH = "/v1/flow/zero-dte/series/{symbol}"
ACCOUNT_PATH = "/v1/account"


class ApiError(Exception):
    """Base of every client failure. `str()` is one short line, safe to show and log."""

    retryable = True
    fatal = False  # polling this source again cannot help (bad key, plan too low)
    status: int | None = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(ApiError):
    status = 400
    retryable = False
    fatal = True


class BadKey(ApiError):
    status = 401
    retryable = False
    fatal = True


class PlanTooLow(ApiError):
    status = 403
    retryable = False
    fatal = True

    def __init__(self, message: str, current_plan: str | None, required_plan: str | None):
        super().__init__(message)
        self.current_plan = current_plan
        self.required_plan = required_plan


class SymbolNotFound(ApiError):
    status = 404
    retryable = False
    fatal = True


class RateLimited(ApiError):
    status = 429

    def __init__(self, message: str, retry_after: float | None):
        super().__init__(message)
        self.retry_after = retry_after


class ServerError(ApiError):
    """5xx, or any other unexpected status."""


class RequestTimeout(ApiError):
    pass


class ConnectionFailed(ApiError):
    pass


class BadData(ApiError):
    """A 200 whose body is not usable data: not JSON, HTML from a proxy, truncated, wrong types."""


@dataclass(frozen=True, slots=True)
class Exchange:
    """One successful answer, as the recorder stores it: no headers, no key, no host."""

    endpoint: str  # "hedge-flow" | "series" | "account"
    params: dict[str, Any]  # symbol, side, bar, minutes as asked
    received_at: datetime
    body: Any


ExchangeObserver = Callable[[Exchange], Awaitable[None] | None]


def _header_int(value: str | None) -> int | None:
    if value is None or not value.strip().lstrip("-").isdigit():
        return None
    return int(value)


def _message(body: Any, fallback: str) -> str:
    if isinstance(body, dict):
        for key in ("message", "detail", "title", "error"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value[:160]
    return fallback


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class FlashAlphaClient:
    """One `httpx.AsyncClient` for every HTTP source: live, `hedgeflow-sim`, or the in-process
    simulator through `httpx.ASGITransport`."""

    def __init__(
        self,
        base_url: str = LIVE_BASE_URL,
        api_key: str | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
        observer: ExchangeObserver | None = None,
        tls: ssl.SSLContext | bool = True,
    ) -> None:
        headers = {"User-Agent": f"hedgeflow-tui/{__version__}", "Accept": "application/json"}
        if api_key:
            headers["X-Api-Key"] = api_key
        self._http = httpx.AsyncClient(
            base_url=base_url,
            headers=headers,
            transport=transport,
            timeout=timeout,
            verify=tls,
        )
        self.observer = observer
        self.rate_limit: RateLimit | None = None
        self.requests_sent = 0
        self.bytes_received = 0

    def __repr__(self) -> str:  # never show the key
        return f"FlashAlphaClient(base_url={str(self._http.base_url)!r})"

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> FlashAlphaClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # --- endpoints ----------------------------------------------------------------------------

    async def hedge_flow(
        self, symbol: str, side: str, bar: str, minutes: int | None = None
    ) -> HedgeFlowResponse:
        params: dict[str, Any] = {"symbol": symbol, "side": side, "bar": bar}
        if minutes is not None:
            params["minutes"] = minutes
        path = HEDGE_FLOW_PATH.format(symbol=symbol)
        return await self._fetch("hedge-flow", path, params, parse_hedge_flow)

    async def series(self, symbol: str, bar: str, minutes: int | None = None) -> SeriesResponse:
        params: dict[str, Any] = {"symbol": symbol, "bar": bar}
        if minutes is not None:
            params["minutes"] = minutes
        return await self._fetch("series", SERIES_PATH.format(symbol=symbol), params, parse_series)

    async def account(self) -> Account:
        return await self._fetch("account", ACCOUNT_PATH, {}, parse_account)

    # --- plumbing -----------------------------------------------------------------------------

    async def _fetch(
        self, endpoint: str, path: str, params: dict[str, Any], parser: Callable[[Any], Any]
    ) -> Any:
        """GET, parse, and hand the answer to the observer only once it parsed."""
        body = await self._get(endpoint, path, params)
        try:
            parsed = parser(body)
        except DataError as error:
            raise BadData(f"{endpoint}: bad data: {error.reason}") from None
        if self.observer is not None:
            result = self.observer(Exchange(endpoint, params, datetime.now(UTC), body))
            if result is not None:
                await result
        return parsed

    async def _get(self, endpoint: str, path: str, params: dict[str, Any]) -> Any:
        """One request; the path's symbol is sent in the path, never twice."""
        query = {k: v for k, v in params.items() if k != "symbol"}
        self.requests_sent += 1
        try:
            response = await self._http.get(path, params=query)
        except httpx.TimeoutException:
            raise RequestTimeout(f"{endpoint}: timed out") from None
        except httpx.TransportError as error:
            raise ConnectionFailed(f"{endpoint}: cannot connect ({type(error).__name__})") from None
        self.bytes_received += len(response.content)
        self._read_rate_limit(response)
        if response.status_code != 200:
            raise self._error(endpoint, response, params.get("symbol"))
        try:
            return json.loads(response.content)
        except ValueError:
            kind = "HTML" if response.content.lstrip()[:1] == b"<" else "not JSON"
            raise BadData(f"{endpoint}: bad data ({kind})") from None

    def _read_rate_limit(self, response: httpx.Response) -> None:
        headers = response.headers
        if "X-RateLimit-Limit" not in headers and "X-RateLimit-Remaining" not in headers:
            return
        reset = _header_int(headers.get("X-RateLimit-Reset"))
        self.rate_limit = RateLimit(
            limit=_header_int(headers.get("X-RateLimit-Limit")),
            remaining=_header_int(headers.get("X-RateLimit-Remaining")),
            reset_at=datetime.fromtimestamp(reset, UTC) if reset is not None else None,
        )

    @staticmethod
    def _error(endpoint: str, response: httpx.Response, symbol: str | None) -> ApiError:
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = None
        if status == 400:
            return BadRequest(f"bad request: {_message(body, 'the server refused the query')}")
        if status == 401:
            return BadKey(f"bad API key: {_message(body, 'unauthorized')}")
        if status == 403:
            body = body if isinstance(body, dict) else {}
            current, required = body.get("current_plan"), body.get("required_plan")
            needs = f" (plan {current}, needs {required})" if current and required else ""
            return PlanTooLow(f"plan too low{needs}", current, required)
        if status == 404:
            return SymbolNotFound(f"no 0DTE data for {symbol or endpoint}")
        if status == 429:
            wait = _retry_after(response.headers.get("Retry-After"))
            after = f", retry in {wait:.0f}s" if wait is not None else ""
            return RateLimited(f"rate limited{after}", wait)
        if status >= 500:
            return ServerError(f"{endpoint}: server error {status}")
        return ServerError(f"{endpoint}: unexpected status {status}")
