"""Write a finished ticket: everything or nothing, in one database transaction.

A sale, a return and an exchange all end here. In one transaction: the ticket and its lines, the
per-rate VAT split, the payments, the stock movements and levels, the balanced accounting
lines, the signed fiscal record of chain T, and the outbox jobs (receipt, drawer) that run
after the commit. If any part fails, none of it is written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import peewee

from store.models import (
    SELLABLE,
    AccountingLine,
    Payment,
    StockLevel,
    StockLocation,
    StockMovement,
    Ticket,
    TicketLine,
    TicketVat,
)
from store.models.base import utcnow
from till import outbox
from till.accounting import ticket_postings
from till.config import AccountsConfig
from till.errors import TillError
from till.fiscal.chain import Sealer
from till.fiscal.payloads import seal_ticket
from till.money import vat_breakdown
from till.scanning import ticket_code


@dataclass(frozen=True)
class DraftLine:
    """A line about to be written; ``total_cents`` is already rounded and discounted."""

    product_id: int | None
    sku: str
    label: str
    quantity: int
    unit: str
    unit_price_cents: int
    discount_cents: int
    total_cents: int
    vat_code: str
    vat_rate_bp: int
    origin_line_id: int | None = None
    reason: str | None = None
    disposition: str | None = None
    serial: str | None = None
    stock_location: str = SELLABLE


@dataclass(frozen=True)
class DraftPayment:
    """Money in (positive) or out (negative: change, refund) on the ticket."""

    means: str
    amount_cents: int
    reference: str | None = None


@dataclass(frozen=True)
class TicketDraft:
    """Everything a ticket needs, gathered by a workflow before it is written."""

    kind: str
    user_id: int
    operator_name: str
    lines: tuple[DraftLine, ...]
    payments: tuple[DraftPayment, ...]
    customer_id: int | None = None
    customer_name: str | None = None
    discount_cents: int = 0
    origin_ticket_id: int | None = None
    created_at: dt.datetime | None = None
    open_drawer: bool = False
    print_receipt: bool = True
    extra_jobs: tuple[tuple[str, dict], ...] = field(default_factory=tuple)

    @property
    def total_cents(self) -> int:
        return sum(line.total_cents for line in self.lines)


class UnbalancedTicket(TillError):
    """Payments do not add up to the ticket's total."""


_location_ids: dict[tuple[int, str], int] = {}


def location_id(code: str) -> int:
    """The id of a stock location, created on first use (cached per database)."""
    database = StockLocation._meta.database
    key = (id(database.obj if hasattr(database, "obj") else database), code)
    if key not in _location_ids:
        location, _ = StockLocation.get_or_create(code=code, defaults={"name": code.replace("_", " ").title()})
        _location_ids[key] = location.id
    return _location_ids[key]


def move_stock(product_id: int, location: str, quantity: int, reason: str, ticket_id: int | None,
               when: dt.datetime) -> None:
    """Record a stock movement and keep the level in step, inside the caller's transaction."""
    location_key = location_id(location)
    StockMovement.insert(
        product=product_id, location=location_key, quantity=quantity, reason=reason,
        ticket_id=ticket_id, created_at=when,
    ).execute()
    (
        StockLevel.insert(product=product_id, location=location_key, quantity=quantity)
        .on_conflict(
            conflict_target=[StockLevel.product, StockLevel.location],
            update={StockLevel.quantity: StockLevel.quantity + peewee.EXCLUDED.quantity},
        )
        .execute()
    )


def write_ticket(sealer: Sealer, accounts: AccountsConfig, draft: TicketDraft) -> Ticket:
    """Write ``draft`` as a sealed ticket; the one place tickets are created."""
    if not draft.lines:
        raise TillError("A ticket needs at least one line")
    paid = sum(payment.amount_cents for payment in draft.payments)
    if paid != draft.total_cents:
        raise UnbalancedTicket(
            "Payments ({paid}) do not match the total ({total})", paid=paid, total=draft.total_cents
        )
    database = Ticket._meta.database
    when = (draft.created_at or utcnow()).replace(microsecond=0)
    with database.atomic():
        number = sealer.reserve("T")
        ticket = Ticket.create(
            till_id=sealer.till_id, number=number, code=ticket_code(sealer.till_id, number), kind=draft.kind,
            created_at=when, user=draft.user_id, operator_name=draft.operator_name,
            customer=draft.customer_id, customer_name=draft.customer_name,
            origin_ticket=draft.origin_ticket_id, total_cents=draft.total_cents,
            discount_cents=draft.discount_cents, line_count=len(draft.lines),
        )
        TicketLine.insert_many([
            dict(ticket=ticket.id, position=position, product=line.product_id, sku=line.sku, label=line.label,
                 quantity=line.quantity, unit=line.unit, unit_price_cents=line.unit_price_cents,
                 discount_cents=line.discount_cents, total_cents=line.total_cents, vat_code=line.vat_code,
                 vat_rate_bp=line.vat_rate_bp, origin_line=line.origin_line_id, reason=line.reason,
                 disposition=line.disposition, serial=line.serial)
            for position, line in enumerate(draft.lines, start=1)
        ]).execute()
        vat = vat_breakdown((line.vat_rate_bp, line.total_cents) for line in draft.lines)
        TicketVat.insert_many([
            dict(ticket=ticket.id, rate_bp=a.rate_bp, ttc_cents=a.ttc, ht_cents=a.ht, vat_cents=a.vat) for a in vat
        ]).execute()
        Payment.insert_many([
            dict(ticket=ticket.id, position=position, means=p.means, amount_cents=p.amount_cents,
                 reference=p.reference)
            for position, p in enumerate(draft.payments, start=1)
        ]).execute()
        for line in draft.lines:
            if line.product_id is not None and line.quantity:
                move_stock(line.product_id, line.stock_location, -line.quantity, draft.kind, ticket.id, when)
        AccountingLine.insert_many([
            dict(ticket=ticket.id, journal=accounts.journal, entry_date=when.date(), account=p.account,
                 label=p.label, debit_cents=p.debit_cents, credit_cents=p.credit_cents, created_at=when)
            for p in ticket_postings(accounts, ticket.code, vat, ((p.means, p.amount_cents) for p in draft.payments))
        ]).execute()
        seal_ticket(sealer, ticket)
        if draft.print_receipt:
            outbox.enqueue(outbox.PRINT_RECEIPT, {"ticket_id": ticket.id})
        if draft.open_drawer:
            outbox.enqueue(outbox.OPEN_DRAWER, {"ticket_id": ticket.id})
        for kind, payload in draft.extra_jobs:
            outbox.enqueue(kind, payload)
    return ticket
