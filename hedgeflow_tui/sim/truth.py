"""The simulator's ground truth, labelled by outcome from the model's exact state.

A squeeze in direction d (+1 up, -1 down) is a maximal stretch of 30 s samples where
- the dealers are net short gamma (net GEX < 0) on at least SHORT_SHARE of its samples,
- their summed hedge flow in d is at least LEVEL calm s.d. x sqrt(n) (the calm s.d.: of the
  session's per-sample flow in the calm regime),
- the price move in d is at least LEVEL s.d. x sqrt(n) of the random walk over those samples
  (its intraday volatility shape included: SessionPath.step_variance),
- n >= MIN_SAMPLES.
Every window passing the test is marked; overlapping marks of a direction merge. A stretch ends
at its price extreme and starts where flow and price both begin to stay in d (after the later
of their last lows before the extreme). Every such stretch is labelled, chase or not. A chase of
the plan that overlaps no squeeze of its direction is an absorbed chase.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from hedgeflow_tui.sim.market import SAMPLE_SECONDS, SQUEEZE_REGIMES, SessionPath

SHORT_SHARE = 0.7
LEVEL = 2.0
MIN_SAMPLES = 6
LONGEST = 240  # samples (2 hours): longer stretches are unions of windows up to this length


@dataclass(frozen=True)
class Stretch:
    """A labelled stretch, in samples [first, last] (inclusive)."""

    first: int
    last: int
    direction: str  # "up" | "down"
    kind: str  # "squeeze" | "absorbed_chase"
    move_bp: float  # price move in its direction, basis points
    flow_z: float  # summed flow in its direction, in calm s.d. x sqrt(n)
    price_z: float  # price move in its direction, in random-walk s.d. x sqrt(n)


@dataclass(frozen=True)
class Episode:
    """A labelled stretch in buckets of a bar size, as the truth route serves it."""

    start: datetime  # first bucket
    end: datetime  # last bucket
    direction: str
    kind: str
    move_bp: float
    flow_z: float
    price_z: float


class _Sums:
    """Running sums of one session up to a sample, for the test over any window."""

    def __init__(self, path: SessionPath, upto: int) -> None:
        flow = (path.calls + path.puts)[:upto]
        calm = np.array([r == "calm" for r in path.regime[:upto]])
        reference = flow[calm] if calm.sum() >= 20 else flow
        self.flow_sd = max(float(np.std(reference)) if len(reference) else 0.0, 1.0)
        log_spot = np.log(path.spot[:upto])
        # the price before sample i: the close of sample i - 1 (the first sample's own close)
        self.before = np.concatenate([log_spot[:1], log_spot])
        self.flow = np.concatenate([[0.0], np.cumsum(flow)])
        self.variance = np.concatenate([[0.0], np.cumsum(path.step_variance()[:upto])])
        self.short = np.concatenate([[0], np.cumsum(path.net_gex[:upto] < 0)])
        self.samples = upto

    def scores(self, first: int, last: int, sign: int) -> tuple[float, float, float, float]:
        """Over samples first..last: short-gamma share, flow z, price z, move (log)."""
        n = last - first + 1
        move = sign * (self.before[last + 1] - self.before[first])
        flow = sign * (self.flow[last + 1] - self.flow[first])
        noise = math.sqrt(max(self.variance[last + 1] - self.variance[first], 1e-18))
        share = (self.short[last + 1] - self.short[first]) / n
        return share, flow / (self.flow_sd * math.sqrt(n)), move / noise, move

    def passes(self, first: int, last: int, sign: int) -> bool:
        share, flow_z, price_z, _ = self.scores(first, last, sign)
        n = last - first + 1
        return n >= MIN_SAMPLES and share >= SHORT_SHARE and min(flow_z, price_z) >= LEVEL

    def marked(self, sign: int) -> np.ndarray:
        """Samples covered by a passing window of direction `sign` (vectorised per length)."""
        n_all = self.samples
        cover = np.zeros(n_all + 1, dtype=int)
        for n in range(MIN_SAMPLES, min(LONGEST, n_all) + 1):
            first = np.arange(0, n_all - n + 1)
            end = first + n
            move = sign * (self.before[end] - self.before[first])
            flow = sign * (self.flow[end] - self.flow[first])
            noise = np.sqrt(np.maximum(self.variance[end] - self.variance[first], 1e-18))
            share = (self.short[end] - self.short[first]) / n
            ok = (
                (share >= SHORT_SHARE)
                & (flow >= LEVEL * self.flow_sd * math.sqrt(n))
                & (move >= LEVEL * noise)
            )
            np.add.at(cover, first[ok], 1)
            np.add.at(cover, end[ok], -1)
        return np.cumsum(cover)[:n_all] > 0


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """The [first, last] of each run of True."""
    edges = np.diff(np.concatenate([[0], mask.astype(int), [0]]))
    return list(zip(np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0] - 1, strict=True))


def _trim(sums: _Sums, first: int, last: int, sign: int) -> tuple[int, int]:
    """The stretch within first..last: to the price extreme, from where flow and price both
    stay in its direction; the marked bounds where the trimmed stretch fails the test."""
    end = first + int(np.argmax(sign * sums.before[first + 1 : last + 2]))
    low_price = first + int(np.argmin(sign * sums.before[first : end + 1]))
    low_flow = first + int(np.argmin(sign * sums.flow[first : end + 1]))
    start = max(low_price, low_flow)
    for a, b in ((start, end), (first, end)):
        if b - a + 1 >= MIN_SAMPLES and sums.passes(a, b, sign):
            return a, b
    for n in range(last - first + 1, MIN_SAMPLES - 1, -1):  # the longest window that passes
        for a in range(first, last - n + 2):
            if sums.passes(a, a + n - 1, sign):
                return a, a + n - 1
    return first, last  # not reached: the marks are passing windows


def _stretch(sums: _Sums, first: int, last: int, direction: str, kind: str) -> Stretch:
    sign = 1 if direction == "up" else -1
    _, flow_z, price_z, move = sums.scores(first, last, sign)
    return Stretch(
        first,
        last,
        direction,
        kind,
        round(float(move) * 1e4, 1),
        round(float(flow_z), 2),
        round(float(price_z), 2),
    )


def stretches(path: SessionPath, upto: int | None = None) -> list[Stretch]:
    """The squeezes and absorbed chases among samples before `upto` (default: all), by start."""
    upto = path.samples if upto is None else min(upto, path.samples)
    if upto < MIN_SAMPLES:
        return []
    sums = _Sums(path, upto)
    found: list[Stretch] = []
    for direction, sign in (("up", 1), ("down", -1)):
        for first, last in _runs(sums.marked(sign)):
            a, b = _trim(sums, int(first), int(last), sign)
            found.append(_stretch(sums, a, b, direction, "squeeze"))
    for first, last, direction in _chases(path, upto):
        if not any(s.direction == direction and s.first <= last and first <= s.last for s in found):
            found.append(_stretch(sums, first, last, direction, "absorbed_chase"))
    return sorted(found, key=lambda s: (s.first, s.direction))


def _chases(path: SessionPath, upto: int) -> list[tuple[int, int, str]]:
    """The plan's chases begun before `upto`, cut there: (first, last, direction)."""
    found: list[tuple[int, int, str]] = []
    for i, regime in enumerate(path.regime[:upto]):
        if regime not in SQUEEZE_REGIMES:
            continue
        if found and found[-1][1] == i - 1 and path.regime[i - 1] == regime:
            found[-1] = (found[-1][0], i, found[-1][2])
        else:
            found.append((i, i, SQUEEZE_REGIMES[regime]))
    return found


def episodes(
    path: SessionPath, bar_seconds: int = SAMPLE_SECONDS, upto: int | None = None
) -> list[Episode]:
    """The labelled stretches before sample `upto`, in buckets of `bar_seconds`."""

    def bucket(sample: int) -> datetime:
        seconds = sample * SAMPLE_SECONDS // bar_seconds * bar_seconds
        return path.open + timedelta(seconds=seconds)

    return [
        Episode(
            bucket(s.first), bucket(s.last), s.direction, s.kind, s.move_bp, s.flow_z, s.price_z
        )
        for s in stretches(path, upto)
    ]
