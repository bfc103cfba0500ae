"""The card side of a return or exchange: journal the intent, commit, ask the terminal with no
transaction open, then write the outcome.

A mixin of ``till.returns.session.ReturnSession`` (it uses the session's ``terminal``, ``sealer``,
``config``, ``user`` and its checks), kept apart so that each module holds one concept.

1. One transaction (``_prepare_card``) locks the sale, refuses while another card request on
   it is open (``till.selling.card_journal.check_no_open_claim``), re-checks quantities, policy and caps,
   and writes the card-journal row: its claim on the sale and the return's ticket draft.
   Committed before any byte goes to the terminal.
2. The terminal is asked (``_send_card``), no transaction open: no other till waits on it.
3. Approved: the return is written from the row (``till.selling.card_settlement.write_intent``), which
   settles the row in the ticket's transaction. A database failure then keeps the approval: the
   cashier presses the key again and the terminal is not asked again; a stop before that
   writes it at the next start.
Declined, or certainly never sent: the row is closed and the cashier chooses another means.
Unknown (timeout, disconnect, a late answer): the till never suggests another means; the row
holds the claim until a manager settles it from the terminal's own journal (``settle_card``).

All card parts of a refund go to the card the customer presents, as one terminal refund (a
terminal refunds the card inserted, whatever authorisation is named).
"""

from __future__ import annotations

import peewee

from devices.payment import TerminalError
from store.db import DatabaseUnavailable, with_retry
from store.models import Ticket, User
from till.i18n import N_
from till.selling import card_settlement
from till.selling.card_journal import JournaledTerminal, claim_of, operation_word, prepare, terminal_reason
from till.errors import TillError
from till.fiscal.chain import current_database
from till.money import shown
from till.returns.lines import ReturnError
from till.means import CARD, means
from till.selling.ticket_writer import DraftPayment


class CardOutcomeUnknown(ReturnError):
    """The terminal may have moved money: a manager settles it from the terminal's journal."""

    def __init__(self, message: str, journal_id: int, **params) -> None:
        super().__init__(message, **params)
        self.journal_id = journal_id


class ReturnCardMoves:
    """Ask the terminal for a refund or a charge, journaled first; write the return after."""

    _approved_row: int | None = None
    """The terminal approved this row's request; its return is still to be written."""
    unknown_row: int | None = None
    """This row's outcome is unknown: a manager must settle it before anything else."""

    def _card_operation(self, payments: list[DraftPayment]) -> tuple[str, int, str] | None:
        """(operation, amount, reference for the terminal) of the ticket's card payments, merged."""
        card = [p for p in payments if means(p.means).uses_terminal]
        if not card:
            return None
        amount = sum(p.amount_cents for p in card)
        if amount < 0:
            return "refund", -amount, card[0].reference or ""
        return "sale", amount, self.sealer.till_id

    def _journaled(self) -> JournaledTerminal:
        if self.terminal is None:
            raise ReturnError("No card terminal is configured on this till")
        if isinstance(self.terminal, JournaledTerminal):
            self.terminal.user_id = self.user.id
            return self.terminal
        return JournaledTerminal(self.terminal, self.sealer.till_id, sealer=self.sealer, user_id=self.user.id)

    def _complete_with_card(self) -> Ticket:
        terminal = self._journaled()
        row_id, operation, amount, reference = self._prepare_card(terminal)
        self._send_card(terminal, row_id, operation, amount, reference)
        self._approved_row = row_id
        return self._write_approved()

    def _prepare_card(self, terminal: JournaledTerminal) -> tuple[int, str, int, str]:
        """One transaction: checks, then the journal row with the claim and the return to write."""
        try:
            with current_database().atomic():
                events = self._checked_under_lock()
                payments = self._payments()
                card = self._card_operation(payments)
                if card is None:
                    raise ReturnError("Ticket {code} changed meanwhile: check the return again", code=self.reference)
                operation, amount, reference = card
                row = prepare(self.sealer.till_id, terminal.name, operation, amount, reference,
                              claim=claim_of(self.original, self.order))
                card_payment = DraftPayment(CARD, -amount if operation == "refund" else amount, None,
                                            journal_id=row.id)
                first_card = next(i for i, p in enumerate(payments) if means(p.means).uses_terminal)
                merged = [card_payment if i == first_card else p for i, p in enumerate(payments)
                          if not means(p.means).uses_terminal or i == first_card]
                entry = self.entry.event(self.user, self.reference)  # how the lines were entered
                row.intent = card_settlement.intent_json(self._draft(merged), events + ([entry] if entry else []))
                row.save(only=[type(row).intent])
        except peewee.OperationalError:
            raise ReturnError("The database is busy (another till is writing): nothing was recorded, "
                              "try again") from None
        return row.id, operation, amount, reference

    def _send_card(self, terminal: JournaledTerminal, row_id: int, operation: str, amount: int,
                   reference: str) -> None:
        try:
            result = terminal.request(operation, amount, reference, row_id=row_id)
        except TerminalError as error:
            if getattr(error, "maybe_charged", True):
                self.unknown_row = row_id
                raise CardOutcomeUnknown(
                    N_("The card terminal did not answer ({reason}): the card {operation} of {amount} may have gone "
                    "through. Check the terminal's own journal; a manager must settle it (card journal #{id})"),
                    row_id, reason=terminal_reason(error), operation=operation_word(operation), amount=shown(amount),
                    id=row_id) from None
            raise ReturnError("The card terminal could not be reached ({reason}): nothing was sent; try again, or "
                              "refund in cash or as a credit note", reason=terminal_reason(error)) from None
        if not result.approved and operation == "sale":
            raise ReturnError("The terminal declined the card payment ({reason}): nothing was recorded",
                              reason=result.decline_reason())
        if not result.approved:
            raise ReturnError("The terminal declined the card refund ({reason}): nothing was recorded; refund "
                              "in cash or as a credit note instead", reason=result.decline_reason())

    def _write_approved(self) -> Ticket:
        """Write the return the terminal approved (again after a failure: never asks it twice)."""
        row_id = self._approved_row
        try:
            ticket = with_retry(lambda: card_settlement.write_intent(row_id, self.sealer, self.config))
        except (DatabaseUnavailable, TillError) as error:
            reason = error.message if isinstance(error, TillError) else "database busy"
            raise ReturnError("The terminal approved the card, but the return is not written yet ({reason}): press "
                              "the key again; the card is not asked again", reason=reason) from None
        self._approved_row = None
        self.ticket = ticket
        return ticket

    @property
    def approved_not_written(self) -> bool:
        """The terminal approved; the return is still to be written (the next ``complete()``)."""
        return self._approved_row is not None

    def unknown_entry(self):
        """The card-journal row waiting for a manager (``None`` when none waits)."""
        return None if self.unknown_row is None else card_settlement.entry(self.unknown_row)

    def settle_card(self, manager: User, approved: bool, reference: str | None = None, note: str = "") -> Ticket | None:
        """A manager's decision on the unknown outcome (read off the terminal's journal): approved
        writes the return now; not approved lets the cashier choose another means."""
        if self.unknown_row is None:
            raise ReturnError("No card payment of this return waits for a manager")
        try:
            done = card_settlement.settle(self.unknown_row, manager, self.sealer, self.config, approved=approved,
                                          reference=reference, note=note)
        except card_settlement.SettlementError as error:
            raise ReturnError(error.message, **error.params) from None
        self.unknown_row = None
        if done.ticket is not None:
            self.ticket = done.ticket
        return done.ticket

    def _check_no_unknown(self) -> None:
        if self.unknown_row is not None:
            raise ReturnError("The card terminal's answer is unknown (card journal #{id}): a manager must settle "
                              "it first", id=self.unknown_row)

