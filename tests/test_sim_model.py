"""The market model: deterministic, exact, and the stylized facts of a 0DTE market.

The facts are checked on a few SPY sessions pooled (seeds 20-31) so the suite stays fast;
bench/research/calibration.py measures them over 50+ seeds per symbol against the published figures.
The other tests here reuse those sessions where they can: the module runs in one pytest-xdist
worker (its `xdist_group`), so each session is simulated once (the model's own cache).
"""

from __future__ import annotations

import dataclasses
import math
from datetime import date

import numpy as np
import pytest

from hedgeflow_tui.sim import simulate_session
from hedgeflow_tui.sim.facts import Facts
from hedgeflow_tui.sim.market import (
    CHASE_BUY,
    CHASE_MOST,
    LATE_SAMPLES,
    LETF_SECONDS,
    SAMPLES_PER_DAY,
    SQUEEZE_REGIMES,
    SYMBOLS,
    Chase,
    SessionRun,
    _customer_trades,
    _schedule,
    _start_chase,
    gamma_flip,
    greeks,
)
from hedgeflow_tui.sim.truth import LEVEL, MIN_SAMPLES, SHORT_SHARE, _runs, stretches

pytestmark = pytest.mark.xdist_group("sim_model")  # one worker: one cache of the sessions

DAY = date(2026, 6, 12)
SEEDS = range(20, 32)
TWO_HOURS = 240  # samples


def test_a_seed_gives_one_session_and_another_seed_another():
    # fresh runs (not the cache's) of the first two hours: the whole day's equality to its
    # pieces is the next test's
    a, again, other = (SessionRun("SPY", DAY, seed).upto(TWO_HOURS) for seed in (1, 1, 2))
    assert a.regime == again.regime and a.regime != other.regime  # the day's plan
    for name in ("spot", "calls", "puts", "net_gex", "gamma_flip"):
        assert np.array_equal(getattr(a, name), getattr(again, name), equal_nan=True), name
    assert a.spot[TWO_HOURS - 1] > 0
    assert not np.array_equal(a.calls, other.calls)


def test_a_session_simulated_a_piece_at_a_time_equals_one_simulated_whole():
    whole = SessionRun("QQQ", DAY, 99).upto(SAMPLES_PER_DAY)
    run = SessionRun("QQQ", DAY, 99)
    first = run.upto(100)
    assert run.ready == 100 and not first.spot[100:].any()  # nothing past what was asked for
    for upto in (100, 101, 250, 779, SAMPLES_PER_DAY, SAMPLES_PER_DAY + 5):
        run.upto(upto)
    for name in ("spot", "calls", "puts", "net_gex", "gamma_flip", "call_wall", "put_wall"):
        assert np.array_equal(getattr(run.path, name), getattr(whole, name), equal_nan=True), name
    assert run.path.regime == whole.regime


def test_flows_are_whole_dollars_and_prices_realistic():
    for symbol, level, seed in (("SPY", 590, SEEDS[0]), ("QQQ", 510, 3), ("SPX", 5900, 3)):
        path = simulate_session(symbol, DAY, seed)
        assert len(path.calls) == SAMPLES_PER_DAY
        assert np.all(path.calls == np.round(path.calls))
        assert np.all(path.puts == np.round(path.puts))
        assert 0.9 * level < path.spot[0] < 1.1 * level
        assert np.all(np.abs(np.diff(np.log(path.spot))) < 0.01)  # no 1% jump in 30 s
        assert np.all(path.put_wall <= path.call_wall)


def test_squeezes_are_labelled_by_outcome_chase_or_not_and_chases_that_fail_are_absorbed():
    seeds = [*SEEDS, 4]  # seed 4: a chase absorbed
    labelled = [(seed, s) for seed in seeds for s in stretches(simulate_session("SPY", DAY, seed))]
    kinds = {s.kind for _, s in labelled}
    assert kinds == {"squeeze", "absorbed_chase"}
    unscheduled = 0
    for seed, stretch in labelled:
        path = simulate_session("SPY", DAY, seed)
        samples = range(stretch.first, stretch.last + 1)
        chased = {path.regime[i] for i in samples} & set(SQUEEZE_REGIMES)
        if stretch.kind == "squeeze":
            assert len(samples) >= MIN_SAMPLES
            assert np.mean(path.net_gex[stretch.first : stretch.last + 1] < 0) >= SHORT_SHARE
            assert min(stretch.flow_z, stretch.price_z) >= LEVEL, stretch
            sign = 1 if stretch.direction == "up" else -1
            before = path.spot[max(0, stretch.first - 1)]
            move = sign * math.log(path.spot[stretch.last] / before) * 1e4
            assert move == pytest.approx(stretch.move_bp, abs=0.06)
            unscheduled += not chased
        else:  # a chase of the plan that left no squeeze its way
            assert chased == {next(r for r, d in SQUEEZE_REGIMES.items() if d == stretch.direction)}
            assert not any(
                other.kind == "squeeze"
                and other.direction == stretch.direction
                and other.first <= stretch.last
                and stretch.first <= other.last
                for s_seed, other in labelled
                if s_seed == seed
            )
    assert unscheduled > 0  # every stretch that passes is labelled, scheduled or not


def test_the_truth_so_far_reads_only_the_samples_before_now():
    path = simulate_session("SPY", DAY, 24)
    whole = stretches(path)
    cut = whole[0].last + 1
    assert all(s.last < cut for s in stretches(path, upto=cut))
    assert any(s.first == whole[0].first for s in stretches(path, upto=cut))


def test_a_chase_buys_the_chased_type_near_the_money_only():
    rng = np.random.default_rng(5)
    for regime, call in (("call_chase", True), ("put_flush", False)):
        index, _, buys, is_call = _customer_trades(rng, regime, 3000.0, 400.0, 40, 40)
        chase = slice(len(index) - 2500, None)  # the chase's trades come last (Poisson ~3000)
        assert np.all(is_call[chase] == call)
        offsets = (index[chase] - 40) * (1 if call else -1)
        assert offsets.min() == 0 and offsets.max() == 3
        assert abs(np.mean(buys[chase]) - CHASE_BUY) < 0.03


def test_a_chase_is_sized_against_the_dealers_book_and_capped_where_it_would_run_away():
    def sized(multiple: float, net: float, most_short: float = 1e9, largest=1e9) -> float:
        chase = Chase(100, 40, multiple, np.full(40, 1 / 40), 0.2)
        regime = ["calm"] * SAMPLES_PER_DAY
        _start_chase(
            chase, regime, SAMPLES_PER_DAY, 590.0, 589.0, 2.0, net, 50.0, most_short, largest
        )
        assert regime[100:140] == ["call_chase"] * 40 and regime[140] == "calm"
        return chase.contracts

    assert sized(1.5, 1000.0) == pytest.approx(750.0)  # 1.5 x the 500 contracts to zero
    assert sized(0.5, 1000.0) == pytest.approx(250.0)  # absorbed: dealers stay long
    assert sized(2.0, -100.0) == pytest.approx(100.0)  # already short: m x the floor
    assert sized(3.0, 1000.0, most_short=100.0) == pytest.approx(600.0)  # 500 + 100
    assert sized(3.0, 1000.0, largest=400.0) == pytest.approx(400.0)  # never beyond a share
    # of the day's volume: late in the day near-money gamma is steep, the book's to-zero huge


def test_no_chase_buys_more_than_its_share_of_a_days_contracts():
    for seed in SEEDS:
        path = simulate_session("SPY", DAY, seed)
        assert all(
            c.contracts <= CHASE_MOST * SYMBOLS["SPY"].contracts_per_day for c in path.chases
        )


def test_leveraged_etfs_rebalance_with_the_day_in_the_last_half_hour(monkeypatch):
    """The leveraged ETFs' rebalancing follows the day's return: with it the close lies further
    the day's way than without it (on most sessions: the dealers' hedging in the last
    half-hour is not linear), and nothing before the last half-hour changes."""
    with_funds = {seed: simulate_session("SPY", DAY, seed) for seed in SEEDS}
    monkeypatch.setitem(SYMBOLS, "SPY", dataclasses.replace(SYMBOLS["SPY"], letf=0.0))
    rebalancing = SAMPLES_PER_DAY - LETF_SECONDS // 30
    days, pushes = [], []
    for seed, path in with_funds.items():
        run = SessionRun("SPY", DAY, seed)
        without = run.upto(run.path.samples)
        assert np.array_equal(path.spot[:rebalancing], without.spot[:rebalancing])
        days.append(math.log(path.spot[rebalancing - 1] / path.spot[0]))
        pushes.append(math.log(path.spot[-1] / without.spot[-1]))
    day, pushed = np.array(days), np.array(pushes)
    assert np.mean(day * pushed > 0) >= 2 / 3
    assert np.median(pushed / day) > 0.1  # the close moves a tenth of the day further


def test_a_pin_sells_the_straddles_of_the_strike_nearest_to_spot_when_it_starts():
    pins = 0
    for seed in SEEDS:
        path = simulate_session("SPY", DAY, seed)
        for first, last in _runs(np.array([r == "pin" for r in path.regime])):
            traded = path.strike_contracts[first : last + 1].sum(axis=0)
            before = path.spot[first - 1]
            assert abs(path.strikes[int(np.argmax(traded))] - before) <= 1.5
            pins += 1
    assert pins >= 3


def test_chases_lean_toward_the_last_90_minutes():
    starts = [
        chase.start
        for seed in range(300)
        for chase in _schedule(np.random.default_rng(seed), SAMPLES_PER_DAY).chases
    ]
    late = np.mean(np.array(starts) >= SAMPLES_PER_DAY - LATE_SAMPLES)
    assert late > 0.4  # the last 90 minutes are 23% of the day


def test_charm_and_gamma_grow_into_the_close():
    strikes = np.array([600.0])
    vols = np.array([0.15])
    _, _, early = greeks(600.0, strikes, vols, 6 / (365 * 24))
    _, _, late = greeks(600.0, strikes, vols, 0.25 / (365 * 24))
    assert late[0] > 4 * early[0]


def test_gamma_flip_is_a_real_sign_change_or_nothing():
    strikes = 590.0 + np.arange(-40, 41)
    vols = np.full(len(strikes), 0.14)
    years = 3 / (365 * 24)
    long_only = np.where(np.abs(strikes - 590) <= 15, 500.0, 0.0)
    assert math.isnan(gamma_flip(590.0, strikes, vols, years, long_only))
    short_puts_below = long_only - 4000.0 * (strikes == 584.0)
    flip = gamma_flip(590.0, strikes, vols, years, short_puts_below)
    assert 584.0 < flip < 590.0

    def net(level: float) -> float:
        _, _, gamma = greeks(level, strikes, vols, years)
        return float(gamma @ short_puts_below)

    assert net(flip - 0.3) < 0 < net(flip + 0.3)
    far = long_only - 4000.0 * (strikes == 560.0)  # a flip 5% away is still found
    assert 560.0 < gamma_flip(590.0, strikes, vols, years, far) < 575.0


@pytest.fixture(scope="module")
def facts() -> Facts:
    pooled = Facts()
    for seed in SEEDS:
        pooled.add(simulate_session("SPY", DAY, seed))
    return pooled


def test_dealers_are_long_gamma_most_of_the_time_and_short_in_squeezes(facts):
    assert facts.positive_gex_share() >= 0.6
    assert facts.squeeze_short_share() > 0.5


def test_long_gamma_mean_reverts_and_short_gamma_trends(facts):
    assert facts.autocorr_long() < 0  # reversal when dealers are long gamma
    assert facts.autocorr_short() > facts.autocorr_long() + 0.2  # momentum when short


def test_minute_returns_are_those_of_spy(facts):
    assert all(3 <= sd <= 9 for sd in facts.calm_sd)  # bp, calm stretches
    assert facts.max_calm_move < 0.006  # no minute beyond 0.6% outside a squeeze
    assert facts.flow_r2() < 0.4  # same-minute hedge flow explains well under half


def test_customers_trade_both_ways_busy_at_the_open_and_into_the_close(facts):
    assert facts.selling_share() >= 0.3
    profile = facts.activity()
    assert profile["first 30 min"] > 1.5 * profile["12:00-13:00"]
    assert profile["last 60 min"] > 1.5 * profile["12:00-13:00"]


def test_squeezes_vary_in_number_length_and_size(facts):
    assert 0 in facts.episodes and max(facts.episodes) >= 2
    assert min(facts.durations) <= 6 and max(facts.durations) >= 25  # minutes
    small, large = np.percentile(facts.moves, [5, 95])
    assert large > 4 * small


def test_chase_onsets_are_both_abrupt_and_gradual():
    ramps = []
    for seed in range(200):
        for chase in _schedule(np.random.default_rng(seed), SAMPLES_PER_DAY).chases:
            ramps.append(int(np.argmax(chase.shape >= 0.8 * chase.shape.max())) / chase.length)
    assert min(ramps) < 0.1 and max(ramps) > 0.4


def test_intraday_momentum_comes_with_its_bootstrap_interval(facts):
    low, high = facts.intraday_momentum_interval(200)
    assert -1 <= low < facts.intraday_momentum() < high <= 1
