"""The replay screen's index of a recording: polls read back from a real file (plain or gzip)
equal the polls read front to back, and a seek replays only from where the sessions held began,
to the same store the whole replay reaches."""

from __future__ import annotations

import asyncio
import io
from datetime import date
from pathlib import Path

import pytest
from stepped_clock import stepped_clock

from hedgeflow_tui.config.settings import Settings
from hedgeflow_tui.engine.sources import open_source
from hedgeflow_tui.engine.store import SessionView, Store
from hedgeflow_tui.output.headless import run_headless
from hedgeflow_tui.storage.recording.index import RecordingIndex
from hedgeflow_tui.storage.recording.reader import RecordingStream
from hedgeflow_tui.storage.recording.replay import ReplayDriver

DAYS = (date(2026, 6, 11), date(2026, 6, 12))
pytestmark = pytest.mark.xdist_group("two_days")  # one worker: each recording made once


async def record_day(path: Path, day: date, symbols: tuple[str, ...] = ("SPY", "QQQ")) -> None:
    """The last 40 minutes of a simulated session at 1m bars, appended to `path`."""
    settings = Settings(
        symbols=list(symbols),
        bar="1m",
        headless=True,
        seed=3,
        date=day.isoformat(),
        start="15:20",
        record=path,
    )
    clock = stepped_clock(day, "15:20", sleepers=len(symbols))
    assert await run_headless(settings, open_source(settings, clock=clock), io.StringIO()) == 0


@pytest.fixture(scope="module", params=["two-days.jsonl", "two-days.jsonl.gz"])
def two_days(request, tmp_path_factory) -> Path:
    """Recorded once for the module's tests (they only read it). Module fixtures come before
    each test's own data dir and config (conftest), so this one sets its own."""
    folder = tmp_path_factory.mktemp("two-days")
    path = folder / request.param
    with pytest.MonkeyPatch.context() as env:
        env.delenv("FLASHALPHA_API_KEY", raising=False)
        env.setenv("HEDGEFLOW_CONFIG", str(folder / "no-config.toml"))
        env.setenv("HEDGEFLOW_DATA_DIR", str(folder / "data"))
        for day in DAYS:
            asyncio.run(record_day(path, day))
    return path


def views(store: Store) -> dict[str, SessionView | None]:
    return {symbol: store.session(symbol, "1m") for symbol in ("SPY", "QQQ")}


async def test_polls_read_back_equal_the_polls_read_front_to_back(two_days):
    front_to_back = list(RecordingStream(two_days))
    with RecordingIndex(two_days) as index:
        assert index.total == len(front_to_back) > 80
        assert index.symbols == ["SPY", "QQQ"] and index.bar_sizes == ["1m"]
        for position in (0, 1, index.total // 2, index.total - 1):
            batch, expected = index.batch(position), front_to_back[position]
            assert (batch.symbol, batch.bar_size, batch.as_of) == (
                expected.symbol,
                expected.bar_size,
                expected.as_of,
            )
            assert batch.responses == expected.responses


async def test_a_seek_replays_from_the_sessions_start_to_the_whole_replays_store(two_days):
    whole = Store()
    batches = list(RecordingStream(two_days))
    for batch in batches:
        whole.apply(batch.responses)
    second_day = next(i for i, b in enumerate(batches) if b.as_of.date() == DAYS[1])
    with RecordingIndex(two_days) as index:
        assert index.session_start(index.total) == second_day
        assert index.session_start(second_day) == 0  # the first day's sessions still held
        driver = ReplayDriver(index, Store(), speed=1.0)
        driver.rewind(index.total)
        assert driver.position == second_day
        while driver.step():
            pass
        assert views(driver.store) == views(whole)
        spy = views(whole)["SPY"]
        assert spy is not None and spy.rows[-1].t.date() == DAYS[1]


async def test_a_gzip_recording_is_read_back_from_a_private_copy_removed_on_close(tmp_path):
    path = tmp_path / "day.jsonl.gz"
    await record_day(path, DAYS[1], symbols=("SPY",))
    index = RecordingIndex(path)
    spool = index._spool
    assert spool is not None and not spool.closed
    assert index.batch(index.total - 1).responses
    index.close()
    assert spool.closed
