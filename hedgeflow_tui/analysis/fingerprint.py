"""The squeeze fingerprint as anyone can see it in the public series (no simulator internals).

On 1-minute bars of a whole session (`net_gex`, `spot` and the hedge flow `all`, whose running
sum is `hedge_flow_cumulative_all`): a window of WINDOW bars is a squeeze window in direction d
when the dealers are short gamma (net GEX < 0) on at least SHORT_SHARE of its bars and both its
summed flow and its log return exceed LEVEL robust s.d. x sqrt(WINDOW) in d, the robust s.d.
being 1.4826 x the MAD of the session's own 1-minute values of that series. Overlapping or
touching windows of a direction merge into one observable squeeze: from the first bar of its
first window to the last bar of its last.

It reads the whole session (hindsight): it is a yardstick for alerts, not an alert.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from hedgeflow_tui.engine.store import Row

WINDOW = 10  # bars of 1 minute
SHORT_SHARE = 0.7
LEVEL = 2.5
MAD_SD = 1.4826  # s.d. per median absolute deviation, for normal noise


@dataclass(frozen=True)
class ObservedSqueeze:
    start: datetime  # first bar
    end: datetime  # last bar
    direction: str  # "up" | "down"
    flow_z: float  # the strongest window's summed flow in its direction, robust s.d. x sqrt(n)
    price_z: float  # its log return likewise


def robust_sd(values: np.ndarray) -> float:
    """1.4826 x the median absolute deviation (the s.d. of normal noise, blind to outliers)."""
    if len(values) == 0:
        return 0.0
    return MAD_SD * float(np.median(np.abs(values - np.median(values))))


def observed_squeezes(rows: Sequence[Row]) -> list[ObservedSqueeze]:
    """The observable squeezes of a session's 1-minute rows, oldest first. Bars without flow,
    spot or net GEX count as neither short gamma nor movement."""
    n = len(rows)
    if n < WINDOW + 1:
        return []
    flow = np.array([r.all if r.all is not None else 0.0 for r in rows])
    spot = np.array([r.spot if r.spot else np.nan for r in rows], dtype=float)
    log_spot = np.log(spot)
    returns = np.nan_to_num(np.diff(log_spot, prepend=log_spot[0]))
    short = np.array([r.net_gex is not None and r.net_gex < 0 for r in rows])
    scale = math.sqrt(WINDOW)
    flow_sd, return_sd = robust_sd(flow), robust_sd(returns[1:])
    if flow_sd <= 0 or return_sd <= 0:
        return []
    kernel = np.ones(WINDOW)
    flow_sum = np.convolve(flow, kernel, "valid")  # window i: bars i..i+WINDOW-1
    move = np.convolve(returns, kernel, "valid")
    short_bars = np.convolve(short.astype(float), kernel, "valid")
    flow_z, price_z = flow_sum / (flow_sd * scale), move / (return_sd * scale)
    found: list[ObservedSqueeze] = []
    for direction, sign in (("up", 1.0), ("down", -1.0)):
        hits = np.nonzero(
            (short_bars >= SHORT_SHARE * WINDOW)
            & (sign * flow_z > LEVEL)
            & (sign * price_z > LEVEL)
        )[0]
        groups: list[list[int]] = []
        for first in hits.tolist():
            if groups and first <= groups[-1][-1] + WINDOW:  # overlapping or touching
                groups[-1].append(first)
            else:
                groups.append([first])
        for group in groups:
            best = max(group, key=lambda i: min(sign * flow_z[i], sign * price_z[i]))
            found.append(
                ObservedSqueeze(
                    start=rows[group[0]].t,
                    end=rows[group[-1] + WINDOW - 1].t,
                    direction=direction,
                    flow_z=round(float(sign * flow_z[best]), 2),
                    price_z=round(float(sign * price_z[best]), 2),
                )
            )
    return sorted(found, key=lambda s: (s.start, s.direction))
