"""The stylized facts of simulated sessions, measured on 1-minute bars the way the calibration
bench (bench/research/calibration.py) and the model's tests read them."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hedgeflow_tui.sim.market import SQUEEZE_REGIMES, SessionPath


@dataclass
class Minutes:
    """One session on 1-minute bars."""

    returns: np.ndarray  # log-return of each minute (the first from the opening sample)
    flow: np.ndarray  # hedge flow of each minute, delta-dollars
    gex: np.ndarray  # dealers' net GEX at each minute's end
    squeeze: np.ndarray  # the minute lies (partly) in a squeeze episode
    calm: np.ndarray  # the minute lies wholly in the calm regime
    contracts: np.ndarray
    sold: np.ndarray


def minutes(path: SessionPath) -> Minutes:
    spot = path.spot[1::2]
    squeeze = np.array([r in SQUEEZE_REGIMES for r in path.regime]).reshape(-1, 2)
    calm = np.array([r == "calm" for r in path.regime]).reshape(-1, 2)
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
    episodes: list[int] = field(default_factory=list)  # per session
    durations: list[float] = field(default_factory=list)  # minutes
    moves: list[float] = field(default_factory=list)  # |price move| over each episode, %
    realized: list[bool] = field(default_factory=list)
    squeeze_gex: list[np.ndarray] = field(default_factory=list)
    pairs_long: list[np.ndarray] = field(default_factory=list)  # (r_t, r_t+1), long gamma at t
    pairs_short: list[np.ndarray] = field(default_factory=list)
    profile: list[np.ndarray] = field(default_factory=list)  # contracts per minute, per session
    day_and_last: list[tuple[float, float]] = field(default_factory=list)
    daily_var: list[float] = field(default_factory=list)

    def add(self, path: SessionPath) -> None:
        m = minutes(path)
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
        found = path.episodes(60)
        self.episodes.append(len(found))
        for episode in found:
            first = int((episode.start - path.open).total_seconds() // 60)
            last = int((episode.end - path.open).total_seconds() // 60)
            self.durations.append(last - first + 1)
            self.moves.append(abs(float(m.returns[first : last + 1].sum())) * 100)
            self.realized.append(episode.realized)
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

    def short_long_vol_ratio(self) -> float:
        """S.d. of 1m returns when dealers are short gamma over that when they are long."""
        ret, gex = np.concatenate(self.returns), np.concatenate(self.gex_minutes)
        return float(np.std(ret[gex < 0]) / np.std(ret[gex > 0]))

    def annual_vol(self) -> float:
        return float(np.sqrt(np.mean(self.daily_var) * 252))
