"""The help screen of a mode: its own keys, read from its bindings so the help cannot drift from
them, then what the mode's status line says, and what the banner and the chart show."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

INTRO = """\
# hedgeflow-tui · {mode}

Dealer hedge flow on the session's 0DTE chain: the cumulative flow of the **call** and **put** legs
(and their sum) over the underlying's price, and a banner when a gamma squeeze builds.
{state}"""
CLOSE_HINT = "escape closes · ↑↓ pgup pgdn scroll"

SHARED = """\
**Banner.** BUILDING: the hedge flow, scaled by this session's own typical flow, has run one way
long and hard enough. CONFIRMED: price moved the same way. ▲ dealers buying (upside), ▼ selling
(downside). ENDED when the flow fades; REVERSAL (with the new direction) when it turns. The run's
driver names the leg and its sign: call-driven buying is upside call chasing, call-driven selling
is not. Alerts from before the program started are in the log as history, never announced.
After the close: the day's summary.

**Chart.** `⠤` all, `+` calls, `x` puts, `·` price (right axis); the solid line is zero; dashed
lines are the gamma flip and the call and put walls; ▲ / ▼ mark alerts at their bar. The title
says the view (`rolling 15m · last 1h`: `w`, `z`); a dotted vertical line is the parked cursor,
its bar's values on the readout line under the chart (a click on the chart parks it too).
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def keys_table(app: App[Any], bindings: Iterable[BindingType]) -> str:
    """A Markdown table of these bindings, one row per key in the order bound: a key bound to
    several actions (one shown at a time, like Pause and Play) lists them all on its row."""
    rows: dict[str, list[str]] = {}
    for binding in bindings:
        if not isinstance(binding, Binding):
            continue
        what = rows.setdefault(app.get_key_display(binding), [])
        text = binding.tooltip or binding.description
        if text not in what:
            what.append(text)
    if app.ENABLE_COMMAND_PALETTE:
        palette = Binding(app.COMMAND_PALETTE_BINDING, "command_palette", "Palette")
        rows[app.get_key_display(palette)] = ["Command palette: every key above, and themes"]
    lines = ["| key | does |", "| --- | --- |"]
    lines += [f"| `{_cell(key)}` | {_cell(' / '.join(what))} |" for key, what in rows.items()]
    return "\n".join(lines) + "\n"


def help_text(
    app: App[Any], mode: str, bindings: Iterable[BindingType], notes: str, state: str = ""
) -> str:
    """The whole help of one mode: `state` (what is in force now, e.g. the sensitivity), its
    keys, its `notes`, then what every mode shares. `mode` titles it (what runs)."""
    state = f"\n{state}\n" if state else ""
    return "\n".join(
        (INTRO.format(mode=mode, state=state), keys_table(app, bindings), notes, SHARED)
    )


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "dismiss", "Close", id="help.close")
    ]

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        # how to close it on the frame, seen on any terminal without scrolling to the end
        with VerticalScroll(id="help") as frame:
            frame.border_subtitle = CLOSE_HINT
            yield Markdown(self.text)
