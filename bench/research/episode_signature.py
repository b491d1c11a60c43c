"""Which squeeze episodes stand out from calm noise in what the API gives, whatever the detector.

An episode's *signature*, at a bar size, is how far it moved each series the API serves in its
own direction over its own bars: both legs' flow, its driving leg's flow (calls for an upside
chase, puts for a downside flush) and the underlying's price (log-return from the close before
it to its last close). Each is compared with what calm stretches of the same length reach:
every window of that many consecutive calm bars (no episode within CALM_GAP) of every scored
session, each series scaled by its session's own calm bar-to-bar size. An episode is *visible*
when one of its three moves exceeds the calm windows' LEVEL-th percentile of |move|.

This uses hindsight (the episode's bounds, the whole session's calm bars): it says which
episodes any detector reading those series could tell from calm flow, not how early.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import numpy as np

from hedgeflow_tui.engine.store import Row

CALM_GAP = timedelta(minutes=30)
LEVEL = 95.0  # percentile of calm windows' |move| an episode must exceed
MIN_WINDOWS = 20  # calm windows needed at a length; longer episodes use the longest such length
SERIES = ("all", "leg", "price")


class EpisodeLike(Protocol):
    @property
    def seed(self) -> int: ...
    @property
    def start(self) -> datetime: ...
    @property
    def end(self) -> datetime: ...
    @property
    def direction(self) -> str: ...


@dataclass
class _Scaled:
    """One session at one bar size: each series scaled by its calm size, and its calm bars."""

    all: np.ndarray
    calls: np.ndarray
    puts: np.ndarray
    price: np.ndarray  # log-returns, close to close
    calm: np.ndarray  # bool per bar


def _scaled(rows: Sequence[Row], episodes: Sequence[EpisodeLike], step: timedelta) -> _Scaled:
    def array(name: str) -> np.ndarray:
        return np.array([getattr(r, name) or 0.0 for r in rows], dtype=float)

    spot = np.log(np.array([r.spot or np.nan for r in rows], dtype=float))
    returns = np.nan_to_num(np.diff(spot, prepend=spot[0]))
    closes = [r.t + step for r in rows]
    calm = np.array(
        [not any(e.start - CALM_GAP < t <= e.end + CALM_GAP for e in episodes) for t in closes]
    )

    def scale(values: np.ndarray) -> np.ndarray:
        size = float(np.std(values[calm])) if calm.sum() > 2 else 0.0
        return values / size if size > 0 else values * 0.0

    return _Scaled(
        scale(array("all")), scale(array("calls")), scale(array("puts")), scale(returns), calm
    )


def _window_sums(values: np.ndarray, calm: np.ndarray, n: int) -> np.ndarray:
    """Sums of every n consecutive bars that are all calm."""
    if n > len(values):
        return np.empty(0)
    sums = np.convolve(values, np.ones(n), "valid")
    whole = np.convolve(calm.astype(float), np.ones(n), "valid") == n
    return sums[whole]


class CalmNoise:
    """The LEVEL-th percentile of calm windows' |move| per series and length, pooled."""

    def __init__(self, sessions: Sequence[_Scaled]) -> None:
        self._sessions = sessions
        self._levels: dict[tuple[str, int], float | None] = {}

    def level(self, series: str, n: int) -> float:
        while n > 1 and self._at(series, n) is None:
            n -= 1
        found = self._at(series, n)
        return found if found is not None else float("inf")

    def _at(self, series: str, n: int) -> float | None:
        key = (series, n)
        if key not in self._levels:
            sums = []
            for s in self._sessions:
                for values in (s.calls, s.puts) if series == "leg" else (getattr(s, series),):
                    sums.append(_window_sums(values, s.calm, n))
            pooled = np.abs(np.concatenate(sums)) if sums else np.empty(0)
            self._levels[key] = (
                float(np.percentile(pooled, LEVEL)) if len(pooled) >= MIN_WINDOWS else None
            )
        return self._levels[key]


def visible_episodes(
    sessions: Sequence[tuple[Sequence[Row], Sequence[EpisodeLike]]], bar_seconds: int
) -> dict[tuple[int, datetime], tuple[str, ...]]:
    """Per episode (seed, start): the series in which it exceeds calm noise (empty: none)."""
    step = timedelta(seconds=bar_seconds)
    scaled = [_scaled(rows, episodes, step) for rows, episodes in sessions]
    noise = CalmNoise(scaled)
    found: dict[tuple[int, datetime], tuple[str, ...]] = {}
    for (rows, episodes), s in zip(sessions, scaled, strict=True):
        if not rows:
            continue
        open_ = rows[0].t
        for e in episodes:
            first = int((e.start - open_) / step)
            last = int((e.end - timedelta(microseconds=1) - open_) / step)
            n = max(1, last - first + 1)
            sign = 1.0 if e.direction == "up" else -1.0
            leg = s.calls if e.direction == "up" else s.puts
            moves = {
                "all": sign * float(s.all[first : last + 1].sum()),
                "leg": sign * float(leg[first : last + 1].sum()),
                "price": sign * float(s.price[first : last + 1].sum()),
            }
            found[e.seed, e.start] = tuple(
                name for name in SERIES if moves[name] > noise.level(name, n)
            )
    return found
