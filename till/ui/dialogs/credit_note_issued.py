"""The credit note a return or an exchange just issued, shown on screen until the cashier closes it.

The voucher is printed through the outbox, but a printer out of paper or a voucher lost on the
counter must not cost the customer their credit: the cashier can read the code out or write it
down (``till.credit.notes.issued_by`` reads the notes the ticket issued).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Label

from till.credit.notes import IssuedNote
from till.i18n import N_, _
from till.ui.dialogs.base import Dialog
from till.ui.feedback import money


class CreditNoteIssuedScreen(Dialog[None]):
    """Each note's code, amount and last day; Enter or Esc closes."""

    title_text = N_("Credit note issued")
    BINDINGS = [Binding("enter", "close", "Close", id="credit-note-issued-close", key_display="Enter")]

    def __init__(self, notes: list[IssuedNote]) -> None:
        super().__init__()
        self.notes = notes

    def compose_body(self) -> ComposeResult:
        for note in self.notes:
            yield Label(note.code, classes="credit-note-code", markup=False)
            yield Label(_("Amount: {amount}", amount=money(note.amount_cents)), markup=False)
            yield Label(_("Valid until {date}", date=note.expires_on.strftime("%d/%m/%Y")), markup=False)
        yield Label(_("The voucher is printed too"), markup=False)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
