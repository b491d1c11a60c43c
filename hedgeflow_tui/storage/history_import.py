"""Recordings imported into the session history: replayed through a store and the detector, as
the live run merged them, each session checked before any of it is written."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from hedgeflow_tui.analysis.alerting import AlertTrackers, AnyAlert
from hedgeflow_tui.api.model import iso
from hedgeflow_tui.config.alert_rules import FlowRule
from hedgeflow_tui.config.checks import DATE_YEARS
from hedgeflow_tui.engine.store import Change, Row, SessionView, Store
from hedgeflow_tui.market.calendar import is_session
from hedgeflow_tui.market.clock import session_bounds
from hedgeflow_tui.storage.history import History, HistoryError, HistoryFeed, market_of, session_day
from hedgeflow_tui.storage.recording.reader import Recording


@dataclass
class Imported:
    sessions: int  # sessions (symbol, day, bar size) written
    refused: list[str]  # why each refused session was not


def import_recording(
    history: History,
    recording: Recording,
    sensitivity: str,
    rules: tuple[FlowRule, ...] = (),
    *,
    levels: bool = True,
) -> Imported:
    """Replay a recording through the store and detector, as the live run did, into the history.
    A session that cannot be one (its day not a trading day, bars outside its hours) is
    refused whole: found in a first pass, left out of the second, which writes."""
    header = recording.headers[0] if recording.headers else {}
    feed = HistoryFeed(history, market_of(str(header.get("source", "LIVE")), header.get("seed")))
    refused: dict[_Session, str] = {}
    written: set[_Session] = set()

    def check(view: SessionView, change: Change, alerts: list[AnyAlert]) -> None:
        session = (view.symbol, view.bar_size, view.expiration)
        problem = refused.get(session) or _inconsistency(view, change.rows)
        if problem is not None:
            refused[session] = problem

    def write(view: SessionView, change: Change, alerts: list[AnyAlert]) -> None:
        session = (view.symbol, view.bar_size, view.expiration)
        if session in refused:
            return
        feed.record(view, change.rows, alerts)
        if feed.error is not None:
            raise HistoryError(feed.error)
        if view.rows:
            written.add(session)

    alerting = (sensitivity, rules, levels)
    _replay(recording, alerting, check)
    _replay(recording, alerting, write)
    return Imported(len(written), list(refused.values()))


_Session = tuple[str, str, object]  # symbol, bar size, expiration


Alerting = tuple[str, tuple[FlowRule, ...], bool]  # sensitivity, [[alert]] rules, level alerts


def _replay(
    recording: Recording,
    alerting: Alerting,
    each: Callable[[SessionView, Change, list[AnyAlert]], None],
) -> None:
    """The recording's batches merged into a fresh store, `each` told of every change."""
    store = Store()
    trackers: dict[str, AlertTrackers] = {}  # per bar size: a recording may hold several

    def on_change(change: Change) -> None:
        if change.bar_size not in trackers:
            sensitivity, rules, levels = alerting
            trackers[change.bar_size] = AlertTrackers(store, sensitivity, rules, levels=levels)
        alerts = trackers[change.bar_size].update(change)
        view = store.session(change.symbol, change.bar_size)
        if view is not None:
            each(view, change, alerts)

    store.subscribe(on_change)
    for batch in recording.batches:
        store.apply(batch.responses)


def _inconsistency(view: SessionView, rows: Sequence[Row]) -> str | None:
    """Why a session is not one a market could have had, or None."""
    day = session_day(view)
    if day is None:
        return None
    name = f"{view.symbol} {day.isoformat()}"
    if not DATE_YEARS[0] <= day.year <= DATE_YEARS[1]:
        return f"{name}: the year is outside {DATE_YEARS[0]}..{DATE_YEARS[1]}"
    if not is_session(day):
        return f"{name}: not a trading day"
    opened, closed = session_bounds(day)
    for row in rows:
        if not opened <= row.t < closed:
            return f"{name}: a bar at {iso(row.t)} is outside the session's hours"
    return None
