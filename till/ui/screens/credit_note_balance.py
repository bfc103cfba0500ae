"""Credit notes on screen: type or scan a code to pay with it, or to read its balance.

``CreditNoteCodeScreen`` asks for a code (the payment screen's F4) and dismisses with it; the
checkout checks it. ``CreditNoteBalanceScreen`` (the sale screen's F11, or a credit note
scanned at the sale screen) shows a note's balance, expiry and history; it changes nothing.
With head office configured, another shop's note is looked up there, and one of this shop's
that head office knows shows head office's balance too (what another shop may have spent), in
a worker: the screen never waits on the network.
"""

from __future__ import annotations

import datetime as dt

from textual.app import ComposeResult
from textual.widgets import Input, Label, Static

from till.credit import notes as credit_notes
from till.credit import remote as remote_credit
from till.i18n import N_, _
from till.aftersale.receipts import local_time
from till.credit.remote import RemoteCreditDesk
from till.ui.blocking import off_loop
from till.ui.feedback import error_text, guarded, money
from till.ui.dialogs.base import Dialog

CODE_INPUT = r"[0-9A-Za-z\- ]{0,40}"
HEAD_OFFICE_GROUP = "head-office"
"""Worker group of questions to head office (tests wait for it)."""


class CreditNoteCodeScreen(Dialog[str | None]):
    """Dismisses with the typed or scanned code, or ``None`` (Esc, or Enter on an empty field)."""

    title_text = N_("Pay with a credit note")

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

    title_text = N_("Credit note balance")

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
        desk = RemoteCreditDesk.for_context(self.app.ctx)
        try:
            note = credit_notes.find(code)
        except credit_notes.UnknownCreditNote:
            if desk is None:
                raise
            self._ask_head_office(desk, credit_notes.parse_code(code), [])  # another shop's note
            return
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
        if desk is not None and remote_credit.is_registered(note):  # spent elsewhere too, maybe
            self._ask_head_office(desk, note.code, lines)

    def _ask_head_office(self, desk, code: str, lines: list[str]) -> None:
        self.show_info(_("Asking head office about the credit note..."))
        off_loop(self, lambda: desk.state_of(code), lambda state, error: self._head_office_answered(
            code, lines, state, error), HEAD_OFFICE_GROUP, "credit note at head office")

    @guarded
    def _head_office_answered(self, code: str, lines: list[str], state: dict | None,
                              error: Exception | None) -> None:
        if not self.is_attached:  # closed while head office was asked
            return
        if error is not None:
            self.show_error(error_text(error))
            return
        if state is None:
            self.show_error(_("Head office cannot be reached: its balance is not known"))
            return
        if not lines:  # another shop's note: head office's record is all there is
            day = dt.date.fromisoformat(str(state["expires_on"]))
            lines = [code, _("Issued by shop {shop}", shop=state["shop_id"]),
                     _("Valid until {date}", date=day.strftime("%d/%m/%Y"))]
            if day < dt.date.today():
                lines.append(_("Expired"))
        lines = [*lines[:2], _("Balance at head office: {amount}", amount=money(int(state["balance_cents"]))),
                 *lines[2:]]
        self.details.update("\n".join(lines))
        self.show_info("")
