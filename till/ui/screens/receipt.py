"""Preview of a ticket's receipt (F8): the printed lines, as the printer gets them.

The lines come from ``till.aftersale.jobs.receipt_lines``, the same function the printer job uses, so
the preview is what was (or will be) printed, including the legal mentions. Read-only; Esc
closes. Useful when the printer is out of paper and the customer wants to see the ticket.
F2 prints a copy: a duplicate, numbered and signed in chain C (``till.aftersale.duplicates``).
"""

from __future__ import annotations

from typing import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from till.errors import TillError
from till.i18n import N_, _
from till.ui.feedback import translate_bindings
from till.ui.widgets.key_footer import KeyFooter


class ReceiptScreen(ModalScreen[None]):
    """The receipt of one ticket in a monospace box."""

    BINDINGS = [
        Binding("f2", "duplicate", "Duplicate", id="receipt-duplicate", key_display="F2",
                tooltip=N_("Print a duplicate of the receipt (numbered and recorded)")),
        Binding("f3", "email", "E-mail", id="receipt-email", key_display="F3",
                tooltip=N_("E-mail the receipt to the ticket's customer")),
        Binding("f4", "sms", "SMS", id="receipt-sms", key_display="F4",
                tooltip=N_("Send the receipt by SMS to the ticket's customer")),
        Binding("escape", "close", "Close", id="receipt-close", key_display="Esc"),
        Binding("up", "scroll(-1)", "Up", show=False, id="receipt-up", tooltip=N_("Scroll the receipt up")),
        Binding("down", "scroll(1)", "Down", show=False, id="receipt-down", tooltip=N_("Scroll the receipt down")),
    ]

    def __init__(self, lines: list[str], duplicate: Callable[[], str] | None = None,
                 email: Callable[[], str] | None = None, sms: Callable[[], str] | None = None) -> None:
        super().__init__()
        translate_bindings(self)
        self.lines = lines
        self.duplicate = duplicate
        self.email = email
        """Queues the receipt's e-mail to the ticket's customer (refused without consent)."""
        self.sms = sms
        """Queues a text message with the ticket's code (refused without consent)."""
        """Makes a copy (recorded, then printed) and says what it did; None: no copies here."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog receipt-dialog"):
            yield Label(_("Receipt preview"), classes="dialog-title")
            with VerticalScroll(id="receipt-scroll"):
                yield Static("\n".join(self.lines), id="receipt", markup=False)
            yield Label("", id="receipt-hint", classes="hint", markup=False)  # what F2, F3, F4 did
        yield KeyFooter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """F2, F3 and F4 only where a copy and messages can be made (not in the footer otherwise)."""
        sends = {"duplicate": self.duplicate, "email": self.email, "sms": self.sms}
        return action not in sends or sends[action] is not None

    def action_scroll(self, step: int) -> None:
        self.query_one("#receipt-scroll", VerticalScroll).scroll_relative(y=step, animate=False)

    def action_duplicate(self) -> None:
        if self.duplicate is None:
            return
        try:
            said = self.duplicate()
        except TillError as error:
            said = error.text()
        self.query_one("#receipt-hint", Label).update(said)

    def action_email(self) -> None:
        self._send(self.email)

    def action_sms(self) -> None:
        self._send(self.sms)

    def _send(self, send: Callable[[], str] | None) -> None:
        if send is None:
            return
        try:
            said = send()
        except TillError as error:  # no consent, no address, not configured: nothing was queued
            said = error.text()
        self.query_one("#receipt-hint", Label).update(said)

    def action_close(self) -> None:
        self.dismiss(None)
