"""The market model: a 0DTE chain, its customers, its dealers and the price they move together.

Every 5 simulated seconds: customers trade contracts in Poisson arrivals whose mix follows a
hidden regime (calm, call chase, put flush, pin); dealers take the other side; Black-Scholes
deltas with the true time left to the 16:00 ET expiry give the dealers' option delta, and their
hedge in shares is its negative. The change in hedge shares times spot is the hedge flow in
delta-dollars, for the call book and the put book. Those trades push price (price impact), so
short-gamma dealers amplify moves and long-gamma dealers damp them. Flows are summed per 30 s
sample and rounded to whole dollars, so every sum the server builds from them is exact.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import TypedDict

import numpy as np

from hedgeflow_tui.clock import session_bounds

SAMPLE_SECONDS = 30
STEP_SECONDS = 5
SAMPLES = 780  # 09:30:00 .. 15:59:30, bucket starts
STEPS_PER_SAMPLE = SAMPLE_SECONDS // STEP_SECONDS
YEAR_SECONDS = 365 * 24 * 3600
UNWIND_HALF_LIFE = 1200.0  # seconds: customers close what they opened, dealers' book relaxes back
REGIMES = ("calm", "call_chase", "put_flush", "pin")
SQUEEZE_REGIMES = {"call_chase": "up", "put_flush": "down"}
SERIES = ("spot", "calls", "puts", "net_gex", "gamma_flip", "call_wall", "put_wall", "atm_iv")


@dataclass(frozen=True)
class Underlying:
    spot: float  # opening level
    strike_step: float
    strikes_each_side: int
    vol: float  # annualised base implied / realised volatility
    contracts: float  # scale of customer trade sizes
    liquidity: float  # delta-dollars that move price by 1%


SYMBOLS: dict[str, Underlying] = {
    "SPY": Underlying(590.0, 1.0, 40, 0.14, 1.0, 2.5e9),
    "QQQ": Underlying(510.0, 1.0, 40, 0.18, 0.6, 1.8e9),
    "SPX": Underlying(5900.0, 5.0, 40, 0.14, 0.25, 1.0e10),
}


# per regime: arrivals per step, mean contracts, P(call), customer buys?, strike offset in steps
class _CustomerFlow(TypedDict):
    rate: float  # trades per 30 s sample
    size: float  # mean contracts per trade, x the symbol's contract scale
    p_call: float  # share of trades in calls
    buy: float  # share of trades where the customer buys
    offset: tuple[int, int]  # strikes from the money, low and high


_FLOW: dict[str, _CustomerFlow] = {
    "calm": {"rate": 2.0, "size": 40, "p_call": 0.5, "buy": 0.5, "offset": (-6, 6)},
    "call_chase": {"rate": 10.0, "size": 30, "p_call": 0.95, "buy": 0.95, "offset": (0, 5)},
    "put_flush": {"rate": 10.0, "size": 30, "p_call": 0.05, "buy": 0.95, "offset": (-5, 0)},
    "pin": {"rate": 3.0, "size": 50, "p_call": 0.5, "buy": 0.12, "offset": (-2, 2)},
}
_DURATION_MIN = {"calm": (25, 70), "call_chase": (8, 25), "put_flush": (8, 25), "pin": (25, 60)}


@dataclass(frozen=True)
class SessionPath:
    """One simulated session, sampled every 30 s (index i = bucket starting open + 30 s * i)."""

    symbol: str
    day: date
    seed: int
    open: datetime  # UTC
    spot: np.ndarray  # last price of each sample
    calls: np.ndarray  # call-book hedge flow per sample, whole delta-dollars
    puts: np.ndarray  # put-book hedge flow per sample
    net_gex: np.ndarray  # dealers' dollar gamma per 1% move
    gamma_flip: np.ndarray
    call_wall: np.ndarray
    put_wall: np.ndarray
    atm_iv: np.ndarray
    regime: tuple[str, ...]  # the hidden regime of each sample (ground truth)

    def times(self) -> list[datetime]:
        return [self.open + timedelta(seconds=SAMPLE_SECONDS * i) for i in range(SAMPLES)]

    def episodes(self, bar_seconds: int = SAMPLE_SECONDS) -> list[tuple[datetime, datetime, str]]:
        """Squeeze episodes of the hidden regime: (first bucket, last bucket, "up" | "down")."""
        found, start = [], None
        for i, regime in enumerate((*self.regime, "calm")):
            if start is not None and regime != self.regime[start]:
                first = self.open + timedelta(seconds=SAMPLE_SECONDS * start)
                last = self.open + timedelta(seconds=SAMPLE_SECONDS * (i - 1))
                found.append(
                    (
                        _floor(first, self.open, bar_seconds),
                        _floor(last, self.open, bar_seconds),
                        SQUEEZE_REGIMES[self.regime[start]],
                    )
                )
                start = None
            if start is None and regime in SQUEEZE_REGIMES and i < SAMPLES:
                start = i
        return found


def _floor(t: datetime, origin: datetime, seconds: int) -> datetime:
    return origin + timedelta(seconds=(t - origin).total_seconds() // seconds * seconds)


def _norm_cdf(x: np.ndarray) -> np.ndarray:
    # Abramowitz-Stegun 7.1.26 via erf approximation: vectorised, accurate to 1e-7
    sign = np.sign(x)
    z = np.abs(x) / np.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    return 0.5 * (1.0 + sign * (1.0 - poly * np.exp(-z * z)))


def greeks(
    spot: float | np.ndarray, strikes: np.ndarray, vols: np.ndarray, years: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Black-Scholes call delta, put delta and gamma (zero rates) with `years` to expiry."""
    years = max(years, 1.0 / YEAR_SECONDS)  # the last seconds: deltas become steps
    root = vols * np.sqrt(years)
    d1 = (np.log(spot / strikes) + 0.5 * root * root) / root
    call_delta = _norm_cdf(d1)
    gamma = np.exp(-0.5 * d1 * d1) / (np.sqrt(2 * np.pi) * spot * root)
    return call_delta, call_delta - 1.0, gamma


def _smile(strikes: np.ndarray, spot: float, base: float) -> np.ndarray:
    moneyness = np.log(strikes / spot)
    return base * (1.0 - 2.5 * moneyness + 60.0 * moneyness**2)


def _regime_schedule(rng: np.random.Generator) -> tuple[list[str], list[float]]:
    """The hidden regime of every 30 s sample, calm stretches between random episodes, and how
    far each sample is into its episode (0..1): crowds build, so customer flow grows with it."""
    schedule: list[str] = []
    progress: list[float] = []
    regime = "calm"
    while len(schedule) < SAMPLES:
        low, high = _DURATION_MIN[regime]
        length = int(rng.integers(low, high + 1)) * 2
        schedule += [regime] * length
        progress += [i / length for i in range(length)]
        if regime != "calm":
            regime = "calm"
        else:
            late = len(schedule) > SAMPLES * 0.6
            weights = [0.38, 0.38, 0.24 + (0.2 if late else 0.0)]
            regime = str(
                rng.choice(["call_chase", "put_flush", "pin"], p=np.array(weights) / sum(weights))
            )
    return schedule[:SAMPLES], progress[:SAMPLES]


class SessionRun:
    """One session simulated lazily, in order: `upto(n)` computes samples up to n the first time
    they are asked for. A server opened mid-session pays only for the time up to its clock, and
    the samples equal those of a whole run (the same random draws in the same order)."""

    def __init__(self, symbol: str, day: date, seed: int) -> None:
        out = {name: np.zeros(SAMPLES) for name in SERIES}
        self._samples = _simulate(symbol, day, seed, out)
        regime = next(self._samples)  # the hidden regime schedule is drawn before any sample
        assert regime is not None
        self.path = SessionPath(
            symbol=symbol,
            day=day,
            seed=seed,
            open=session_bounds(day)[0],
            regime=tuple(regime),
            **out,
        )
        self.ready = 0
        self._lock = threading.Lock()  # a threaded server may ask from several threads

    def upto(self, samples: int) -> SessionPath:
        """The path with at least its first `samples` samples computed (later ones may be 0)."""
        with self._lock:
            while self.ready < min(samples, SAMPLES):
                next(self._samples)
                self.ready += 1
        return self.path


@lru_cache(maxsize=64)
def session_run(symbol: str, day: date, seed: int) -> SessionRun:
    """The one lazily simulated run of `symbol` on `day` for `seed` (deterministic; cached)."""
    return SessionRun(symbol, day, seed)


def simulate_session(symbol: str, day: date, seed: int) -> SessionPath:
    """The whole session of `symbol` on `day` for `seed`."""
    return session_run(symbol, day, seed).upto(SAMPLES)


def _simulate(
    symbol: str, day: date, seed: int, out: dict[str, np.ndarray]
) -> Iterator[list[str] | None]:
    """Yields the regime schedule, then once per 30 s sample after writing it into `out`."""
    spec = SYMBOLS[symbol]
    rng = np.random.default_rng([seed, day.toordinal(), sum(map(ord, symbol))])
    open_, close = session_bounds(day)
    spot = spec.spot * float(np.exp(rng.normal(0, 0.01)))
    center = round(spot / spec.strike_step) * spec.strike_step
    each_side = spec.strikes_each_side
    strikes = center + spec.strike_step * np.arange(-each_side, each_side + 1)
    # Open interest: a call wall above, a put wall below, dealers long the calls customers
    # overwrote and short the puts customers bought for protection.
    distance = (strikes - center) / spec.strike_step
    call_wall_at = int(rng.integers(4, 9))
    put_wall_at = -int(rng.integers(4, 9))
    spread = np.exp(-np.abs(distance) / 8)
    call_oi = 1500 * spec.contracts * (spread + 3 * (distance == call_wall_at))
    put_oi = 1500 * spec.contracts * (spread + 3 * (distance == put_wall_at))
    dealer_calls = 0.5 * call_oi  # contracts dealers hold, signed
    dealer_puts = -0.15 * put_oi
    book_calls, book_puts = dealer_calls.copy(), dealer_puts.copy()
    unwind = 1 - 0.5 ** (STEP_SECONDS / UNWIND_HALF_LIFE)
    schedule, progress = _regime_schedule(rng)
    yield schedule

    step_vol = spec.vol * np.sqrt(STEP_SECONDS / (YEAR_SECONDS * 252 / 365 * 6.5 / 24))
    vols = _smile(strikes, spot, spec.vol)
    call_d, put_d, _ = greeks(spot, strikes, vols, (close - open_).total_seconds() / YEAR_SECONDS)
    hedge_calls = -float(dealer_calls @ call_d) * 100
    hedge_puts = -float(dealer_puts @ put_d) * 100
    flip_grid = np.linspace(-0.03, 0.03, 25)
    for sample in range(SAMPLES):
        flow = _FLOW[schedule[sample]]
        calls_flow = puts_flow = 0.0
        for step in range(STEPS_PER_SAMPLE):
            seconds = (sample * STEPS_PER_SAMPLE + step + 1) * STEP_SECONDS
            years = ((close - open_).total_seconds() - seconds) / YEAR_SECONDS
            # customers trade; dealers take the other side
            dealer_calls += (book_calls - dealer_calls) * unwind
            dealer_puts += (book_puts - dealer_puts) * unwind
            crowd = 1.0 if schedule[sample] == "calm" else 0.25 * 16 ** progress[sample]
            at_the_money = int(np.searchsorted(strikes, spot))
            low, high = flow["offset"]
            for _ in range(rng.poisson(flow["rate"] * crowd)):
                offset = int(rng.integers(low, high + 1))
                strike_index = min(max(at_the_money + offset, 0), len(strikes) - 1)
                size = rng.exponential(flow["size"]) * spec.contracts
                customer_buys = rng.random() < flow["buy"]
                dealer_side = -size if customer_buys else size
                if rng.random() < flow["p_call"]:
                    dealer_calls[strike_index] += dealer_side
                    call_oi[strike_index] += size
                else:
                    dealer_puts[strike_index] += dealer_side
                    put_oi[strike_index] += size
            call_d, put_d, gamma = greeks(spot, strikes, vols, years)
            new_calls = -float(dealer_calls @ call_d) * 100
            new_puts = -float(dealer_puts @ put_d) * 100
            trade_calls = (new_calls - hedge_calls) * spot
            trade_puts = (new_puts - hedge_puts) * spot
            hedge_calls, hedge_puts = new_calls, new_puts
            calls_flow += trade_calls
            puts_flow += trade_puts
            # price: a random walk plus the impact of the dealers' own hedge trades
            impact = (trade_calls + trade_puts) / spec.liquidity * 0.01
            spot *= float(np.exp(step_vol * rng.normal() + impact))
        out["calls"][sample] = round(calls_flow)
        out["puts"][sample] = round(puts_flow)
        out["spot"][sample] = round(spot, 2)
        dollar_gamma = (dealer_calls + dealer_puts) * gamma * 100 * spot * spot * 0.01
        out["net_gex"][sample] = round(float(dollar_gamma.sum()))
        out["atm_iv"][sample] = round(float(np.interp(spot, strikes, vols)), 4)
        out["call_wall"][sample] = strikes[int(np.argmax(call_oi * (strikes >= spot)))]
        out["put_wall"][sample] = strikes[int(np.argmax(put_oi * (strikes <= spot)))]
        out["gamma_flip"][sample] = _gamma_flip(
            spot, strikes, vols, max(years, 1e-7), dealer_calls + dealer_puts, flip_grid
        )
        yield None


def _gamma_flip(
    spot: float,
    strikes: np.ndarray,
    vols: np.ndarray,
    years: float,
    position: np.ndarray,
    grid: np.ndarray,
) -> float:
    """The spot level nearest to now where the dealers' net gamma changes sign."""
    levels = spot * (1 + grid)
    root = vols * np.sqrt(years)
    d1 = (np.log(levels[:, None] / strikes[None, :]) + 0.5 * root * root) / root
    gamma = np.exp(-0.5 * d1 * d1) / (np.sqrt(2 * np.pi) * levels[:, None] * root)
    net = (gamma * position).sum(axis=1)
    crossings = np.nonzero(np.diff(np.sign(net)))[0]
    if len(crossings) == 0:
        return round(float(levels[0] if net[0] < 0 else levels[-1]), 2)
    nearest = crossings[np.argmin(np.abs(levels[crossings] - spot))]
    a, b = net[nearest], net[nearest + 1]
    level = levels[nearest] + (levels[nearest + 1] - levels[nearest]) * a / (a - b)
    return round(float(level), 2)
