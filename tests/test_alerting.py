"""The per-symbol alert trackers shared by the dashboard, headless mode and replay."""

from __future__ import annotations

from datetime import date, timedelta

from hedgeflow_tui.analysis.alerting import AlertTrackers
from hedgeflow_tui.api.model import (
    FlowBar,
    HedgeFlowResponse,
    Response,
    SeriesBar,
    SeriesResponse,
    Side,
)
from hedgeflow_tui.engine.store import Change, Store
from hedgeflow_tui.market.clock import session_bounds

# two-way flow, then a growing buying run: a squeeze, confirmed by price
BARS = [1.0, -1.0] * 15 + [2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0]


def session(day: date) -> list[Response]:
    """Calls, puts and prices of a session with an upside squeeze on `day`."""
    open_ = session_bounds(day)[0]
    times = [open_ + timedelta(minutes=i) for i in range(len(BARS))]
    as_of = times[-1] + timedelta(minutes=1)
    legs: list[Response] = []
    shares: tuple[tuple[Side, float], ...] = (("calls", 0.8), ("puts", 0.2))
    for side, share in shares:
        cumulative, bars = 0.0, []
        for t, value in zip(times, BARS, strict=True):
            cumulative += value * share * 1e6
            bars.append(FlowBar(t=t, bar=value * share * 1e6, cumulative=cumulative))
        legs.append(HedgeFlowResponse("SPY", day, as_of, side, "1m", tuple(bars)))
    spots = tuple(  # dealers short gamma: the squeeze fingerprint's setting
        SeriesBar(t=t, spot=500.0 + sum(BARS[: i + 1]), net_gex=-1e8) for i, t in enumerate(times)
    )
    return [*legs, SeriesResponse("SPY", day, as_of, "1m", spots)]


def test_a_new_session_starts_a_fresh_tracker():
    store = Store()
    trackers = AlertTrackers(store)
    fired: list[tuple[Change, list[str]]] = []

    def on_change(change: Change) -> None:
        fired.append((change, [alert.kind for alert in trackers.update(change)]))

    store.subscribe(on_change)
    store.apply(session(date(2026, 6, 11)))
    first_day = fired[-1][1]
    assert "squeeze_confirmed" in first_day
    store.apply(session(date(2026, 6, 12)))
    change, kinds = fired[-1]
    assert change.new_session and kinds == first_day
    alerts = trackers.alerts("SPY")
    assert [a.kind for a in alerts] == first_day
    assert all(alert.t.date() == date(2026, 6, 12) for alert in alerts)
    signal = trackers.signal("SPY")
    assert signal is not None and signal.state == "confirmed"


def test_unknown_symbols_have_no_signal_and_no_alerts():
    trackers = AlertTrackers(Store())
    assert trackers.signal("QQQ") is None and trackers.alerts("QQQ") == []
