"""The API's vocabulary as frozen dataclasses, and strict parsing of its JSON into them.

Parsing tolerates schema drift (unknown fields are ignored) but refuses broken data: wrong
types, NaN, unparseable or non-UTC-convertible times, bars out of order. A refusal is a
`DataError` carrying a short reason, never a raw exception from deep inside.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal, TypeGuard, get_args, overload

from hedgeflow_tui.api.safe_text import safe_text
from hedgeflow_tui.market.bars import BAR_SECONDS

Side = Literal["all", "calls", "puts"]  # which leg a hedge-flow answer is for
SIDES: tuple[Side, ...] = get_args(Side)
Leg = Literal["calls", "puts"]  # the legs the store keeps (`all` is always calls + puts)
LEGS: tuple[Leg, ...] = get_args(Leg)
Endpoint = Literal["hedge-flow", "series", "account", "strike-flow"]  # as recorded
ENDPOINTS: tuple[Endpoint, ...] = get_args(Endpoint)
MAX_ABS_VALUE = 1e15  # delta-dollars or prices beyond this are broken data, not a market
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100  # times outside are broken data
FLOW_FEED = "flow_feed"  # the feed behind the hedge-flow figures, a key of `data_as_of`
INDEX_SYMBOLS = frozenset({"SPX", "SPXW", "XSP", "NDX", "NDXP", "RUT", "VIX", "DJX"})


class DataError(ValueError):
    """An answer that arrived but cannot be trusted: `reason` says why in a few words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class FlowBar:
    """One bucket of hedge flow. `bar`/`cumulative` are None when the API sent null."""

    t: datetime
    bar: float | None
    cumulative: float | None


@dataclass(frozen=True, slots=True)
class HedgeFlowResponse:
    symbol: str
    expiration: date | None
    as_of: datetime
    side: Side
    bar_size: str
    bars: tuple[FlowBar, ...]
    data_as_of: datetime | None = None  # the feeds' last delivery (see `feed_time`); None: unsaid


@dataclass(frozen=True, slots=True)
class SeriesExtras:
    """The series' regime metrics beyond those charted, each None when null or absent."""

    magnet: float | None = None  # the strike price is drawn to
    pin_score: float | None = None
    pin_probability_pct: float | None = None
    charm_dollars_per_hour: float | None = None
    net_dex: float | None = None  # dealers' net delta exposure, dollars
    atm_iv: float | None = None
    gamma_flip_status: str | None = None  # where spot is against the flip, in the API's words


EXTRA_FIELDS = tuple(SeriesExtras.__slots__)
NO_EXTRAS = SeriesExtras()


@dataclass(frozen=True, slots=True)
class SeriesBar:
    """One bucket of the regime series; every metric may be missing."""

    t: datetime
    spot: float | None = None
    net_gex: float | None = None
    gamma_flip: float | None = None
    call_wall: float | None = None
    put_wall: float | None = None
    regime: str | None = None
    cum_calls: float | None = None  # hedge_flow_call_cumulative
    cum_puts: float | None = None  # hedge_flow_put_cumulative
    cum_all: float | None = None  # hedge_flow_cumulative_all
    extras: SeriesExtras = NO_EXTRAS


@dataclass(frozen=True, slots=True)
class SeriesResponse:
    symbol: str
    expiration: date | None
    as_of: datetime
    bar_size: str
    bars: tuple[SeriesBar, ...]
    data_as_of: datetime | None = None  # the feeds' last delivery (see `feed_time`); None: unsaid


@dataclass(frozen=True, slots=True)
class StrikeBar:
    """One 1m bar of per-strike flow (Alpha): per-bar increments, aligned with the answer's
    `strikes`. None where the API sent null."""

    t: datetime
    spot: float | None
    delta: tuple[float | None, ...]  # signed delta-dollars per strike
    gamma: tuple[float | None, ...]  # signed gamma-dollars per strike
    contracts: tuple[float | None, ...]


@dataclass(frozen=True, slots=True)
class StrikeFlowResponse:
    symbol: str
    expiration: date | None
    as_of: datetime
    bar_size: str
    strikes: tuple[float, ...]  # `strikes_grid`, ascending
    bars: tuple[StrikeBar, ...]
    data_as_of: datetime | None = None


@dataclass(frozen=True, slots=True)
class Account:
    plan: str
    daily_limit: int | None  # None = unlimited
    remaining: int | None  # None = unlimited
    usage_today: int
    resets_at: datetime | None


@dataclass(frozen=True, slots=True)
class RateLimit:
    """The quota headers of the last authenticated answer. None = unlimited or not sent."""

    limit: int | None
    remaining: int | None
    reset_at: datetime | None


Response = HedgeFlowResponse | SeriesResponse | StrikeFlowResponse


@overload
def iso(t: datetime) -> str: ...
@overload
def iso(t: None) -> None: ...
def iso(t: datetime | None) -> str | None:
    """The API's time format (ISO 8601 UTC with a Z, whole seconds); None stays None."""
    return _iso(t) if t is not None else None


@functools.lru_cache(maxsize=4096)
def _iso(t: datetime) -> str:
    """Cached: a bucket's time is written on every line that revises it."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- parsing helpers -------------------------------------------------------------------------


def _require(obj: Mapping[str, Any], key: str) -> Any:
    if key not in obj:
        raise DataError(f"missing field '{key}'")
    return obj[key]


def _object(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise DataError(f"{what} is not a JSON object")
    return value


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise DataError(f"'{what}' is not a non-empty string")
    return value


def parse_time(value: Any, what: str = "t") -> datetime:
    """An ISO 8601 time with an offset (or Z), as an aware UTC datetime."""
    if not isinstance(value, str):
        raise DataError(f"'{what}' is not a time string")
    parsed = _utc_time(value[:64])
    if isinstance(parsed, str):
        raise DataError(f"'{what}' {parsed}: {value[:40]!r}")
    return parsed


@functools.lru_cache(maxsize=4096)
def _utc_time(value: str) -> datetime | str:
    """The time, or why it is not one. Cached: each bucket's time comes in answer after answer
    (overlapping windows, both legs, the series), and a replay reads them all."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return "is not an ISO time"
    if parsed.tzinfo is None:
        return "has no UTC offset"
    if not EARLIEST_YEAR <= parsed.year <= LATEST_YEAR:
        return "is out of range"
    return parsed.astimezone(UTC)


def _date(value: Any, what: str) -> date | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise DataError(f"'{what}' is not a date string")
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise DataError(f"'{what}' is not a date: {value[:20]!r}") from None


def _number(value: Any, what: str) -> float | None:
    """A finite JSON number, or None for null. Booleans and strings are refused."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DataError(f"'{what}' is not a number")
    number = float(value)
    if not math.isfinite(number):
        raise DataError(f"'{what}' is not finite")
    if abs(number) > MAX_ABS_VALUE:
        raise DataError(f"'{what}' is out of range")
    return number


def _field(obj: Mapping[str, Any], key: str) -> float | None:
    """A numeric field that may be absent or null (both: unknown)."""
    return _number(obj.get(key), key)


def _bars(obj: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    bars = _require(obj, "bars")
    if not isinstance(bars, list):
        raise DataError("'bars' is not a list")
    return [_object(b, "a bar") for b in bars]


def _ascending(times: list[datetime]) -> None:
    for earlier, later in itertools.pairwise(times):
        if later <= earlier:
            raise DataError("bars are not in ascending time order")


def _bar_size(obj: Mapping[str, Any]) -> str:
    size = _require(obj, "bar_size")
    if size not in BAR_SECONDS:
        raise DataError(f"unknown bar_size {str(size)[:10]!r}")
    return size


def options_feed(symbol: str) -> str:
    """The `data_as_of` key of the options feed a symbol's figures rest on."""
    index = symbol.upper().lstrip("^") in INDEX_SYMBOLS
    return "index_options_feed" if index else "equity_options_feed"


def feed_time(obj: Mapping[str, Any], symbol: str, as_of: datetime) -> datetime | None:
    """When the feeds behind this answer last delivered, from its `data_as_of`: the older of the
    symbol's own options feed and the flow feed, never later than the answer's `as_of`. As
    FlashAlpha documents it, this is a delivery time (about now while the session is on), not
    the end of the newest sample: it says whether upstream is live, never whether a bucket is
    published (the bars say that). None when the answer does not say: a feed time that is
    missing or cannot be read counts as unsaid (metadata never costs the answer its bars)."""
    feeds = obj.get("data_as_of")
    if not isinstance(feeds, Mapping):
        return None
    times = []
    for feed in (options_feed(symbol), FLOW_FEED):
        try:
            times.append(parse_time(feeds.get(feed), feed))
        except DataError:
            continue
    return min([*times, as_of]) if times else None


# --- public parsers --------------------------------------------------------------------------


def flip_status(value: object) -> str | None:
    """`gamma_flip_status` as kept and shown: clean, bounded text; None when absent or not text."""
    return (safe_text(value, 24) or None) if isinstance(value, str) else None


def _extras(raw: Mapping[str, Any]) -> SeriesExtras:
    if not any(raw.get(name) is not None for name in EXTRA_FIELDS):
        return NO_EXTRAS
    return SeriesExtras(
        magnet=_field(raw, "magnet"),
        pin_score=_field(raw, "pin_score"),
        pin_probability_pct=_field(raw, "pin_probability_pct"),
        charm_dollars_per_hour=_field(raw, "charm_dollars_per_hour"),
        net_dex=_field(raw, "net_dex"),
        atm_iv=_field(raw, "atm_iv"),
        gamma_flip_status=flip_status(raw.get("gamma_flip_status")),
    )


def is_side(value: object) -> TypeGuard[Side]:
    """Whether `value` (from JSON or a query string) names a side."""
    return value in SIDES


def is_endpoint(value: object) -> TypeGuard[Endpoint]:
    """Whether `value` (from a recording) names one of the API's endpoints."""
    return value in ENDPOINTS


def parse_hedge_flow(payload: Any) -> HedgeFlowResponse:
    obj = _object(payload, "hedge-flow answer")
    bars = []
    for raw in _bars(obj):
        bars.append(
            FlowBar(
                t=parse_time(_require(raw, "t")),
                bar=_number(raw.get("bar"), "bar"),
                cumulative=_number(raw.get("cumulative"), "cumulative"),
            )
        )
    _ascending([b.t for b in bars])
    side = _require(obj, "side")
    if not is_side(side):
        raise DataError(f"unknown side {str(side)[:10]!r}")
    as_of = parse_time(_require(obj, "as_of"), "as_of")
    symbol = _text(_require(obj, "symbol"), "symbol")
    return HedgeFlowResponse(
        symbol=symbol,
        expiration=_date(obj.get("expiration"), "expiration"),
        as_of=as_of,
        side=side,
        bar_size=_bar_size(obj),
        bars=tuple(bars),
        data_as_of=feed_time(obj, symbol, as_of),
    )


def parse_series(payload: Any) -> SeriesResponse:
    obj = _object(payload, "series answer")
    bars = []
    for raw in _bars(obj):
        regime = raw.get("regime")
        bars.append(
            SeriesBar(
                t=parse_time(_require(raw, "t")),
                spot=_number(raw.get("spot"), "spot"),
                net_gex=_number(raw.get("net_gex"), "net_gex"),
                gamma_flip=_number(raw.get("gamma_flip"), "gamma_flip"),
                call_wall=_number(raw.get("call_wall"), "call_wall"),
                put_wall=_number(raw.get("put_wall"), "put_wall"),
                regime=(safe_text(regime, 24) or None) if isinstance(regime, str) else None,
                cum_calls=_field(raw, "hedge_flow_call_cumulative"),
                cum_puts=_field(raw, "hedge_flow_put_cumulative"),
                cum_all=_field(raw, "hedge_flow_cumulative_all"),
                extras=_extras(raw),
            )
        )
    _ascending([b.t for b in bars])
    as_of = parse_time(_require(obj, "as_of"), "as_of")
    symbol = _text(_require(obj, "symbol"), "symbol")
    return SeriesResponse(
        symbol=symbol,
        expiration=_date(obj.get("expiration"), "expiration"),
        as_of=as_of,
        bar_size=_bar_size(obj),
        bars=tuple(bars),
        data_as_of=feed_time(obj, symbol, as_of),
    )


def _numbers(value: Any, what: str, count: int) -> tuple[float | None, ...]:
    """A list of `count` numbers (or nulls), index-aligned with the strikes."""
    if not isinstance(value, list):
        raise DataError(f"'{what}' is not a list")
    if len(value) != count:
        raise DataError(f"'{what}' has {len(value)} values for {count} strikes")
    return tuple(_number(v, what) for v in value)


def parse_strike_flow(payload: Any) -> StrikeFlowResponse:
    """`/v1/flow/zero-dte/strike-flow/{symbol}`: per strike and 1m bar, the signed delta-$,
    signed gamma-$ and contracts, each bar's arrays aligned with `strikes_grid`. No samples:
    empty grid and bars."""
    obj = _object(payload, "strike-flow answer")
    grid = _require(obj, "strikes_grid")
    if not isinstance(grid, list):
        raise DataError("'strikes_grid' is not a list")
    strikes: list[float] = []
    for value in grid:
        strike = _number(value, "strikes_grid")
        if strike is None or strike <= 0:
            raise DataError("'strikes_grid' holds a strike that is not a positive number")
        strikes.append(strike)
    if any(later <= earlier for earlier, later in itertools.pairwise(strikes)):
        raise DataError("'strikes_grid' is not in ascending order")
    bars = []
    for raw in _bars(obj):
        count = len(strikes)
        bars.append(
            StrikeBar(
                t=parse_time(_require(raw, "t")),
                spot=_number(raw.get("spot"), "spot"),
                delta=_numbers(
                    _require(raw, "signed_delta_dollars"), "signed_delta_dollars", count
                ),
                gamma=_numbers(
                    _require(raw, "signed_gamma_dollars"), "signed_gamma_dollars", count
                ),
                contracts=_numbers(_require(raw, "contracts"), "contracts", count),
            )
        )
    _ascending([b.t for b in bars])
    as_of = parse_time(_require(obj, "as_of"), "as_of")
    symbol = _text(_require(obj, "symbol"), "symbol")
    return StrikeFlowResponse(
        symbol=symbol,
        expiration=_date(obj.get("expiration"), "expiration"),
        as_of=as_of,
        bar_size=_bar_size(obj),
        strikes=tuple(strikes),
        bars=tuple(bars),
        data_as_of=feed_time(obj, symbol, as_of),
    )


def _limit(value: Any, what: str) -> int | None:
    """`daily_limit`/`remaining` arrive as numeric strings, numbers, or "unlimited"."""
    if value is None or value == "unlimited":
        return None
    if isinstance(value, bool):
        raise DataError(f"'{what}' is not a count")
    text = str(value)
    try:
        if len(text) > 18:
            raise ValueError
        count = int(text)
    except ValueError:
        raise DataError(f"'{what}' is not a count: {str(value)[:20]!r}") from None
    if count < 0:
        raise DataError(f"'{what}' is negative")
    return count


def parse_account(payload: Any) -> Account:
    obj = _object(payload, "account answer")
    usage = obj.get("usage_today", 0)
    if isinstance(usage, bool) or not isinstance(usage, int):
        raise DataError("'usage_today' is not an integer")
    resets = obj.get("resets_at")
    return Account(
        plan=_text(_require(obj, "plan"), "plan"),
        daily_limit=_limit(obj.get("daily_limit"), "daily_limit"),
        remaining=_limit(obj.get("remaining"), "remaining"),
        usage_today=usage,
        resets_at=parse_time(resets, "resets_at") if resets is not None else None,
    )
