"""The frame every small modal shares: a title, its fields, a status line, Esc to cancel.

Kept apart so the quantity, discount, customer and manager-PIN dialogs look and behave alike
(same Esc, same red status line), and each of them stays a few lines of its own.
"""

from __future__ import annotations

from typing import TypeVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from till.i18n import _
from till.ui.messages import translate_bindings

T = TypeVar("T")


class Dialog(ModalScreen[T]):
    """A modal asking one thing; ``dismiss(None)`` on Esc means "nothing changes"."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog-cancel", key_display="Esc")]
    """Esc leaves the dialog without changing anything."""

    title_text: str = ""
    """The dialog's title, an English id translated when shown."""

    def __init__(self, title: str | None = None) -> None:
        super().__init__()
        translate_bindings(self)
        self._title = title if title is not None else _(self.title_text)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self._title, classes="dialog-title", markup=False)
            yield from self.compose_body()
            yield Static("", classes="status", markup=False)
            yield Label(_("Enter: confirm   Esc: cancel"), classes="hint")

    def compose_body(self) -> ComposeResult:
        """The dialog's own fields."""
        yield from ()

    @property
    def status(self) -> Static:
        return self.query_one(".status", Static)

    def show_error(self, text: str) -> None:
        """Say in red why the answer was refused; the dialog stays open."""
        self.status.update(text)
        self.status.set_class(True, "error")

    def show_info(self, text: str) -> None:
        self.status.update(text)
        self.status.set_class(False, "error")

    def action_cancel(self) -> None:
        self.dismiss(None)
