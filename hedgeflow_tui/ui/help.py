"""The help screen: keys and what each connection state means."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# hedgeflow-tui

Dealer hedge flow on today's 0DTE chain: the cumulative flow of the **call** and **put** legs
(and their sum) over the underlying's price, and a banner when a gamma squeeze builds.

| key | live | replay |
| --- | --- | --- |
| `q` | quit | quit |
| `p` | pause / resume polling | |
| `r` | poll now | |
| `b` | next bar size (30s, 1m, 5m, 15m), reloads the session | next bar size recorded |
| `s` | squeeze alert sensitivity: low, normal, high | same |
| `tab` | next symbol | next symbol |
| `w` | chart flow: session cumulative, rolling 5m / 15m / 30m / 1h | same |
| `z` | chart range: whole session, last 2h / 1h / 30m | same |
| `←` `→` | cursor: park one bar back / forward, readout of that bar | one poll back / forward |
| `shift+←` `shift+→` | same as `←` `→` | cursor back / forward |
| `end` `esc` | cursor back to the live edge | `end`: end of recording; `esc`: cursor back |
| `space` | | play / pause |
| `home` | | start of the recording |
| `+` `-` | | faster / slower (1/8x .. 64x) |
| `?` | this help | this help |
| `ctrl+p` | command palette | command palette |

**Banner.** BUILDING: the hedge flow, scaled by this session's own typical flow, has run one way
long and hard enough. CONFIRMED: price moved the same way. ▲ dealers buying (upside), ▼ selling
(downside). ENDED when the flow fades; REVERSAL (with the new direction) when it turns. The run's
driver names the leg and its sign: call-driven buying is upside call chasing, call-driven selling
is not. Alerts from before the program started are in the log as history, never announced.
After the close: the day's summary.

**Chart.** `⠤` all, `+` calls, `x` puts, `·` price (right axis); the solid line is zero; dashed
lines are the gamma flip and the call and put walls; ▲ / ▼ mark alerts at their bar. The title
says the view (`rolling 15m · last 1h`); a dotted vertical line is the cursor, its bar's values
on the readout line under the chart (a click on the chart parks it too).

**Status.** ok · retrying in Ns (last data kept) · STALE with its age once no new bar has come
for two bar intervals (banner dimmed, tab marked) · rate-limited · stopped: reason (bad key,
plan too low) · no 0DTE session (wait for 09:30 ET, or use `--demo`).

Press `escape` to close.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "dismiss", "Close", id="help.close")
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Markdown(HELP)
