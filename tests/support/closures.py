"""Helpers of the closure tests: tickets of every kind written through the real ticket writer,
dated on chosen days, on the small shop of ``tests/support/shop.py`` (SQLite or PostgreSQL).

Amounts are chosen so that every total of a test can be written down by hand. Tests write
history as a shop does: a day's tickets, then (at the latest) that day's closure before the
next day's tickets, which the ticket writer refuses otherwise (``require_open_day``).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from store.models import Payment, Ticket, TicketLine, TicketVat
from till.fiscal.payloads import seal_ticket
from till.selling.ticket_writer import DraftLine, DraftPayment, TicketDraft, write_ticket
from tests.support.clock import sealing_at

RATES = {"R": 550, "N": 2000, "S": 210, "I": 1000}

ZONE = ZoneInfo("Europe/Paris")
"""The test shop's time zone (``shop.timezone`` left to its default): business days are its days."""


def at(day: str, hour: int = 12, minute: int = 0) -> dt.datetime:
    """A naive UTC time (as stored) on ``day`` at ``hour``:``minute`` UTC.

    Business days are the shop's Europe/Paris days, one or two hours ahead of UTC, so only
    hours up to 21 UTC fall on ``day`` itself all year round; a later time would belong to the
    next business day, and is refused here rather than silently moving a ticket to it.
    """
    when = dt.datetime.fromisoformat(day).replace(hour=hour, minute=minute)
    local = when.replace(tzinfo=dt.timezone.utc).astimezone(ZONE).date()
    if local != when.date():
        raise ValueError(f"{when} UTC is on {local} in {ZONE.key}, not on {day}: pick an earlier hour")
    return when


def line(shop, sku: str, quantity: int = 1, unit_cents: int | None = None, **extra) -> DraftLine:
    product = shop.products[sku]
    unit = product.price_cents if unit_cents is None else unit_cents
    return DraftLine(product_id=product.id, sku=sku, label=product.name, quantity=quantity, unit="piece",
                     unit_price_cents=unit, discount_cents=0, total_cents=unit * quantity,
                     vat_code=product.vat_code, vat_rate_bp=RATES[product.vat_code], **extra)


def ticket(shop, when: dt.datetime, lines, payments, kind: str = "sale", origin=None) -> Ticket:
    """A ticket written by ``write_ticket``; ``payments`` are (means, cents[, reference])."""
    draft = TicketDraft(kind=kind, user_id=shop.cashier.id, operator_name=shop.cashier.name, lines=tuple(lines),
                        payments=tuple(DraftPayment(*p) for p in payments), created_at=when,
                        origin_ticket_id=origin.id if origin is not None else None)
    with sealing_at(when):  # signed when it was sold
        return write_ticket(shop.ctx.sealer, shop.config.accounts, draft, credit_note_validity_days=365)


def sale(shop, when, items, means="cash") -> Ticket:
    lines = [line(shop, sku, qty) for sku, qty in items]
    return ticket(shop, when, lines, [(means, sum(x.total_cents for x in lines))])


def returned(shop, when, sold: Ticket, sku: str, quantity: int = 1, means="cash") -> Ticket:
    """A return of ``quantity`` of ``sku`` from ``sold``, refunded by ``means`` (credit_note: a note)."""
    origin = TicketLine.get((TicketLine.ticket == sold.id) & (TicketLine.sku == sku))
    back = line(shop, sku, -quantity, origin.unit_price_cents, origin_line_id=origin.id, reason="changed_mind",
                disposition="restock")
    return ticket(shop, when, [back], [(means, back.total_cents)], kind="return", origin=sold)


def exchange(shop, when, sold: Ticket, back_sku: str, new_sku: str) -> Ticket:
    origin = TicketLine.get((TicketLine.ticket == sold.id) & (TicketLine.sku == back_sku))
    back = line(shop, back_sku, -1, origin.unit_price_cents, origin_line_id=origin.id, reason="wrong_size",
                disposition="restock")
    new = line(shop, new_sku, 1)
    balance = back.total_cents + new.total_cents
    return ticket(shop, when, [back, new], [("cash", balance)], kind="exchange", origin=sold)


def training_sale(shop, when: dt.datetime, total_cents: int = 10_000) -> Ticket:
    """A training ticket (written as the training mode will: flagged, sealed in chain X)."""
    sealer = shop.ctx.sealer
    with shop.ctx.database.atomic():
        number = sealer.reserve("X") + 100_000  # its own numbers: never a T number
        t = Ticket.create(till_id=sealer.till_id, number=number, code=f"X{sealer.till_id}-{number}", kind="sale",
                          created_at=when, user=shop.cashier, operator_name=shop.cashier.name,
                          total_cents=total_cents, line_count=1, training=True)
        TicketLine.create(ticket=t, position=1, sku="WIN", label="Formation", quantity=1, unit="piece",
                          unit_price_cents=total_cents, total_cents=total_cents, vat_code="N", vat_rate_bp=2000)
        ht = (total_cents * 10_000 + 6_000) // 12_000  # half up, in integers
        TicketVat.create(ticket=t, rate_bp=2000, ttc_cents=total_cents, ht_cents=ht, vat_cents=total_cents - ht)
        Payment.create(ticket=t, position=1, means="cash", amount_cents=total_cents)
        with sealing_at(when):
            seal_ticket(sealer, t, "X")
    return t


def credit_note_code(ticket: Ticket) -> str:
    """The code of the credit note a refund ticket issued (its payment's reference)."""
    return Payment.get((Payment.ticket == ticket.id) & (Payment.means == "credit_note")).reference


def busy_day(shop, day: str) -> dict:
    """A day with every kind of ticket, left open (not closed); returns them by name.

    Hours are UTC (one or two hours later in Paris: all on ``day``):

    09:00 sale: 2 WIN (20 %, 1790) + 3 BAG (5.5 %, 360), cash 2150
    10:00 sale: 1 NEWS (2.1 %, 320), card
    11:00 return of 1 WIN from the first sale, refunded as store credit (-895)
    12:00 exchange: 1 BAG back (-120), 1 SAND (10 %, 450) out, 330 cash
    13:00 sale: 1 SOA (20 %, 350) paid with the credit note
    14:00 training sale of 100,00 (never counted)
    """
    first = sale(shop, at(day, 9), [("WIN", 2), ("BAG", 3)])
    card = sale(shop, at(day, 10), [("NEWS", 1)], means="card")
    refund = returned(shop, at(day, 11), first, "WIN", 1, means="credit_note")
    swap = exchange(shop, at(day, 12), first, "BAG", "SAND")
    soap = line(shop, "SOA", 1)
    redeem = ticket(shop, at(day, 13), [soap], [("credit_note", 350, credit_note_code(refund))])
    training = training_sale(shop, at(day, 14))
    return {"first": first, "card": card, "refund": refund, "swap": swap, "redeem": redeem, "training": training}
