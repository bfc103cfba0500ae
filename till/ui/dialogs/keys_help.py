"""The help overlay (Ctrl+T on every screen): every key of the screen underneath, in full.

Built from that screen's bindings by ``till.ui.keys.screen_keys`` when it opens, so it lists
what the footer shows and what it leaves out (arrows, ``-``, a manager's rare keys), each with
its whole description in the cashier's language. Nothing on the screen underneath changes:
Esc or Ctrl+T again closes the list and the screen is as it was, its field still focused.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from till.i18n import _
from till.ui.feedback import translate_bindings
from till.ui.keys import ScreenKey
from till.ui.widgets.key_footer import KeyFooter


class KeysHelpScreen(ModalScreen[None]):
    """A table of keys and what they do; Esc (or Ctrl+T, the app's key) closes it."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="keys-help-close", key_display="Esc"),
        Binding("up", "scroll(-1)", "Up", show=False, id="keys-help-up"),
        Binding("down", "scroll(1)", "Down", show=False, id="keys-help-down"),
    ]

    def __init__(self, keys: list[ScreenKey]) -> None:
        super().__init__()
        translate_bindings(self)
        self.keys = keys

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for key in self.keys:
            table.add_row(Text(key.key), Text(key.description))
        with Vertical(classes="dialog keys-help-dialog"):
            yield Label(_("Keys of this screen"), classes="dialog-title", markup=False)
            with VerticalScroll(id="keys-help-scroll"):
                yield Static(table, id="keys-help")
        yield KeyFooter()

    def action_scroll(self, step: int) -> None:
        self.query_one("#keys-help-scroll", VerticalScroll).scroll_relative(y=step, animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
