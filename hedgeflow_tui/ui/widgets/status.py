"""The status line: symbol, expiry, bar size, source badge, last bar and staleness, next poll,
quota, and the connection state."""

from __future__ import annotations

from datetime import date, datetime

from rich.cells import cell_len
from rich.text import Text

from hedgeflow_tui.bars import BAR_SECONDS, bar_delta
from hedgeflow_tui.market_calendar import is_session
from hedgeflow_tui.status import PollStatus
from hedgeflow_tui.ui.format import ago, et_time
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
        return f"rate-limited: retry in {countdown(status, now, speed)}"
    return status.message


def stale_since(status: PollStatus, bar_size: str, now: datetime) -> datetime | None:
    """When the data went stale: the close of the newest bar, once that is more than two bar
    intervals old (plus a grace for the source's publish lag) while the session is on."""
    if status.last_bar is None or status.state in ("closed", "no_session", "paused"):
        return None
    closed = status.last_bar + bar_delta(bar_size)
    limit = STALE_AFTER_BARS * BAR_SECONDS[bar_size] + STALE_GRACE_SECONDS
    return closed if (now - closed).total_seconds() > limit else None


def data_time(status: PollStatus) -> str:
    """The data's own time, so "upstream is late" can be told from "we are late": what the data
    covers (`data_as_of`) and when the answer was computed (`as_of`, older when cached)."""
    if status.data_as_of is not None and status.as_of is not None:
        data, answered = et_time(status.data_as_of, True), et_time(status.as_of, True)
        return f"data as of {data} ET (answer {answered}) · "
    if status.as_of is not None:
        return f"answer as of {et_time(status.as_of, True)} ET · "
    return ""


def expiry_text(expiration: date | None) -> str:
    """The 0DTE expiry the data is for; none on a day without a session (the source still names
    the day as the expiration, with empty bars)."""
    if expiration is None:
        return "0DTE —"
    return f"0DTE {expiration.isoformat()}" if is_session(expiration) else "no 0DTE today"


def status_text(
    status: PollStatus, *, bar_size: str, now: datetime, expiration: date | None, speed: float = 1.0
) -> Text:
    text = Text()
    text.append(f" {status.source} ", style=BADGE_STYLES.get(status.source, "reverse"))
    stale = stale_since(status, bar_size, now)
    if stale is not None:
        text.append(f" STALE {ago((now - stale).total_seconds())} ", style=STALE_STYLE)
    text.append(f" {status.symbol} ", style="bold")
    text.append(f"{expiry_text(expiration)} · {bar_size} bars · ")
    if status.last_bar is not None:
        closed = status.last_bar + bar_delta(bar_size)
        text.append(
            f"last bar {et_time(status.last_bar, bar_size == '30s')} ET "
            f"({ago((now - closed).total_seconds())} ago) · "
        )
    text.append(data_time(status))
    if status.next_poll is not None and status.state in ("ok", "no_session"):
        text.append(f"{next_poll(status.next_poll, now, speed)} · ")
    quota = status.quota
    if (
        quota is not None
        and quota.limit is not None
        and (status.state == "closed" or quota.projected == 0)
    ):
        text.append(f"quota {quota.remaining}/{quota.limit} left · ")  # nothing more to need
    elif quota is not None and quota.limit is not None:
        text.append(
            f"quota {quota.remaining}/{quota.limit} left, session needs {quota.projected}"
            f"{'' if quota.note == 'ok' else ' · ' + quota.note} · "
        )
    if status.note:
        text.append(f"⚠ {status.note} · ", style="bold yellow")
    said = connection(status, now, speed)
    if stale is not None and status.state == "ok":
        said = f"last poll {said}"  # a bare "ok" beside the STALE badge would contradict it
    text.append(said, style="bold")
    return text


SEPARATOR = " · "


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
    countdown) never lays the screen out again and never makes the chart below jump."""

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
        text = status_text(status, bar_size=bar_size, now=now, expiration=expiration, speed=speed)
        if text != self._shown:
            self._shown = text
            width = self.size.width
            if width != self._width:
                self._width, self._lines = width, 0
            lines = 1 if text.cell_len <= width else 2
            if lines > self._lines:
                self._lines = lines
                self.styles.height = lines  # lays the screen out again
            self.refresh()
        state = status_class(status)
        for name in STATE_CLASSES:
            self.set_class(name == state, name)
        self.set_class(stale_since(status, bar_size, now) is not None, "-stale")

    def render(self) -> Text:
        return two_lines(self._shown, self.size.width)  # drawn again on a resize


def status_class(status: PollStatus) -> str:
    if status.state == "stopped":
        return "-stopped"
    if status.state in ("retrying", "rate_limited"):
        return "-retrying"
    return "-ok"
