"""Session history: every session's merged bars and alerts in an embedded SQLite database.

`history.sqlite3` in the user data dir (`HEDGEFLOW_DATA_DIR` overrides the dir). One row per
session (symbol, day, bar size, market), one per bar, one per alert. The market keeps sources
apart: `live` (the FlashAlpha API), `remote` (a `--base-url` server) and `sim:SEED` (the
simulator, per seed), and every comparison stays inside one market, so simulated sessions never
mix into live percentiles. No API key, host or URL is ever stored.

Safety: WAL journal (readers never block the writer), `synchronous=NORMAL` (a commit is in the
WAL before `commit` returns, so killing the process loses nothing committed; only a power cut
could lose the last commits), one short `BEGIN IMMEDIATE` transaction per poll with a short busy
timeout, and one writer per database: the first process takes an exclusive lock on
`history.sqlite3.lock`; a second dashboard opens the database read-only and says so. The writer
reads and writes on two connections, so a read never waits for a write's busy timeout, and a live
feed writes from a thread of its own (`HistoryFeed`): SQLite never blocks the event loop, and a
write that fails (another process holding the database's write lock) is retried on the next poll.
The files are the user's alone (0600), like the recordings. A database on read-only media is
opened immutable. The schema has a version (`PRAGMA user_version`) and ordered migrations.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO

from hedgeflow_tui.analysis.alerting import AnyAlert
from hedgeflow_tui.analysis.levels import LevelAlert
from hedgeflow_tui.api.model import EXTRA_FIELDS, NO_EXTRAS, SeriesExtras, flip_status
from hedgeflow_tui.config.settings import data_dir
from hedgeflow_tui.engine.store import Row, SessionView
from hedgeflow_tui.market.bars import BAR_SECONDS, bar_delta
from hedgeflow_tui.market.clock import ET, session_bounds

FILE_NAME = "history.sqlite3"
BUSY_TIMEOUT_MS = 100  # a write waiting for another process: off the loop, retried next poll
FINAL_WAIT_S = 3.0  # at the end of a run: how long the last writes wait for the write lock
TABLES = ("sessions", "bars", "alerts")
SQUEEZE_STARTS = ("squeeze_building", "squeeze_confirmed")
EPISODE_ENDS = ("squeeze_ended", "reversal")
NOT_SAVED = "history not saved: "  # how a failed write is said

# Each entry takes the schema from version i to i + 1; never edit a released one, append.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        symbol TEXT NOT NULL,
        day TEXT NOT NULL,              -- YYYY-MM-DD, the 0DTE expiry
        bar_size TEXT NOT NULL,
        market TEXT NOT NULL,           -- live | remote | sim:SEED
        open INTEGER NOT NULL,          -- 09:30 ET of `day`, Unix seconds
        UNIQUE (symbol, bar_size, market, day)
    );
    CREATE TABLE bars (
        session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        t INTEGER NOT NULL,             -- bucket start, Unix seconds
        calls REAL, puts REAL, all_flow REAL,
        cum_calls REAL, cum_puts REAL, cum_all REAL,
        spot REAL,
        peak REAL,                      -- largest |all| of the session up to this bar
        PRIMARY KEY (session_id, t)
    ) WITHOUT ROWID;
    CREATE TABLE alerts (
        session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        t INTEGER NOT NULL,
        kind TEXT NOT NULL,
        direction TEXT NOT NULL,
        bars INTEGER NOT NULL,
        run_flow REAL NOT NULL,
        attribution TEXT NOT NULL,
        price_confirms INTEGER NOT NULL,
        cum_all REAL,
        UNIQUE (session_id, t, kind)
    );
    """,
    """
    ALTER TABLE bars ADD COLUMN net_gex REAL;     -- dealers' net GEX at the bucket
    ALTER TABLE bars ADD COLUMN gamma_flip REAL;  -- the gamma flip level at the bucket
    """,
    """
    ALTER TABLE bars ADD COLUMN magnet REAL;      -- the series' other metrics at the bucket
    ALTER TABLE bars ADD COLUMN pin_score REAL;
    ALTER TABLE bars ADD COLUMN pin_probability_pct REAL;
    ALTER TABLE bars ADD COLUMN charm_dollars_per_hour REAL;
    ALTER TABLE bars ADD COLUMN net_dex REAL;
    ALTER TABLE bars ADD COLUMN atm_iv REAL;
    ALTER TABLE bars ADD COLUMN gamma_flip_status TEXT;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class HistoryError(RuntimeError):
    """The history cannot be used; the message is one line for the user."""


def history_path() -> Path:
    return data_dir() / FILE_NAME


def market_of(source: str, seed: int | None = None) -> str:
    """The market a source's sessions belong to: LIVE → live, REMOTE → remote, SIMULATED →
    sim:SEED (sim:? when the seed is unknown)."""
    if source == "SIMULATED":
        return f"sim:{'?' if seed is None else seed}"
    return source.lower()


def market_label(market: str) -> str:
    """How a market reads on screen: live, remote server, simulated (seed 7)."""
    if market.startswith("sim:"):
        return f"simulated, seed {market[4:]}"
    return {"remote": "remote server"}.get(market, market)


def session_day(view: SessionView) -> date | None:
    """The session's day: its expiry, else the ET date of its first bar."""
    if view.expiration is not None:
        return view.expiration
    return view.rows[0].t.astimezone(ET).date() if view.rows else None


def _epoch(t: datetime) -> int:
    return int(t.timestamp())


def _time(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


@dataclass(frozen=True, slots=True)
class SessionSummary:
    id: int
    symbol: str
    day: date
    bar_size: str
    market: str
    bars: int
    net_flow: float | None  # the last known cumulative of all
    squeezes: int


@dataclass(frozen=True, slots=True)
class PastPoint:
    """One past session at a time of day: its cumulative and its largest |bar| up to then."""

    day: date
    cum_all: float | None
    peak: float | None


@dataclass(frozen=True, slots=True)
class PastBars:
    """Some of a past session's bars: seconds after its open, cumulative and largest |bar| so
    far (`History.past_bars`)."""

    session_id: int
    day: date
    seconds: list[int]  # ascending
    cum_all: list[float | None]
    peak: list[float | None]

    def at(self, offset: timedelta, bar_size: str) -> PastPoint:
        """The session at `offset` after its open, as `History.same_time` reads it: its last
        bar at or before then, if that bar is within two bars of it; else an empty point (the
        bars read must cover those two bars up to `offset`)."""
        at = int(offset.total_seconds())
        i = bisect_right(self.seconds, at) - 1
        if i < 0 or self.seconds[i] < at - 2 * BAR_SECONDS[bar_size]:
            return PastPoint(self.day, None, None)
        return PastPoint(self.day, self.cum_all[i], self.peak[i])


class LockHeld(OSError):
    """Another process holds the writer's lock."""


class _WriterLock:
    """An exclusive, non-blocking lock on a file next to the database, held until `release`
    (or until the process dies: the OS drops it, so a killed writer never leaves it stale)."""

    def __init__(self, path: Path) -> None:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        self._handle: IO[bytes] | None = os.fdopen(fd, "r+b")  # held until release()
        try:
            _lock(self._handle)
        except OSError as error:
            self._handle.close()
            self._handle = None
            raise LockHeld(error.errno, error.strerror) from None

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def _lock(handle: IO[bytes]) -> None:
    if sys.platform == "win32":
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


class History:
    """One open history database: the writer (holding the lock) or a read-only reader."""

    def __init__(
        self,
        path: Path,
        connection: sqlite3.Connection | None,
        lock: _WriterLock | None,
        note: str | None,
        writer: sqlite3.Connection | None = None,
    ):
        self.path = path
        self._db = connection  # reads (the event loop's)
        self._writer = writer  # writes (a feed's thread, the past sessions' builder)
        self._lock = lock
        self._mutex = threading.Lock()  # reads
        self._write_mutex = threading.Lock()  # writes
        self._ids: dict[tuple[str, str, str, str], int] = {}
        self.note = note  # shown to the user: read-only, or why history is unavailable

    # --- opening ------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path | None = None, *, write: bool = True) -> History:
        """The writer if `write` and no other process writes this database, else a reader.
        A reader of a database that does not exist yet holds nothing (`empty`).
        `HistoryError` (one line) when it cannot be used at all."""
        path = path or history_path()
        if write:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise HistoryError(
                    f"cannot create the folder {path.parent}: {_reason(error)}"
                ) from None
            try:
                lock = _WriterLock(path.with_name(path.name + ".lock"))
            except OSError as error:
                history = cls._reader(path)
                history.note = f"history read-only: {_lock_problem(error, path)}"
                return history
            try:
                _create_private(path)
                reads, writes = _connect(path, read_only=False), _connect(path, read_only=False)
                _migrate(writes, path)
                _check_tables(reads, path)
            except (OSError, sqlite3.Error, HistoryError) as error:
                lock.release()
                raise _one_line(error, path) from None
            return cls(path, reads, lock, None, writes)
        return cls._reader(path)

    @classmethod
    def _reader(cls, path: Path) -> History:
        if not path.exists():
            return cls(path, None, None, None)
        try:
            connection = _connect(path, read_only=True, immutable=_read_only_media(path))
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise HistoryError(_newer(path, version))
            if version < SCHEMA_VERSION:  # an older schema, not migrated yet by a writer
                connection.close()
                return cls(path, None, None, None)
            _check_tables(connection, path)
        except (sqlite3.Error, HistoryError) as error:
            raise _one_line(error, path) from None
        return cls(path, connection, None, None)

    @property
    def writable(self) -> bool:
        return self._lock is not None

    @property
    def empty(self) -> bool:
        return self._db is None

    def close(self) -> None:
        with self._write_mutex, self._mutex:
            for connection in (self._db, self._writer):
                if connection is not None:
                    connection.close()
            self._db = self._writer = None
            if self._lock is not None:
                self._lock.release()
                self._lock = None

    # --- writing ------------------------------------------------------------------------------

    @contextmanager
    def _transaction(self, busy_ms: int = BUSY_TIMEOUT_MS) -> Iterator[sqlite3.Connection]:
        if self._writer is None or not self.writable:
            raise HistoryError("history is read-only")
        with self._write_mutex:
            db = self._writer
            db.execute(f"PRAGMA busy_timeout={busy_ms}")
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def _session_id(self, db: sqlite3.Connection, symbol: str, day: str, bar: str, market: str):
        key = (symbol, day, bar, market)
        if key not in self._ids:
            db.execute(
                "INSERT OR IGNORE INTO sessions (symbol, day, bar_size, market, open) "
                "VALUES (?, ?, ?, ?, ?)",
                (*key, _epoch(session_bounds(date.fromisoformat(day))[0])),
            )
            self._ids[key] = db.execute(
                "SELECT id FROM sessions WHERE symbol=? AND day=? AND bar_size=? AND market=?", key
            ).fetchone()[0]
        return self._ids[key]

    def write(
        self,
        symbol: str,
        day: date,
        bar_size: str,
        market: str,
        rows: Iterable[tuple[Row, float | None]],
        alerts: Iterable[AnyAlert] = (),
        *,
        busy_ms: int = BUSY_TIMEOUT_MS,
    ) -> None:
        """Insert or replace bars (each with its running peak) and add alerts, in one
        transaction: after it returns they survive a kill of the process. `busy_ms`: how long
        to wait for another process's write lock before failing (`sqlite3.OperationalError`)."""
        key = (symbol, day.isoformat(), bar_size, market)
        known = key in self._ids
        try:
            with self._transaction(busy_ms) as db:
                self._write(db, self._session_id(db, *key), rows, alerts)
        except BaseException:
            if not known:  # the session's row was rolled back with the rest
                self._ids.pop(key, None)
            raise

    @staticmethod
    def _write(
        db: sqlite3.Connection,
        sid: int,
        rows: Iterable[tuple[Row, float | None]],
        alerts: Iterable[AnyAlert],
    ) -> None:
        db.executemany(
            "INSERT OR REPLACE INTO bars (session_id, t, calls, puts, all_flow, cum_calls, "
            f"cum_puts, cum_all, spot, peak, net_gex, gamma_flip, {', '.join(EXTRA_FIELDS)}) "
            f"VALUES ({', '.join('?' * (12 + len(EXTRA_FIELDS)))})",
            [
                (
                    sid,
                    _epoch(row.t),
                    row.calls,
                    row.puts,
                    row.all,
                    row.cum_calls,
                    row.cum_puts,
                    row.cum_all,
                    row.spot,
                    peak,
                    row.net_gex,
                    row.gamma_flip,
                    *(getattr(row.extras, name) for name in EXTRA_FIELDS),
                )
                for row, peak in rows
            ],
        )
        db.executemany(
            "INSERT OR IGNORE INTO alerts (session_id, t, kind, direction, bars, run_flow, "
            "attribution, price_confirms, cum_all) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [_alert_values(sid, a) for a in alerts],
        )

    def has_session(self, symbol: str, day: date, bar_size: str, market: str) -> bool:
        """Whether a session is stored with bars up to its last bucket (a whole day)."""
        if self._db is None:
            return False
        close = session_bounds(day)[1] - bar_delta(bar_size)
        found = self._query(
            "SELECT 1 FROM sessions s JOIN bars b ON b.session_id = s.id "
            "WHERE s.symbol=? AND s.day=? AND s.bar_size=? AND s.market=? AND b.t=?",
            (symbol, day.isoformat(), bar_size, market, _epoch(close)),
        )
        return bool(found)

    # --- reading ------------------------------------------------------------------------------

    def _query(self, sql: str, params: Sequence = ()) -> list[tuple]:
        """The rows of a read; `HistoryError` (one line) when the database cannot be read
        (damaged pages, a table gone)."""
        if self._db is None:
            return []
        with self._mutex:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as error:
                raise _one_line(error, self.path) from None

    def sessions(
        self,
        symbol: str | None = None,
        day: date | None = None,
        bar_size: str | None = None,
        market: str | None = None,
    ) -> list[SessionSummary]:
        """Stored sessions, newest day first, with their bar count, net flow and squeezes."""
        where, params = _filters(symbol, day, bar_size, market)
        found = self._query(
            "SELECT s.id, s.symbol, s.day, s.bar_size, s.market, "
            "(SELECT COUNT(*) FROM bars b WHERE b.session_id = s.id), "
            "(SELECT cum_all FROM bars b WHERE b.session_id = s.id AND cum_all IS NOT NULL "
            " ORDER BY t DESC LIMIT 1) "
            f"FROM sessions s {where} ORDER BY s.day DESC, s.symbol, s.bar_size, s.market",
            params,
        )
        return [
            SessionSummary(
                id=sid,
                symbol=sym,
                day=date.fromisoformat(d),
                bar_size=bar,
                market=mkt,
                bars=count,
                net_flow=net,
                squeezes=self._squeezes(sid),
            )
            for sid, sym, d, bar, mkt, count, net in found
        ]

    def _squeezes(self, session_id: int) -> int:
        """Squeeze episodes: a building or confirmed alert outside an episode starts one."""
        count, inside = 0, False
        for (kind,) in self._query(
            "SELECT kind FROM alerts WHERE session_id=? ORDER BY t, rowid", (session_id,)
        ):
            if kind in SQUEEZE_STARTS and not inside:
                count, inside = count + 1, True
            elif kind in EPISODE_ENDS:
                inside = False
        return count

    def rows(self, session_id: int) -> list[Row]:
        rows = []
        for stored in self._query(
            "SELECT t, calls, puts, all_flow, cum_calls, cum_puts, cum_all, spot, net_gex, "
            f"gamma_flip, {', '.join(EXTRA_FIELDS)} FROM bars WHERE session_id=? ORDER BY t",
            (session_id,),
        ):
            t, calls, puts, all_, cum_calls, cum_puts, cum_all, spot, gex, flip, *extras = stored
            rows.append(
                Row(_time(t), calls, puts, all_, cum_calls, cum_puts, cum_all, spot, gex, flip,
                    extras=_stored_extras(extras))
            )  # fmt: skip
        return rows

    def alerts(self, session_id: int) -> dict[datetime, list[str]]:
        """Per bar: the alerts it fired, as `kind:direction`, in firing order."""
        fired: dict[datetime, list[str]] = {}
        for t, kind, direction in self._query(
            "SELECT t, kind, direction FROM alerts WHERE session_id=? ORDER BY t, rowid",
            (session_id,),
        ):
            fired.setdefault(_time(t), []).append(f"{kind}:{direction}")
        return fired

    def past_days(self, symbol: str, bar_size: str, market: str, before: date, limit: int):
        """Ids and days of the newest `limit` sessions before `before`, newest first."""
        return [
            (sid, date.fromisoformat(d))
            for sid, d in self._query(
                "SELECT id, day FROM sessions WHERE symbol=? AND bar_size=? AND market=? "
                "AND day < ? ORDER BY day DESC LIMIT ?",
                (symbol, bar_size, market, before.isoformat(), limit),
            )
        ]

    def same_time(
        self,
        symbol: str,
        bar_size: str,
        market: str,
        before: date,
        offset: timedelta,
        limit: int = 30,
    ) -> list[PastPoint]:
        """The newest `limit` past sessions at `offset` after their open (newest first): the
        last bar at or before it, if that bar is within two bars of it (else the session was
        not recorded then, and its point is empty)."""
        step = BAR_SECONDS[bar_size]
        at, slack = int(offset.total_seconds()), 2 * step
        points = []
        for sid, day in self.past_days(symbol, bar_size, market, before, limit):
            opened = _epoch(session_bounds(day)[0])
            found = self._query(
                "SELECT cum_all, peak FROM bars WHERE session_id=? AND t BETWEEN ? AND ? "
                "ORDER BY t DESC LIMIT 1",
                (sid, opened + at - slack, opened + at),
            )
            points.append(PastPoint(day, *found[0]) if found else PastPoint(day, None, None))
        return points

    def past_extent(
        self, symbol: str, bar_size: str, market: str, before: date, limit: int = 30
    ) -> list[tuple[int, int | None]]:
        """Id and last bar time of the newest `limit` sessions before `before`: it changes when
        a session is stored or grows (one index lookup each)."""
        return [
            (sid, last)
            for sid, last in self._query(
                "SELECT s.id, (SELECT MAX(t) FROM bars b WHERE b.session_id = s.id) "
                "FROM sessions s WHERE s.symbol=? AND s.bar_size=? AND s.market=? AND s.day < ? "
                "ORDER BY s.day DESC LIMIT ?",
                (symbol, bar_size, market, before.isoformat(), limit),
            )
        ]

    def past_bars(
        self,
        symbol: str,
        bar_size: str,
        market: str,
        before: date,
        start: timedelta,
        end: timedelta,
        limit: int = 30,
    ) -> list[PastBars]:
        """The bars from `start` to `end` after the open of the newest `limit` past sessions
        (newest first), for `PastBars.at`: what `same_time` reads, for a span of the day."""
        found = []
        low, high = int(start.total_seconds()), int(end.total_seconds())
        for sid, day in self.past_days(symbol, bar_size, market, before, limit):
            opened = _epoch(session_bounds(day)[0])
            bars = self._query(
                "SELECT t, cum_all, peak FROM bars WHERE session_id=? AND t BETWEEN ? AND ? "
                "ORDER BY t",
                (sid, opened + low, opened + high),
            )
            found.append(
                PastBars(
                    sid,
                    day,
                    [t - opened for t, _, _ in bars],
                    [c for _, c, _ in bars],
                    [p for _, _, p in bars],
                )
            )
        return found

    def flows(self, session_ids: Sequence[int]) -> list[list[float | None]]:
        """Each session's per-bar `all` flow, in time order."""
        return [
            [
                v
                for (v,) in self._query(
                    "SELECT all_flow FROM bars WHERE session_id=? ORDER BY t", (sid,)
                )
            ]
            for sid in session_ids
        ]


def _filters(symbol, day, bar_size, market) -> tuple[str, list]:
    clauses, params = [], []
    for column, value in (("symbol", symbol), ("day", day), ("bar_size", bar_size)):
        if value is not None:
            clauses.append(f"s.{column} = ?")
            params.append(value.isoformat() if isinstance(value, date) else value)
    if market is not None:
        clauses.append("(s.market = ? OR s.market LIKE ?)")
        params += [market, f"{market}:%"]
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


def _connect(path: Path, *, read_only: bool, immutable: bool = False) -> sqlite3.Connection:
    if read_only:
        query = "mode=ro&immutable=1" if immutable else "mode=ro"
        connection = sqlite3.connect(
            f"{path.resolve().as_uri()}?{query}",
            uri=True,
            isolation_level=None,
            check_same_thread=False,
            timeout=BUSY_TIMEOUT_MS / 1000,
        )
    else:
        connection = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
        )
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    connection.execute("PRAGMA foreign_keys=ON")
    return connection


def _create_private(path: Path) -> None:
    """Create the database file readable by its owner alone (SQLite gives its -wal and -shm
    files the database's mode)."""
    os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600))


def _read_only_media(path: Path) -> bool:
    """Whether nothing can be written next to the database (a read-only mount, a folder that
    is not ours): SQLite then cannot make the WAL's shared-memory file, and reads it immutable."""
    try:
        if os.statvfs(path.parent).f_flag & os.ST_RDONLY:
            return True
    except OSError:
        return False
    return not os.access(path.parent, os.W_OK)


def _check_tables(connection: sqlite3.Connection, path: Path) -> None:
    """A database at our schema version that lacks our tables is someone else's."""
    found = {
        name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
    }
    missing = [table for table in TABLES if table not in found]
    if missing:
        raise HistoryError(
            f"{path.name} is not a hedgeflow-tui history (no table {', '.join(missing)})"
        )


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


def _lock_problem(error: OSError, path: Path) -> str:
    """Why the writer's lock could not be taken, as the user should read it."""
    if isinstance(error, LockHeld):
        return "another hedgeflow-tui is writing it"
    return f"cannot lock {path.name}.lock: {_reason(error)}"


def _stored_extras(values: Sequence[object]) -> SeriesExtras:
    """A bar's stored series metrics, in `EXTRA_FIELDS` order, as read: the flip's status as
    clean text (a database is a file anyone could have written)."""
    if all(value is None for value in values):
        return NO_EXTRAS
    magnet, pin, pin_pct, charm, dex, iv = (
        float(v) if isinstance(v, int | float) else None for v in values[:6]
    )
    return SeriesExtras(
        magnet=magnet,
        pin_score=pin,
        pin_probability_pct=pin_pct,
        charm_dollars_per_hour=charm,
        net_dex=dex,
        atm_iv=iv,
        gamma_flip_status=flip_status(values[6]),
    )


def _migrate(connection: sqlite3.Connection, path: Path) -> None:
    """Bring the schema to `SCHEMA_VERSION`, one migration per transaction (not someone else's
    database that happens to have a version)."""
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise HistoryError(_newer(None, version))
    if 0 < version < SCHEMA_VERSION:
        _check_tables(connection, path)
    for target in range(version + 1, SCHEMA_VERSION + 1):
        connection.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(MIGRATIONS[target - 1]):
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version={target}")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")


def _statements(script: str) -> list[str]:
    """The statements of a migration (no `;` inside a statement's text)."""
    body = "\n".join(line.split("--")[0] for line in script.splitlines())
    return [s.strip() for s in body.split(";") if s.strip()]


def _newer(path: Path | None, version: int) -> str:
    name = path.name if path else FILE_NAME
    return (
        f"{name} has schema v{version}, newer than this hedgeflow-tui knows "
        f"(v{SCHEMA_VERSION}): upgrade hedgeflow-tui"
    )


def _one_line(error: Exception, path: Path) -> HistoryError:
    if isinstance(error, HistoryError):
        return error
    reason = _reason(error) if isinstance(error, OSError) else str(error)
    return HistoryError(f"cannot use the history database {path.name}: {reason}")


def running_peaks(rows: Sequence[Row], peak: float | None = None) -> list[tuple[Row, float | None]]:
    """Each row with the largest |all| up to it (starting from `peak`)."""
    out = []
    for row in rows:
        if row.all is not None:
            peak = abs(row.all) if peak is None else max(peak, abs(row.all))
        out.append((row, peak))
    return out


def _alert_values(session_id: int, alert: AnyAlert) -> tuple[object, ...]:
    """An alert's row; a level alert has no run (0 bars, no flow), its rule in `attribution`."""
    if isinstance(alert, LevelAlert):
        run: tuple[object, ...] = (0, 0.0, alert.rule or "", 0)
    else:
        run = (alert.bars, alert.run_flow, alert.attribution, int(alert.price_confirms))
    return (session_id, _epoch(alert.t), alert.kind, alert.direction, *run, alert.cum_all)


@dataclass
class _Pending:
    """What the feed still has to write of one session: its bars from some bar on (with the
    largest |bar| before them) and alerts."""

    symbol: str
    bar_size: str
    day: date
    rows: Sequence[Row]
    peak: float | None
    alerts: list[AnyAlert]

    @property
    def key(self) -> tuple[str, str, date]:
        return self.symbol, self.bar_size, self.day


class HistoryFeed:
    """Writes one source's sessions as the store changes: the changed bars, every bar after them
    whose running peak moved, and the alerts the detector fired.

    `record` runs where the store changes (the event loop) and only takes what is to be written;
    with `background`, a thread of the feed's own writes it, so SQLite never blocks the loop
    (`when_settled` tells when a record's write was tried). A write that fails (another process
    holding the database's write lock past the short busy timeout, a full disk) is kept, and
    written again with the next poll's bars: the feed knows what it has written. `finish` writes
    what is left, waiting up to `FINAL_WAIT_S` for the lock, and says what could not be."""

    def __init__(
        self,
        history: History,
        market: str,
        *,
        background: bool = False,
        call_soon: Callable[[Callable[[], None]], object] | None = None,
        on_problem: Callable[[str | None], None] | None = None,
        on_damage: Callable[[Exception], None] | None = None,
    ) -> None:
        self.history = history
        self.market = market
        self.error: str | None = None  # why the last write failed; None once one succeeds
        self.on_problem = on_problem  # told the error when writing fails, None when it works again
        # told when a write finds the database damaged: the feed then stops (no retry can help);
        # without it, damage is one more failed write, kept and tried again
        self.on_damage = on_damage
        self._damage: Exception | None = None
        self._background = background
        self._call_soon = call_soon or (lambda callback: callback())
        self._state = threading.Condition()
        self._queue: dict[tuple[str, str, date], _Pending] = {}
        self._unsaved: dict[tuple[str, str, date], _Pending] = {}  # failed, for the next poll
        self._recorded = 0  # records taken
        self._settled = 0  # records whose write was tried
        self._waiters: list[tuple[int, Callable[[], None]]] = []
        self._closing = False
        self._thread: threading.Thread | None = None
        # written by the writer alone (the thread, or the caller without `background`)
        self._written: dict[tuple[str, str, date], dict[datetime, tuple[Row, float | None]]] = {}

    def record(self, view: SessionView, changed: Sequence[Row], alerts: Sequence[AnyAlert]) -> int:
        """Take the changed bars and the alerts for writing; returns the record's number for
        `when_settled`."""
        day = session_day(view)
        if not self.history.writable or day is None or (not changed and not alerts):
            return self._settled
        if self._damage is not None:
            return self._settled
        rows = view.rows
        times = [r.t for r in rows]
        start = bisect_left(times, changed[0].t) if changed else len(rows)
        key = (view.symbol, view.bar_size, day)
        with self._state:
            carried: list[AnyAlert] = []
            for earlier in (self._unsaved.pop(key, None), self._queue.pop(key, None)):
                if earlier is not None:
                    if earlier.rows:
                        start = min(start, bisect_left(times, earlier.rows[0].t))
                    carried += earlier.alerts
            self._queue.update(self._unsaved)  # other sessions' failed writes: tried again now
            self._unsaved.clear()
            self._queue[key] = _Pending(
                view.symbol,
                view.bar_size,
                day,
                rows[start:],
                _peak(rows[:start]),
                [*carried, *alerts],
            )
            self._recorded += 1
            number = self._recorded
            if self._background:
                self._start()
                self._state.notify()
        if not self._background:
            self._write_queued(BUSY_TIMEOUT_MS)
        return number

    def settled(self, number: int) -> bool:
        return number <= self._settled

    def when_settled(self, number: int, callback: Callable[[], None]) -> None:
        """Call `callback` (through `call_soon`) once record `number`'s write was tried."""
        with self._state:
            if number > self._settled:
                self._waiters.append((number, callback))
                return
        callback()

    def finish(self) -> str | None:
        """Stop the thread and write what is left (waiting up to `FINAL_WAIT_S` for another
        process's lock); None when everything recorded is stored, else what was not."""
        with self._state:
            self._closing = True
            self._state.notify()
        if self._thread is not None:
            self._thread.join()
        with self._state:
            self._queue.update(self._unsaved)
            self._unsaved.clear()
        self._write_queued(int(FINAL_WAIT_S * 1000))
        with self._state:
            left = sum(len(p.rows) for p in self._unsaved.values())
        if not self._unsaved:
            return None
        reason = (self.error or "").removeprefix(NOT_SAVED)
        return f"history: {left} bars not saved: {reason}"

    # --- the writer ---------------------------------------------------------------------------

    def _start(self) -> None:
        if self._thread is None and not self._closing:
            self._thread = threading.Thread(target=self._run, name="history-writer", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            with self._state:
                while not self._queue and not self._closing:
                    self._state.wait()
                if self._closing:
                    return
            self._write_queued(BUSY_TIMEOUT_MS)

    def _write_queued(self, busy_ms: int) -> None:
        """One round: write every queued session, each in one transaction."""
        with self._state:
            queued = list(self._queue.values())
            self._queue.clear()
            number = self._recorded
        failed: list[_Pending] = []
        problem: str | None = None
        damage: Exception | None = None
        for pending in queued:
            written = self._written.setdefault(pending.key, {})
            peaks = running_peaks(pending.rows, pending.peak)
            todo = [(row, peak) for row, peak in peaks if written.get(row.t) != (row, peak)]
            if not todo and not pending.alerts:
                continue
            try:
                self.history.write(
                    pending.symbol,
                    pending.day,
                    pending.bar_size,
                    self.market,
                    todo,
                    pending.alerts,
                    busy_ms=busy_ms,
                )
            except Exception as error:  # never the writer's end: what is held waits on it
                failed.append(pending)
                problem = f"{NOT_SAVED}{error}"
                damage = error if damaged(error) else damage
                continue
            written.update((row.t, (row, peak)) for row, peak in todo)
        if damage is not None and self.on_damage is not None:
            self._stop_for(damage)
            return
        with self._state:
            for pending in failed:
                self._unsaved[pending.key] = pending
            self._settled = max(self._settled, number)
            ready = [callback for n, callback in self._waiters if n <= self._settled]
            self._waiters = [(n, c) for n, c in self._waiters if n > self._settled]
        if problem != self.error:
            self.error = problem
            if self.on_problem is not None:
                self._call_soon(lambda: self.on_problem and self.on_problem(problem))
        for callback in ready:
            self._call_soon(callback)

    def _stop_for(self, damage: Exception) -> None:
        """The database is damaged: drop what waits (no write can succeed), release every
        waiter, and say so once."""
        with self._state:
            self._damage = damage
            self._queue.clear()
            self._unsaved.clear()
            self._settled = self._recorded
            ready = [callback for _, callback in self._waiters]
            self._waiters = []
        if self.on_damage is not None:
            on_damage = self.on_damage
            self._call_soon(lambda: on_damage(damage))
        for callback in ready:
            self._call_soon(callback)


def damaged(error: BaseException) -> bool:
    """Whether SQLite found the database file damaged, or not a database (SQLITE_CORRUPT,
    SQLITE_NOTADB and their extended codes)."""
    code = getattr(error, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def _peak(rows: Sequence[Row]) -> float | None:
    known = [abs(r.all) for r in rows if r.all is not None]
    return max(known) if known else None


def open_history(enabled: bool, *, write: bool = True) -> tuple[History | None, str | None]:
    """The history for a dashboard or headless run, and a note for the user (read-only, or why
    there is none); (None, None) when it is turned off."""
    if not enabled:
        return None, None
    try:
        history = History.open(write=write)
    except HistoryError as error:
        return None, f"history off: {error}"
    return history, history.note
