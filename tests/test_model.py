"""Parsing of API answers: schema drift tolerated, broken data refused with a short reason."""

from datetime import UTC, date, datetime

import pytest

from hedgeflow_tui.api.model import (
    DataError,
    SeriesExtras,
    parse_account,
    parse_hedge_flow,
    parse_series,
)

SERIES_ENVELOPE = {
    "symbol": "SPY",
    "expiration": "2026-06-12",
    "as_of": "2026-06-12T18:45:12Z",
    "bar_size": "5m",
}


def flow(**overrides):
    payload = {
        "symbol": "SPY",
        "expiration": "2026-06-12",
        "as_of": "2026-06-12T18:45:12Z",
        "side": "calls",
        "bar_size": "5m",
        "bars": [
            {"t": "2026-06-12T18:35:00Z", "bar": 1.0, "cumulative": 10},
            {"t": "2026-06-12T14:40:00-04:00", "bar": None, "cumulative": 12.5},
        ],
        "endpoint_version": "x",
        "data_as_of": {"node": "n"},
    }
    payload.update(overrides)
    return payload


def test_hedge_flow_parses_times_to_utc_and_keeps_nulls_as_none():
    parsed = parse_hedge_flow(flow(brand_new_field={"a": 1}))
    assert parsed.expiration == date(2026, 6, 12)
    assert parsed.bars[1].t == datetime(2026, 6, 12, 18, 40, tzinfo=UTC)
    assert parsed.bars[1].bar is None
    assert parsed.bars[0].cumulative == 10.0


def test_empty_bars_is_a_normal_answer():
    assert parse_hedge_flow(flow(bars=[], expiration=None)).bars == ()


@pytest.mark.parametrize(
    "overrides, reason",
    [
        (
            {"bars": [{"t": "2026-06-12T18:35:00Z", "bar": "12", "cumulative": 1}]},
            "'bar' is not a number",
        ),
        (
            {"bars": [{"t": "2026-06-12T18:35:00Z", "bar": True, "cumulative": 1}]},
            "'bar' is not a number",
        ),
        (
            {"bars": [{"t": "2026-06-12T18:35:00Z", "bar": float("nan"), "cumulative": 1}]},
            "'bar' is not finite",
        ),
        ({"bars": [{"t": "yesterday", "bar": 1, "cumulative": 1}]}, "'t' is not an ISO time"),
        (
            {"bars": [{"t": "2026-06-12T18:35:00", "bar": 1, "cumulative": 1}]},
            "'t' has no UTC offset",
        ),
        ({"bars": [{"t": "2026-06-12T18:40:00Z"}, {"t": "2026-06-12T18:35:00Z"}]}, "ascending"),
        ({"bars": [{"t": "2026-06-12T18:40:00Z"}, {"t": "2026-06-12T18:40:00Z"}]}, "ascending"),
        ({"bars": {"t": 1}}, "'bars' is not a list"),
        ({"side": "both"}, "unknown side"),
        ({"bar_size": "2m"}, "unknown bar_size"),
        ({"as_of": None}, "'as_of' is not a time string"),
    ],
)
def test_broken_hedge_flow_raises_data_error_with_reason(overrides, reason):
    with pytest.raises(DataError, match=reason):
        parse_hedge_flow(flow(**overrides))


def test_missing_envelope_field_is_named():
    payload = flow()
    del payload["symbol"]
    with pytest.raises(DataError, match="missing field 'symbol'"):
        parse_hedge_flow(payload)


def test_not_an_object():
    with pytest.raises(DataError, match="not a JSON object"):
        parse_hedge_flow([1, 2])


def test_series_keeps_spot_and_regime_metrics():
    parsed = parse_series(
        {
            "symbol": "SPY",
            "expiration": "2026-06-12",
            "as_of": "2026-06-12T18:45:12Z",
            "bar_size": "1m",
            "bars": [
                {
                    "t": "2026-06-12T18:35:00Z",
                    "spot": 601.25,
                    "gamma_flip": 598.0,
                    "call_wall": 605,
                    "put_wall": 595,
                    "regime": "negative_gamma",
                    "atm_iv": None,
                }
            ],
        }
    )
    bar = parsed.bars[0]
    assert (bar.spot, bar.gamma_flip, bar.call_wall, bar.put_wall, bar.regime) == (
        601.25,
        598.0,
        605.0,
        595.0,
        "negative_gamma",
    )


def test_account_counts_arrive_as_strings_or_unlimited():
    growth = parse_account(
        {
            "plan": "growth",
            "daily_limit": "2500",
            "remaining": "2400",
            "usage_today": 100,
            "resets_at": "2026-06-13T00:00:00Z",
        }
    )
    assert (growth.daily_limit, growth.remaining) == (2500, 2400)
    alpha = parse_account(
        {"plan": "alpha", "daily_limit": "unlimited", "remaining": "unlimited", "usage_today": 5}
    )
    assert (alpha.daily_limit, alpha.remaining, alpha.resets_at) == (None, None, None)
    with pytest.raises(DataError, match="'remaining' is not a count"):
        parse_account({"plan": "basic", "daily_limit": "100", "remaining": "lots"})


@pytest.mark.parametrize(
    ("feeds", "expected"),
    [
        ({"node": "n"}, None),  # unsaid
        (
            {"equity_options_feed": "2026-06-12T18:45:00Z"},
            datetime(2026, 6, 12, 18, 45, tzinfo=UTC),
        ),
        (  # SPY: the equity options feed and the flow feed, the older; others do not count
            {
                "equity_feed": "2026-06-12T18:10:00Z",
                "equity_options_feed": "2026-06-12T18:45:00Z",
                "index_options_feed": "2026-06-12T18:30:00Z",
                "flow_feed": "2026-06-12T18:44:30Z",
            },
            datetime(2026, 6, 12, 18, 44, 30, tzinfo=UTC),
        ),
        (
            {"equity_options_feed": "2026-06-12T19:00:00Z"},
            datetime(2026, 6, 12, 18, 45, 12, tzinfo=UTC),
        ),
        ({"equity_options_feed": "soon", "flow_feed": 3}, None),  # unreadable: unsaid
        ({"index_options_feed": "2026-06-12T18:45:00Z"}, None),  # another symbol's feed
        ("yesterday", None),
    ],
)
def test_data_as_of_is_the_symbols_own_feeds_never_after_the_answer(feeds, expected):
    assert parse_hedge_flow(flow(data_as_of=feeds)).data_as_of == expected
    series = {k: v for k, v in flow(data_as_of=feeds).items() if k != "side"}
    assert parse_series(series).data_as_of == expected


def test_an_index_reads_its_index_options_feed():
    feeds = {
        "equity_options_feed": "2026-06-12T18:10:00Z",
        "index_options_feed": "2026-06-12T18:45:00Z",
    }
    answer = flow(data_as_of=feeds) | {"symbol": "SPX"}
    assert parse_hedge_flow(answer).data_as_of == datetime(2026, 6, 12, 18, 45, tzinfo=UTC)


def test_series_carries_the_metrics_beyond_those_charted_null_as_none():
    bar = {"t": "2026-06-12T18:40:00Z", "spot": 601.0}
    plain = parse_series({**SERIES_ENVELOPE, "bars": [bar]}).bars[0]
    assert plain.extras == SeriesExtras()
    full = parse_series(
        {
            **SERIES_ENVELOPE,
            "bars": [
                bar
                | {
                    "magnet": 600.0,
                    "pin_score": 0.62,
                    "pin_probability_pct": 48.0,
                    "charm_dollars_per_hour": -1.2e6,
                    "net_dex": 3.4e9,
                    "atm_iv": 0.142,
                    "gamma_flip_status": "available",
                    "net_gex": None,
                }
            ],
        }
    ).bars[0]
    assert full.extras == SeriesExtras(600.0, 0.62, 48.0, -1.2e6, 3.4e9, 0.142, "available")


def test_the_regime_line_shows_the_metrics_present_and_leaves_out_the_null():
    from hedgeflow_tui.engine.store import Regime
    from hedgeflow_tui.ui.widgets.regime import regime_text

    t = datetime(2026, 6, 12, 18, 40, tzinfo=UTC)
    extras = SeriesExtras(magnet=600.0, pin_probability_pct=48.0, atm_iv=0.142)
    regime = Regime(t, 601.0, 598.0, 605.0, 595.0, 2e8, "positive_gamma", extras)
    line = regime_text(regime, 300)
    assert "magnet 600.00" in line and "pin (48%)" in line and "ATM IV 14.2%" in line
    assert "charm" not in line and "net DEX" not in line  # null: left out
    assert "magnet" not in regime_text(regime, 90)  # a narrow line drops them first


def test_a_withheld_flip_says_why_and_a_published_one_says_nothing_more():
    from hedgeflow_tui.engine.store import Regime
    from hedgeflow_tui.ui.widgets.regime import regime_text

    t = datetime(2026, 6, 12, 18, 40, tzinfo=UTC)
    published = SeriesExtras(gamma_flip_status="available")
    line = regime_text(Regime(t, 601.0, 598.0, 605.0, 595.0, 2e8, "positive_gamma", published))
    assert "γ-flip 598.00" in line and "available" not in line and "positive gamma" in line
    withheld = SeriesExtras(gamma_flip_status="insufficient_local_coverage")
    regime = Regime(t, 601.0, None, 605.0, 595.0, 2e8, "unknown", withheld)
    line = regime_text(regime)
    assert line.startswith("spot 601.00 · γ-flip withheld (insufficient local coverage) · ")
    assert line.endswith("· regime unknown")
    narrow = regime_text(regime, 78)  # an 80-column terminal: the reason goes last
    assert narrow == "spot 601.00 · γ-flip withheld · walls 605.00 / 595.00 · net GEX +$200.0M"
