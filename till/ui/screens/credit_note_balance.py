"""Credit notes on screen: type or scan a code to pay with it, or to read its balance.

``CreditNoteCodeScreen`` asks for a code (the payment screen's F4) and dismisses with it; the
checkout checks it. ``CreditNoteBalanceScreen`` (the sale screen's F11, or a credit note
scanned at the sale screen) shows a note's balance, expiry and history; it changes nothing.
"""

from __future__ import annotations

import datetime as dt

from textual.app import ComposeResult
from textual.widgets import Input, Label, Static

from till import credit_notes
from till.i18n import _
from till.receipts import local_time
from till.ui.messages import guarded, money
from till.ui.screens.dialog import Dialog

CODE_INPUT = r"[0-9A-Za-z\- ]{0,40}"


class CreditNoteCodeScreen(Dialog[str | None]):
    """Dismisses with the typed or scanned code, or ``None`` (Esc, or Enter on an empty field)."""

    title_text = "Pay with a credit note"

    def __init__(self, amount_text: str = "") -> None:
        super().__init__()
        self.amount_text = amount_text

    def compose_body(self) -> ComposeResult:
        if self.amount_text:
            yield Label(_("Amount: {amount}", amount=self.amount_text), markup=False)
        yield Input(placeholder=_("Scan or type the credit note code"), id="credit-note-code", restrict=CODE_INPUT)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        self.dismiss(text or None)


class CreditNoteBalanceScreen(Dialog[None]):
    """A note's balance, expiry and movements; Enter on a code shows it, Esc closes."""

    title_text = "Credit note balance"

    def __init__(self, code: str = "") -> None:
        super().__init__()
        self.initial_code = code

    def compose_body(self) -> ComposeResult:
        yield Input(value=self.initial_code, placeholder=_("Scan or type the credit note code"),
                    id="credit-note-code", restrict=CODE_INPUT)
        yield Static("", id="credit-note-details", markup=False)

    def on_mount(self) -> None:
        if self.initial_code:
            self.show(self.initial_code)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.show(event.value)

    @property
    def details(self) -> Static:
        return self.query_one("#credit-note-details", Static)

    @guarded
    def show(self, code: str) -> None:
        self.details.update("")
        note = credit_notes.find(code)
        left = credit_notes.balance(note)
        lines = [note.code,
                 _("Balance: {amount}", amount=money(left)),
                 _("Valid until {date}", date=note.expires_on.strftime("%d/%m/%Y"))]
        if credit_notes.is_expired(note, dt.date.today()):
            lines.append(_("Expired"))
        for movement in credit_notes.history(note.code):
            when = local_time(movement.created_at, self.app.ctx.sealer.zone).strftime("%d/%m/%Y")
            lines.append(f"{when}  {movement.ticket_code}  {money(movement.amount_cents)}")
        self.details.update("\n".join(lines))
        self.show_info("")
