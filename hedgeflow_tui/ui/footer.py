"""The dashboard's footer: Textual's compact footer, less the keys it can spare when all of them
do not fit the terminal's width (they stay in the help and the command palette), so that the
keys a person needs most are never cut off at the right edge (80 columns, several symbols)."""

from __future__ import annotations

from collections.abc import Collection

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer

PALETTE_HINT_WIDTH = 11  # "▏^p palette ", docked at the right over the last key's space


def footer_width(bindings: list[Binding], key_display, palette_hint: bool) -> int:
    """The columns the compact footer takes for `bindings` (shown ones, in order): `key desc`
    and a space for a key alone; the keys of a group side by side, then the group's label."""
    width, seen_groups, actions = 0, set(), set()
    for binding in bindings:
        if binding.action in actions:
            continue  # one footer key per action (the first binding's)
        actions.add(binding.action)
        group = binding.group
        if group is None or sum(b.group is group for b in bindings) < 2:
            width += len(key_display(binding)) + len(binding.description) + 2
        else:
            width += len(key_display(binding))
            if id(group) not in seen_groups:
                seen_groups.add(id(group))
                width += len(group.description) + 3
    return width + (PALETTE_HINT_WIDTH if palette_hint else 0)


class DashboardFooter(Footer):
    """`spare`: the actions left out when the footer would be wider than the screen."""

    def __init__(self, spare: Collection[str], *, show_command_palette: bool = True) -> None:
        super().__init__(compact=True, show_command_palette=show_command_palette)
        self.spare = frozenset(spare)
        self.sparing = False

    def shown_bindings(self) -> list[Binding]:
        return [
            binding
            for (_, binding, enabled, _tooltip) in self.screen.active_bindings.values()
            if binding.show
        ]

    def needs_sparing(self, width: int) -> bool:
        needed = footer_width(
            self.shown_bindings(), self.app.get_key_display, self.show_command_palette
        )
        return needed > width

    def compose(self) -> ComposeResult:
        self.sparing = self.needs_sparing(self.app.size.width)
        for widget in super().compose():
            if self.sparing and getattr(widget, "action", None) in self.spare:
                continue
            yield widget

    def on_resize(self, event: events.Resize) -> None:
        if self.needs_sparing(event.size.width) != self.sparing:
            self.refresh(recompose=True)
