"""Async client of the FlashAlpha API (and of the simulator, which speaks the same API).

Every failure becomes one of the `ApiError` types below with a short, key-free message; the
caller decides whether to retry (`retryable`) or stop (`fatal`). Each successful answer can be
handed to an observer (the recorder) as plain JSON, without headers or the key.

Nothing a server sends can take more than bounded time or memory: `timeout` covers the whole
request (connect, headers and body), the body is read as a stream and refused past
`max_body` bytes both as sent and once decompressed (decompressed here, in bounded steps, so a
gzip bomb never inflates), any malformed answer is `BadData` (retried, never fatal), every wait
the server asks for is capped at `MAX_SERVER_WAIT`, and every server-given string is cleaned
(`safe_text`) and scrubbed of the key before it reaches a message.
"""

from __future__ import annotations

import asyncio
import json
import math
import ssl
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from hedgeflow_tui import __version__
from hedgeflow_tui.api.errors import (
    ApiError,
    BadData,
    BadKey,
    BadRequest,
    BodyTooLarge,
    ConnectionFailed,
    PlanTooLow,
    RateLimited,
    RequestTimeout,
    ServerError,
    SymbolNotFound,
)
from hedgeflow_tui.api.model import (
    Account,
    DataError,
    Endpoint,
    HedgeFlowResponse,
    RateLimit,
    SeriesResponse,
    Side,
    StrikeFlowResponse,
    parse_account,
    parse_hedge_flow,
    parse_series,
    parse_strike_flow,
    parse_time,
)
from hedgeflow_tui.api.safe_text import safe_text

LIVE_BASE_URL = "https://lab.flashalpha.com"
HEDGE_FLOW_PATH = "/v1/flow/zero-dte/hedge-flow/{symbol}"
SERIES_PATH = "/v1/flow/zero-dte/series/{symbol}"
ACCOUNT_PATH = "/v1/account"
STRIKE_FLOW_PATH = "/v1/flow/zero-dte/strike-flow/{symbol}"  # Alpha plan

MAX_BODY = 4 * 1024 * 1024  # bytes; a whole 390-minute session at 30s bars is ~100 KiB
MAX_SERVER_WAIT = 900.0  # seconds: the longest Retry-After / reset wait honoured as given
MAX_HEADER_DIGITS = 18
DECODERS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


@dataclass(frozen=True, slots=True)
class Exchange:
    """One successful answer, as the recorder stores it: no headers, no key, no host."""

    endpoint: Endpoint
    params: dict[str, Any]  # symbol, side, bar, minutes as asked
    received_at: datetime
    body: Any


ExchangeObserver = Callable[[Exchange], Awaitable[None] | None]


def _header_int(value: str | None) -> int | None:
    """A header's whole number; None when absent, malformed or absurdly long."""
    if value is None:
        return None
    text = value.strip()
    digits = text.removeprefix("-")
    if not digits.isascii() or not digits.isdigit() or len(digits) > MAX_HEADER_DIGITS:
        return None
    return int(text)


def _timestamp(seconds: int | None) -> datetime | None:
    """A Unix time as UTC; None when it is not a time this side of year 1 or 9999."""
    if seconds is None:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _message(body: Any, fallback: str, secret: str | None) -> str:
    if isinstance(body, dict):
        for key in ("message", "detail", "title", "error"):
            value = body.get(key)
            if isinstance(value, str):
                cleaned = safe_text(value, secrets=(secret,))
                if cleaned:
                    return cleaned
    return fallback


def _retry_after(value: str | None) -> tuple[float | None, float | None]:
    """(the wait to honour, capped; the wait asked for when it was over the cap)."""
    if value is None:
        return None, None
    try:
        asked = float(value.strip()[:32])
    except ValueError:
        return None, None  # an HTTP date, or garbage: our own backoff decides
    if math.isnan(asked):
        return None, None
    asked = max(0.0, asked)
    if asked > MAX_SERVER_WAIT:
        return MAX_SERVER_WAIT, asked
    return asked, None


def _body_time(value: Any) -> datetime | None:
    """A time a server's body gives: ISO 8601 (as documented), or a Unix time; None else."""
    if isinstance(value, str):
        try:
            return parse_time(value, "reset_at")
        except DataError:
            return _timestamp(_header_int(value))
    if isinstance(value, int) and not isinstance(value, bool):
        return _timestamp(value)
    return None


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "forever"
    if seconds >= 86400 * 2:
        return f"{seconds / 86400:.0f}d"
    if seconds >= 3600:
        return f"{seconds // 3600:.0f}h{seconds % 3600 // 60:02.0f}m"
    if seconds >= 60:
        return f"{seconds // 60:.0f}m{seconds % 60:02.0f}s"
    return f"{seconds:.0f}s"


def _same_symbol(asked: str, answered: str) -> bool:
    """`^SPX` and `SPX` name the same index."""
    return asked.upper().lstrip("^") == answered.upper().lstrip("^")


def _check_echo(endpoint: Endpoint, params: dict[str, Any], parsed: Any) -> None:
    """An answer to another question than asked is bad data, not data."""
    symbol = getattr(parsed, "symbol", None)
    if symbol is not None and not _same_symbol(params["symbol"], symbol):
        raise BadData(f"{endpoint}: answer is for {safe_text(symbol, 12)}, not {params['symbol']}")
    for field in ("side", "bar_size"):
        asked = params.get("side" if field == "side" else "bar")
        echoed = getattr(parsed, field, None)
        if asked is not None and echoed is not None and echoed != asked:
            raise BadData(f"{endpoint}: answer is for {field} {echoed}, not {asked}")


class _BodyReader:
    """Reads a streamed body under two caps: bytes as sent, and bytes once decompressed."""

    def __init__(self, endpoint: Endpoint, encoding: str, limit: int) -> None:
        self.endpoint = endpoint
        self.limit = limit
        self.raw = 0
        self.parts: list[bytes] = []
        self.size = 0
        codings = [c.strip() for c in encoding.lower().split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if len(codings) > 1 or (codings and codings[0] not in DECODERS):
            raise BadData(f"{endpoint}: bad data (unsupported encoding)")
        self._decoder = zlib.decompressobj(DECODERS[codings[0]]) if codings else None

    def feed(self, chunk: bytes) -> None:
        self.raw += len(chunk)
        if self.raw > self.limit:
            raise self._too_large()
        if self._decoder is None:
            self._keep(chunk)
            return
        data = chunk
        while data:
            try:
                out = self._decoder.decompress(data, self.limit - self.size + 1)
            except zlib.error:
                raise BadData(f"{self.endpoint}: bad data (corrupt compression)") from None
            self._keep(out)
            data = self._decoder.unconsumed_tail
            if self._decoder.eof:
                break

    def body(self) -> bytes:
        if self._decoder is not None:
            try:
                self._keep(self._decoder.flush())
            except zlib.error:
                raise BadData(f"{self.endpoint}: bad data (corrupt compression)") from None
        return b"".join(self.parts)

    def _keep(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            raise self._too_large()
        if data:
            self.parts.append(data)

    def _too_large(self) -> BodyTooLarge:
        return BodyTooLarge(f"{self.endpoint}: answer over {self.limit // 1024} KiB, refused")


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
        max_body: int = MAX_BODY,
    ) -> None:
        headers = {
            "User-Agent": f"hedgeflow-tui/{__version__}",
            "Accept": "application/json",
            "Accept-Encoding": "gzip, deflate",  # the two this client decodes itself, bounded
        }
        if api_key:
            headers["X-Api-Key"] = api_key
        self._secret = api_key
        self.timeout = timeout
        self.max_body = max_body
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
        self, symbol: str, side: Side, bar: str, minutes: int | None = None
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

    async def strike_flow(self, symbol: str, minutes: int | None = None) -> StrikeFlowResponse:
        """Per-strike flow at 1m bars (the only size the endpoint serves); Alpha plan."""
        params: dict[str, Any] = {"symbol": symbol, "bar": "1m"}
        if minutes is not None:
            params["minutes"] = minutes
        path = STRIKE_FLOW_PATH.format(symbol=symbol)
        return await self._fetch("strike-flow", path, params, parse_strike_flow)

    async def account(self) -> Account:
        return await self._fetch("account", ACCOUNT_PATH, {}, parse_account)

    # --- plumbing -----------------------------------------------------------------------------

    async def _fetch(
        self, endpoint: Endpoint, path: str, params: dict[str, Any], parser: Callable[[Any], Any]
    ) -> Any:
        """GET, parse, and hand the answer to the observer only once it parsed."""
        body = await self._get(endpoint, path, params)
        try:
            parsed = parser(body)
        except DataError as error:
            reason = safe_text(error.reason, 80, secrets=(self._secret,))
            raise BadData(f"{endpoint}: bad data: {reason}") from None
        except (RecursionError, OverflowError, ValueError, TypeError):
            raise BadData(f"{endpoint}: bad data (unreadable values)") from None
        if "symbol" in params:
            _check_echo(endpoint, params, parsed)
        if self.observer is not None:
            result = self.observer(Exchange(endpoint, params, datetime.now(UTC), body))
            if result is not None:
                await result
        return parsed

    async def _get(self, endpoint: Endpoint, path: str, params: dict[str, Any]) -> Any:
        """One request, all of it (connect, headers, body) within `timeout`; the path's symbol is
        sent in the path, never twice."""
        query = {k: v for k, v in params.items() if k != "symbol"}
        self.requests_sent += 1
        try:
            async with asyncio.timeout(self.timeout):
                status, headers, content = await self._read(endpoint, path, query)
        except TimeoutError:
            raise RequestTimeout(f"{endpoint}: timed out after {self.timeout:g}s") from None
        except httpx.TimeoutException:
            raise RequestTimeout(f"{endpoint}: timed out") from None
        except httpx.TransportError as error:
            raise ConnectionFailed(f"{endpoint}: cannot connect ({type(error).__name__})") from None
        except (httpx.HTTPError, httpx.InvalidURL) as error:  # e.g. a malformed redirect URL
            raise ServerError(f"{endpoint}: bad answer ({type(error).__name__})") from None
        self._read_rate_limit(headers)
        if status != 200:
            raise self._error(endpoint, status, headers, content, params.get("symbol"))
        try:
            return json.loads(content)
        except (ValueError, RecursionError):
            kind = "HTML" if content.lstrip()[:1] == b"<" else "not JSON"
            raise BadData(f"{endpoint}: bad data ({kind})") from None

    async def _read(
        self, endpoint: Endpoint, path: str, query: dict[str, Any]
    ) -> tuple[int, httpx.Headers, bytes]:
        """Stream the answer under the body caps; the connection is dropped past a cap."""
        async with self._http.stream("GET", path, params=query) as response:
            length = _header_int(response.headers.get("Content-Length"))
            reader = _BodyReader(
                endpoint, response.headers.get("Content-Encoding", ""), self.max_body
            )
            if length is not None and length > self.max_body:
                raise reader._too_large()
            try:
                async for chunk in response.aiter_raw():
                    reader.feed(chunk)
            finally:
                self.bytes_received += reader.raw
            return response.status_code, response.headers, reader.body()

    def _read_rate_limit(self, headers: httpx.Headers) -> None:
        if "X-RateLimit-Limit" not in headers and "X-RateLimit-Remaining" not in headers:
            return
        remaining = _header_int(headers.get("X-RateLimit-Remaining"))
        limit = _header_int(headers.get("X-RateLimit-Limit"))
        self.rate_limit = RateLimit(
            limit=max(0, limit) if limit is not None else None,
            remaining=max(0, remaining) if remaining is not None else None,
            reset_at=_timestamp(_header_int(headers.get("X-RateLimit-Reset"))),
        )

    def _error(
        self,
        endpoint: Endpoint,
        status: int,
        headers: httpx.Headers,
        content: bytes,
        symbol: str | None,
    ) -> ApiError:
        try:
            body = json.loads(content)
        except (ValueError, RecursionError):
            body = None
        secret = self._secret
        if status == 400:
            return BadRequest(
                f"bad request: {_message(body, 'the server refused the query', secret)}"
            )
        if status == 401:
            return BadKey(f"bad API key: {_message(body, 'unauthorized', secret)}")
        refused = isinstance(body, dict) and body.get("error") == "tier_restricted"
        if status == 403 and not refused:
            # only FlashAlpha's own refusal says the plan is too low: any other 403 (a proxy's
            # HTML page, a firewall) is server trouble, retried
            kind = "HTML" if content.lstrip()[:1] == b"<" else "no plan refusal"
            return ServerError(f"{endpoint}: forbidden (403, {kind})")
        if status == 403:
            body = body if isinstance(body, dict) else {}
            current, required = (
                safe_text(body[k], 20, secrets=(secret,)) if isinstance(body.get(k), str) else None
                for k in ("current_plan", "required_plan")
            )
            needs = f" (plan {current}, needs {required})" if current and required else ""
            return PlanTooLow(f"plan too low{needs}", current, required)
        if status == 404:
            return SymbolNotFound(f"no 0DTE data for {symbol or endpoint}")
        if status == 429:
            return self._rate_limited(headers, body)
        if status >= 500:
            return ServerError(f"{endpoint}: server error {status}")
        return ServerError(f"{endpoint}: unexpected status {status}")

    def _rate_limited(self, headers: httpx.Headers, body: Any) -> RateLimited:
        """A 429: how long to wait (capped, and said so) and, when the day's quota is spent,
        when it resets: from the rate-limit headers, or without them from the body
        (`"error": "Quota exceeded"`, `reset_at`), as FlashAlpha documents it."""
        wait, asked = _retry_after(headers.get("Retry-After"))
        rate = self.rate_limit
        reset_at = rate.reset_at if rate is not None else None
        said = body if isinstance(body, dict) else {}
        said_quota = said.get("error") == "Quota exceeded"
        said_reset = _body_time(said.get("reset_at"))
        if said_reset is not None:
            reset_at = said_reset
        parts = ["rate limited"]
        exhausted = said_quota or (rate is not None and rate.remaining == 0)
        if exhausted and wait is None and reset_at is not None:
            until = (reset_at - datetime.now(UTC)).total_seconds()
            wait = max(0.0, min(MAX_SERVER_WAIT, until))
        if exhausted:
            parts = ["daily quota used up"]
            if reset_at is not None:
                parts.append(f"resets {reset_at:%Y-%m-%d %H:%M} UTC")
        if asked is not None:
            parts.append(
                f"server asked to wait {_duration(asked)}, capped at {_duration(MAX_SERVER_WAIT)}"
            )
        return RateLimited(", ".join(parts), wait, reset_at, quota_exhausted=exhausted)
