"""The market model: a 0DTE chain, its customers, its dealers and the price they move together.

Every 10 simulated seconds: customers trade contracts both ways, in Poisson arrivals whose rate
follows the day's activity (busy open, midday lull, ramp into the close) and whose mix follows a
hidden regime (calm, call chase, put flush, pin); dealers take the other side. Black-Scholes
deltas with the true time left to expiry give the dealers' option delta; their target hedge in
shares is its negative, and they trade half of the gap to it each step (hedging takes time).
Those hedge trades, times spot, are the hedge flow in delta-dollars, for the call book and the
put book, and they move price (price impact) on top of a random walk. Dealers start the day
long gamma (customers sell premium: overwritten calls above spot), so most of the time their
hedging leans against moves and price mean-reverts. A chase is customers buying one side near
the money (calls ATM..+3 strikes, or puts ATM..-3), sized at its start against the dealers' book
of the day: m times the contracts that would take their net GEX to zero (m log-normal around
1.5), so most chases leave dealers short gamma, their hedging then chases price (a squeeze), and
the rest are absorbed (a chase buys at most CHASE_MOST of a day's contracts). A chase is
reflexive: its rate grows with the return since its onset in its direction. Chases lean toward
the last 90 minutes, where they mostly follow the day's move (hedging demand, Baltussen et al.
2021). A pin sells the straddles of the strike nearest to spot when it starts. In the last
half-hour the leveraged ETFs rebalance: they buy L(L-1) x their assets x the day's return
(sell on a down day), a flow that moves price like any other but is no dealer's hedge, so it is
not in the hedge flow. Whether a stretch was a squeeze is read from the outcome
(hedgeflow_tui/sim/truth.py), not from the plan.
Flows are summed per 30 s sample and rounded to whole dollars, so every sum the server builds
from them is exact. The numbers are calibrated to published figures:
docs/design/simulator-calibration.md.
"""

from __future__ import annotations

import bisect
import math
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

import numpy as np

from hedgeflow_tui.market.clock import session_bounds

SAMPLE_SECONDS = 30
SAMPLES_PER_DAY = 780  # a regular 09:30-16:00 session; an early close has fewer
STEP_SECONDS = 10
STEPS_PER_SAMPLE = SAMPLE_SECONDS // STEP_SECONDS
YEAR_SECONDS = 365 * 24 * 3600
TRADING_YEAR_SECONDS = 252 * 6.5 * 3600
LAST_MINUTES_FLOOR = 15 * 60  # seconds: greeks use at least this much time left (see greeks())
UNWIND_HALF_LIFE = 3600.0  # seconds: customers close what they opened, dealers' book relaxes back
MAX_STEP_IMPACT = 0.0005  # the most a step's hedge trades can move price (log-return)
LETF_SECONDS = 1800  # leveraged ETFs rebalance in the last half-hour
HEDGE_SPEED = 0.2  # share of the gap to their target hedge dealers trade each step
REGIMES = ("calm", "call_chase", "put_flush", "pin")
SQUEEZE_REGIMES = {"call_chase": "up", "put_flush": "down"}
SERIES = ("spot", "calls", "puts", "net_gex", "gamma_flip", "call_wall", "put_wall", "atm_iv")


@dataclass(frozen=True)
class Underlying:
    spot: float  # opening level
    strike_step: float
    strikes_each_side: int
    vol: float  # annualised volatility of the random walk (before the dealers' hedging)
    contracts_per_day: float  # customer 0DTE contracts on an average day
    liquidity: float  # delta-dollars of hedge trades that move price by 1%
    book: float  # dealers' long contracts per strike at the open (their long-gamma band)
    # leveraged ETFs' rebalancing, delta-dollars per 1% of the day's return (assumed 0.4 x
    # liquidity: no per-minute figure of the funds' trades against their market is published)
    letf: float


SYMBOLS: dict[str, Underlying] = {
    "SPY": Underlying(590.0, 1.0, 40, 0.125, 2.5e6, 1.2e9, 1300.0, 0.48e9),
    "QQQ": Underlying(510.0, 1.0, 40, 0.18, 1.5e6, 0.62e9, 760.0, 0.25e9),
    "SPX": Underlying(5900.0, 5.0, 40, 0.125, 1.6e6, 7.7e9, 600.0, 3.1e9),
}

MEAN_TRADE = 5.0  # contracts per ordinary customer trade (geometric sizes, whole contracts)
BLOCK_CHANCE = 0.01  # share of trades that are institutional blocks
MEAN_BLOCK = 150.0  # contracts per block (log-normal sizes)
LARGEST_BLOCK = 2500.0
BLOCK_LOG_MEAN = math.log(MEAN_BLOCK) - 0.5  # of the log of a block's size
CALM_BUY = 0.5  # calm customers buy as much as they sell (Cboe: two-way, balanced)
PIN_BUY = 0.2  # pin: customers sell the straddles of the strike nearest to spot
OPEN_OI_DAYS = 0.3  # open interest at the open, in days of volume (spread over the chain)


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
    gamma_flip: np.ndarray  # NaN where the dealers' net gamma has no sign change
    call_wall: np.ndarray
    put_wall: np.ndarray
    atm_iv: np.ndarray
    contracts: np.ndarray  # customer contracts traded per sample
    sold: np.ndarray  # of which customers sold
    regime: list[str]  # the hidden regime of each sample, written as the day is simulated
    chases: list[Chase]  # the day's chases, each filled in as it starts
    # the per-strike book behind the flow (the Alpha plan's strike-flow), [sample, strike]:
    strikes: np.ndarray  # the listed strikes, ascending
    strike_delta: np.ndarray  # hedge flow per strike (delta-$; summed: calls + puts, to rounding)
    strike_gamma: np.ndarray  # dealers' gamma-$ (per 1%) traded per strike
    strike_contracts: np.ndarray  # customer contracts traded per strike

    @property
    def samples(self) -> int:
        return len(self.spot)

    def times(self) -> list[datetime]:
        return [self.open + timedelta(seconds=SAMPLE_SECONDS * i) for i in range(self.samples)]

    def step_variance(self) -> np.ndarray:
        """Variance of each sample's log-return from the random walk alone (the intraday
        volatility shape included): the price noise a squeeze is measured against."""
        spec = SYMBOLS[self.symbol]
        steps = self.samples * STEPS_PER_SAMPLE
        fractions = (np.arange(steps) + 0.5) / steps
        step_vol = spec.vol * math.sqrt(STEP_SECONDS / TRADING_YEAR_SECONDS)
        variance = step_vol**2 * _volatility(fractions) ** 2
        return variance.reshape(-1, STEPS_PER_SAMPLE).sum(axis=1)


SQRT_2 = math.sqrt(2.0)
SQRT_2PI = math.sqrt(2 * math.pi)


def _norm_cdf(x: np.ndarray) -> np.ndarray:
    # Abramowitz-Stegun 7.1.26 via erf approximation: vectorised, accurate to 1e-7. Computed
    # in place (the model calls it every step, and an array allocated per operation costs
    # about what the arithmetic does), operation for operation the formula:
    #   z = |x| / sqrt(2);  t = 1 / (1 + 0.3275911 z)
    #   0.5 (1 + sign(x) (1 - t (a1 + t (a2 + t (a3 + t (a4 + t a5)))) exp(-z z)))
    z = np.abs(x)
    z /= SQRT_2
    t = 0.3275911 * z
    t += 1.0
    np.divide(1.0, t, out=t)
    poly = t * 1.061405429
    for coefficient in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        poly += coefficient
        poly *= t
    np.multiply(z, z, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)
    z *= poly
    np.subtract(1.0, z, out=z)
    z *= np.sign(x)
    z += 1.0
    z *= 0.5
    return z


def _d1(
    spot: float | np.ndarray, strikes: np.ndarray, vols: np.ndarray, years: float
) -> tuple[np.ndarray, np.ndarray]:
    """Black-Scholes d1 (zero rates) with `years` to expiry, and vol * sqrt(years)."""
    years = max(years, 1.0 / YEAR_SECONDS)  # the last seconds: deltas become steps
    root = vols * math.sqrt(years)
    return (np.log(spot / strikes) + 0.5 * root * root) / root, root


def _gamma(d1: np.ndarray, root: np.ndarray, spot: float | np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * d1 * d1) / (SQRT_2PI * spot * root)


def greeks(
    spot: float | np.ndarray, strikes: np.ndarray, vols: np.ndarray, years: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Black-Scholes call delta, put delta and gamma (zero rates) with `years` to expiry."""
    d1, root = _d1(spot, strikes, vols, years)
    call_delta = _norm_cdf(d1)
    return call_delta, call_delta - 1.0, _gamma(d1, root, spot)


def _smile(strikes: np.ndarray, spot: float, base: float) -> np.ndarray:
    moneyness = np.log(strikes / spot)
    return base * (1.0 - 2.5 * moneyness + 60.0 * moneyness**2)


def activity(fraction: np.ndarray | float) -> np.ndarray:
    """Customer activity through the day (mean 1 over the session): a busy open that fades in
    half an hour, a midday lull, a ramp into the close. `fraction`: 0 at the open, 1 at the
    close."""
    x = np.asarray(fraction, dtype=float)
    shape = 0.55 + 1.6 * np.exp(-x / 0.05) + 1.3 * x**6
    return shape / 0.9095  # the mean of the shape over [0, 1]


def _volatility(fraction: np.ndarray | float) -> np.ndarray:
    """Random-walk volatility through the day (mean-square 1): higher at the open."""
    x = np.asarray(fraction, dtype=float)
    return np.sqrt((0.8 + 1.8 * np.exp(-x / 0.04) + 0.3 * x**4) / 0.9321)


@dataclass
class Chase:
    """One chase of the day: drawn before the open; its direction and size are fixed at its
    start, from the day's move so far and the dealers' book then."""

    start: int  # first sample
    length: int  # samples
    multiple: float  # m: the chase's net contracts over those that take net GEX to zero
    shape: np.ndarray  # share of the chase's contracts in each of its samples (sums to 1)
    follow: float  # a uniform draw: which way it goes (see _direction)
    direction: str | None = None  # "up" (calls bought) | "down" (puts bought), once started
    contracts: float = 0.0  # its planned net customer buys, once started
    onset_spot: float = 0.0  # spot when it started


@dataclass
class _Schedule:
    """The hidden plan of the day, drawn before any sample is simulated."""

    regime: list[str]  # per 30 s sample; a chase's samples are named when it starts
    chases: list[Chase]


CHASES_A_DAY = (0.62, 0.26, 0.09, 0.03)  # chance of 0, 1, 2, 3 chases in a session
LATE_SAMPLES = 180  # the last 90 minutes, where chases lean and mostly follow the day's move
LATE_SHARE = 0.45  # of chases placed in the last 90 minutes
FOLLOW_DAY = 0.7  # a late chase goes the day's way with this probability
CHASE_MULTIPLE = (math.log(1.5), 0.6)  # m: log-normal (log median, sigma)
CHASE_BUY = 0.9  # of a chase's trades, the share that are customer buys (the rest sells)
REFLEX_SCALE = 0.002  # return since onset (in the chase's direction) that doubles its rate
REFLEX_RANGE = (1.0, 2.0)  # the reflexive factor's bounds: it grows, never fizzles
SHORT_CAP = 0.6  # a chase leaves dealers short at most this feedback (hedging / move, per 1%)
CHASE_BUY_NET = 2 * CHASE_BUY - 1  # net customer buys per chase contract traded
CHASE_MOST = 0.04  # a chase buys at most this share of an average day's contracts, net
CHASE_FLOOR = 0.5  # a chase is at least m x this share of what the open book needed


def _schedule(rng: np.random.Generator, samples: int) -> _Schedule:
    """0-3 chases (62% of sessions have none) of 8-60 minutes (median 20) with onsets from
    abrupt to gradual, placed anywhere but 45% of them in the last 90 minutes; 0-2 pin stretches
    in the afternoon."""
    regime = ["calm"] * samples
    busy = np.zeros(samples, dtype=bool)
    chases: list[Chase] = []

    def place(length: int, lean: float, late: bool = False) -> int | None:
        for _ in range(30):
            if late:
                start = samples - int(rng.uniform(0.15, 1.0) * LATE_SAMPLES)
            else:
                start = int((samples - length) * rng.beta(lean, 1.0))
            gap = 20  # ten minutes of calm around every episode
            if start >= 10 and not busy[max(0, start - gap) : start + length + gap].any():
                busy[start : start + length] = True
                return start
        return None

    for _ in range(int(rng.choice(4, p=CHASES_A_DAY))):
        minutes = float(np.clip(rng.lognormal(math.log(20), 0.5), 8, 60))
        length = int(minutes * 2)
        start = place(length, 1.3, late=rng.random() < LATE_SHARE)
        if start is None:
            continue
        length = min(length, samples - start)  # a late chase may run into the close
        multiple = float(rng.lognormal(*CHASE_MULTIPLE))
        onset = float(rng.uniform(0.05, 0.6))  # share of the chase spent ramping in
        ramp = np.minimum(1.0, (np.arange(1, length + 1) / length) / onset) ** 1.5
        chases.append(Chase(start, length, multiple, ramp / ramp.sum(), float(rng.random())))
    chases.sort(key=lambda chase: chase.start)
    for _ in range(int(rng.choice(3, p=[0.4, 0.45, 0.15]))):
        length = int(rng.integers(20, 61)) * 2
        start = place(length, 3.0)
        if start is not None:
            regime[start : start + length] = ["pin"] * length
    return _Schedule(regime, chases)


def _direction(chase: Chase, samples: int, day_return: float) -> str:
    """A late chase follows the day's move so far (FOLLOW_DAY of them); others go either way."""
    if chase.start >= samples - LATE_SAMPLES and day_return != 0.0:
        with_day = chase.follow < FOLLOW_DAY
        return "up" if (day_return > 0) == with_day else "down"
    return "up" if chase.follow < 0.5 else "down"


class SessionRun:
    """One session simulated lazily, in order: `upto(n)` computes samples up to n the first time
    they are asked for. A server opened mid-session pays only for the time up to its clock, and
    the samples equal those of a whole run (the same random draws in the same order)."""

    def __init__(self, symbol: str, day: date, seed: int) -> None:
        open_, close = session_bounds(day)
        samples = int((close - open_).total_seconds()) // SAMPLE_SECONDS
        out = {name: np.zeros(samples) for name in (*SERIES, "contracts", "sold")}
        count = 2 * SYMBOLS[symbol].strikes_each_side + 1
        out["strikes"] = np.zeros(count)
        for name in ("strike_delta", "strike_gamma", "strike_contracts"):
            out[name] = np.zeros((samples, count))
        self._samples = _simulate(symbol, day, seed, out)
        schedule = next(self._samples)  # the hidden plan is drawn before any sample
        assert schedule is not None
        self.path = SessionPath(
            symbol=symbol,
            day=day,
            seed=seed,
            open=open_,
            regime=schedule.regime,
            chases=schedule.chases,
            **out,
        )
        self.ready = 0
        self._lock = threading.Lock()  # a threaded server may ask from several threads

    def upto(self, samples: int) -> SessionPath:
        """The path with at least its first `samples` samples computed (later ones may be 0)."""
        with self._lock:
            while self.ready < min(samples, self.path.samples):
                next(self._samples)
                self.ready += 1
        return self.path


@lru_cache(maxsize=64)
def session_run(symbol: str, day: date, seed: int) -> SessionRun:
    """The one lazily simulated run of `symbol` on `day` for `seed` (deterministic; cached)."""
    return SessionRun(symbol, day, seed)


def simulate_session(symbol: str, day: date, seed: int) -> SessionPath:
    """The whole session of `symbol` on `day` for `seed`."""
    run = session_run(symbol, day, seed)
    return run.upto(run.path.samples)


def _simulate(
    symbol: str, day: date, seed: int, out: dict[str, np.ndarray]
) -> Iterator[_Schedule | None]:
    """Yields the day's schedule, then once per 30 s sample after writing it into `out`."""
    spec = SYMBOLS[symbol]
    rng = np.random.default_rng([seed, day.toordinal(), sum(map(ord, symbol))])
    open_, close = session_bounds(day)
    session_seconds = (close - open_).total_seconds()
    samples = len(out["spot"])
    steps = samples * STEPS_PER_SAMPLE
    spot = spec.spot * float(np.exp(rng.normal(0, 0.01)))
    center = round(spot / spec.strike_step) * spec.strike_step
    each_side = spec.strikes_each_side
    strikes = center + spec.strike_step * np.arange(-each_side, each_side + 1)
    count = len(strikes)
    strike_list = strikes.tolist()
    # Open interest at the open: spread around the money, a call wall above and a put wall
    # below. Dealers hold a small net book of it: long a band of calls around the money
    # (customers sold premium) and at the call wall (overwriting), short puts at the put wall
    # (customers bought protection). So they start long gamma, short gamma near the put wall.
    distance = np.arange(-each_side, each_side + 1)
    call_wall_at = int(rng.integers(3, 9))
    put_wall_at = -int(rng.integers(3, 9))
    spread = np.exp(-np.abs(distance) / 6)
    scale = spec.contracts_per_day * OPEN_OI_DAYS / spread.sum()
    call_oi = scale * (spread + 2.5 * (distance == call_wall_at))
    put_oi = scale * (spread + 2.5 * (distance == put_wall_at))
    band = spec.book * float(rng.lognormal(0.0, 0.4))  # some days dealers hold more
    book_calls = band * ((np.abs(distance) <= 15) + 4.0 * (distance == call_wall_at))
    book_puts = -band * 2.0 * (distance == put_wall_at)  # dealers' book, signed contracts
    dealer_calls, dealer_puts = book_calls.copy(), book_puts.copy()
    out["strikes"][:] = strikes
    # the same hedging, strike by strike (the per-strike book): its sums are the flow above
    held_calls_k, held_puts_k = np.zeros(count), np.zeros(count)
    unwind = 1 - 0.5 ** (STEP_SECONDS / UNWIND_HALF_LIFE)
    plan = _schedule(rng, samples)
    yield plan

    fractions = (np.arange(steps) + 0.5) / steps
    mean_size = MEAN_TRADE + BLOCK_CHANCE * (MEAN_BLOCK - MEAN_TRADE)
    # per-step schedules as Python floats: scalar arithmetic on them is cheaper than on numpy's
    trade_rate = (spec.contracts_per_day / mean_size / steps * activity(fractions)).tolist()
    step_vol = (
        spec.vol * math.sqrt(STEP_SECONDS / TRADING_YEAR_SECONDS) * _volatility(fractions)
    ).tolist()
    liquidity = (spec.liquidity * np.sqrt(activity(fractions))).tolist()  # deeper when busier
    vols = _smile(strikes, spot, spec.vol)
    years = session_seconds / YEAR_SECONDS
    call_d, put_d, _ = greeks(spot, strikes, vols, years)
    held_calls = target_calls = -float(dealer_calls @ call_d) * 100
    held_puts = target_puts = -float(dealer_puts @ put_d) * 100
    held_calls_k[:] = -dealer_calls * call_d * 100
    held_puts_k[:] = -dealer_puts * put_d * 100
    pin_index = each_side  # the strike whose straddles a pin sells: the ATM one at its start
    open_spot = spot
    letf_from = steps - LETF_SECONDS // STEP_SECONDS
    letf_done = 0.0  # delta-dollars the leveraged ETFs have traded so far
    pending = list(plan.chases)
    chase: Chase | None = None
    gamma_now = _gamma(*_d1(spot, strikes, vols, years), spot)  # a contract's, per strike
    # the contracts that would take the open book's net gamma to zero: a chase's least size
    floor = CHASE_FLOOR * max(
        0.0,
        float(gamma_now @ (dealer_calls + dealer_puts))
        / _chased_gamma(strike_list, spot, gamma_now, up=True),
    )
    for sample in range(samples):
        if pending and pending[0].start == sample:
            chase = pending.pop(0)
            up = _direction(chase, samples, math.log(spot / open_spot)) == "up"
            chased_gamma = _chased_gamma(strike_list, spot, gamma_now, up)
            # the short gamma a chase leaves feeds back most now or at the close, where its
            # contracts' gamma is steepest (what customers still hold of them by then)
            closing = _gamma(*_d1(spot, strikes, vols, LAST_MINUTES_FLOOR / YEAR_SECONDS), spot)
            left = session_seconds - sample * SAMPLE_SECONDS - LAST_MINUTES_FLOOR
            feedback = max(
                chased_gamma / liquidity[sample * STEPS_PER_SAMPLE],
                _chased_gamma(strike_list, spot, closing, up)
                * 0.5 ** (max(0.0, left) / UNWIND_HALF_LIFE)
                / liquidity[-1],
            )
            _start_chase(
                chase,
                plan.regime,
                samples,
                spot,
                open_spot,
                chased_gamma,
                float(gamma_now @ (dealer_calls + dealer_puts)),
                floor,
                # the contracts whose hedging moves price SHORT_CAP x as far as the move itself
                SHORT_CAP / (spot * spot * feedback),
                CHASE_MOST * spec.contracts_per_day,
            )
        if chase is not None and sample >= chase.start + chase.length:
            chase = None
        regime = plan.regime[sample]
        if regime == "pin" and (sample == 0 or plan.regime[sample - 1] != "pin"):
            pin_index = int(np.argmin(np.abs(strikes - spot)))
        chase_trades = 0.0
        if chase is not None:
            share = float(chase.shape[sample - chase.start])
            chase_trades = chase.contracts / CHASE_BUY_NET / mean_size * share / STEPS_PER_SAMPLE
        calls_flow = puts_flow = contracts = sold = 0.0
        flow_k = np.zeros(count)  # this sample's hedge flow per strike
        traded_k = np.zeros(count)  # dealers' contracts traded per strike (signed)
        contracts_k = np.zeros(count)
        for step in range(sample * STEPS_PER_SAMPLE, (sample + 1) * STEPS_PER_SAMPLE):
            seconds_left = session_seconds - (step + 1) * STEP_SECONDS
            change_calls = (book_calls - dealer_calls) * unwind
            change_puts = (book_puts - dealer_puts) * unwind
            at_the_money = bisect.bisect_left(strike_list, spot)  # np.searchsorted's index
            # customers trade; dealers take the other side
            extra = 0.0
            if chase is not None:
                moved = math.log(spot / chase.onset_spot) * (1 if chase.direction == "up" else -1)
                low, high = REFLEX_RANGE
                extra = chase_trades * min(high, max(low, 1.0 + moved / REFLEX_SCALE))
            index, size, buys, is_call = _customer_trades(
                rng, regime, extra, trade_rate[step], at_the_money, pin_index
            )
            # one bincount for both books: calls in bins [0, count), puts in [count, 2 count)
            slot = np.maximum(index, 0)
            np.minimum(slot, count - 1, out=slot)
            slot += count * ~is_call
            dealer_side = np.where(buys, -size, size)
            traded = np.bincount(slot, dealer_side, 2 * count)
            change_calls += traded[:count]
            change_puts += traded[count:]
            dealer_calls += change_calls
            dealer_puts += change_puts
            traded_k += traded[:count] + traded[count:]
            opened = np.bincount(slot, size, 2 * count)
            contracts_k += opened[:count] + opened[count:]
            call_oi += opened[:count]
            put_oi += opened[count:]
            sold_now, bought = np.bincount(buys, size, 2)  # whole contracts: sums are exact
            contracts += sold_now + bought
            sold += sold_now
            # dealers hedge what they just traded at once, and the drift of their book's delta
            # (gamma, charm) gradually: a share HEDGE_SPEED of the gap per step
            at_once_calls = -float(change_calls @ call_d) * 100
            at_once_puts = -float(change_puts @ put_d) * 100
            once_calls_k = change_calls * call_d * -100  # the same, strike by strike
            once_puts_k = change_puts * put_d * -100
            years_left = max(seconds_left, LAST_MINUTES_FLOOR) / YEAR_SECONDS
            d1, root = _d1(spot, strikes, vols, years_left)
            hedged_at = spot  # the gamma of the sample's end is taken where its last deltas were
            call_d = _norm_cdf(d1)
            put_d = call_d - 1.0
            target_calls = -float(dealer_calls @ call_d) * 100
            target_puts = -float(dealer_puts @ put_d) * 100
            trade_calls = at_once_calls + (target_calls - held_calls - at_once_calls) * HEDGE_SPEED
            trade_puts = at_once_puts + (target_puts - held_puts - at_once_puts) * HEDGE_SPEED
            held_calls += trade_calls
            held_puts += trade_puts
            calls_flow += trade_calls * spot
            puts_flow += trade_puts * spot
            trade_k = once_calls_k + (
                dealer_calls * call_d * -100 - held_calls_k - once_calls_k
            ) * (HEDGE_SPEED)
            held_calls_k += trade_k
            flow_k += trade_k * spot
            trade_k = once_puts_k + (dealer_puts * put_d * -100 - held_puts_k - once_puts_k) * (
                HEDGE_SPEED
            )
            held_puts_k += trade_k
            flow_k += trade_k * spot
            # price: a random walk plus the impact of the dealers' own hedge trades
            flow = (trade_calls + trade_puts) * spot
            if step >= letf_from:
                # by now a share of L(L-1) x AUM x the day's return, the share growing evenly
                due = spec.letf * math.log(spot / open_spot) * 100
                due *= (step + 1 - letf_from) / (steps - letf_from)
                flow += due - letf_done
                letf_done = due
            impact = _impact(flow, liquidity[step])
            spot *= float(np.exp(step_vol[step] * rng.normal() + impact))
        out["calls"][sample] = round(calls_flow)
        out["puts"][sample] = round(puts_flow)
        out["spot"][sample] = round(spot, 2)
        out["contracts"][sample] = contracts
        out["sold"][sample] = sold
        position = dealer_calls + dealer_puts
        gamma = gamma_now = _gamma(d1, root, hedged_at)
        dollar_gamma = position * gamma * 100 * spot * spot * 0.01
        out["net_gex"][sample] = round(float(dollar_gamma.sum()))
        out["atm_iv"][sample] = round(float(np.interp(spot, strikes, vols)), 4)
        out["call_wall"][sample] = strikes[int(np.argmax(call_oi * (strikes >= spot)))]
        out["put_wall"][sample] = strikes[int(np.argmax(put_oi * (strikes <= spot)))]
        out["gamma_flip"][sample] = gamma_flip(spot, strikes, vols, years_left, position)
        out["strike_delta"][sample] = flow_k
        out["strike_gamma"][sample] = traded_k * gamma * 100 * spot * spot * 0.01
        out["strike_contracts"][sample] = contracts_k
        yield None


def _impact(flow: float, liquidity: float) -> float:
    """Log-return from `flow` delta-dollars of hedge trades in one step: linear for ordinary
    flows (`liquidity` dollars per 1%), concave for huge ones, never beyond MAX_STEP_IMPACT."""
    linear = flow / liquidity * 0.01
    return linear / (1.0 + abs(linear) / MAX_STEP_IMPACT)


def _customer_trades(
    rng: np.random.Generator,
    regime: str,
    extra_rate: float,
    rate: float,
    at_the_money: int,
    pin_index: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One step's customer trades: strike index, contracts, customer buys?, call?
    (`extra_rate`: a chase's trades a step, on top of the calm ones, in a chase regime)."""
    # two draws of n uniforms from one call: the same numbers, in the same order, as two calls
    n = rng.poisson(rate)
    index = at_the_money + np.rint(rng.normal(0, 3.5, n)).astype(int)
    uniform = rng.random(2 * n)
    buys, is_call = uniform[:n] < CALM_BUY, uniform[n:] < 0.5
    if regime in SQUEEZE_REGIMES:
        # the chased type only, near the money: calls ATM..+3 strikes, or puts ATM..-3
        extra = rng.poisson(extra_rate)
        up = regime == "call_chase"
        offsets = rng.integers(0, 4, extra) * (1 if up else -1)
        index = np.concatenate([index, at_the_money + offsets])
        buys = np.concatenate([buys, rng.random(extra) < CHASE_BUY])
        is_call = np.concatenate([is_call, np.full(extra, up)])
    elif regime == "pin":
        extra = rng.poisson(rate * 0.4)
        index = np.concatenate([index, pin_index + rng.integers(-1, 2, extra)])
        uniform = rng.random(2 * extra)
        buys = np.concatenate([buys, uniform[:extra] < PIN_BUY])
        is_call = np.concatenate([is_call, uniform[extra:] < 0.5])
    size = rng.geometric(1.0 / MEAN_TRADE, len(index)).astype(float)
    blocks = rng.random(len(index)) < BLOCK_CHANCE
    block_count = np.count_nonzero(blocks)
    if block_count:
        block = rng.lognormal(BLOCK_LOG_MEAN, 1.0, block_count)
        size[blocks] = np.rint(np.minimum(block, LARGEST_BLOCK))
    return index, size, buys, is_call


def _start_chase(
    chase: Chase,
    regime: list[str],
    samples: int,
    spot: float,
    open_spot: float,
    chased_gamma: float,
    net_gamma: float,
    floor: float,
    most_short: float,
    largest: float,
) -> None:
    """Fix a chase at its start: its direction, and its size against the dealers' book now:
    m x the contracts of the chased strikes (`chased_gamma` each) that take the dealers' net
    gamma to zero, or m x `floor` contracts where that is fewer (dealers near flat or short
    gamma already), at most `most_short` contracts beyond those (more, and the dealers'
    hedging alone would run price away) and at most `largest`; and name its samples."""
    chase.direction = _direction(chase, samples, math.log(spot / open_spot))
    to_zero = max(net_gamma / chased_gamma, floor)
    chase.contracts = min(chase.multiple * to_zero, to_zero + most_short, largest)
    chase.onset_spot = spot
    name = "call_chase" if chase.direction == "up" else "put_flush"
    regime[chase.start : chase.start + chase.length] = [name] * chase.length


def _chased_gamma(strike_list: list[float], spot: float, gamma: np.ndarray, up: bool) -> float:
    """A contract's gamma at the strikes a chase buys: ATM..+3 strikes (calls) or ATM..-3."""
    at_the_money = bisect.bisect_left(strike_list, spot)
    step = 1 if up else -1
    chased = [min(len(gamma) - 1, max(0, at_the_money + step * k)) for k in range(4)]
    return float(np.mean(gamma[chased]))


def gamma_flip(
    spot: float, strikes: np.ndarray, vols: np.ndarray, years: float, position: np.ndarray
) -> float:
    """The spot level nearest to now where the dealers' net gamma changes sign, searched over
    the whole listed chain (every half strike, refined linearly); NaN when there is none.
    The levels near spot are searched first (a flip is usually there), then all of them."""
    near = int(np.searchsorted(strikes, spot))
    for reach in (12, len(strikes)):
        low, high = max(0, near - reach), min(len(strikes) - 1, near + reach)
        level = _sign_change(spot, strikes, vols, years, position, low, high)
        if level is not None or (low == 0 and high == len(strikes) - 1):
            return math.nan if level is None else level
    return math.nan


def _sign_change(
    spot: float,
    strikes: np.ndarray,
    vols: np.ndarray,
    years: float,
    position: np.ndarray,
    low: int,
    high: int,
) -> float | None:
    """The sign change of net gamma nearest to spot among the levels between strikes[low] and
    strikes[high], using the strikes up to 8 either side (gamma further out is nil)."""
    step = (strikes[1] - strikes[0]) / 2
    levels = np.arange(strikes[low], strikes[high] + step / 2, step)
    first, last = max(0, low - 8), min(len(strikes), high + 9)
    root = vols[first:last] * math.sqrt(years)
    d1 = (np.log(levels[:, None] / strikes[None, first:last]) + 0.5 * root * root) / root
    net = (np.exp(-0.5 * d1 * d1) / root) @ position[first:last]
    significant = np.abs(net) > 1e-9 * np.abs(net).max(initial=0.0)
    levels, net = levels[significant], net[significant]
    crossings = np.nonzero(np.sign(net[:-1]) != np.sign(net[1:]))[0]
    if len(crossings) == 0:
        return None
    nearest = crossings[np.argmin(np.abs(levels[crossings] - spot))]
    a, b = net[nearest], net[nearest + 1]
    level = levels[nearest] + (levels[nearest + 1] - levels[nearest]) * a / (a - b)
    return round(float(level), 2)
