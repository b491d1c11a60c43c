"""One palette for every widget, readable (WCAG 3:1) in every theme the app offers."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

from dashboard import run_dashboard
from rich.color import Color as RichColor
from rich.segment import Segment
from rich.style import Style
from test_app import make_app, rows, until
from textual.color import Color

from hedgeflow_tui.analysis.detector import Alert
from hedgeflow_tui.ui.palette import PALETTE_NAMES, palette_for
from hedgeflow_tui.ui.widgets import AlertLog, AttributionBars, FlowChart, FlowSparkline

IN_A_SQUEEZE = datetime(2026, 6, 12, 19, 38, 30, tzinfo=UTC)  # seed 5: confirmed at 15:37


def luminance(colour: str) -> float:
    """WCAG 2 relative luminance."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    rgb = Color.parse(colour)
    return 0.2126 * channel(rgb.r) + 0.7152 * channel(rgb.g) + 0.0722 * channel(rgb.b)


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two colours."""
    bright, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (bright + 0.05) / (dark + 0.05)


def colours_in(segments) -> set[str]:
    found = set()
    for segment in segments:
        if isinstance(segment, Segment) and segment.style is not None and segment.style.color:
            found.add(hex_of(segment.style.color))
        if isinstance(segment, Segment) and segment.style is not None and segment.style.bgcolor:
            found.add(hex_of(segment.style.bgcolor))
    return found


def text_colours(text, attribute: str = "color") -> set[str]:
    """The colours (or backgrounds) of a Rich Text's spans, as #RRGGBB."""
    found = set()
    for span in text.spans:
        style = Style.parse(span.style) if isinstance(span.style, str) else span.style
        if getattr(style, attribute) is not None:
            found.add(hex_of(getattr(style, attribute)))
    return found


def hex_of(colour: RichColor) -> str:
    triplet = colour.get_truecolor()
    return f"#{triplet.red:02X}{triplet.green:02X}{triplet.blue:02X}"


async def test_every_data_colour_keeps_3_to_1_against_every_theme_offered():
    app, _ = make_app()
    async with run_dashboard(app):
        themes = app.available_themes
        assert len(themes) >= 10 and "ansi-dark" not in themes  # the terminal's own colours
        weak = []
        for name, theme in themes.items():
            variables = theme.to_color_system().generate()
            for ground in ("background", "surface"):
                for palette in PALETTE_NAMES:
                    for key, colour in asdict(palette_for(palette, theme.dark)).items():
                        ratio = contrast(colour, variables[ground])
                        if ratio < 3:
                            weak.append((name, ground, palette, key, round(ratio, 2)))
        assert not weak, weak


async def test_a_light_theme_switches_every_widget_to_the_light_colours():
    app, _ = make_app(at=IN_A_SQUEEZE)
    async with run_dashboard(app, size=(120, 40)) as pilot:
        await until(pilot, lambda: rows(app) > 0)
        await pilot.pause()
        dark = palette_for("default", True)
        assert dark.all.upper() in colours_in(app.query_one(FlowChart).render().segments)
        fired = Alert(
            "SPY", "squeeze_confirmed", "up", 6, 2e8, "call-driven buying", True, 1e8, IN_A_SQUEEZE
        )
        app.query_one(AlertLog).add(fired)
        app.theme = "textual-light"
        await pilot.pause()
        light = palette_for("default", False)
        chart = colours_in(app.query_one(FlowChart).render().segments)
        assert light.all.upper() in chart and dark.all.upper() not in chart
        first_line = app.query_one(AlertLog).render_line(0)
        assert light.up.upper() in colours_in(first_line)


async def test_colorblind_calls_and_puts_are_the_same_colours_in_chart_sparkline_and_attribution():
    app, _ = make_app(theme="colorblind")
    async with run_dashboard(app, size=(120, 40)) as pilot:
        await until(pilot, lambda: rows(app) > 0)
        await pilot.pause()
        colours = palette_for("colorblind", True)
        chart = colours_in(app.query_one(FlowChart).render().segments)
        assert {colours.calls.upper(), colours.puts.upper(), colours.all.upper()} <= chart
        attribution = app.query_one(AttributionBars).render()
        assert text_colours(attribution, "bgcolor") == {colours.calls.upper(), colours.puts.upper()}
        sparkline = text_colours(app.query_one(FlowSparkline).render())
        assert {colours.up.upper(), colours.down.upper()} <= sparkline
