"""Paying for a basket: cash with change, card through the terminal, and split tenders.

``Checkout`` collects tenders until the total is covered, then writes the ticket through
``till.selling.ticket_writer``. A card tender exists only once the terminal approved it; a decline or
a timeout adds nothing. A credit note tender is checked when it is added (code, expiry,
balance) and redeemed when the ticket is written, in the same transaction, so a note another
till spent in between makes ``complete`` refuse and write nothing; a note head office knows is
held there when it is added (``till.credit.remote``) and the hold settled with the ticket.
Change is a negative cash payment, so a ticket always balances: sum(lines) = sum(payments).
"""

from __future__ import annotations

from dataclasses import dataclass

from devices.payment import PaymentTerminal, TerminalError
from store.db import DatabaseUnavailable, with_retry
from store.models import SALE, Ticket
from till.credit import holds as credit_holds
from till.credit import notes as credit_notes
from till.credit import remote as remote_credit
from till.credit.remote import RemoteCreditDesk
from till.errors import TillError
from till.fiscal.chain import current_database
from till.fiscal.events import PAYMENT_CANCELLED, record_event
from till.i18n import N_
from till.means import CARD, CASH, CHANGE, CREDIT_NOTE, means
from till.money import shown
from till.selling import card_settlement
from till.selling.basket import Basket
from till.selling.card_journal import close_without_ticket, terminal_reason
from till.selling.disk_room import require_room
from till.selling.ticket_writer import DraftLine, DraftPayment, TicketDraft, write_ticket

TRAINING_REFERENCE = "FORMATION"
"""The reference of a card payment made in training mode (no terminal was asked)."""

class PaymentError(TillError):
    """A tender was refused; nothing was recorded for it."""


class CardOutcomeUnknown(PaymentError):
    """The terminal may have charged the card: a manager settles it from the terminal's journal
    before anything else is taken for this sale."""

    def __init__(self, message: str, journal_id: int | None, **params) -> None:
        super().__init__(message, **params)
        self.journal_id = journal_id


@dataclass(frozen=True)
class Tender:
    """Money offered by the customer: ``amount_cents`` may exceed the due amount for cash."""

    means: str
    amount_cents: int
    reference: str | None = None
    hold_request: str | None = None
    """A credit note taken through head office: the hold it stands on (``till.credit.holds``)."""
    remote_only: bool = False
    """Another shop's note: in head office's ledger only, not this shop's."""
    journal_id: int | None = None
    """A card payment: its card-journal row, settled by the ticket that carries it."""


@dataclass(frozen=True)
class CompletedSale:
    """A paid sale: the written ticket and the change to hand back."""

    ticket: Ticket
    change_cents: int


class Checkout:
    """Tenders against a basket's total, until it is paid."""

    def __init__(self, basket: Basket, terminal: PaymentTerminal | None,
                 remote: RemoteCreditDesk | None = None) -> None:
        if basket.is_empty:
            raise PaymentError("The basket is empty")
        # A full or read-only disk is told before any money is taken; the basket stays as it is.
        require_room(current_database(), basket.config.till.min_free_mb)
        self.basket = basket
        self.terminal = terminal
        self.remote = remote
        """Head office, for credit notes known there (None: this shop's notes only, no network)."""
        self.total_cents = basket.totals().total_cents
        self.tenders: list[Tender] = []
        self.unknown_row: int | None = None
        """A card request whose outcome is unknown: nothing else is taken until a manager settles it."""
        self._refunding: Tender | None = None
        """The card payment whose refund (the sale being abandoned) has that unknown outcome."""

    @property
    def paid_cents(self) -> int:
        return sum(tender.amount_cents for tender in self.tenders)

    @property
    def due_cents(self) -> int:
        """What is left to pay (0 once covered)."""
        return max(0, self.total_cents - self.paid_cents)

    @property
    def change_cents(self) -> int:
        """Cash to hand back: what was given beyond the total."""
        return max(0, self.paid_cents - self.total_cents)

    @property
    def is_paid(self) -> bool:
        return self.paid_cents >= self.total_cents

    def add_cash(self, amount_cents: int) -> Tender:
        """Cash handed over; more than due is fine (change), nothing or negative is not."""
        self._check_no_unknown()
        if self.is_paid:
            raise PaymentError("The sale is already paid")
        if amount_cents <= 0:
            raise PaymentError("Enter the amount of cash received")
        tender = Tender(CASH, amount_cents)
        self.tenders.append(tender)
        return tender

    def add_credit_note(self, code: str, amount_cents: int | None = None) -> Tender:
        """Pay with the credit note of ``code`` (typed or scanned): by default as much as it holds,
        up to what is due; an explicit amount may be less, never more than either.

        Refused now, with a clear message, when the code is wrong or unknown, the note expired or
        spent. A note of this shop is taken from its ledger when the ticket is written
        (``complete``). With head office (``remote``) this blocks on the network, so call it from
        a worker: another shop's note, and one of this shop's that head office knows, are taken
        at head office now (a hold), and given back if the sale is abandoned (``cancel``).
        """
        self._check_no_unknown()
        if self.is_paid:
            raise PaymentError("The sale is already paid")
        if self.basket.training:
            raise PaymentError("Credit notes cannot be issued or spent in training mode")
        try:
            note, left = credit_notes.spendable(code, self.basket.today)
        except credit_notes.UnknownCreditNote:
            if self.remote is None:
                raise
            return self._add_remote_note(credit_notes.parse_code(code), amount_cents)
        left -= sum(t.amount_cents for t in self.tenders if t.means == CREDIT_NOTE and t.reference == note.code)
        if left <= 0:
            raise credit_notes.NotEnoughCredit(credit_notes.SPENT, code=note.code)
        amount = min(left, self.due_cents) if amount_cents is None else amount_cents
        self._check_note_amount(amount)
        if amount > left:
            raise credit_notes.NotEnoughCredit(credit_notes.NOT_ENOUGH, code=note.code, balance=shown(left),
                                               amount=shown(amount))
        hold = None
        if self.remote is not None and remote_credit.is_registered(note):
            try:  # head office's balance counts: another shop may have spent some of it
                hold = self.remote.hold(note.code, amount, own_note=True).request_id
            except credit_notes.UnknownCreditNote:  # head office lost it: this shop's ledger decides
                hold = None
        tender = Tender(CREDIT_NOTE, amount, note.code, hold)
        self.tenders.append(tender)
        return tender

    def _add_remote_note(self, code: str, amount_cents: int | None) -> Tender:
        """Another shop's note: taken at head office now, or under the offline policy."""
        amount = amount_cents
        if amount is None:
            balance = self.remote.balance_of(code)
            if balance is None:  # offline: only the amount read off the voucher, under the policy
                remote_credit.check_offline(self.remote.settings, code, None)
            amount = min(balance, self.due_cents)
            if amount <= 0:
                raise credit_notes.NotEnoughCredit(credit_notes.SPENT, code=code)
        self._check_note_amount(amount)
        redemption = self.remote.hold(code, amount)
        tender = Tender(CREDIT_NOTE, amount, code, redemption.request_id, remote_only=True)
        self.tenders.append(tender)
        return tender

    def _check_note_amount(self, amount: int) -> None:
        if amount <= 0:
            raise PaymentError("Enter the amount to take from the credit note")
        if amount > self.due_cents:
            raise PaymentError("A credit note cannot pay more than is due ({due})", due=shown(self.due_cents))

    def pay_card(self, amount_cents: int | None = None) -> Tender:
        """Charge the card through the terminal (blocking: call from a worker thread).

        Without ``amount_cents`` the card pays all that is due. More than due is refused: a card
        never gives change.
        """
        self._check_no_unknown()
        amount = self.due_cents if amount_cents is None else amount_cents
        if amount <= 0:
            raise PaymentError("Nothing is left to pay by card")
        if amount > self.due_cents:
            raise PaymentError("A card cannot pay more than is due ({due})", due=shown(self.due_cents))
        if self.basket.training:  # practice: the terminal is never asked, no card is charged
            tender = Tender(CARD, amount, TRAINING_REFERENCE)
            self.tenders.append(tender)
            return tender
        if self.terminal is None:
            raise PaymentError("No card terminal is configured on this till")
        # Before the card journal and the terminal: a card is never charged for a sale the disk cannot hold.
        require_room(current_database(), self.basket.config.till.min_free_mb)
        try:
            result = self.terminal.sale(amount, reference=f"{self.basket.sealer.till_id}")
        except TerminalError as error:
            if getattr(error, "maybe_charged", False):  # the request reached it: say so, never guess
                self.unknown_row = getattr(error, "journal_id", None)
                raise CardOutcomeUnknown(
                    N_("The card terminal did not answer ({reason}): the payment may have gone through. Check the "
                    "terminal's own journal; a manager must settle it before anything else is taken"),
                    self.unknown_row, reason=terminal_reason(error)) from None
            raise PaymentError("The card terminal did not answer ({reason}): nothing was charged",
                               reason=terminal_reason(error)) from None
        if not result.approved:
            raise PaymentError("Card declined: {reason}", reason=result.decline_reason())
        tender = Tender(CARD, result.amount_cents, result.reference,
                        journal_id=getattr(self.terminal, "last_journal_id", None))
        self.tenders.append(tender)
        return tender

    def settle_card(self, manager, approved: bool, reference: str | None = None, note: str = "") -> Tender | None:
        """A manager's decision on the unknown card outcome, read off the terminal's own journal:
        approved adds the card payment (with the terminal's reference); not approved adds
        nothing, and the cashier may take the payment again, by any means."""

        if self.unknown_row is None:
            raise PaymentError("No card payment of this sale waits for a manager")
        refunding, self._refunding = self._refunding, None
        try:
            row = card_settlement.settle(self.unknown_row, manager, self.basket.sealer, self.basket.config,
                                         approved=approved, reference=reference, note=note,
                                         for_tender=refunding is None).row
        except card_settlement.SettlementError as error:
            self._refunding = refunding
            raise PaymentError(error.message, **error.params) from None
        self.unknown_row = None
        if refunding is not None:  # the refund of a card payment while abandoning the sale
            if approved:
                self._cancelled(refunding, row.result_reference, row.id)
            return None
        if not approved:
            return None
        tender = Tender(CARD, row.amount_cents, row.result_reference, journal_id=row.id)
        self.tenders.append(tender)
        return tender

    def _check_no_unknown(self) -> None:
        if self.unknown_row is not None:
            raise PaymentError("The card terminal's answer is unknown (card journal #{id}): a manager must settle it "
                               "first", id=self.unknown_row)

    def cancel(self) -> int:
        """Abandon the payment: give back every approved card payment through the terminal, and
        every credit note held at head office.

        Blocking (call from a worker thread). Each is recorded in chain L, since no ticket will
        carry it. Returns the cents given back; a refund the terminal refuses stops here with a
        clear message, the remaining card tenders kept so the cashier can retry. A hold head
        office cannot be told about now is given back by the next sync.
        """
        self._check_no_unknown()
        refunded = 0
        for tender in [t for t in self.tenders if means(t.means).uses_terminal]:
            if tender.reference == TRAINING_REFERENCE and self.basket.training:
                self.tenders.remove(tender)  # never charged: nothing to give back
                continue
            try:
                result = self.terminal.refund(tender.amount_cents, reference=tender.reference or "")
            except TerminalError as error:
                if getattr(error, "maybe_charged", False):
                    self.unknown_row, self._refunding = getattr(error, "journal_id", None), tender
                    raise CardOutcomeUnknown(
                        N_("The card terminal did not answer ({reason}): the refund may have gone through. Check the "
                        "terminal's own journal; a manager must settle it"), self.unknown_row,
                        reason=terminal_reason(error)) from None
                raise PaymentError("The card terminal did not answer ({reason}): the card payment is not "
                                   "refunded yet", reason=terminal_reason(error)) from None
            if not result.approved:
                raise PaymentError("The terminal refused to refund the card payment: {reason}",
                                   reason=result.decline_reason())
            self._cancelled(tender, result.reference, getattr(self.terminal, "last_journal_id", None))
            refunded += tender.amount_cents
        for tender in [t for t in self.tenders if t.hold_request is not None]:
            self.remote.release(tender.hold_request, self.basket.user.id)  # or at the next sync
            self.tenders.remove(tender)
            refunded += tender.amount_cents
        return refunded

    def _cancelled(self, tender: Tender, refund_reference: str | None, refund_row: int | None) -> None:
        """A card payment given back before the sale ended: sealed in chain L, and both card
        requests settled with that event (no ticket will carry them)."""

        with current_database().atomic():
            record_event(self.basket.sealer, PAYMENT_CANCELLED, "card payment refunded before the sale ended",
                         user_id=self.basket.user.id,
                         details={"amount_cents": tender.amount_cents, "reference": tender.reference,
                                  "refund_reference": refund_reference})
            close_without_ticket([row for row in (tender.journal_id, refund_row) if row is not None],
                                 "card payment refunded before the sale ended")
        self.tenders.remove(tender)

    @property
    def holds_credit(self) -> bool:
        """Whether head office holds credit-note money for this sale (given back by ``cancel``)."""
        return any(t.hold_request is not None for t in self.tenders)

    def draft(self) -> TicketDraft:
        """The ticket this checkout writes, once paid."""
        if not self.is_paid:
            raise PaymentError("{due} is still due", due=shown(self.due_cents))
        basket = self.basket
        lines = tuple(
            DraftLine(
                product_id=line.product_id, sku=line.sku, label=line.label, quantity=line.quantity,
                unit=line.unit, unit_price_cents=line.unit_price_cents, discount_cents=line.discount_cents,
                total_cents=line.total_cents, vat_code=line.vat_code, vat_rate_bp=line.vat_rate_bp,
            )
            for line in basket.lines
        )
        payments = [DraftPayment(t.means, t.amount_cents, t.reference, t.hold_request, not t.remote_only, t.journal_id)
                    for t in self.tenders]
        if self.change_cents:
            payments.append(DraftPayment(CASH, -self.change_cents, CHANGE))
        customer = basket.customer
        return TicketDraft(
            kind=SALE, user_id=basket.user.id, operator_name=basket.user.name, lines=lines,
            payments=tuple(payments), customer_id=customer.id if customer else None,
            customer_name=customer.display_name if customer else None,
            discount_cents=sum(line.discount_cents for line in lines),
            open_drawer=any(means(t.means).opens_drawer for t in self.tenders) and not basket.training,
            training=basket.training,
        )

    def complete(self) -> CompletedSale:
        """Write the ticket (one transaction) and return it with the change to give."""
        self._check_no_unknown()
        change = self.change_cents
        draft = self.draft()
        config = self.basket.config
        try:
            ticket = with_retry(lambda: write_ticket(
                self.basket.sealer, config.accounts, draft,
                credit_note_validity_days=config.credit_notes.validity_days, loyalty=config.loyalty,
                smtp=config.smtp, min_free_mb=config.till.min_free_mb))
        except credit_notes.CreditNoteError as error:
            # Spent or expired since it was tendered (another till): nothing was written; the
            # tender is dropped so that what it was to pay is due again.
            code = error.params.get("code")
            dropped = [t for t in self.tenders if t.means == CREDIT_NOTE and t.reference == code]
            self.tenders = [t for t in self.tenders if t not in dropped]
            for tender in dropped:
                if tender.hold_request is not None:  # head office gives it back at the next sync
                    credit_holds.abandon(tender.hold_request)
            raise
        except DatabaseUnavailable:
            raise PaymentError("The database is busy (another till is writing): nothing was recorded, "
                               "press the key again") from None
        return CompletedSale(ticket=ticket, change_cents=change)
