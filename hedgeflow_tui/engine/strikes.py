"""The per-strike flow of each symbol (the Alpha plan's strike-flow answers), merged by bar: a
bar's values come from the answer with the latest `as_of` that holds it, so overlapping windows
and a revised last bar converge as the store's bars do. A newer expiration starts afresh. A
failed request is kept (`failed`, `failure`) until the next answer, so the ladder can say it.

`totals` sums the held bars per strike over a span (the session, or the current run): what the
strike ladder draws. Plain Python: no Textual, no HTTP."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from hedgeflow_tui.api.model import StrikeFlowResponse


@dataclass(frozen=True, slots=True)
class StrikeTotals:
    """Per strike, summed over the bars of a span (unknown values count as none)."""

    strikes: tuple[float, ...]  # ascending
    delta: tuple[float, ...]  # signed delta-dollars
    gamma: tuple[float, ...]  # signed gamma-dollars
    contracts: tuple[float, ...]
    bars: int  # bars summed
    spot: float | None  # the newest bar's spot


@dataclass
class _Held:
    expiration: date | None = None
    # bar start: (the answer's as_of, {strike: (delta, gamma, contracts)}, spot)
    bars: dict[datetime, tuple[datetime, dict[float, tuple[float, float, float]], float | None]] = (
        field(default_factory=dict)
    )


class StrikeBook:
    def __init__(self) -> None:
        self._symbols: dict[str, _Held] = {}
        self._versions: dict[str, int] = {}
        self._failures: dict[str, str] = {}

    def version(self, symbol: str) -> int:
        """Bumped by every answer or failure for `symbol`: whether what the ladder shows may
        have changed."""
        return self._versions.get(symbol, 0)

    def failed(self, symbol: str, reason: str) -> None:
        """A request for `symbol` failed (`reason`: one short line); the bars held stay."""
        self._failures[symbol] = reason
        self._versions[symbol] = self.version(symbol) + 1

    def failure(self, symbol: str) -> str | None:
        """Why the last request for `symbol` failed; None once an answer came after it."""
        return self._failures.get(symbol)

    def merge(self, response: StrikeFlowResponse) -> None:
        self._versions[response.symbol] = self.version(response.symbol) + 1
        self._failures.pop(response.symbol, None)
        held = self._symbols.get(response.symbol)
        newer = (
            held is not None
            and response.expiration is not None
            and held.expiration is not None
            and response.expiration > held.expiration
        )
        if held is None or newer:
            held = self._symbols[response.symbol] = _Held(response.expiration)
        if held.expiration is None:
            held.expiration = response.expiration
        elif response.expiration is not None and response.expiration < held.expiration:
            return  # an older session's answer
        for bar in response.bars:
            kept = held.bars.get(bar.t)
            if kept is not None and kept[0] > response.as_of:
                continue
            values = {
                strike: (delta or 0.0, gamma or 0.0, contracts or 0.0)
                for strike, delta, gamma, contracts in zip(
                    response.strikes, bar.delta, bar.gamma, bar.contracts, strict=True
                )
                if delta is not None or gamma is not None or contracts is not None
            }
            held.bars[bar.t] = (response.as_of, values, bar.spot)

    def has(self, symbol: str) -> bool:
        held = self._symbols.get(symbol)
        return held is not None and bool(held.bars)

    def totals(self, symbol: str, since: datetime | None = None) -> StrikeTotals | None:
        """The bars from `since` (all of them: None) summed per strike; None with none held."""
        held = self._symbols.get(symbol)
        if held is None or not held.bars:
            return None
        times = sorted(t for t in held.bars if since is None or t >= since)
        sums: dict[float, list[float]] = {}
        for t in times:
            for strike, values in held.bars[t][1].items():
                total = sums.setdefault(strike, [0.0, 0.0, 0.0])
                for i, value in enumerate(values):
                    total[i] += value
        strikes = tuple(sorted(sums))
        spot = held.bars[max(held.bars)][2]
        return StrikeTotals(
            strikes=strikes,
            delta=tuple(sums[s][0] for s in strikes),
            gamma=tuple(sums[s][1] for s in strikes),
            contracts=tuple(sums[s][2] for s in strikes),
            bars=len(times),
            spot=spot,
        )

    def bar_times(self, symbol: str) -> Iterable[datetime]:
        held = self._symbols.get(symbol)
        return sorted(held.bars) if held is not None else ()

    def clear(self) -> None:
        self._symbols.clear()
        self._failures.clear()
        self._versions = {symbol: version + 1 for symbol, version in self._versions.items()}
