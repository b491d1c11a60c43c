"""The status line: symbol, expiry, bar size, source badge, last bar and staleness, next poll,
quota, and the connection state."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from rich.cells import cell_len
from rich.text import Text

from hedgeflow_tui.engine.status import PollStatus
from hedgeflow_tui.market.bars import BAR_SECONDS, bar_delta
from hedgeflow_tui.market.calendar import SESSION_CLOSE, close_time, is_session
from hedgeflow_tui.output.format import ago, et_time
from hedgeflow_tui.ui.widgets.text_strips import TextStrips

BADGE_STYLES = {
    "LIVE": "bold white on dark_green",
    "SIMULATED": "bold black on yellow",
    "REMOTE": "bold white on blue",
    "REPLAY": "bold white on magenta",
}
STATE_CLASSES = ("-ok", "-retrying", "-stopped")  # and "-stale", on top of one of them
STALE_AFTER_BARS = 2
STALE_GRACE_SECONDS = 10  # the source publishes a bar a few seconds after it closes
STALE_STYLE = "bold white on red"
OVERDUE_AFTER = 5.0  # real seconds past its time before a poll is said overdue (it may be running)


def countdown(status: PollStatus, now: datetime, speed: float) -> str:
    """Real seconds until the next poll (market time runs `speed` times faster)."""
    if status.next_poll is None:
        return ago(None)
    return ago((status.next_poll - now).total_seconds() / speed)


def next_poll(due: datetime, now: datetime, speed: float) -> str:
    """ "next poll in 12s"; once the poll is well past its time (no answer, no error yet), when
    it was due instead of "in 0s"."""
    seconds = (due - now).total_seconds() / speed
    if seconds < -OVERDUE_AFTER:
        return f"poll due {et_time(due, True)} ET, not done yet"
    return f"next poll in {ago(seconds)}"


def connection(status: PollStatus, now: datetime, speed: float) -> str:
    if status.state == "retrying" and status.next_poll is not None:
        reason = status.message.split(";")[0]
        return f"retrying in {countdown(status, now, speed)} ({reason})"
    if status.state == "rate_limited" and status.next_poll is not None:
        if status.message.startswith("daily quota used up"):  # when it resets, then when we ask
            return f"{status.message.split(';')[0]} · next try in {countdown(status, now, speed)}"
        return f"rate-limited: retry in {countdown(status, now, speed)}"
    return status.message


def stale_since(status: PollStatus, bar_size: str, now: datetime) -> datetime | None:
    """When the data went stale: the close of the newest bar, once that is more than two bar
    intervals old (plus a grace for the source's publish lag, and the closes the quota plan
    skips) while the session is on."""
    if status.last_bar is None or status.state in ("closed", "no_session", "paused"):
        return None
    closed = status.last_bar + bar_delta(bar_size)
    # a quota plan polling every Nth close leaves bars waiting by its choice, said in its note
    planned = status.quota.flow_every - 1 if status.quota is not None else 0
    limit = (STALE_AFTER_BARS + planned) * BAR_SECONDS[bar_size] + STALE_GRACE_SECONDS
    return closed if (now - closed).total_seconds() > limit else None


def data_time(status: PollStatus) -> str:
    """The data's own time, so "upstream is late" can be told from "we are late": when the feeds
    behind the answer last delivered (`data_as_of`: about now while upstream is live) and when
    the answer was computed (`as_of`, older when cached)."""
    if status.data_as_of is not None and status.as_of is not None:
        feed, answered = et_time(status.data_as_of, True), et_time(status.as_of, True)
        return f"feed {feed} ET (answer {answered})"
    if status.as_of is not None:
        return f"answer as of {et_time(status.as_of, True)} ET"
    return ""


def expiry_text(expiration: date | None) -> str:
    """The 0DTE expiry the data is for; none on a day without a session (the source still names
    the day as the expiration, with empty bars)."""
    if expiration is None:
        return "0DTE —"
    return f"0DTE {expiration.isoformat()}" if is_session(expiration) else "no 0DTE today"


# What a narrow terminal leaves out first (higher first; 0: never): the data's own time, the
# quota while it is on track, the expiry, the countdown, the bar size, the last bar. The badges,
# the symbol, a warning, an off-track quota and the connection state always stay.
DROP_DATA_TIME, DROP_QUOTA, DROP_EXPIRY, DROP_NEXT_POLL, DROP_BAR_SIZE, DROP_LAST_BAR = (
    6,
    5,
    4,
    3,
    2,
    1,
)


def status_fields(
    status: PollStatus, *, bar_size: str, now: datetime, expiration: date | None, speed: float = 1.0
) -> list[tuple[int, Text]]:
    """The status line's fields in order, each with its rank in what a narrow terminal leaves
    out; the first holds the badges and the symbol."""
    head = Text()
    head.append(f" {status.source} ", style=BADGE_STYLES.get(status.source, "reverse"))
    stale = stale_since(status, bar_size, now)
    if stale is not None:
        head.append(f" STALE {ago((now - stale).total_seconds())} ", style=STALE_STYLE)
    head.append(f" {status.symbol} ", style="bold")
    expiry = expiry_text(expiration)
    fields = [
        (0, head),
        (DROP_EXPIRY if expiry.startswith("0DTE") else 0, Text(expiry)),
    ]
    if expiration is not None and is_session(expiration):
        close = close_time(expiration)
        if close != SESSION_CLOSE:  # the day's bars end early: said before anything else
            fields.append((0, Text(f"early close {close:%H:%M}", style="bold")))
    fields.append((DROP_BAR_SIZE, Text(f"{bar_size} bars")))
    if status.last_bar is not None:
        closed = status.last_bar + bar_delta(bar_size)
        fields.append(
            (
                DROP_LAST_BAR,
                Text(
                    f"last bar {et_time(status.last_bar, bar_size == '30s')} ET "
                    f"({ago((now - closed).total_seconds())} ago)"
                ),
            )
        )
    if said_time := data_time(status):
        fields.append((DROP_DATA_TIME, Text(said_time)))
    if status.next_poll is not None and status.state in ("ok", "no_session"):
        fields.append((DROP_NEXT_POLL, Text(next_poll(status.next_poll, now, speed))))
    quota = status.quota
    if (
        quota is not None
        and quota.limit is not None
        and (status.state == "closed" or quota.projected == 0 or quota.remaining == 0)
    ):
        fields.append((DROP_QUOTA, Text(f"quota {quota.remaining}/{quota.limit} left")))
    elif quota is not None and quota.limit is not None:
        on_track = quota.note == "ok"
        fields.append(
            (
                DROP_QUOTA if on_track else 0,
                Text(
                    f"quota {quota.remaining}/{quota.limit} left, session needs {quota.projected}"
                    f"{'' if on_track else ' · ' + quota.note}"
                ),
            )
        )
    if status.note:
        fields.append((0, Text(f"⚠ {status.note}", style="bold yellow")))
    said = connection(status, now, speed)
    if stale is not None and status.state == "ok":
        said = f"last poll {said}"  # a bare "ok" beside the STALE badge would contradict it
    fields.append((0, Text(said, style="bold")))
    return fields


SEPARATOR = " · "


def joined(fields: Sequence[tuple[int, Text]]) -> Text:
    """The fields as one line: the badges and symbol, then the rest between separators."""
    head, *rest = (text for _, text in fields)
    parts: list[Text | str] = [head]
    for n, text in enumerate(rest):
        parts.extend((SEPARATOR, text) if n else (text,))
    return Text.assemble(*parts)


def fitted(fields: Sequence[tuple[int, Text]], width: int) -> Text:
    """The fields as drawn on lines of `width` cells: on one line, else on two broken between
    fields (`two_lines`), leaving out the highest-ranked first (the later of equals) until they
    fit; if even the fields that always stay do not fit, Rich wraps them."""
    kept = list(fields)
    while True:
        text = joined(kept)
        if text.cell_len <= width:
            return text
        broken = two_lines(text, width)
        droppable = [i for i, (rank, _) in enumerate(kept) if rank]
        if broken is not text or not droppable:
            return broken
        del kept[max(droppable, key=lambda i: (kept[i][0], i))]


def two_lines(text: Text, width: int) -> Text:
    """`text` broken after the last field separator that leaves its first line within `width`
    cells, when the rest fits the second: a field is never split over the two lines, and
    lines that fit are drawn without Rich's word wrapping (text_strips.py), the costliest part
    of the every-second repaint. As it is otherwise (it fits one line, or Rich wraps it)."""
    if text.cell_len <= width:
        return text
    plain, end = text.plain, -1
    while (at := plain.find(SEPARATOR, end + 1)) != -1 and cell_len(plain[: at + 2]) <= width:
        end = at
    if end == -1 or cell_len(plain[end + 3 :]) > width:
        return text
    first, _, rest = text.divide([end + 2, end + 3])  # the separator's last space dropped
    return Text.assemble(first, "\n", rest)


class StatusBar(TextStrips):
    """Refreshed every second: repaints its line only when the text changed and touches its
    classes only when the state changed (each class change restyles the widget). Its height
    (one line, or two when the text is wider than the terminal, broken between two fields)
    only grows until the width changes, so a text that comes and goes between polls (the
    countdown) never lays the screen out again and never makes the chart below jump. On a
    narrow terminal it leaves out the fields that matter least (`status_fields`), never the
    connection state."""

    _fields: Sequence[tuple[int, Text]] = ((0, Text()),)
    _shown = Text()
    _width = -1
    _lines = 0

    def show(
        self,
        status: PollStatus,
        *,
        bar_size: str,
        now: datetime,
        expiration: date | None,
        speed: float = 1.0,
    ) -> None:
        self._fields = status_fields(
            status, bar_size=bar_size, now=now, expiration=expiration, speed=speed
        )
        width = self.size.width
        text = fitted(self._fields, width)
        if text != self._shown or width != self._width:
            self._shown = text
            if width != self._width:
                self._width, self._lines = width, 0
            lines = 2 if "\n" in text.plain or text.cell_len > width else 1  # or Rich wraps
            if lines > self._lines:
                self._lines = lines
                self.styles.height = lines  # lays the screen out again
            self.refresh()
        state = status_class(status)
        for name in STATE_CLASSES:
            self.set_class(name == state, name)
        self.set_class(stale_since(status, bar_size, now) is not None, "-stale")

    def render(self) -> Text:
        width = self.size.width  # drawn again on a resize: the fields fitted to the new width
        return self._shown if width == self._width else fitted(self._fields, width)


def status_class(status: PollStatus) -> str:
    if status.state == "stopped":
        return "-stopped"
    if status.state in ("retrying", "rate_limited"):
        return "-retrying"
    return "-ok"
