"""The footer of every screen: each key the screen shows, on as many rows as it takes.

Textual's ``Footer`` is one row that clips what does not fit (the manager's screen lost its Esc
at 80 columns), so the keys are laid out here in rows that fit the terminal's width, a key and
its word never split. Which keys, and their words, come from ``till.ui.keys.screen_keys``: the
screen's bindings, so the footer follows them (and the help overlay lists the same ones).
"""

from __future__ import annotations

from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

from till.ui.keys import ScreenKey, screen_keys

GAP = 1
"""Spaces between two keys on a row."""


def footer_item(key: ScreenKey) -> str:
    """One key as the footer writes it: "F2 Pay"."""
    return f"{key.key} {key.label}" if key.label else key.key


def footer_rows(keys: list[ScreenKey], width: int) -> list[list[ScreenKey]]:
    """``keys`` in rows of at most ``width`` columns, in order (a key wider than a row gets its own)."""
    rows: list[list[ScreenKey]] = [[]]
    used = 0
    for key in keys:
        size = len(footer_item(key))
        if rows[-1] and used + GAP + size > width:
            rows.append([])
            used = 0
        used += size + (GAP if rows[-1] else 0)
        rows[-1].append(key)
    return rows


class KeyFooter(Widget, can_focus=False):
    """Docked at the bottom of its screen; redrawn when the screen's bindings change."""

    COMPONENT_CLASSES = {"key-footer--key"}
    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: auto;
        background: $footer-background;
        color: $footer-description-foreground;
    }
    KeyFooter > .key-footer--key {
        color: $footer-key-foreground;
        text-style: bold;
    }
    """

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _screen: object) -> None:
        self.refresh(layout=True)

    def shown_keys(self) -> list[ScreenKey]:
        return [key for key in screen_keys(self.screen) if key.shown]

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(footer_rows(self.shown_keys(), width))

    def render(self) -> Text:
        key_style = self.get_component_rich_style("key-footer--key")
        lines = []
        for row in footer_rows(self.shown_keys(), self.size.width):
            line = Text()
            for index, key in enumerate(row):
                if index:
                    line.append(" " * GAP)
                line.append(key.key, key_style)
                if key.label:
                    line.append(" " + key.label)
            lines.append(line)
        return Text("\n").join(lines)
