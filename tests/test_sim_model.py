"""The market model: deterministic, exact, and squeezes that come from the dealers' gamma."""

from __future__ import annotations

from datetime import date

import numpy as np

from hedgeflow_tui.sim import simulate_session
from hedgeflow_tui.sim.market import SAMPLES, SQUEEZE_REGIMES, SessionRun, greeks, session_run

DAY = date(2026, 6, 12)


def test_a_seed_gives_one_session_and_another_seed_another():
    a = simulate_session("SPY", DAY, 1)
    session_run.cache_clear()
    again = simulate_session("SPY", DAY, 1)
    other = simulate_session("SPY", DAY, 2)
    assert np.array_equal(a.calls, again.calls) and np.array_equal(a.spot, again.spot)
    assert not np.array_equal(a.calls, other.calls)


def test_a_session_simulated_a_piece_at_a_time_equals_one_simulated_whole():
    whole = SessionRun("QQQ", DAY, 99).upto(SAMPLES)
    run = SessionRun("QQQ", DAY, 99)
    first = run.upto(100)
    assert run.ready == 100 and not first.spot[100:].any()  # nothing past what was asked for
    for upto in (100, 101, 250, 779, SAMPLES, SAMPLES + 5):
        run.upto(upto)
    for name in ("spot", "calls", "puts", "net_gex", "gamma_flip", "call_wall", "put_wall"):
        assert np.array_equal(getattr(run.path, name), getattr(whole, name)), name
    assert run.path.regime == whole.regime


def test_flows_are_whole_dollars_and_prices_realistic():
    for symbol, level in (("SPY", 590), ("QQQ", 510), ("SPX", 5900)):
        path = simulate_session(symbol, DAY, 3)
        assert len(path.calls) == SAMPLES
        assert np.all(path.calls == np.round(path.calls)) and np.all(
            path.puts == np.round(path.puts)
        )
        assert 0.9 * level < path.spot[0] < 1.1 * level
        assert np.all(np.abs(np.diff(np.log(path.spot))) < 0.01)  # no 1% jump in 30 s
        assert np.all(path.put_wall <= path.call_wall)


def test_regimes_switch_and_episodes_follow_them():
    path = simulate_session("SPY", DAY, 8)
    assert len(set(path.regime)) >= 3
    episodes = path.episodes(60)
    assert episodes
    for start, end, direction in episodes:
        index = int((start - path.open).total_seconds() // 30)
        assert SQUEEZE_REGIMES[path.regime[index]] == direction
        assert start <= end


def test_charm_and_gamma_grow_into_the_close():
    strikes = np.array([600.0])
    vols = np.array([0.15])
    _, _, early = greeks(600.0, strikes, vols, 6 / (365 * 24))
    _, _, late = greeks(600.0, strikes, vols, 0.25 / (365 * 24))
    assert late[0] > 4 * early[0]


def calm_samples(gex_sign: int, seeds=range(20, 32)) -> tuple[np.ndarray, np.ndarray]:
    """Hedge flow and price change of every calm 30 s sample whose dealers' net GEX has the
    given sign, pooled over several sessions: no customer push, only the dealers' response."""
    flows, moves = [], []
    for seed in seeds:
        path = simulate_session("SPY", DAY, seed)
        mask = (np.sign(path.net_gex) == gex_sign) & np.array([r == "calm" for r in path.regime])
        flows.append((path.calls + path.puts)[mask])
        moves.append(np.diff(path.spot, prepend=path.spot[0])[mask])
    return np.concatenate(flows), np.concatenate(moves)


def test_short_gamma_dealers_chase_and_amplify_long_gamma_dealers_do_not():
    short_flow, short_move = calm_samples(-1)
    long_flow, long_move = calm_samples(+1)
    chase = np.corrcoef(short_flow, short_move)[0, 1]
    fade = np.corrcoef(long_flow, long_move)[0, 1]
    assert chase > 0.5  # short gamma: dealers buy the rise and sell the fall
    assert fade < chase - 0.5  # long gamma: their hedging leans against the move
    assert np.std(short_move) > 1.5 * np.std(long_move)  # and moves are amplified vs damped


def test_squeeze_episodes_bring_same_signed_growing_flow_that_moves_price():
    same_sign, growth, price_with = [], [], []
    for seed in range(40, 60):
        path = simulate_session("SPY", DAY, seed)
        minute = (path.calls + path.puts).reshape(-1, 2).sum(axis=1)
        spot = path.spot[1::2]
        for start, end, direction in path.episodes(60):
            i = int((start - path.open).total_seconds() // 60)
            j = int((end - path.open).total_seconds() // 60)
            if j - i < 6:
                continue
            sign = 1 if direction == "up" else -1
            run = minute[i : j + 1] * sign
            same_sign.append(np.mean(run > 0))
            half = len(run) // 2
            growth.append(run[half:].mean() > run[:half].mean())
            price_with.append((spot[j] - spot[max(0, i - 1)]) * sign > 0)
    assert np.mean(same_sign) > 0.7
    assert np.mean(growth) > 0.7
    assert np.mean(price_with) > 0.6
