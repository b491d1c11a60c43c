"""The reactive state: every answer merged per symbol and bar size, `all` derived, observers told.

Plain Python: no Textual, no HTTP. (Skeleton: the implementation is being written.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Callable, Iterable

from hedgeflow_tui.model import Response


@dataclass(frozen=True, slots=True)
class Row:
    """One bucket as the screens and headless lines show it. None = not known (never 0)."""

    t: datetime
    calls: float | None
    puts: float | None
    all: float | None
    cum_calls: float | None
    cum_puts: float | None
    cum_all: float | None
    spot: float | None


@dataclass(frozen=True, slots=True)
class Regime:
    """The latest regime metrics from the series endpoint."""

    t: datetime
    spot: float | None
    gamma_flip: float | None
    call_wall: float | None
    put_wall: float | None
    net_gex: float | None
    regime: str | None


@dataclass(frozen=True, slots=True)
class Change:
    """What one `Store.apply` changed."""

    symbol: str
    bar_size: str
    rows: tuple[Row, ...]  # new or revised rows, ascending by t
    new_session: bool  # a new expiration replaced the previous session's data
    no_session: bool  # the source answered with empty bars: no 0DTE session now


Observer = Callable[[Change], None]
