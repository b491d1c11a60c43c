"""The overview: every symbol at a glance, one entry each (ui/widgets/overview_row.py), over the
tabs. `enter` (or a click) opens the chosen symbol's tab; `o` or `escape` goes back. It reads
the app's store, trackers and statuses, and is redrawn with the status line every second and
whenever a symbol's data changes."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Header, ListItem, ListView, Static

from hedgeflow_tui.ui.first_frame import symbol_id
from hedgeflow_tui.ui.palette import widget_palette
from hedgeflow_tui.ui.widgets.overview_row import OverviewFacts, overview_lines

if TYPE_CHECKING:
    from hedgeflow_tui.ui.app import DashboardApp

HINT = "enter: open the symbol's tab · o / esc: back"


class OverviewEntry(Static):
    """One symbol's two lines, drawn for the entry's width."""

    def __init__(self, symbol: str, palette: str) -> None:
        super().__init__(id=f"overview-{symbol_id(symbol)}", classes="overview-entry")
        self.symbol = symbol
        self.palette = palette
        self.facts: OverviewFacts | None = None

    def show(self, facts: OverviewFacts) -> None:
        if facts != self.facts:
            self.facts = facts
            self.refresh()

    def render(self) -> Text | str:
        if self.facts is None:
            return self.symbol
        return overview_lines(self.facts, self.size.width, widget_palette(self))


class OverviewScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,o", "app.pop_screen", "Back", id="overview.back", key_display="o/esc"),
    ]  # enter: the list's own (ListView.Selected)

    def __init__(self, symbols: list[str], palette: str) -> None:
        super().__init__(id="overview")
        self.symbols = symbols
        self.palette = palette

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"Overview · {len(self.symbols)} symbols · {HINT}", id="overview-title")
        with ListView(id="overview-list"):
            for symbol in self.symbols:
                yield ListItem(OverviewEntry(symbol, self.palette))
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(ListView).focus()
        self.show_all()

    def on_screen_resume(self) -> None:
        self.show_all()

    @property
    def dashboard(self) -> DashboardApp:
        from hedgeflow_tui.ui.app import DashboardApp

        assert isinstance(self.app, DashboardApp)
        return self.app

    def show_all(self) -> None:
        """Every symbol's entry from what the app holds now."""
        for entry in self.query(OverviewEntry):
            entry.show(self.dashboard.overview_facts(entry.symbol))

    def select(self, symbol: str) -> None:
        """Put the highlight on `symbol` (the tab shown when the overview opens)."""
        if symbol in self.symbols:
            self.query_one(ListView).index = self.symbols.index(symbol)

    def on_list_view_selected(self, message: ListView.Selected) -> None:
        entry = message.item.query_one(OverviewEntry)
        self._open(entry.symbol)

    def _open(self, symbol: str) -> None:
        self.dismiss()
        self.dashboard.show_symbol(symbol)
