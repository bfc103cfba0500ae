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
from textual.widgets import Label

from till.i18n import N_, _
from till.ui.feedback import translate_bindings
from till.ui.widgets.key_footer import KeyFooter
from till.ui.widgets.status_line import HasStatus, StatusLine

T = TypeVar("T")


class Dialog(HasStatus, ModalScreen[T]):
    """A modal asking one thing; ``dismiss(None)`` on Esc means "nothing changes"."""

    BINDINGS = [
        Binding("enter", "confirm", "Confirm", id="dialog-confirm", key_display="Enter",
                tooltip=N_("Confirm what was typed or chosen")),
        Binding("escape", "cancel", "Cancel", id="dialog-cancel", key_display="Esc",
                tooltip=N_("Close, nothing changes")),
    ]
    """Enter confirms (the focused field's own Enter does it), Esc leaves without changing anything."""

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
            yield StatusLine()
        yield KeyFooter()

    def compose_body(self) -> ComposeResult:
        """The dialog's own fields."""
        yield from ()

    def action_confirm(self) -> None:
        """Enter reaches the dialog itself only when no field has the focus (its field answers
        Enter first): give the focus back to the field, where the answer is typed."""
        self.focus_next()

    def action_cancel(self) -> None:
        self.dismiss(None)
