"""The stylized facts of simulated sessions, measured on 1-minute bars the way the calibration
bench (bench/research/calibration.py) and the model's tests read them; squeezes are the
outcome-labelled truth (sim/truth.py) and the observable fingerprint (analysis/fingerprint.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hedgeflow_tui.analysis.fingerprint import observed_squeezes
from hedgeflow_tui.sim.market import LATE_SAMPLES, SessionPath
from hedgeflow_tui.sim.rows import rows_at
from hedgeflow_tui.sim.truth import Stretch, stretches


@dataclass
class Minutes:
    """One session on 1-minute bars."""

    returns: np.ndarray  # log-return of each minute (the first from the opening sample)
    flow: np.ndarray  # hedge flow of each minute, delta-dollars
    gex: np.ndarray  # dealers' net GEX at each minute's end
    squeeze: np.ndarray  # the minute lies (partly) in a squeeze (the outcome-labelled truth)
    calm: np.ndarray  # the minute lies wholly in the calm regime and in no squeeze
    contracts: np.ndarray
    sold: np.ndarray


def minutes(path: SessionPath, labelled: list[Stretch]) -> Minutes:
    spot = path.spot[1::2]
    in_squeeze = np.zeros(path.samples, dtype=bool)
    for stretch in labelled:
        if stretch.kind == "squeeze":
            in_squeeze[stretch.first : stretch.last + 1] = True
    squeeze = in_squeeze.reshape(-1, 2)
    calm = (np.array([r == "calm" for r in path.regime]) & ~in_squeeze).reshape(-1, 2)
    return Minutes(
        returns=np.diff(np.log(spot), prepend=np.log(path.spot[0])),
        flow=(path.calls + path.puts).reshape(-1, 2).sum(axis=1),
        gex=path.net_gex[1::2],
        squeeze=np.asarray(squeeze.any(axis=1)),
        calm=np.asarray(calm.all(axis=1)),
        contracts=path.contracts.reshape(-1, 2).sum(axis=1),
        sold=path.sold.reshape(-1, 2).sum(axis=1),
    )


@dataclass
class Facts:
    """Figures pooled over many sessions of one symbol."""

    sessions: int = 0
    contracts: list[float] = field(default_factory=list)  # per session
    sold: float = 0.0
    traded: float = 0.0
    gex_samples: list[np.ndarray] = field(default_factory=list)
    calm_sd: list[float] = field(default_factory=list)  # per session, bp
    max_calm_move: float = 0.0  # largest |1m return| outside squeezes
    flows: list[np.ndarray] = field(default_factory=list)
    returns: list[np.ndarray] = field(default_factory=list)
    gex_minutes: list[np.ndarray] = field(default_factory=list)
    episodes: list[int] = field(default_factory=list)  # squeezes per session
    absorbed: list[int] = field(default_factory=list)  # absorbed chases per session
    observed: list[int] = field(default_factory=list)  # observable squeezes (1m fingerprint)
    late: int = 0  # squeezes starting in the last 90 minutes
    durations: list[float] = field(default_factory=list)  # minutes
    moves: list[float] = field(default_factory=list)  # price move of each squeeze, bp
    open_to_close: list[float] = field(default_factory=list)  # per session, log
    ranges: list[float] = field(default_factory=list)  # high-low over low, per session
    squeeze_gex: list[np.ndarray] = field(default_factory=list)
    pairs_long: list[np.ndarray] = field(default_factory=list)  # (r_t, r_t+1), long gamma at t
    pairs_short: list[np.ndarray] = field(default_factory=list)
    profile: list[np.ndarray] = field(default_factory=list)  # contracts per minute, per session
    day_and_last: list[tuple[float, float]] = field(default_factory=list)
    daily_var: list[float] = field(default_factory=list)

    def add(self, path: SessionPath) -> None:
        labelled = stretches(path)
        m = minutes(path, labelled)
        self.sessions += 1
        self.contracts.append(float(m.contracts.sum()))
        self.sold += float(m.sold.sum())
        self.traded += float(m.contracts.sum())
        self.gex_samples.append(path.net_gex)
        self.calm_sd.append(float(np.std(m.returns[1:][m.calm[1:]])) * 1e4)
        outside = np.abs(m.returns[1:][~m.squeeze[1:]])
        self.max_calm_move = max(self.max_calm_move, float(outside.max(initial=0.0)))
        self.flows.append(m.flow[1:])
        self.returns.append(m.returns[1:])
        self.gex_minutes.append(m.gex[1:])
        squeezes = [x for x in labelled if x.kind == "squeeze"]
        self.episodes.append(len(squeezes))
        self.absorbed.append(len(labelled) - len(squeezes))
        self.observed.append(len(observed_squeezes(rows_at(path, 60))))
        for squeeze in squeezes:
            self.durations.append((squeeze.last - squeeze.first + 1) / 2)
            self.moves.append(squeeze.move_bp)
            self.late += squeeze.first >= path.samples - LATE_SAMPLES
        self.open_to_close.append(float(np.log(path.spot[-1] / path.spot[0])))
        self.ranges.append(float(path.spot.max() / path.spot.min() - 1))
        self.squeeze_gex.append(m.gex[m.squeeze])
        pairs = np.column_stack([m.returns[1:-1], m.returns[2:]])
        sign = np.sign(m.gex[1:-1])
        self.pairs_long.append(pairs[sign > 0])
        self.pairs_short.append(pairs[sign < 0])
        self.profile.append(m.contracts / m.contracts.mean())
        last_half_hour = len(m.returns) - 30
        self.day_and_last.append(
            (float(m.returns[:last_half_hour].sum()), float(m.returns[last_half_hour:].sum()))
        )
        self.daily_var.append(float((m.returns[1:] ** 2).sum()))

    # --- pooled figures -------------------------------------------------------------------
    def positive_gex_share(self) -> float:
        return float(np.mean(np.concatenate(self.gex_samples) > 0))

    def selling_share(self) -> float:
        return self.sold / self.traded

    def flow_r2(self) -> float:
        flow, ret = np.concatenate(self.flows), np.concatenate(self.returns)
        return float(np.corrcoef(flow, ret)[0, 1] ** 2)

    def squeeze_short_share(self) -> float:
        gex = np.concatenate(self.squeeze_gex)
        return float(np.mean(gex < 0)) if len(gex) else 0.0

    @staticmethod
    def _autocorr(pairs: list[np.ndarray]) -> float:
        both = np.concatenate(pairs)
        return float(np.corrcoef(both[:, 0], both[:, 1])[0, 1]) if len(both) > 2 else 0.0

    def autocorr_long(self) -> float:
        return self._autocorr(self.pairs_long)

    def autocorr_short(self) -> float:
        return self._autocorr(self.pairs_short)

    def activity(self) -> dict[str, float]:
        """Customer contracts per minute relative to the session's mean, by part of the day."""
        minutes_ = min(len(p) for p in self.profile)
        mean = np.mean([p[:minutes_] for p in self.profile], axis=0)
        return {
            "first 30 min": float(mean[:30].mean()),
            "12:00-13:00": float(mean[150:210].mean()) if minutes_ >= 210 else float("nan"),
            "last 60 min": float(mean[-60:].mean()),
        }

    def intraday_momentum(self) -> float:
        """Correlation of the day's return up to the last half-hour with the last half-hour's."""
        pairs = np.array(self.day_and_last)
        return float(np.corrcoef(pairs[:, 0], pairs[:, 1])[0, 1])

    def intraday_momentum_interval(self, draws: int = 1000) -> tuple[float, float]:
        """95% bootstrap interval of intraday_momentum over sessions: one value a session, so
        over a few hundred sessions it is wide."""
        pairs = np.array(self.day_and_last)
        rng = np.random.default_rng(0)
        picks = rng.integers(0, len(pairs), (draws, len(pairs)))
        values = [np.corrcoef(pairs[pick, 0], pairs[pick, 1])[0, 1] for pick in picks]
        low, high = np.percentile(values, [2.5, 97.5])
        return float(low), float(high)

    def short_long_vol_ratio(self) -> float:
        """S.d. of 1m returns when dealers are short gamma over that when they are long."""
        ret, gex = np.concatenate(self.returns), np.concatenate(self.gex_minutes)
        return float(np.std(ret[gex < 0]) / np.std(ret[gex > 0]))

    def day_moves(self) -> tuple[float, float]:
        """Share of sessions whose |open-to-close| is within 0.5%, and beyond 1%."""
        moves = np.abs(np.array(self.open_to_close))
        return float(np.mean(moves <= 0.005)), float(np.mean(moves > 0.01))

    def annual_vol(self) -> float:
        return float(np.sqrt(np.mean(self.daily_var) * 252))
