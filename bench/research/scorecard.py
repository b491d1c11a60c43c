"""Detector scorecard: squeeze alerts scored against the simulator's hidden regime, at every bar
size, for the article's plain rule, the previous detector and the current one, side by side.

    python3 bench/research/scorecard.py          # held-out report: seeds 1000-1119, all bar sizes
    python3 bench/research/scorecard.py --tune   # tuning grid for the current detector: seeds 0-99
    python3 bench/research/scorecard.py --tune-context  # gamma, price context around the tuned pick
    python3 bench/research/scorecard.py --quick  # 20 held-out sessions (a smoke test)

Ground truth comes from the model directly (the regime of every 30 s sample, what the simulator's
`/sim/v1/truth` serves); the detectors see only the bars the API gives, one at a time, as live.
Tune only on TUNING seeds; HELD_OUT is disjoint and only reported.

Scoring, at bar size B (an alert is known when its bar has closed: bucket start + B):
- An episode is a stretch of call chase (up) or put flush (down). It is *too short* when fewer
  than MIN_CLOSES bar closes fall inside it: those are listed, and left out of recall.
- An episode is *caught* when an opening alert (`squeeze_building` or `squeeze_confirmed` that
  starts an episode of the detector) of its direction is known after its start and no later
  than its end; *first half* when known by its midpoint. Latency: bars from the episode's start
  to that alert's bar close.
- An opening alert is *false* when no episode of its direction is in progress when it is known
  or ended at most GRACE before (late alerts on a real episode are neither caught nor false).
Intervals: 95% bootstrap over sessions (BOOTSTRAP resamples).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import os
import statistics
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/: _common

import episode_signature
import legacy_detector
from _common import table

from hedgeflow_tui.analysis import detector
from hedgeflow_tui.engine.store import Row
from hedgeflow_tui.market.clock import ET
from hedgeflow_tui.sim import market
from hedgeflow_tui.sim.rows import rows_at

DAY = date(2026, 6, 12)
SYMBOL = "SPY"
TUNING = range(100)
HELD_OUT = range(1000, 1120)
BAR_SECONDS = {"30s": 30, "1m": 60, "5m": 300, "15m": 900}
MIN_CLOSES = 2
GRACE = timedelta(minutes=5)
BOOTSTRAP = 1000
CACHE = Path(__file__).parent / ".cache"


# --- the simulated sessions ---------------------------------------------------------------------


def model_version() -> str:
    """A digest of the market model's source, and the last commit that changed it."""
    source = Path(market.__file__).read_bytes()
    digest = hashlib.sha256(source).hexdigest()[:10]
    try:
        commit = subprocess.run(
            ["git", "log", "-1", "--format=%h %s", "--", market.__file__],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(market.__file__).parent,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown commit"
    return f"market.py {digest} ({commit[:72]})"


@dataclass(frozen=True)
class Session:
    seed: int
    open: datetime
    calls: np.ndarray  # per 30 s sample
    puts: np.ndarray
    spot: np.ndarray
    net_gex: np.ndarray
    gamma_flip: np.ndarray  # NaN where there is none
    regime: tuple[str, ...]
    realized: frozenset[int] | None  # first samples of the episodes that moved price, if known


def _simulate(seed: int) -> Session:
    path = market.simulate_session(SYMBOL, DAY, seed)
    realized = None
    if hasattr(market, "Episode"):  # the calibrated model says which episodes moved price
        found: list[Any] = list(path.episodes(market.SAMPLE_SECONDS))
        realized = frozenset(
            int((e.start - path.open).total_seconds()) // market.SAMPLE_SECONDS
            for e in found
            if e.realized
        )
    return Session(
        seed,
        path.open,
        path.calls,
        path.puts,
        path.spot,
        path.net_gex,
        path.gamma_flip,
        path.regime,
        realized,
    )


def sessions(seeds: Sequence[int]) -> list[Session]:
    """The sessions of `seeds`, cached on disk per model version (the model is deterministic)."""
    digest = hashlib.sha256(Path(market.__file__).read_bytes()).hexdigest()[:16]
    folder = CACHE / digest
    folder.mkdir(parents=True, exist_ok=True)
    missing = [s for s in seeds if not (folder / f"{SYMBOL}-{s}.v3.npz").exists()]
    if missing:
        with ProcessPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
            for session in pool.map(_simulate, missing, chunksize=4):
                _save(folder / f"{SYMBOL}-{session.seed}.v3.npz", session)
    return [_load(folder / f"{SYMBOL}-{s}.v3.npz", s) for s in seeds]


def _save(path: Path, session: Session) -> None:
    with path.open("wb") as handle:
        np.savez(
            handle,
            open=np.array(session.open.timestamp()),
            calls=session.calls,
            puts=session.puts,
            spot=session.spot,
            net_gex=session.net_gex,
            gamma_flip=session.gamma_flip,
            regime=np.array(session.regime),
            realized=np.array(sorted(session.realized or ()), dtype=int),
            realized_known=np.array(session.realized is not None),
        )


def _load(path: Path, seed: int) -> Session:
    with np.load(path) as data:
        return Session(
            seed=seed,
            open=datetime.fromtimestamp(float(data["open"]), UTC),
            calls=data["calls"],
            puts=data["puts"],
            spot=data["spot"],
            net_gex=data["net_gex"],
            gamma_flip=data["gamma_flip"],
            regime=tuple(str(r) for r in data["regime"]),
            realized=frozenset(int(i) for i in data["realized"])
            if bool(data["realized_known"])
            else None,
        )


def bars(session: Session, seconds: int) -> list[Row]:
    """The session as the store derives it at bar size `seconds` (bars are exact sums)."""
    return rows_at(session, seconds)


@dataclass(frozen=True)
class Episode:
    seed: int
    start: datetime
    end: datetime  # end of its last 30 s sample
    direction: detector.Direction
    realized: bool | None  # price moved with it by more than its noise (calibrated model)

    def closes(self, open_: datetime, seconds: int) -> int:
        """How many bar closes of size `seconds` fall inside (start, end]."""
        first = (self.start - open_).total_seconds() // seconds + 1
        last = (self.end - open_).total_seconds() // seconds
        return max(0, int(last - first + 1))


def episodes(session: Session) -> list[Episode]:
    found = []
    for regime, group in itertools.groupby(enumerate(session.regime), key=lambda x: x[1]):
        if regime not in market.SQUEEZE_REGIMES:
            continue
        samples = [i for i, _ in group]
        realized = None if session.realized is None else samples[0] in session.realized
        start = session.open + timedelta(seconds=market.SAMPLE_SECONDS * samples[0])
        end = session.open + timedelta(seconds=market.SAMPLE_SECONDS * (samples[-1] + 1))
        direction: detector.Direction = "up" if market.SQUEEZE_REGIMES[regime] == "up" else "down"
        found.append(Episode(session.seed, start, end, direction, realized))
    return found


# --- the detectors --------------------------------------------------------------------------------

Tracker = Callable[[str], object]  # bar size -> an object with update(rows) -> alerts


def plain_rule(bar_size: str):
    return legacy_detector.AlertTracker(SYMBOL, legacy_detector.PLAIN_RULE)


def previous_detector(bar_size: str):
    return legacy_detector.AlertTracker(SYMBOL, legacy_detector.DetectorConfig())


def current_detector(bar_size: str, config: detector.DetectorConfig | None = None):
    return detector.AlertTracker(SYMBOL, config or detector.detector_config(bar_size))


def current_high(bar_size: str):
    return detector.AlertTracker(SYMBOL, detector.detector_config(bar_size, "high"))


def opening_alerts(tracker, rows: list[Row]) -> list:
    """Alerts that start one of the detector's episodes, the bars fed one at a time."""
    opened, active = [], False
    tracker.update(rows[:1])
    for end in range(2, len(rows) + 1):
        for alert in tracker.update(rows[:end]):
            if alert.kind in detector.OPENING:
                if not active:
                    opened.append(alert)
                active = True
            else:
                active = False
    return opened


# --- scoring --------------------------------------------------------------------------------------


@dataclass
class Tally:
    """One session's (or the total's) counts at one bar size."""

    episodes: int = 0
    caught: int = 0
    first_half: int = 0
    false_alerts: int = 0
    realized: int = 0  # episodes known to have moved price (calibrated model), and caught
    realized_caught: int = 0
    visible: int = 0  # episodes whose own flow or price exceeds calm noise, and caught
    visible_caught: int = 0
    latencies: list[float] = field(default_factory=list)  # bars, caught episodes
    positions: list[float] = field(default_factory=list)  # share of the episode elapsed
    too_short: list[Episode] = field(default_factory=list)
    caught_starts: set[tuple[int, datetime]] = field(default_factory=set)  # (seed, start)


Visible = dict[tuple[int, datetime], tuple[str, ...]]  # per episode: where it beats calm noise


def visible_episodes(items: Sequence[Session], bar_size: str) -> Visible:
    """Per episode of `items`: the series (all, leg, price) in which its own move exceeds calm
    noise at `bar_size` (bench/research/episode_signature.py)."""
    seconds = BAR_SECONDS[bar_size]
    return episode_signature.visible_episodes(
        [(bars(s, seconds), episodes(s)) for s in items], seconds
    )


def score_session(
    session: Session, tracker, bar_size: str, visible: Visible | None = None
) -> Tally:
    seconds = BAR_SECONDS[bar_size]
    step = timedelta(seconds=seconds)
    tally = Tally()
    alerts = opening_alerts(tracker, bars(session, seconds))
    known = [(a.t + step, a.direction) for a in alerts]
    truth = episodes(session)
    for episode in truth:
        if episode.closes(session.open, seconds) < MIN_CLOSES:
            tally.too_short.append(episode)
            continue
        tally.episodes += 1
        tally.realized += bool(episode.realized)
        seen = bool(visible and visible.get((episode.seed, episode.start)))
        tally.visible += seen
        hits = [t for t, d in known if d == episode.direction and episode.start < t <= episode.end]
        if hits:
            length = episode.end - episode.start
            tally.caught += 1
            tally.caught_starts.add((episode.seed, episode.start))
            tally.realized_caught += bool(episode.realized)
            tally.visible_caught += seen
            tally.first_half += hits[0] <= episode.start + length / 2
            tally.latencies.append((hits[0] - episode.start) / step)
            tally.positions.append((hits[0] - episode.start) / length)
    for t, direction in known:
        if not any(e.direction == direction and e.start < t <= e.end + GRACE for e in truth):
            tally.false_alerts += 1
    return tally


def score(
    make: Callable[[str], object],
    items: Sequence[Session],
    bar_size: str,
    visible: Visible | None = None,
) -> list[Tally]:
    return [score_session(s, make(bar_size), bar_size, visible) for s in items]


@dataclass(frozen=True)
class Summary:
    sessions: int
    episodes: int
    too_short: int
    recall: float
    recall_ci: tuple[float, float]
    first_half: float  # share of episodes caught in their first half
    false_per_session: float
    false_ci: tuple[float, float]
    median_latency: float | None  # bars
    median_position: float | None  # share of the episode elapsed at the first alert
    realized: int  # episodes that moved price (calibrated model; 0 where unknown)
    realized_recall: float | None
    visible: int  # episodes whose own flow or price exceeds calm noise
    visible_recall: float | None


def summarise(tallies: Sequence[Tally], seed: int = 0) -> Summary:
    episodes_ = np.array([t.episodes for t in tallies], dtype=float)
    caught = np.array([t.caught for t in tallies], dtype=float)
    false = np.array([t.false_alerts for t in tallies], dtype=float)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(tallies), size=(BOOTSTRAP, len(tallies)))
    recalls = caught[picks].sum(axis=1) / np.maximum(episodes_[picks].sum(axis=1), 1)
    falses = false[picks].mean(axis=1)
    latencies = [x for t in tallies for x in t.latencies]
    positions = [x for t in tallies for x in t.positions]
    total = max(episodes_.sum(), 1)
    return Summary(
        sessions=len(tallies),
        episodes=int(episodes_.sum()),
        too_short=sum(len(t.too_short) for t in tallies),
        recall=caught.sum() / total,
        recall_ci=(float(np.percentile(recalls, 2.5)), float(np.percentile(recalls, 97.5))),
        first_half=sum(t.first_half for t in tallies) / total,
        false_per_session=float(false.mean()),
        false_ci=(float(np.percentile(falses, 2.5)), float(np.percentile(falses, 97.5))),
        median_latency=statistics.median(latencies) if latencies else None,
        median_position=statistics.median(positions) if positions else None,
        realized=sum(t.realized for t in tallies),
        realized_recall=(
            sum(t.realized_caught for t in tallies) / sum(t.realized for t in tallies)
            if any(t.realized for t in tallies)
            else None
        ),
        visible=sum(t.visible for t in tallies),
        visible_recall=(
            sum(t.visible_caught for t in tallies) / sum(t.visible for t in tallies)
            if any(t.visible for t in tallies)
            else None
        ),
    )


HEADERS = [
    "bar",
    "detector",
    "episodes (too short)",
    "recall [95% CI]",
    "caught in first half",
    "false alerts / session [95% CI]",
    "median bars to alert",
    "median alert at % of episode",
    "recall of episodes that moved price",
    "recall of episodes above calm noise",
]


def summary_row(bar_size: str, name: str, s: Summary) -> list[str]:
    latency = f"{s.median_latency:.1f}" if s.median_latency is not None else "—"
    position = f"{s.median_position:.0%}" if s.median_position is not None else "—"
    return [
        bar_size,
        name,
        f"{s.episodes} ({s.too_short})",
        f"{s.recall:.0%} [{s.recall_ci[0]:.0%}–{s.recall_ci[1]:.0%}]",
        f"{s.first_half:.0%}",
        f"{s.false_per_session:.2f} [{s.false_ci[0]:.2f}–{s.false_ci[1]:.2f}]",
        latency,
        position,
        f"{s.realized_recall:.0%} of {s.realized}" if s.realized_recall is not None else "—",
        f"{s.visible_recall:.0%} of {s.visible}" if s.visible_recall is not None else "—",
    ]


DETECTORS: dict[str, Callable[[str], object]] = {
    "plain rule (article)": plain_rule,
    "previous (N=5, floor 0.5)": previous_detector,
    "current (scaled EWMA)": current_detector,
    "current, sensitivity high": current_high,
}


def _score_job(
    job: tuple[str, str, Sequence[int], Visible],
) -> tuple[str, str, list[Tally]]:
    name, bar_size, seeds, visible = job
    return name, bar_size, score(DETECTORS[name], sessions(seeds), bar_size, visible)


def report(seeds: range, bar_sizes: Iterable[str], markdown: bool, list_short: bool) -> None:
    items = sessions(seeds)  # simulate (and cache) once, before the scoring processes read them
    visible = {bar: visible_episodes(items, bar) for bar in bar_sizes}
    jobs = [(name, bar, seeds, visible[bar]) for bar in bar_sizes for name in DETECTORS]
    with ProcessPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        results = {(name, bar): tallies for name, bar, tallies in pool.map(_score_job, jobs)}
    print(f"{SYMBOL}, held-out seeds {seeds.start}-{seeds.stop - 1} ({len(seeds)} sessions)")
    print(f"model: {model_version()}")
    rows = [summary_row(bar, name, summarise(results[name, bar])) for name, bar, _, _ in jobs]
    print(markdown_table(HEADERS, rows) if markdown else table(HEADERS, rows))
    print()
    print(signature_table(visible, markdown))
    print()
    for bar in visible:
        listed = [e for t in results[next(iter(DETECTORS)), bar] for e in t.too_short]
        minutes = [round((e.end - e.start).total_seconds() / 60) for e in listed]
        lengths = f", {min(minutes)}-{max(minutes)} minutes long" if minutes else ""
        print(
            f"{bar}: {len(listed)} episodes too short (< {MIN_CLOSES} bar closes inside){lengths}"
        )
        if list_short and listed:
            print(
                "  seed/start ET/minutes: "
                + ", ".join(
                    f"{e.seed}/{e.start.astimezone(ET):%H:%M}/{m}"
                    for e, m in zip(listed, minutes, strict=True)
                )
            )
    print()
    print(separability(sessions(seeds), bar_sizes))


def signature_table(visible: dict[str, Visible], markdown: bool) -> str:
    """Per bar size: how many episodes (too-short ones included) exceed calm noise, and where."""
    headers = [
        "bar",
        "episodes",
        "above calm noise (any)",
        "in both legs' flow",
        "in the driving leg's flow",
        "in price",
    ]
    rows = []
    for bar, found in visible.items():
        marks = list(found.values())
        above = sum(bool(m) for m in marks)
        rows.append(
            [
                bar,
                str(len(marks)),
                f"{above} ({above / max(len(marks), 1):.0%})",
                *(str(sum(name in m for m in marks)) for name in episode_signature.SERIES),
            ]
        )
    return markdown_table(headers, rows) if markdown else table(headers, rows)


def separability(items: Sequence[Session], bar_sizes: Iterable[str]) -> str:
    """Why early alerts are hard: the current detector's evidence (share of its threshold) on
    calm bars (no episode within CALM_GAP) against bars in the first half of an episode (in the
    episode's direction). Where first-half bars rarely reach what calm bars reach once in a
    hundred, no threshold alerts early without false alerts."""
    lines = [
        "evidence (share of the alert threshold): calm bars vs bars in an episode's first half",
        table(
            ["bar", "calm p99", "first half: median", "first half: share above calm p99"],
            [_separability_row(items, bar) for bar in bar_sizes],
        ),
    ]
    return "\n".join(lines)


CALM_GAP = timedelta(minutes=30)


def _separability_row(items: Sequence[Session], bar_size: str) -> list[str]:
    step = timedelta(seconds=BAR_SECONDS[bar_size])
    calm: list[float] = []
    early: list[float] = []
    for session in items:
        truth = episodes(session)
        tracker = detector.AlertTracker(SYMBOL, detector.detector_config(bar_size))
        rows = bars(session, BAR_SECONDS[bar_size])
        for end in range(1, len(rows) + 1):
            tracker.update(rows[:end])
            known = rows[end - 1].t + step
            inside = [e for e in truth if e.start < known <= e.end]
            if inside:
                episode = inside[0]
                if known <= episode.start + (episode.end - episode.start) / 2:
                    early.append(tracker._strongest(episode.direction)[0])
            elif not any(e.start - CALM_GAP < known <= e.end + CALM_GAP for e in truth):
                calm.append(tracker.signal.evidence)
    threshold = float(np.percentile(calm, 99)) if calm else float("nan")
    above = float(np.mean(np.array(early) > threshold)) if early else float("nan")
    median_early = statistics.median(early) if early else float("nan")
    return [bar_size, f"{threshold:.2f}", f"{median_early:.2f}", f"{above:.0%}"]


def markdown_table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + " --- |" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


# --- tuning ---------------------------------------------------------------------------------------

# Time-like settings in minutes (converted to bars per bar size); the rest is the grid.
FIXED_MINUTES = {"scale_bars": 20, "warmup_bars": 15}
FIXED_AT_LEAST = {"scale_bars": 6, "warmup_bars": 2}  # bars, at long bar sizes
EVIDENCE = ("ewma 2", "ewma 4", "ewma 8", "cusum 1.0")
CONTEXT = ((False, False), (True, False), (False, True))  # (per-leg evidence, price gate)
# The quiet window after an episode: minutes, and whether it blocks the other direction too
# (its unwind, said once as a reversal) or only the episode's own.
CALM = ((30, True), (30, False), (10, False), (0, False))
CUSUM_THRESHOLDS = (4.0, 6.0, 8.0, 12.0)  # a CUSUM adds up, an EWMA averages: other scales
EWMA_THRESHOLDS = (1.5, 2.0, 2.5, 3.0, 4.0)

Budget = float | str  # false alerts a session, or "plain": the plain rule's own rate
# The false-alert budget of the shipped pick on the tuning seeds, per bar size (--trade-off
# prints what each budget costs and buys on the held-out seeds).
BUDGET: dict[str, Budget] = {"30s": "plain", "1m": "plain", "5m": 0.5, "15m": 0.5}
TRADE_OFF_BUDGETS: tuple[Budget, ...] = ("plain", 0.25, 0.5, 1.0)


def _bars(minutes: float, bar_size: str, at_least: int) -> int:
    return max(at_least, round(minutes / (BAR_SECONDS[bar_size] / 60)))


def _calm_bars(minutes: float, bar_size: str) -> int:
    """A quiet window of `minutes` in bars: at least one bar, unless there is none."""
    return _bars(minutes, bar_size, 1) if minutes else 0


def _calm_name(minutes: int, both: bool) -> str:
    """A quiet window's name: "30m both ways", "10m own way", or "none"."""
    return f"{minutes}m {'both ways' if both else 'own way'}" if minutes else "none"


def _has_calm(config: detector.DetectorConfig, calm: int, both: bool) -> bool:
    """Whether `config` has the quiet window of `calm` bars, both ways or its own (with no
    window, the way does not matter)."""
    return config.calm_after == calm and (not calm or config.calm_both_ways == both)


def grid_configs(bar_size: str) -> list[tuple[str, detector.DetectorConfig]]:
    """Every setting of the grid at `bar_size`, named."""
    scale, warmup = (
        _bars(FIXED_MINUTES[k], bar_size, FIXED_AT_LEAST[k]) for k in ("scale_bars", "warmup_bars")
    )
    found = []
    for evidence, (legs, gate), (calm, both) in itertools.product(EVIDENCE, CONTEXT, CALM):
        kind, value = evidence.split()
        cusum = kind == "cusum"
        for threshold in CUSUM_THRESHOLDS if cusum else EWMA_THRESHOLDS:
            config = detector.DetectorConfig(
                threshold=threshold,
                allowance=float(value) if cusum else 0.0,
                ewma_bars=0.0 if cusum else float(value),
                legs=legs,
                price_gate=gate,
                scale_bars=scale,
                warmup_bars=warmup,
                calm_after=_calm_bars(calm, bar_size),
                calm_both_ways=both,
            )
            name = f"{evidence} h={threshold} legs={'yes' if legs else 'no'}"
            name += " price-gate" if gate else ""
            name += f" calm {_calm_name(calm, both)}" if calm else " no calm"
            found.append((name, config))
    return found


# Context around the tuned pick (--tune-context): the threshold scaled, and an episode opening at
# a lower share of it while the dealers are short gamma, or while price moves with the run.
CONTEXT_THRESHOLDS = (1.0, 1.25, 1.5)  # x the tuned threshold
SHORT_GAMMA_OPENS_AT = (1.0, 0.75, 0.5)
CONFIRMED_OPENS_AT = (1.0, 0.75)


def context_configs(bar_size: str) -> list[tuple[str, detector.DetectorConfig]]:
    tuned = detector.TUNED[bar_size]
    found = []
    for scale, gamma, confirmed in itertools.product(
        CONTEXT_THRESHOLDS, SHORT_GAMMA_OPENS_AT, CONFIRMED_OPENS_AT
    ):
        config = replace(
            tuned,
            threshold=round(tuned.threshold * scale, 3),
            short_gamma_opens_at=gamma,
            confirmed_opens_at=confirmed,
        )
        name = f"h={config.threshold:g} short-gamma opens at {gamma:g}, confirmed at {confirmed:g}"
        found.append((name, config))
    return found


Result = tuple[str, str, detector.DetectorConfig, Summary]  # bar size, name, config, summary


def _tune_job(job: tuple[str, str, detector.DetectorConfig, Sequence[int], Visible]) -> Result:
    bar_size, name, config, seeds, visible = job
    items = sessions(seeds)
    tallies = [
        score_session(s, current_detector(bar_size, config), bar_size, visible) for s in items
    ]
    return bar_size, name, config, summarise(tallies)


def run_configs(
    configs: Iterable[tuple[str, str, detector.DetectorConfig]],
    seeds: range,
    visible: dict[str, Visible],
) -> list[Result]:
    """Each (bar size, name, config) scored on `seeds`, in two processes."""
    jobs = [(bar, name, config, seeds, visible[bar]) for bar, name, config in configs]
    with ProcessPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        return list(pool.map(_tune_job, jobs))


def budget_of(budget: Budget, plain: Summary) -> float:
    return plain.false_per_session if budget == "plain" else float(budget)


def pick(results: Iterable[Result], bar_size: str, limit: float) -> Result | None:
    """The best recall at `bar_size` among settings with at most `limit` false alerts a session
    (ties: fewer false alerts, then the grid's order)."""
    allowed = [r for r in results if r[0] == bar_size and r[3].false_per_session <= limit]
    return min(allowed, key=lambda r: (-r[3].recall, r[3].false_per_session), default=None)


def tune(seeds: range, bar_sizes: Iterable[str], context: bool = False) -> None:
    """The grid (or, with `context`, the context grid around the tuned pick) on the tuning
    seeds; per bar size the pick is the setting with the best recall among those within the
    bar size's BUDGET of false alerts a session on the same seeds."""
    items = sessions(seeds)
    print(f"tuning on seeds {seeds.start}-{seeds.stop - 1} ({len(seeds)} sessions)")
    print(f"model: {model_version()}")
    visible = {bar: visible_episodes(items, bar) for bar in bar_sizes}
    configs = context_configs if context else grid_configs
    results = run_configs(
        [(bar, name, config) for bar in bar_sizes for name, config in configs(bar)], seeds, visible
    )
    for bar in bar_sizes:
        plain = summarise(score(plain_rule, items, bar, visible[bar]))
        ranked = sorted((r for r in results if r[0] == bar), key=lambda r: -r[3].recall)
        rows = [summary_row(bar, "plain rule (article)", plain)]
        rows += [summary_row(bar, name, s) for _, name, _, s in ranked]
        print(table(HEADERS, rows))
        limit = budget_of(BUDGET[bar], plain)
        if context:
            plain_only = [
                r
                for r in ranked
                if r[2].short_gamma_opens_at == r[2].confirmed_opens_at == 1.0
                and r[3].false_per_session <= limit
            ]
            if plain_only:
                best = plain_only[0]
                print(f"{bar} best without context: {best[1]}: recall {best[3].recall:.0%}")
        if not context:
            print(calm_table(results, bar, limit))
        chosen = pick(results, bar, limit)
        if chosen:
            print(f"{bar} pick within {limit:.2f} false alerts a session: {chosen[1]}")
            print(f"  {chosen[2]}")
            if not context:
                print(window_cost(chosen[2], items, bar, visible[bar]))
            print()
        else:
            print(f"{bar}: no setting within {limit:.2f} false alerts a session\n")


def calm_table(results: Sequence[Result], bar_size: str, limit: float) -> str:
    """Per quiet window after an episode: the grid's best setting with that window within
    `limit` false alerts a session, its recall and false alerts."""
    rows = []
    for minutes, both in CALM:
        calm = _calm_bars(minutes, bar_size)
        best = pick((r for r in results if _has_calm(r[2], calm, both)), bar_size, limit)
        name = _calm_name(minutes, both)
        rows.append(
            [bar_size, name, best[1], f"{best[3].recall:.0%}", f"{best[3].false_per_session:.2f}"]
            if best
            else [bar_size, name, "—", "—", "—"]
        )
    return table(["bar", "quiet window after an episode", "best setting", "recall", "false"], rows)


def window_cost(
    config: detector.DetectorConfig, items: Sequence[Session], bar_size: str, visible: Visible
) -> str:
    """What the pick's quiet window costs: the same settings with each other window, the
    episodes each catches that the pick misses (and the reverse), and its false alerts."""

    def run(c: detector.DetectorConfig) -> tuple[set[tuple[int, datetime]], int]:
        tallies = score(lambda bar: current_detector(bar, c), items, bar_size, visible)
        return set().union(*(t.caught_starts for t in tallies)), sum(
            t.false_alerts for t in tallies
        )

    caught, false = run(config)
    lines = [f"  its quiet window: {config.calm_after} bars, caught {len(caught)}, false {false}"]
    for minutes, both in CALM:
        calm = _calm_bars(minutes, bar_size)
        if _has_calm(config, calm, both):
            continue  # the pick's own window
        other, other_false = run(replace(config, calm_after=calm, calm_both_ways=both))
        name = _calm_name(minutes, both)
        lines.append(
            f"  window {name}: catches {len(other - caught)} it misses, misses "
            f"{len(caught - other)} it catches; false {other_false}"
        )
    return "\n".join(lines)


TRADE_OFF_HEADERS = [
    "bar",
    "false-alert budget (tuning)",
    "pick (tuning seeds)",
    "tuning: recall / false alerts",
    "held-out recall [95% CI]",
    "held-out recall above calm noise",
    "held-out caught in first half",
    "held-out false alerts / session [95% CI]",
]


def trade_off(bar_sizes: Sequence[str], markdown: bool) -> None:
    """Per bar size and false-alert budget: the grid's pick on the tuning seeds (TUNING only),
    then that pick scored on the held-out seeds, beside the plain rule there."""
    tuning, held_out = sessions(TUNING), sessions(HELD_OUT)
    visible = {bar: visible_episodes(tuning, bar) for bar in bar_sizes}
    visible_held = {bar: visible_episodes(held_out, bar) for bar in bar_sizes}
    grid = run_configs(
        [(bar, name, config) for bar in bar_sizes for name, config in grid_configs(bar)],
        TUNING,
        visible,
    )
    picks: list[tuple[str, str, Result]] = []
    for bar in bar_sizes:
        plain = summarise(score(plain_rule, tuning, bar, visible[bar]))
        for budget in TRADE_OFF_BUDGETS:
            limit = budget_of(budget, plain)
            chosen = pick(grid, bar, limit)
            label = f"{limit:.2f}" + (" (plain rule's)" if budget == "plain" else "")
            label += " ← shipped" if budget == BUDGET[bar] else ""
            if chosen is not None:
                picks.append((bar, label, chosen))
    held = run_configs([(bar, name, r[2]) for bar, name, r in picks], HELD_OUT, visible_held)
    print(f"{SYMBOL}: picks on tuning seeds {TUNING.start}-{TUNING.stop - 1}, scored on held-out")
    print(f"seeds {HELD_OUT.start}-{HELD_OUT.stop - 1}; model: {model_version()}")
    rows = []
    for bar in bar_sizes:
        plain = summarise(score(plain_rule, held_out, bar, visible_held[bar]))
        rows.append(_trade_off_row(bar, "plain rule (article)", "—", None, plain))
        for (at, label, chosen), scored in zip(picks, held, strict=True):
            if at == bar:
                rows.append(_trade_off_row(bar, label, chosen[1], chosen[3], scored[3]))
    print(markdown_table(TRADE_OFF_HEADERS, rows) if markdown else table(TRADE_OFF_HEADERS, rows))


def _trade_off_row(
    bar: str, budget: str, name: str, tuned: Summary | None, s: Summary
) -> list[str]:
    visible = f"{s.visible_recall:.0%} of {s.visible}" if s.visible_recall is not None else "—"
    return [
        bar,
        budget,
        name,
        f"{tuned.recall:.0%} / {tuned.false_per_session:.2f}" if tuned else "—",
        f"{s.recall:.0%} [{s.recall_ci[0]:.0%}–{s.recall_ci[1]:.0%}]",
        visible,
        f"{s.first_half:.0%}",
        f"{s.false_per_session:.2f} [{s.false_ci[0]:.2f}–{s.false_ci[1]:.2f}]",
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tune", action="store_true", help="the tuning grid on TUNING seeds")
    parser.add_argument(
        "--tune-context", action="store_true", help="the context grid around the tuned pick"
    )
    parser.add_argument(
        "--trade-off",
        action="store_true",
        help="per false-alert budget: the pick on TUNING seeds, scored on HELD_OUT",
    )
    parser.add_argument("--quick", action="store_true", help="20 sessions")
    parser.add_argument("--bar", action="append", choices=BAR_SECONDS, help="bar size(s)")
    parser.add_argument("--markdown", action="store_true", help="the table as Markdown")
    parser.add_argument("--list-short", action="store_true", help="list every too-short episode")
    args = parser.parse_args()
    bar_sizes = args.bar or list(BAR_SECONDS)
    if args.trade_off:
        trade_off(bar_sizes, args.markdown)
    elif args.tune or args.tune_context:
        seeds = TUNING[:20] if args.quick else TUNING
        tune(seeds, bar_sizes, context=args.tune_context)
    else:
        report(HELD_OUT[:20] if args.quick else HELD_OUT, bar_sizes, args.markdown, args.list_short)
