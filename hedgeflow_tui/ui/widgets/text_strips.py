"""Widgets drawn from a Rich `Text`, handed to Textual as strips that Rich renders directly.

Textual's own route for a `Text` converts it to its `Content`, turning every span's style into a
Textual style, which for a line of many coloured runs (the sparkline, the attribution bars, the
status line) costs milliseconds on every repaint. Rich renders the same `Text` into segments in a
fraction of that; the strips are kept until the widget is refreshed, resized or restyled.
"""

from __future__ import annotations

from typing import Self

from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Span, Text
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widget import Widget


class TextStrips(Widget):
    """A widget whose `render()` returns a Rich `Text`, drawn by Rich into cached strips.

    The strips are dropped on every refresh: a new text, and every restyle (Textual refreshes a
    widget whose styles, or whose ancestors' inherited colours, change); and on a resize."""

    _strips: list[Strip] | None = None
    _strips_for: Size | None = None

    def render(self) -> Text:
        raise NotImplementedError

    def refresh(
        self, *regions: Region, repaint: bool = True, layout: bool = False, recompose: bool = False
    ) -> Self:
        self._strips = None  # what render() says, or the style it is drawn on, may have changed
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def render_line(self, y: int) -> Strip:
        size = self.size
        if self._strips is None or size != self._strips_for:
            self._strips, self._strips_for = self._draw(size, self.rich_style), size
        if y < len(self._strips):
            return self._strips[y]
        return Strip.blank(size.width, self.rich_style)

    def _draw(self, size: Size, style: Style) -> list[Strip]:
        width, height = size
        lines = text_lines(self.app.console, self.render(), width, style)
        return [Strip(line, width) for line in lines[:height]]


def text_lines(console: Console, text: Text, width: int, style: Style) -> list[list[Segment]]:
    """`text` as lines of segments `width` cells wide, on `style`: what Rich's
    `console.render_lines` makes of it. A text whose lines all fit needs no word wrapping,
    Rich's costliest step: its segments are split into lines directly."""
    options = console.options
    if (
        text.justify in (None, "default")
        and options.justify in (None, "default")
        and "\t" not in text.plain
        and all(cell_len(line) <= width for line in text.plain.split("\n"))
    ):
        if text.style:  # `Text.render` leaves the text's own style out (wrapping puts it in)
            spans = [Span(0, len(text.plain), text.style), *text.spans]
            text = Text(text.plain, end=text.end, spans=spans)
        segments = Segment.apply_style(text.render(console, end=text.end), style)
        return list(
            Segment.split_and_crop_lines(
                segments, width, style=style, pad=True, include_new_lines=False
            )
        )
    options = options.update(width=width, height=None, highlight=False, markup=False)
    return console.render_lines(text, options, style=style, pad=True)
