"""Widgets drawn from a Rich `Text`, handed to Textual as strips that Rich renders directly.

Textual's own route for a `Text` converts it to its `Content`, turning every span's style into a
Textual style, which for a line of many coloured runs (the sparkline, the attribution bars, the
status line) costs milliseconds on every repaint. Rich renders the same `Text` into segments in a
fraction of that; the strips are kept until the widget is refreshed, resized or restyled.
"""

from __future__ import annotations

from typing import Self

from rich.style import Style
from rich.text import Text
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widget import Widget


class TextStrips(Widget):
    """A widget whose `render()` returns a Rich `Text`, drawn by Rich into cached strips."""

    _strips: list[Strip] | None = None
    _strips_for: tuple[Size, Style] | None = None

    def render(self) -> Text:
        raise NotImplementedError

    def refresh(
        self, *regions: Region, repaint: bool = True, layout: bool = False, recompose: bool = False
    ) -> Self:
        self._strips = None  # what render() says may have changed
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def render_line(self, y: int) -> Strip:
        key = (self.size, self.rich_style)
        if self._strips is None or key != self._strips_for:
            self._strips, self._strips_for = self._draw(), key
        if y < len(self._strips):
            return self._strips[y]
        return Strip.blank(self.size.width, self.rich_style)

    def _draw(self) -> list[Strip]:
        width, height = self.size
        console = self.app.console
        options = console.options.update(width=width, height=None, highlight=False, markup=False)
        lines = console.render_lines(self.render(), options, style=self.rich_style, pad=True)
        return [Strip(line, width) for line in lines[:height]]
