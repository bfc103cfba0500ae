"""Returns and exchanges at the till, without a screen: ``ReturnSession``.

find (scanned receipt code, typed ticket number, a customer's purchases, or no receipt) ->
pick lines and quantities -> a reason and a disposition per line -> policy (a manager may
approve a breach) -> resolution (refund to the original means, cash, store credit, a mix; or an
exchange against a ``Basket``, the difference paid or refunded) -> ``complete()``.

``complete()`` is one database transaction: it locks the original sale (``SELECT ... FOR
UPDATE`` on PostgreSQL, the ticket row then its lines; SQLite's ``BEGIN IMMEDIATE`` already
serialises writers), refuses while a card request on that sale is open on any till, re-reads
what was already returned and refunded, refuses if a quantity is no longer returnable or a
means' cap is passed, re-checks the policy, records each manager override (chain L), and writes
the ticket with ``write_ticket`` (kind RETURN or EXCHANGE, ``origin_ticket_id`` set, negative
lines pointing at their original lines). Any refusal or failure leaves nothing written.

A card refund (or an exchange's card charge) is never asked inside that transaction: the same
checks commit a card-journal row that claims the sale and holds the return to write, the
terminal is asked with no transaction open, then the return is written from the row
(``till.returns.card``). So no till waits on another's terminal, and a stop at any point leaves
a row that says what happened.

A returned line keeps the original's unit price and VAT rate; its amount is the original line's
total (after its discount share) pro rata of the quantity, computed cumulatively so that the
returns of a line add up exactly to what was paid for it.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, replace
from typing import Iterable

import peewee

from store.db import is_postgres
from store.models import (
    EXCHANGE, GRAM, MANAGER, RETURN, SALE, TECHNICIAN,
    Customer, FiscalRecord, OnlineOrder, OnlineOrderLine, Product, Ticket, TicketLine, User, utcnow,
)
from till.selling import catalogue
from till.config.loader import Config
from till.fiscal.chain import Sealer, current_database
from till.fiscal.closures import close_due
from till.fiscal.events import MANAGER_OVERRIDE, record_event
from till.loss.return_entry import ReturnEntry
from till.returns.loss_check import ChecksLossSignals
from till.money import shown
from till.means import CARD, CASH, CHANGE, CODES, CREDIT_NOTE, codes_where, means
from till.fiscal.receipt_proof import looks_like_proof
from till.returns.other_shop import open_receipt
from till.returns.picks import DISPOSITIONS, Pick, draft_lines
from till.returns.receipt_returns import ReceiptReturn, receipt_return
from till.returns.remote_orders import OrderDesk, looks_like_order_number
from till.returns.refunds import RefundError, RefundPart, check_choice, paid_with, plan_refund, refunded_before
from till.returns.policy import (
    NO_RECEIPT_CREDIT_ONLY, NO_RECEIPT_MAX, Breach, PolicyBreach,
    customer_breach, final_sale_breach, lowest_recent_price, window_breach,
)
from till.people.customers import CustomerSummary, customer_summary  # noqa: F401 - part of this module's API
from till.selling.card_journal import ClaimOpen, check_no_open_claim, claim_of
from till.selling.card_settlement import lock_claim
from till.returns.card import ReturnCardMoves
from till.returns.lines import (  # noqa: F401 - part of this module's API
    ReturnableLine, ReturnError, find_order, find_sale, find_ticket, order_lines, purchases, returnable_lines,
    returned_quantities,
)
from till.selling.disk_room import refusal_for, require_room
from till.selling.ticket_writer import DraftPayment, TicketDraft, write_ticket

__all__ = [
    "ReturnError", "PolicyBreach", "ReturnableLine", "ReturnSession", "CustomerSummary",
    "find_ticket", "find_order", "find_sale", "purchases", "returnable_lines", "order_lines", "customer_summary",
]

# --- the session ------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Tender:
    means: str
    amount_cents: int


class ReturnSession(ChecksLossSignals, ReturnCardMoves):
    """One return or exchange being prepared at a till by ``user``; ``complete()`` writes it."""

    def __init__(self, config: Config, sealer: Sealer, user: User, terminal=None,
                 now: dt.datetime | None = None) -> None:
        self.config = config
        self.policy = config.returns
        self.sealer = sealer
        self.user = user
        self.terminal = terminal
        self._now = now
        self.original: Ticket | None = None
        self.order: OnlineOrder | None = None
        """An imported online order being returned (``original`` is then None)."""
        self.no_receipt = False
        self.customer: Customer | None = None
        self.basket = None
        self._lines: dict[int, ReturnableLine] = {}
        self._picks: dict[int, Pick] = {}
        self._keys = itertools.count(1)
        self._approvals: dict[str, tuple[User, str]] = {}
        self._refund_choice: list[RefundPart] | None = None
        self._tenders: list[_Tender] = []
        self.ticket: Ticket | None = None
        self.receipt: ReceiptReturn | None = None
        """A receipt of another shop being returned (``order`` is its kept copy): head office's part."""
        self.on_write = None
        """Called inside the return's transaction with its ticket (a receipt's hold settles there)."""
        self.entry = ReturnEntry()
        """How the returned lines' codes were entered (the screen notes each), sealed with the return."""

    @classmethod
    def at(cls, ctx, user: User, now: dt.datetime | None = None) -> "ReturnSession":
        """A session on a running till (``TillContext``)."""
        return cls(ctx.config, ctx.sealer, user, ctx.terminal, now)

    @property
    def now(self) -> dt.datetime:
        return self._now or utcnow()

    # -- find ----------------------------------------------------------------------------------
    def find(self, text: str) -> Ticket | OnlineOrder:
        """Open the ticket of a scanned receipt code or a typed ticket number, or an online order;
        a receipt's QR code (``other_shop``) opens its ticket here, or the receipt as an order."""
        if looks_like_proof(text):
            return self.open(open_receipt(text.strip()))
        return self.open(find_sale(text, self.sealer.till_id))

    def order_desk(self, text: str) -> OrderDesk | None:
        """Head office's counter for ``text``, a number ``find`` found nowhere here that may be an
        order head office holds (None without ``[sync]``): ``remote_orders.fetch_or_refuse`` asks
        it, from a worker, then ``open`` opens what it imported."""
        return OrderDesk.for_config(self.config, self.sealer) if looks_like_order_number(text) else None

    def open(self, ticket: Ticket | OnlineOrder) -> Ticket | OnlineOrder:
        """Start from ``ticket`` (e.g. picked from ``purchases(customer)``) or an online order."""
        self._check_open()
        if isinstance(ticket, OnlineOrder):
            return self._open_order(ticket)
        if ticket.kind not in (SALE, EXCHANGE):
            raise ReturnError("Ticket {code} is not a sale: it cannot be returned", code=ticket.code)
        if ticket.training:
            raise ReturnError("Ticket {code} is a training ticket", code=ticket.code)
        self.original, self.order, self.no_receipt, self.receipt = ticket, None, False, None
        self.customer = ticket.customer
        self._picks.clear()
        self._refund_choice = None
        self.refresh()
        return ticket

    def _open_order(self, order: OnlineOrder) -> OnlineOrder:
        self.original, self.order, self.no_receipt = None, order, False
        self.receipt = receipt_return(self, order)
        self.customer = order.customer
        self._picks.clear()
        self._refund_choice = None
        self.refresh()
        return order

    @property
    def reference(self) -> str | None:
        """What the return gives back, as printed: the receipt's code or the online order's number."""
        if self.original is not None:
            return self.original.code
        return self.order.number if self.order is not None else None

    @property
    def sold_at(self) -> dt.datetime | None:
        """When the items were bought (the window counts from it); None without a receipt."""
        if self.original is not None:
            return self.original.created_at
        return self.order.ordered_at if self.order is not None else None

    def without_receipt(self) -> None:
        """Return items with no ticket: priced at their lowest recent price (see the policy)."""
        self._check_open()
        self.original, self.order, self.no_receipt, self.receipt = None, None, True, None
        self._lines.clear()
        self._picks.clear()
        self._refund_choice = None

    def attach_customer(self, customer: Customer | None) -> None:
        self.customer = customer

    def refresh(self) -> list[ReturnableLine]:
        """Read the original's lines and returned quantities again."""
        if self.original is None and self.order is None:
            return []
        lines = returnable_lines(self.original) if self.original is not None else order_lines(self.order)
        lines = self.receipt.lines(lines) if self.receipt is not None else lines
        self._lines = {line.line_id: line for line in lines}
        for key, pick in list(self._picks.items()):
            self._picks[key] = replace(pick, origin=self._lines[pick.origin.line_id])
        return self.lines

    @property
    def lines(self) -> list[ReturnableLine]:
        """The original's lines: sold, already returned, returnable."""
        return list(self._lines.values())

    # -- pick ----------------------------------------------------------------------------------
    def pick(self, line_id: int, quantity: int | None = None, serial: str | None = None,
             reason: str | None = None, note: str | None = None, disposition: str | None = None) -> Pick:
        """Take back ``quantity`` (default: all that is returnable) of an original line; without a
        ``reason``, the line keeps the one it had, or gets the shop's default (``returns.default_reason``);
        without a ``disposition``, the item goes where its reason sends it (``returns.dispositions``)."""
        self._check_open()
        if self.original is None and self.order is None:
            raise ReturnError("Find the ticket first (scan the receipt or type its number)")
        line = self._lines.get(line_id)
        if line is None:
            raise ReturnError("This line is not on ticket {code}", code=self.reference)
        if quantity is None:
            quantity = line.returnable
        self._check_quantity(quantity)
        if quantity > line.returnable:
            raise ReturnError("Only {left} of {label} can still be returned", left=line.returnable, label=line.label)
        product = Product.get_or_none(Product.id == line.product_id) if line.product_id else None
        if product is not None and product.serial_tracked:
            if not serial:
                raise ReturnError("{label} has a serial number: scan or type the one sold", label=line.label)
            if line.serial and serial.strip() != line.serial:
                raise ReturnError("Serial {serial} is not the one sold on this ticket", serial=serial)
        existing = next((p for p in self._picks.values() if p.origin and p.origin.line_id == line_id), None)
        key = existing.key if existing else next(self._keys)
        pick = Pick(key=key, product_id=line.product_id, sku=line.sku, label=line.label, unit=line.unit,
                    quantity=quantity, unit_price_cents=line.unit_price_cents, vat_code=line.vat_code,
                    vat_rate_bp=line.vat_rate_bp, origin=line, serial=(serial.strip() if serial else line.serial))
        self._picks[key] = pick
        self._refund_choice = None
        if reason is None:
            reason, note = (existing.reason, existing.note) if existing else (self.policy.reason_by_default, None)
        if reason is not None:
            self.set_reason(key, reason, note)
        return self.set_disposition(key, disposition) if disposition is not None else self._picks[key]

    def pick_product(self, product: Product, quantity: int = 1, serial: str | None = None,
                     reason: str | None = None, note: str | None = None, disposition: str | None = None) -> Pick:
        """Without receipt: take back ``quantity`` of ``product`` at its lowest recent price, for
        ``reason`` or else the shop's default (``returns.default_reason``)."""
        self._check_open()
        if not self.no_receipt:
            raise ReturnError("Without a receipt, start a return without receipt first")
        self._check_quantity(quantity)
        if product.serial_tracked and not serial:
            raise ReturnError("{label} has a serial number: scan or type the one sold", label=product.name)
        weighed = bool(product.sold_by_weight)
        pick = Pick(key=next(self._keys), product_id=product.id, sku=product.sku, label=product.name,
                    unit=GRAM if weighed else "piece", quantity=quantity,
                    unit_price_cents=lowest_recent_price(product, self.now, self.policy), vat_code=product.vat_code,
                    vat_rate_bp=catalogue.vat_rate_bp(product.vat_code, self.now.date()), serial=serial)
        self._picks[pick.key] = pick
        self._refund_choice = None
        reason = reason if reason is not None else self.policy.reason_by_default
        if reason is not None:
            self.set_reason(pick.key, reason, note)
        return self.set_disposition(pick.key, disposition) if disposition is not None else self._picks[pick.key]

    def unpick(self, key: int) -> None:
        self._picks.pop(key, None)
        self._refund_choice = None

    @property
    def picks(self) -> list[Pick]:
        return list(self._picks.values())

    def set_reason(self, key: int, reason: str, note: str | None = None) -> Pick:
        """One of the shop's reasons; "other" needs a note. Unless the cashier chose where the
        item goes, the reason decides: a defective item is not put back on the shelf."""
        pick = self._pick(key)
        if reason not in self.policy.reasons:
            raise ReturnError("Unknown return reason {reason}", reason=reason)
        note = (note or "").strip() or None
        if reason == "other" and not note:
            raise ReturnError("The reason \"other\" needs a note")
        disposition = pick.disposition if pick.disposition_chosen else self.policy.dispositions.get(reason, "restock")
        self._picks[key] = replace(pick, reason=reason, note=note, disposition=disposition)
        return self._picks[key]

    def set_disposition(self, key: int, disposition: str) -> Pick:
        """restock, damaged, supplier or repair: where the item goes in stock."""
        pick = self._pick(key)
        if disposition not in DISPOSITIONS:
            raise ReturnError("Unknown disposition {disposition}", disposition=disposition)
        self._picks[key] = replace(pick, disposition=disposition, disposition_chosen=True)
        return self._picks[key]

    # -- exchange and amounts ------------------------------------------------------------------
    def exchange_with(self, basket) -> None:
        """The new items of an exchange (a ``till.selling.basket.Basket``); ``None`` makes it a plain return."""
        self._check_open()
        self.basket = basket if basket is not None and not basket.is_empty else None
        self._refund_choice = None

    @property
    def returned_cents(self) -> int:
        return sum(pick.amount_cents for pick in self._picks.values())

    @property
    def new_cents(self) -> int:
        return self.basket.totals().total_cents if self.basket is not None else 0

    @property
    def balance_cents(self) -> int:
        """What the customer pays (> 0) or gets back (< 0)."""
        return self.new_cents - self.returned_cents

    # -- policy --------------------------------------------------------------------------------
    def breaches(self) -> list[Breach]:
        """Every rule this return breaks, approved or not."""
        found: list[Breach] = []
        for pick in self._picks.values():
            product = Product.get_or_none(Product.id == pick.product_id) if pick.product_id else None
            breach = final_sale_breach(product, pick.label)
            if breach:
                found.append(breach)
            if self.sold_at is not None:
                breach = window_breach(product, pick.label, self.sold_at, self.now, self.policy)
                if breach:
                    found.append(breach)
        breach = customer_breach(self.customer.id if self.customer else None, self.now, self.policy)
        if breach:
            found.append(breach)
        if self.no_receipt and self._picks:
            amount = self.returned_cents
            if amount > self.policy.no_receipt_max_cents:
                found.append(Breach(NO_RECEIPT_MAX, "Without a receipt, at most {amount} can be refunded",
                                    (("amount", shown(self.policy.no_receipt_max_cents)),)))
            if self.policy.no_receipt_credit_note_only and any(
                    part.means != CREDIT_NOTE for part in self.refund_parts()):
                found.append(Breach(NO_RECEIPT_CREDIT_ONLY, "Without a receipt, the refund is a credit note only"))
        return found + self.loss_breaches()  # a customer or receipt signal asks for a manager

    def unapproved(self) -> list[Breach]:
        return [breach for breach in self.breaches() if breach.code not in self._approvals]

    def approve(self, approved_by: User, note: str, codes: Iterable[str] | None = None) -> list[str]:
        """A manager's approval of ``codes`` (default: every current breach), with a note.

        Check the manager's PIN first (``till.people.auth.authorize_manager``); the override is sealed
        in chain L when the return is written.
        """
        if approved_by is None or approved_by.role not in (MANAGER, TECHNICIAN):
            raise ReturnError("Only a manager can approve a return outside the policy")
        note = (note or "").strip()
        if not note:
            raise ReturnError("A manager's approval needs a note")
        codes = list(codes) if codes is not None else sorted({b.code for b in self.breaches()})
        for code in codes:
            self._approvals[code] = (approved_by, note)
        return codes

    def check_policy(self) -> None:
        """Raise ``PolicyBreach`` for the first breach no manager approved."""
        for breach in self.unapproved():
            raise breach.error()

    # -- resolution ----------------------------------------------------------------------------
    def _original_payments(self) -> list[tuple[str, int, str | None]]:
        if self.order is not None:  # paid on the web or in another shop: refunded in the shop's chosen means
            refund = self.receipt.refund_means if self.receipt is not None else self.policy.online_order_refund
            return [(refund, self.order.paid_cents, None)]
        return paid_with(self.original) if self.original is not None else []

    def _earlier_refunds(self) -> list[tuple[str, int]]:
        if self.order is None and self.original is None:
            return []
        return refunded_before(self.original, self.order)

    def default_refund(self) -> list[RefundPart]:
        """The refund to the original means (card first, then cash, then credit note)."""
        amount = -self.balance_cents
        if amount <= 0:
            return []
        if self.no_receipt:
            return [RefundPart(CREDIT_NOTE if self.policy.no_receipt_credit_note_only else CASH, amount)]
        try:
            return plan_refund(self._original_payments(), amount, self._earlier_refunds())
        except RefundError:
            raise ReturnError("The refund is more than what is left paid on ticket {code}",
                              code=self.reference) from None

    def refund_to(self, parts: Iterable[RefundPart | tuple[str, int]]) -> list[RefundPart]:
        """The cashier's choice: e.g. ``[("cash", 500), ("credit_note", 1000)]``; card within its cap."""
        parts = [p if isinstance(p, RefundPart) else RefundPart(p[0], int(p[1])) for p in parts]
        amount = max(0, -self.balance_cents)
        no_original = self.no_receipt or self.order is not None  # no card payment to reverse
        allowed = codes_where(refund_needs_original=False) if no_original else CODES
        try:
            checked = check_choice(self._original_payments(), parts, amount, self._earlier_refunds(), allowed)
        except RefundError as error:
            raise ReturnError(error.message, **error.params) from None
        self._refund_choice = checked
        return checked

    def refund_parts(self) -> list[RefundPart]:
        """The refund that ``complete()`` makes: the cashier's choice, else the default."""
        if self._refund_choice is not None and sum(p.amount_cents for p in self._refund_choice) == max(
                0, -self.balance_cents):
            return list(self._refund_choice)
        return self.default_refund()

    def pay(self, means: str, amount_cents: int | None = None) -> None:
        """The customer pays an exchange's difference: cash (change given) or card (charged at
        ``complete()``, at most what is due)."""
        due = self.balance_cents - sum(t.amount_cents for t in self._tenders)
        if due <= 0:
            raise ReturnError("Nothing is left to pay")
        if means == CASH:
            if not amount_cents or amount_cents <= 0:
                raise ReturnError("Enter the amount of cash received")
        elif means == CARD:
            amount_cents = due if amount_cents is None else amount_cents
            if amount_cents <= 0 or amount_cents > due:
                raise ReturnError("A card cannot pay more than is due ({due})", due=shown(due))
            if self.terminal is None:
                raise ReturnError("No card terminal is configured on this till")
        else:
            raise ReturnError("A difference is paid in cash or by card")
        self._tenders.append(_Tender(means, amount_cents))

    def clear_payments(self) -> None:
        """Forget the tenders given with ``pay`` (nothing was charged yet)."""
        self._tenders.clear()

    # -- complete ------------------------------------------------------------------------------
    def complete(self) -> Ticket:
        """Write the return or exchange: everything in one transaction, or nothing.

        With a card refund or charge, the card-journal row (with the return to write) commits
        first, the terminal is asked with no transaction open, and the return is written after
        (``till.returns.card``).
        """
        self._check_open()
        self._check_no_unknown()
        if self._approved_row is not None:  # approved, not yet written: never ask the terminal again
            return self._write_approved()
        self._check_ready()
        # A full or read-only disk refuses the return before the card terminal is asked.
        require_room(current_database(), self.config.till.min_free_mb)
        # The months (years) over close first, in their own transaction: the return's own takes
        # its locks before writing, and a closure takes chain G before T (``closures.close_due``).
        close_due(self.sealer, self.sealer.now())
        if self.receipt is not None and not self.receipt.writing:  # held at head office first
            return self.receipt.complete()
        if self._card_operation(self._planned_payments()) is not None:
            return self._complete_with_card()
        try:
            with current_database().atomic():
                events = self._checked_under_lock()
                for code, description, user_id, details in events:
                    record_event(self.sealer, code, description, user_id=user_id, details=details)
                payments = self._payments()
                if self._card_operation(payments) is not None:  # the plan moved to the card meanwhile
                    raise ReturnError("Ticket {code} changed meanwhile: check the return again", code=self.reference)
                ticket = write_ticket(self.sealer, self.config.accounts, self._draft(payments),
                                      credit_note_validity_days=self.config.credit_notes.validity_days,
                                      loyalty=self.config.loyalty, smtp=self.config.smtp,
                                      min_free_mb=self.config.till.min_free_mb)
                if self.on_write is not None:
                    self.on_write(ticket)
                self.entry.seal(self.sealer, ticket, self.user)
        except peewee.OperationalError as error:
            refused = refusal_for(error)  # the disk filled up by the commit: rolled back all the same
            if refused is not None:
                raise refused from None
            raise ReturnError("The database is busy (another till is writing): nothing was recorded, "
                              "try again") from None
        self.ticket = ticket
        return ticket

    def _checked_under_lock(self) -> list[tuple[str, str, int, dict]]:
        """Inside the writing transaction: lock the sale, refuse while a card request on it is
        open, re-check quantities, policy and caps; the manager overrides to seal with it."""
        claim = claim_of(self.original, self.order)
        if claim is not None:
            lock_claim(claim)
            try:
                check_no_open_claim(claim, self.reference)
            except ClaimOpen as error:
                raise ReturnError(error.message, **error.params) from None
        self._lock_and_recheck()
        self.check_policy()
        events = []
        for breach in self.breaches():
            manager, note = self._approvals[breach.code]
            events.append((MANAGER_OVERRIDE, f"return: {breach.code}", manager.id,
                           {"breach": breach.code, "note": note, "cashier_id": self.user.id,
                            "origin": self.reference, **breach.details()}))
        return events

    def _check_ready(self) -> None:
        if not self._picks:
            raise ReturnError("Pick at least one item to take back")
        for pick in self._picks.values():
            if pick.reason is None:
                raise ReturnError("Give a reason for {label}", label=pick.label)
        balance = self.balance_cents
        if balance > 0:
            paid = sum(t.amount_cents for t in self._tenders)
            if paid < balance:
                raise ReturnError("{due} is still due", due=shown(balance - paid))
        elif sum(t.amount_cents for t in self._tenders):
            raise ReturnError("Nothing is left to pay")

    def _lock_and_recheck(self) -> None:
        """Inside the transaction: lock the original lines, re-read what came back, refuse excess."""
        origins = sorted(p.origin.line_id for p in self._picks.values() if p.origin is not None)
        if not origins:
            return
        from_order = self.order is not None
        if is_postgres():  # the sale itself is locked first (``lock_claim``): lines of a return without one
            model = OnlineOrderLine if from_order else TicketLine
            list(model.select(model.id).where(model.id.in_(origins)).order_by(model.id).for_update().tuples())
        returned = returned_quantities(origins, from_order=from_order)
        planned = self.returned_cents
        for key, pick in list(self._picks.items()):
            origin = pick.origin
            now_returned = returned.get(origin.line_id, 0)
            left = origin.sold - now_returned - origin.elsewhere
            if pick.quantity > left:
                raise ReturnError("Only {left} of {label} can still be returned", left=max(0, left),
                                  label=origin.label)
            self._picks[key] = replace(pick, origin=replace(origin, returned=now_returned))
            self._lines[origin.line_id] = self._picks[key].origin
        if self.returned_cents != planned:
            raise ReturnError("Ticket {code} changed meanwhile: check the return again", code=self.reference)
        if self._refund_choice is not None:
            self.refund_to(self._refund_choice)  # card cap against refunds made meanwhile

    def _payments(self) -> list[DraftPayment]:
        """The ticket's payments (card ones without a terminal reference yet)."""
        payments: list[DraftPayment] = []
        balance = self.balance_cents
        if balance < 0:
            for part in self.refund_parts():
                payments.append(DraftPayment(part.means, -part.amount_cents, part.reference
                                             if means(part.means).uses_terminal else None))
        elif balance > 0:
            paid = 0
            for tender in self._tenders:
                payments.append(DraftPayment(tender.means, tender.amount_cents))
                paid += tender.amount_cents
            if paid > balance:
                payments.append(DraftPayment(CASH, balance - paid, CHANGE))
        return payments

    def _planned_payments(self) -> list[DraftPayment]:
        """The payments as planned now, outside the transaction (to know if the card is asked)."""
        try:
            return self._payments()
        except ReturnError:
            return []

    def _draft(self, payments: list[DraftPayment]) -> TicketDraft:
        lines = draft_lines(self._picks.values(), self.basket.lines if self.basket is not None else ())
        customer = self.customer
        return TicketDraft(
            kind=EXCHANGE if self.basket is not None else RETURN, user_id=self.user.id,
            operator_name=self.user.name, lines=tuple(lines), payments=tuple(payments),
            customer_id=customer.id if customer else None,
            customer_name=customer.display_name if customer else None,
            discount_cents=sum(line.discount_cents for line in lines),
            origin_ticket_id=self.original.id if self.original else None,
            origin_reference=self.reference,
            origin_signature=self._origin_signature(),
            origin_order_id=self.order.id if self.order is not None else None,
            open_drawer=any(means(p.means).opens_drawer for p in payments),
        )

    def _origin_signature(self) -> str | None:
        """The signature of the original ticket's record, sealed into the return's own record."""
        if self.receipt is not None:  # a receipt kept from its QR code: the proof's signature names it
            return self.receipt.signed.signature_text
        if self.original is None:
            return None
        return (FiscalRecord.select(FiscalRecord.signature)
                .where((FiscalRecord.ticket_id == self.original.id) & (FiscalRecord.chain == "T"))
                .scalar())

    # -- helpers -------------------------------------------------------------------------------
    def _pick(self, key: int) -> Pick:
        try:
            return self._picks[key]
        except KeyError:
            raise ReturnError("This item is no longer in the return") from None

    def _check_open(self) -> None:
        if self.ticket is not None:
            raise ReturnError("This return is already written: start a new one")

    @staticmethod
    def _check_quantity(quantity: int) -> None:
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
            raise ReturnError("A quantity must be a whole number above 0")
