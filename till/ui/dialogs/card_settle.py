"""A manager settles a card request whose outcome is unknown, from the terminal's own journal.

When the terminal took a request and went silent (or answered after the till stopped waiting),
only the terminal's own list of transactions tells whether the card moved. The till never
guesses, and never suggests another means meanwhile: a manager looks, then says here either
"approved" (typing the reference the terminal shows) or "not approved". The decision itself is
``till.selling.card_settlement.settle``, sealed in chain L; this screen only gathers it.

``settle_unknown(screen, reason, row, decide, done)``: the manager's PIN (counted like every
PIN), then this dialog, then ``decide(manager, approved, reference)`` on ``screen``, then
``done(result)``. Used by the payment screen, the return screens and the manager's list.
"""

from __future__ import annotations

from typing import Any, Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Label

from till.i18n import N_, _
from till.ui.feedback import error_text, money, translate_bindings
from till.ui.dialogs.base import Dialog
from till.ui.dialogs.manager_pin import ManagerPinScreen
from till.ui.widgets.scan_input import FieldInput

SETTLE_REASON = "card outcome settled"
"""What the manager's PIN approves, as sealed in chain L (never translated)."""


def describe(row: Any) -> str:
    """One line on a journal row, for the cashier and the manager."""
    what = _("Card refund") if row.operation == "refund" else _("Card payment")
    return _("{what} of {amount}, card journal #{id}, till {till}, {time}", what=what,
             amount=money(row.amount_cents), id=row.id, till=row.till_id,
             time=row.started_at.strftime("%d/%m %H:%M"))


class CardSettleScreen(Dialog[tuple[bool, str] | None]):
    """Enter with the terminal's reference: approved; F8: not approved; Esc: decide later."""

    title_text = N_("Card outcome unknown")

    BINDINGS = [
        *Dialog.BINDINGS,
        Binding("f8", "declined", "Not approved", id="card-settle-declined", key_display="F8"),
    ]

    def __init__(self, row: Any) -> None:
        super().__init__()
        translate_bindings(self)
        self.row = row

    def compose_body(self) -> ComposeResult:
        yield Label(describe(self.row), markup=False)
        yield Label(_("Check the terminal's own journal. Approved there: type its reference, then Enter. "
                      "Not there: F8."), markup=False)
        yield FieldInput(id="card-settle-reference", placeholder=_("Terminal reference"), restrict=r"[ -~]{0,64}")

    def on_field_input_ended(self, event: FieldInput.Ended) -> None:
        event.stop()
        reference = event.value.strip()
        if not reference:
            self.show_error(_("Type the reference the terminal's journal shows, or F8 if it is not there"))
            return
        self.dismiss((True, reference))

    def action_declined(self) -> None:
        self.dismiss((False, ""))


def settle_unknown(screen: Any, sealer: Any, row: Any, decide: Callable[[Any, bool, str], Any],
                   done: Callable[[Any], None]) -> None:
    """The manager's PIN, then the decision, then ``decide(manager, approved, reference)``."""
    pin = ManagerPinScreen(sealer, SETTLE_REASON, describe(row), details={"journal_id": row.id})

    def decided(manager: Any, answer: tuple[bool, str] | None) -> None:
        if answer is None:
            return
        try:
            result = decide(manager, *answer)
        except Exception as error:  # noqa: BLE001 - shown, never raised out of a callback
            screen.show_error(error_text(error))
            return
        done(result)

    def approved(manager: Any) -> None:
        if manager is not None:
            screen.app.push_screen(CardSettleScreen(row), lambda answer: decided(manager, answer))

    screen.app.push_screen(pin, approved)
