"""The one source of the dashboard's data colours: chart, sparkline, attribution, banner, log.

Two palettes (`default`: green/red; `colorblind`: Okabe-Ito blue/orange), each in a variant for
dark and one for light backgrounds, picked by the current Textual theme. Every colour keeps a
WCAG contrast of at least 3:1 against the background of every theme offered (tested). The app
also publishes them as CSS variables (`$flow-up`, `$flow-down`, ...) for app.tcss.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Protocol

from textual.app import App
from textual.color import Color


@dataclass(frozen=True)
class Palette:
    all: str  # cumulative flow of both legs
    calls: str
    puts: str
    price: str
    up: str  # dealers buying: sparkline bars above the line, ▲ alerts, upside banner
    down: str  # dealers selling
    level: str  # gamma flip and walls on the chart


PALETTES: dict[tuple[str, bool], Palette] = {
    # (name, dark background?)
    ("default", True): Palette(
        all="#F2F2F2",
        calls="#4CC36E",
        puts="#FF6B6B",
        price="#E8C547",
        up="#4CC36E",
        down="#FF6B6B",
        level="#B39DDB",
    ),
    ("default", False): Palette(
        all="#1A1A1A",
        calls="#1B7A36",
        puts="#C0282D",
        price="#7A5C00",
        up="#1B7A36",
        down="#C0282D",
        level="#6A3FA0",
    ),
    ("colorblind", True): Palette(
        all="#F2F2F2",
        calls="#56B4E9",
        puts="#E69F00",
        price="#DB8FBA",
        up="#56B4E9",
        down="#E69F00",
        level="#B0B0B0",
    ),
    ("colorblind", False): Palette(
        all="#1A1A1A",
        calls="#0060A0",
        puts="#A85400",
        price="#9A3F78",
        up="#0060A0",
        down="#A85400",
        level="#5E5E5E",
    ),
}
PALETTE_NAMES = ("default", "colorblind")
# Themes that leave the colours to the terminal: no contrast can be promised, so not offered.
UNCHECKABLE_THEMES = ("ansi-dark", "ansi-light")


def palette_for(name: str, dark: bool) -> Palette:
    return PALETTES.get((name, dark), PALETTES[("default", dark)])


def text_on(colour: str) -> str:
    """Black or white, whichever reads better on a `colour` background."""
    return Color.parse(colour).get_contrast_text().hex6


class PaletteUser(Protocol):
    """A widget with a palette name, in an app with a theme."""

    palette: str

    @property
    def app(self) -> App[Any]: ...


def widget_palette(widget: PaletteUser) -> Palette:
    """The colours for a widget under the app's current theme (light or dark)."""
    return palette_for(widget.palette, widget.app.current_theme.dark)


def css_variables(name: str, dark: bool) -> dict[str, str]:
    """`flow-all`, `flow-calls`, ... for app.tcss."""
    return {f"flow-{key}": value for key, value in asdict(palette_for(name, dark)).items()}
