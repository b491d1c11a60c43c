"""Pure squeeze / reversal / attribution detection over a session's rows.

(Skeleton: the implementation is being written.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class DetectorConfig:
    squeeze_bars: int = 5  # N: the run of same-signed bars that makes a squeeze
    noise_floor: float = 0.5  # each bar of the run must exceed this x the session's median |bar|
    confirm_with_price: bool = True  # CONFIRMED needs price moving the same way over the run


PLAIN_RULE = DetectorConfig(noise_floor=0.0, confirm_with_price=False)


@dataclass(frozen=True, slots=True)
class Attribution:
    calls: float  # delta-dollars from the call leg
    puts: float  # delta-dollars from the put leg
    call_share: float | None  # |calls| / (|calls| + |puts|), None when both are 0
    label: str  # "call-driven" | "put-driven" | "mixed" | "none"


@dataclass(frozen=True, slots=True)
class Signal:
    """The detector's reading of the latest bars."""

    state: str  # "quiet" | "building" | "confirmed"
    direction: str | None  # "up" (dealers buying) | "down" (dealers selling) | None
    bars: int  # length of the current same-signed run
    run_flow: float  # sum of `all` over the run, delta-dollars
    attribution: Attribution  # of the run
    price_move: float | None  # spot change over the run
    price_confirms: bool
    start: datetime | None  # first bucket of the run
    end: datetime | None  # last bucket of the run
    reversal: bool  # the last bar flipped sign after a run of at least N bars


@dataclass(frozen=True, slots=True)
class Alert:
    """One edge of an episode: never one per bar."""

    symbol: str
    kind: str  # "squeeze_building" | "squeeze_confirmed" | "squeeze_ended" | "reversal"
    direction: str  # "up" | "down"
    bars: int
    run_flow: float
    attribution: str  # attribution label of the run
    price_confirms: bool
    cum_all: float | None
    t: datetime  # bucket that triggered it
