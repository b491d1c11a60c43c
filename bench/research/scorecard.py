"""Detector scorecard: opening squeeze alerts scored against squeezes, at every bar size, for the
article's plain rule, the shipped detector (pinned by git revision) and this tree's, side by side.

    python3 bench/research/scorecard.py               # held-out report: seeds 1000-1299
    python3 bench/research/scorecard.py --quick       # 40 held-out sessions
    python3 bench/research/scorecard.py --tune        # this tree's grid on tuning seeds 0-199
    python3 bench/research/scorecard.py --shipped REV  # the shipped detector of another revision

Two truths, both from the simulator (SPY, 2026-06-12):
- *observable*: the squeeze fingerprint in the public 1-minute series (analysis/fingerprint.py);
  model squeezes and absorbed chases of its direction are "don't care" there;
- *model*: squeezes labelled by outcome from the model's exact state (sim/truth.py); absorbed
  chases are "don't care".
An alert is known when its bar closes (bucket start + bar size). A squeeze is *caught* when an
opening alert (one that starts a detector episode) of its direction is known from EARLY before
its start to its end; *first half*: known by its midpoint; latency: bars from its start to that
alert's close. An opening alert is *false* when no squeeze of its direction runs from EARLY before
its start to LATE after its end around the alert, and no don't-care stretch does either.
Intervals: 95% bootstrap over sessions. Tune on TUNING, report on the disjoint HELD_OUT.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import statistics
import subprocess
import sys
import tarfile
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import table

from hedgeflow_tui.analysis import detector, fingerprint
from hedgeflow_tui.engine.store import Row
from hedgeflow_tui.sim import market, truth
from hedgeflow_tui.sim.rows import rows_at

DAY = date(2026, 6, 12)
SYMBOL = "SPY"
TUNING = range(200)
HELD_OUT = range(1000, 1300)
SHIPPED = "7d5e49e"  # the detector before issue 26's (main, 2026-12-07)
BAR_SECONDS = {"30s": 30, "1m": 60, "5m": 300, "15m": 900}
EARLY = timedelta(minutes=2)
LATE = timedelta(minutes=5)
BOOTSTRAP = 1000
HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
SOURCES = (market.__file__, truth.__file__, fingerprint.__file__)


# --- the simulated sessions ---------------------------------------------------------------------


def model_digest() -> str:
    """Of the model, its truth and the fingerprint: the cache's key."""
    digest = hashlib.sha256()
    for source in SOURCES:
        digest.update(Path(source).read_bytes())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Stretch:
    start: datetime
    end: datetime  # end of its last sample or bar
    direction: str


@dataclass(frozen=True)
class Session:
    seed: int
    open: datetime
    calls: np.ndarray  # per 30 s sample
    puts: np.ndarray
    spot: np.ndarray
    net_gex: np.ndarray
    gamma_flip: np.ndarray
    squeezes: tuple[Stretch, ...]  # model truth
    absorbed: tuple[Stretch, ...]
    observed: tuple[Stretch, ...]  # the 1m fingerprint


def _simulate(seed: int) -> dict[str, np.ndarray]:
    path = market.simulate_session(SYMBOL, DAY, seed)
    labelled = truth.stretches(path)
    return {
        "open": np.array(path.open.timestamp()),
        "calls": path.calls,
        "puts": path.puts,
        "spot": path.spot,
        "net_gex": path.net_gex,
        "gamma_flip": path.gamma_flip,
        "truth": np.array(
            [(s.first, s.last, s.direction == "up", s.kind == "squeeze") for s in labelled],
            dtype=int,
        ).reshape(-1, 4),
    }


def _cached(seed: int) -> Path:
    return CACHE / model_digest() / f"{SYMBOL}-{seed}.npz"


def _simulate_to_cache(seed: int) -> int:
    arrays = _simulate(seed)
    with _cached(seed).open("wb") as handle:
        np.savez(handle, **arrays)  # type: ignore[arg-type]
    return seed


def sessions(seeds: Sequence[int]) -> list[Session]:
    """The sessions of `seeds`, simulated once per model version (two processes) and cached."""
    missing = [s for s in seeds if not _cached(s).exists()]
    if missing:
        _cached(missing[0]).parent.mkdir(parents=True, exist_ok=True)
        with ProcessPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
            list(pool.map(_simulate_to_cache, missing, chunksize=4))
    return [_load(s) for s in seeds]


def _load(seed: int) -> Session:
    with np.load(_cached(seed)) as data:
        arrays = {name: data[name] for name in data.files}
    open_ = datetime.fromtimestamp(float(arrays["open"]), UTC)
    sample = timedelta(seconds=market.SAMPLE_SECONDS)

    def stretch(first: int, last: int, up: int) -> Stretch:
        return Stretch(open_ + sample * first, open_ + sample * (last + 1), "up" if up else "down")

    labelled = arrays["truth"]
    session = Session(
        seed=seed,
        open=open_,
        calls=arrays["calls"],
        puts=arrays["puts"],
        spot=arrays["spot"],
        net_gex=arrays["net_gex"],
        gamma_flip=arrays["gamma_flip"],
        squeezes=tuple(stretch(a, b, up) for a, b, up, kind in labelled if kind),
        absorbed=tuple(stretch(a, b, up) for a, b, up, kind in labelled if not kind),
        observed=(),
    )
    minute = timedelta(minutes=1)
    observed = tuple(
        Stretch(s.start, s.end + minute, s.direction)
        for s in fingerprint.observed_squeezes(rows_at(session, 60))
    )
    return replace(session, observed=observed)


# --- the detectors --------------------------------------------------------------------------------

Opening = tuple[datetime, str]  # (bar start, direction) of an alert that opens an episode
PLAIN_BARS = 5


def plain_rule(rows: Sequence[Row], bar_size: str) -> list[Opening]:
    """The article's rule: a run of same-signed bars whose last PLAIN_BARS do not shrink opens a
    squeeze, once per run (an unknown or zero bar ends a run)."""
    opened: list[Opening] = []
    run: list[float] = []
    said = False
    for row in rows:
        value = row.all or 0.0
        if value == 0.0 or (run and (value > 0) != (run[-1] > 0)):
            run, said = [], False
        if value != 0.0:
            run.append(value)
        last = [abs(v) for v in run[-PLAIN_BARS:]]
        if (
            not said
            and len(last) == PLAIN_BARS
            and all(b >= a for a, b in itertools.pairwise(last))
        ):
            opened.append((row.t, "up" if value > 0 else "down"))
            said = True
    return opened


def openings(tracker, rows: Sequence[Row]) -> list[Opening]:
    """Alerts that open one of a tracker's episodes, the bars fed one at a time as live."""
    opened: list[Opening] = []
    active = False
    for end in range(1, len(rows) + 1):
        for alert in tracker.update(rows[:end]):
            if alert.kind in ("squeeze_building", "squeeze_confirmed"):
                if not active:
                    opened.append((alert.t, alert.direction))
                active = True
            else:
                active = False
    return opened


def new_detector(
    rows: Sequence[Row], bar_size: str, config: detector.DetectorConfig | None = None
) -> list[Opening]:
    return openings(
        detector.AlertTracker(SYMBOL, config or detector.detector_config(bar_size)), rows
    )


def shipped(revision: str, seeds: Sequence[int], bar_sizes: Sequence[str]) -> dict:
    """The opening alerts of the detector at git `revision`, run in a process of its own on
    that revision's package (its rows, its detector), per (seed, bar size); cached."""
    commit = _git("rev-parse", "--short=10", revision).strip()
    folder = CACHE / f"shipped-{commit}"
    results = folder / f"{model_digest()}.json"
    known: dict[str, list[list[str]]] = {}
    if results.exists():
        known = json.loads(results.read_text())
    todo = [f"{s}/{b}" for s in seeds for b in bar_sizes if f"{s}/{b}" not in known]
    if todo:
        package = folder / "tree"
        if not package.exists():
            archive = subprocess.run(
                ["git", "archive", commit, "hedgeflow_tui"],
                capture_output=True,
                check=True,
                cwd=HERE.parent.parent,
            ).stdout
            with tarfile.open(fileobj=BytesIO(archive)) as tar:
                tar.extractall(package, filter="data")
        answer = subprocess.run(
            [sys.executable, str(HERE / "_pinned.py"), str(package)],
            input=json.dumps({"keys": todo, "cache": str(_cached(0).parent)}),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        known.update(json.loads(answer))
        results.write_text(json.dumps(known))
    return {
        (s, b): [(datetime.fromisoformat(str(t)), str(d)) for t, d in known[f"{s}/{b}"]]
        for s in seeds
        for b in bar_sizes
    }


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], capture_output=True, text=True, check=True, cwd=HERE
    ).stdout


# --- scoring --------------------------------------------------------------------------------------


@dataclass
class Tally:
    squeezes: int = 0
    caught: int = 0
    first_half: int = 0
    false_alerts: int = 0
    latencies: list[float] = field(default_factory=list)


def score_session(
    alerts: Sequence[Opening],
    squeezes: Sequence[Stretch],
    dont_care: Sequence[Stretch],
    bar_seconds: int,
) -> Tally:
    step = timedelta(seconds=bar_seconds)
    known = [(t + step, d) for t, d in alerts]
    tally = Tally(squeezes=len(squeezes))
    for squeeze in squeezes:
        hits = [
            k
            for k, d in known
            if d == squeeze.direction and squeeze.start - EARLY <= k <= squeeze.end
        ]
        if hits:
            tally.caught += 1
            tally.first_half += hits[0] <= squeeze.start + (squeeze.end - squeeze.start) / 2
            tally.latencies.append((hits[0] - squeeze.start) / step)
    for k, d in known:
        near = [*squeezes, *dont_care]
        if not any(s.direction == d and s.start - EARLY <= k <= s.end + LATE for s in near):
            tally.false_alerts += 1
    return tally


@dataclass(frozen=True)
class Summary:
    sessions: int
    squeezes: int
    recall: float
    recall_ci: tuple[float, float]
    first_half: float  # share of the caught ones caught by their midpoint
    latency: float | None  # median bars from the squeeze's start
    latency_ci: tuple[float, float] | None
    false: float  # a session
    false_ci: tuple[float, float]


def summarise(tallies: Sequence[Tally], seed: int = 0) -> Summary:
    squeezes = np.array([t.squeezes for t in tallies], dtype=float)
    caught = np.array([t.caught for t in tallies], dtype=float)
    false = np.array([t.false_alerts for t in tallies], dtype=float)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(tallies), size=(BOOTSTRAP, len(tallies)))
    recalls = caught[picks].sum(axis=1) / np.maximum(squeezes[picks].sum(axis=1), 1)
    falses = false[picks].mean(axis=1)
    latencies = [x for t in tallies for x in t.latencies]
    latency_ci = None
    if latencies:
        per_session = [t.latencies for t in tallies]
        medians = [
            statistics.median(pooled)
            for pick in picks[:200]
            if (pooled := [x for i in pick for x in per_session[i]])
        ]
        latency_ci = (float(np.percentile(medians, 2.5)), float(np.percentile(medians, 97.5)))
    return Summary(
        sessions=len(tallies),
        squeezes=int(squeezes.sum()),
        recall=float(caught.sum() / max(squeezes.sum(), 1)),
        recall_ci=(float(np.percentile(recalls, 2.5)), float(np.percentile(recalls, 97.5))),
        first_half=sum(t.first_half for t in tallies) / max(caught.sum(), 1),
        latency=statistics.median(latencies) if latencies else None,
        latency_ci=latency_ci,
        false=float(false.mean()),
        false_ci=(float(np.percentile(falses, 2.5)), float(np.percentile(falses, 97.5))),
    )


TRUTHS: dict[str, Callable[[Session], tuple[Sequence[Stretch], Sequence[Stretch]]]] = {
    "observable": lambda s: (s.observed, (*s.squeezes, *s.absorbed)),
    "model": lambda s: (s.squeezes, s.absorbed),
}


def tallies(
    items: Sequence[Session], alerts: dict[tuple[int, str], list[Opening]], bar: str, name: str
) -> list[Tally]:
    truth_of = TRUTHS[name]
    return [score_session(alerts[s.seed, bar], *truth_of(s), BAR_SECONDS[bar]) for s in items]


def rows_of(session: Session, bar: str) -> list[Row]:
    return rows_at(session, BAR_SECONDS[bar])


def _run_job(job: tuple[str, int, str, detector.DetectorConfig | None]) -> list[Opening]:
    name, seed, bar, config = job
    rows = rows_of(_load(seed), bar)
    return plain_rule(rows, bar) if name == "plain" else new_detector(rows, bar, config)


def run_all(
    name: str,
    seeds: Sequence[int],
    bar_sizes: Sequence[str],
    config: dict[str, detector.DetectorConfig] | None = None,
) -> dict[tuple[int, str], list[Opening]]:
    """Opening alerts of `name` ("plain" or "new") per (seed, bar size), in two processes."""
    keys = [(s, b) for b in bar_sizes for s in seeds]
    jobs = [(name, s, b, (config or {}).get(b)) for s, b in keys]
    with ProcessPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        return dict(zip(keys, pool.map(_run_job, jobs, chunksize=8), strict=True))


# --- the report -----------------------------------------------------------------------------------

HEADERS = [
    "bar",
    "truth",
    "detector",
    "squeezes",
    "recall [95% CI]",
    "caught in first half",
    "median bars to alert [CI]",
    "false alerts / session [95% CI]",
]


def summary_row(bar: str, truth_name: str, name: str, s: Summary) -> list[str]:
    latency = "—"
    if s.latency is not None and s.latency_ci is not None:
        latency = f"{s.latency:.1f} [{s.latency_ci[0]:.1f}–{s.latency_ci[1]:.1f}]"
    return [
        bar,
        truth_name,
        name,
        str(s.squeezes),
        f"{s.recall:.0%} [{s.recall_ci[0]:.0%}–{s.recall_ci[1]:.0%}]",
        f"{s.first_half:.0%}",
        latency,
        f"{s.false:.2f} [{s.false_ci[0]:.2f}–{s.false_ci[1]:.2f}]",
    ]


def report(seeds: range, bar_sizes: Sequence[str], revision: str, markdown: bool) -> None:
    items = sessions(seeds)
    detectors = {
        "plain rule": run_all("plain", seeds, bar_sizes),
        f"shipped ({revision})": shipped(revision, seeds, bar_sizes),
        "new": run_all("new", seeds, bar_sizes),
    }
    print(f"{SYMBOL}, held-out seeds {seeds.start}-{seeds.stop - 1} ({len(seeds)} sessions)")
    print(f"model {model_digest()}; this tree at {_git('rev-parse', '--short', 'HEAD').strip()}")
    per_session = {
        name: float(np.mean([len(TRUTHS[name](s)[0]) for s in items])) for name in TRUTHS
    }
    print(
        "squeezes a session: observable {observable:.2f}, model {model:.2f}; absorbed chases "
        "{absorbed:.2f}".format(
            absorbed=float(np.mean([len(s.absorbed) for s in items])), **per_session
        )
    )
    rows = [
        summary_row(bar, truth_name, name, summarise(tallies(items, alerts, bar, truth_name)))
        for bar in bar_sizes
        for truth_name in TRUTHS
        for name, alerts in detectors.items()
    ]
    print(markdown_table(HEADERS, rows) if markdown else table(HEADERS, rows))


def markdown_table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + " --- |" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


# --- tuning ---------------------------------------------------------------------------------------

BUDGET: dict[str, float | None] = {"30s": None, "1m": None, "5m": 0.4, "15m": 0.4}
# false alerts a session; None: the plain rule's own on the same seeds


def grid(bar: str) -> list[tuple[str, detector.DetectorConfig]]:
    """This tree's detector around its tuned settings: each setting of the grid, named."""
    tuned = detector.TUNED[bar]
    names = list(detector.GRID)
    found = []
    for values in itertools.product(*(detector.GRID[name] for name in names)):
        setting = dict(zip(names, values, strict=True))
        name = " ".join(f"{key}={value}" for key, value in setting.items())
        found.append((name, replace(tuned, **setting)))
    return found


def tune(seeds: range, bar_sizes: Sequence[str]) -> None:
    """Each grid setting scored on the tuning seeds against the observable truth; per bar size
    the pick is the best recall in the first half of the squeeze (recall x first-half share)
    within the bar size's false-alert budget."""
    items = sessions(seeds)
    print(f"tuning on seeds {seeds.start}-{seeds.stop - 1}; model {model_digest()}")
    plain = run_all("plain", seeds, bar_sizes)
    for bar in bar_sizes:
        base = summarise(tallies(items, plain, bar, "observable"))
        budget = BUDGET[bar]
        limit = base.false if budget is None else budget
        results = []
        for name, config in grid(bar):
            alerts = run_all("new", seeds, [bar], {bar: config})
            results.append((name, summarise(tallies(items, alerts, bar, "observable"))))
        results.sort(key=lambda r: (-r[1].recall * r[1].first_half, r[1].false))
        rows = [summary_row(bar, "observable", "plain rule", base)]
        rows += [summary_row(bar, "observable", name, s) for name, s in results]
        print(table(HEADERS, rows))
        within = [r for r in results if r[1].false <= limit]
        print(
            f"{bar} pick within {limit:.2f} false alerts a session: "
            + (within[0][0] if within else "none")
        )
        print()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tune", action="store_true", help="the grid on the tuning seeds")
    parser.add_argument("--quick", action="store_true", help="40 sessions")
    parser.add_argument("--bar", action="append", choices=BAR_SECONDS, help="bar size(s)")
    parser.add_argument("--shipped", default=SHIPPED, help="git revision of the shipped detector")
    parser.add_argument("--markdown", action="store_true", help="the table as Markdown")
    args = parser.parse_args()
    bar_sizes = args.bar or list(BAR_SECONDS)
    if args.tune:
        tune(TUNING[:40] if args.quick else TUNING, bar_sizes)
    else:
        report(HELD_OUT[:40] if args.quick else HELD_OUT, bar_sizes, args.shipped, args.markdown)
