"""Detector scorecard: squeeze alerts scored against the simulator's hidden regime, for the
article's plain rule and for ours (noise floor + price confirmation).

    python3 bench/scorecard.py            # report: seeds 1000-1049
    python3 bench/scorecard.py --tune     # tuning grid: seeds 0-49 (tune below 1000 only)

An episode is a stretch of the hidden call-chase (up) or put-flush (down) regime. It is found
when an alert of its direction starts between its first bar and GRACE bars after its last; any
other episode-opening alert is a false alert. Bars are fed one at a time, as live.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from datetime import timedelta

from _common import DAY, median, session_rows, table

from hedgeflow_tui.detector import PLAIN_RULE, AlertTracker, DetectorConfig
from hedgeflow_tui.sim import simulate_session

GRACE = 3  # bars after an episode's end that still count as catching it
OPENING = {"squeeze_building", "squeeze_confirmed"}


@dataclass
class Score:
    episodes: int = 0
    found: int = 0
    false_alerts: int = 0
    sessions: int = 0
    delays: list[float] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.found / self.episodes if self.episodes else 0.0

    @property
    def false_per_session(self) -> float:
        return self.false_alerts / self.sessions if self.sessions else 0.0


def score(config: DetectorConfig, seeds, kinds: set[str], symbol: str = "SPY") -> Score:
    """`kinds`: which alerts count as the squeeze alert (an episode's first such alert)."""
    result = Score()
    for seed in seeds:
        rows = session_rows(symbol, seed)
        episodes = simulate_session(symbol, DAY, seed).episodes(60)
        tracker = AlertTracker(symbol, config)
        tracker.update(rows[:1])
        alerts = []
        for end in range(2, len(rows) + 1):
            alerts += [a for a in tracker.update(rows[:end]) if a.kind in kinds]
        alerts = _first_per_episode(alerts)
        matched: set[int] = set()
        for start, last, direction in episodes:
            window_end = last + timedelta(minutes=GRACE)
            hits = [a for a in alerts if a.direction == direction and start <= a.t <= window_end]
            if hits:
                result.found += 1
                result.delays.append((hits[0].t - start).total_seconds() / 60)
                matched.update(id(a) for a in hits)
        result.episodes += len(episodes)
        result.false_alerts += sum(1 for a in alerts if id(a) not in matched)
        result.sessions += 1
    return result


def _first_per_episode(alerts):
    """Building then confirmed on the same run is one alert: keep the first of each run."""
    kept, last_key = [], None
    for alert in alerts:
        key = (alert.direction, alert.t - timedelta(minutes=alert.bars))
        if key != last_key:
            kept.append(alert)
        last_key = key
    return kept


def row(name: str, s: Score) -> list:
    delay = f"{median(s.delays):.0f}" if s.delays else "—"
    return [name, s.episodes, f"{s.recall:.0%}", f"{s.false_per_session:.2f}", delay]


HEADERS = ["rule", "episodes", "recall", "false alerts / session", "median bars to alert"]


def report(seeds) -> None:
    print(f"SPY 1m bars, seeds {seeds.start}-{seeds.stop - 1} ({len(seeds)} sessions)")
    ours = DetectorConfig()
    print(
        table(
            HEADERS,
            [
                row("plain rule (article): building", score(PLAIN_RULE, seeds, OPENING)),
                row(
                    f"ours N={ours.squeeze_bars} floor={ours.noise_floor}: building or confirmed",
                    score(ours, seeds, OPENING),
                ),
                row(
                    f"ours N={ours.squeeze_bars} floor={ours.noise_floor}: confirmed only",
                    score(ours, seeds, {"squeeze_confirmed"}),
                ),
            ],
        )
    )


def tune(seeds) -> None:
    print(f"tuning grid on seeds {seeds.start}-{seeds.stop - 1}: confirmed alerts")
    rows = []
    for bars in (3, 4, 5, 6):
        for floor in (0.0, 0.25, 0.5, 1.0):
            s = score(
                DetectorConfig(squeeze_bars=bars, noise_floor=floor), seeds, {"squeeze_confirmed"}
            )
            rows.append(row(f"N={bars} floor={floor}", s))
    print(table(HEADERS, rows))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tune", action="store_true", help="the grid on seeds below 1000")
    parser.add_argument("--quick", action="store_true", help="10 sessions")
    args = parser.parse_args()
    if args.tune:
        tune(range(10 if args.quick else 50))
    else:
        report(range(1000, 1010 if args.quick else 1050))
