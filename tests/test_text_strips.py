"""The text widgets' lines: the direct route for texts that fit gives exactly what Rich's
`render_lines` gives, and texts that need wrapping go Rich's way."""

from __future__ import annotations

import pytest
from rich.console import Console
from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult
from textual.containers import Vertical

from hedgeflow_tui.ui.widgets.text_strips import TextStrips, text_lines

ON = Style(color="white", bgcolor="grey11", italic=True)


def styled(*parts: tuple[str, str]) -> Text:
    text = Text()
    for chunk, style in parts:
        text.append(chunk, style=style)
    return text


TEXTS = {
    "one line": styled(("per-bar flow ", "bold"), ("▁▂▃", "bold green"), ("▀▀", "red"), (" x", "")),
    "two lines": styled(("upper ", "bold"), ("▲▲", "green"), ("\n", ""), ("lower ", "dim")),
    "base style": Text("session  calls 60%\nrun      no run", style="bold blue"),
    "exactly the width": styled(("x" * 20, "bold"), ("\n", ""), ("y" * 20, "")),
    "wide characters": styled(("γ-flip 台灣 ", "bold"), ("▲", "green")),
    "trailing newline": Text("a line\n"),
    "blank lines": Text("\n\nthird"),
    "empty": Text(""),
    "too long: wraps": styled(("word " * 10, "bold"), ("end", "red")),
    "too long, no wrap": Text("ellipsis " * 5, no_wrap=True, overflow="ellipsis"),
    "centred": Text("centred", justify="center"),
    "a tab": Text("a\tb"),
}


@pytest.mark.parametrize("name", TEXTS)
@pytest.mark.parametrize("width", [20, 35])
def test_lines_are_rich_s(name: str, width: int) -> None:
    console = Console(width=120, color_system="truecolor", force_terminal=True)
    text = TEXTS[name]
    options = console.options.update(width=width, height=None, highlight=False, markup=False)
    expected = console.render_lines(text.copy(), options, style=ON, pad=True)
    assert text_lines(console, text.copy(), width, ON) == expected


class Line(TextStrips):
    def render(self) -> Text:
        return Text("status")


class LineApp(App[None]):
    CSS = """
    Line { height: 1; background: blue; }
    Line.-alarm { background: red; }
    .-dark Line { color: yellow; }
    .-stale { opacity: 50%; }
    """

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Line()


def colours(line: Line) -> tuple[str | None, str | None]:
    style = line.render_line(0)._segments[0].style
    assert style is not None
    return (
        style.bgcolor.name if style.bgcolor else None,
        style.color.name if style.color else None,
    )


async def test_a_restyle_redraws_the_strips() -> None:
    """The strips are cached until the widget's own style, or an inherited one, changes."""
    app = LineApp()
    async with app.run_test(size=(40, 5)) as pilot:
        line = app.query_one(Line)
        before = colours(line)
        line.add_class("-alarm")  # its own background
        await pilot.pause()
        alarm = colours(line)
        app.query_one(Vertical).add_class("-dark")  # a colour inherited from an ancestor
        await pilot.pause()
        dark = colours(line)
        app.query_one(Vertical).add_class("-stale")  # a restyle of an ancestor alone
        await pilot.pause()
        faded = colours(line)
    assert before[0] != alarm[0]
    assert dark[1] != alarm[1]
    assert faded != dark
