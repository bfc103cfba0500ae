"""Finding what can come back: the sale named by a receipt, a customer's purchases, and for each
line what was sold, what was returned already and what still can be (``ReturnableLine``).

Read-only; ``till.returns.session.ReturnSession`` re-reads the returned quantities under a lock inside
the transaction that writes a return, so what is shown here is advice, never the last word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

import peewee

from store.models import EXCHANGE, SALE, Customer, OnlineOrder, OnlineOrderLine, Ticket, TicketLine
from till.errors import TillError
from till.money import round_half_up
from till.scanning import TicketCode, parse
from till.selling.priced_item import PricedItem


class ReturnError(TillError):
    """A return was refused; nothing was written."""


_NUMBER = re.compile(r"[0-9]{1,9}")


def find_ticket(text: str, till_id: str) -> Ticket:
    """The ticket named by a scanned receipt code (``T01-0000123x``) or a typed number of this till."""
    typed = (text or "").strip()
    if _NUMBER.fullmatch(typed):
        till, number = till_id, int(typed)
    else:
        scan = parse(typed)
        if not isinstance(scan, TicketCode):
            raise ReturnError("{code} is not a receipt code", code=typed)
        till, number = scan.till_id, scan.number
    ticket = Ticket.get_or_none((Ticket.till_id == till) & (Ticket.number == number)
                                & (Ticket.training == False))  # noqa: E712
    if ticket is None:
        raise ReturnError("No ticket {number} on till {till}", number=number, till=till)
    return ticket


def purchases(customer: Customer | int, limit: int = 20) -> list[Ticket]:
    """The customer's sales and exchanges, newest first: the tickets a return can start from."""
    return list(Ticket.select().where((Ticket.customer == customer) & (Ticket.kind.in_([SALE, EXCHANGE]))
                                      & (Ticket.training == False))  # noqa: E712
                .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit))


@dataclass(frozen=True)
class ReturnableLine(PricedItem):
    """A line of the original ticket: what was sold, what came back already, what still can."""

    line_id: int
    position: int
    unit: str
    sold: int
    returned: int
    discount_cents: int
    total_cents: int
    serial: str | None
    from_order: bool = False
    """``line_id`` is an ``OnlineOrderLine`` (an online order returned in store), not a ticket line."""
    elsewhere: int = 0
    """Units of a receipt of another shop that came back (or are held) in other shops, as head
    office counts them: not returnable here either."""

    @property
    def returnable(self) -> int:
        return max(0, self.sold - self.returned - self.elsewhere)

    def amounts(self, quantity: int, returned: int | None = None) -> tuple[int, int]:
        """(total, discount) in cents, positive, of returning ``quantity`` after ``returned``."""
        before = self.returned if returned is None else returned
        after = before + quantity
        total = round_half_up(self.total_cents * after, self.sold) - round_half_up(self.total_cents * before,
                                                                                     self.sold)
        discount = (round_half_up(self.discount_cents * after, self.sold)
                    - round_half_up(self.discount_cents * before, self.sold))
        return total, discount


def returned_quantities(line_ids: Iterable[int], from_order: bool = False) -> dict[int, int]:
    """Quantity already returned of each line (positive), from the return lines pointing at it:
    ticket lines, or with ``from_order`` the lines of online orders."""
    ids = list(line_ids)
    if not ids:
        return {}
    origin = TicketLine.origin_order_line if from_order else TicketLine.origin_line
    rows = (TicketLine.select(origin, peewee.fn.SUM(TicketLine.quantity))
            .where(origin.in_(ids)).group_by(origin).tuples())
    return {line_id: -int(total) for line_id, total in rows}


def returnable_lines(ticket: Ticket | int) -> list[ReturnableLine]:
    """Each sold line of ``ticket`` with its sold, returned and returnable quantities."""
    rows = list(TicketLine.select().where((TicketLine.ticket == ticket) & (TicketLine.quantity > 0))
                .order_by(TicketLine.position))
    returned = returned_quantities(row.id for row in rows)
    return [ReturnableLine(
        line_id=row.id, position=row.position, product_id=row.product_id, sku=row.sku, label=row.label,
        unit=row.unit, sold=row.quantity, returned=returned.get(row.id, 0), unit_price_cents=row.unit_price_cents,
        discount_cents=row.discount_cents, total_cents=row.total_cents, vat_code=row.vat_code,
        vat_rate_bp=row.vat_rate_bp, serial=row.serial,
    ) for row in rows]


def find_order(text: str) -> OnlineOrder | None:
    """The imported online order numbered ``text`` (as typed or scanned, any case), or None."""
    number = (text or "").strip()
    if not number or len(number) > 40:
        return None
    return (OnlineOrder.get_or_none(OnlineOrder.number == number)
            or OnlineOrder.get_or_none(peewee.fn.UPPER(OnlineOrder.number) == number.upper()))


def find_sale(text: str, till_id: str) -> Ticket | OnlineOrder:
    """What a return starts from: a receipt (code or number, see ``find_ticket``) or, failing
    that, an online order's number."""
    try:
        return find_ticket(text, till_id)
    except ReturnError:
        order = find_order(text)
        if order is None:
            raise
        return order


def order_lines(order: OnlineOrder | int) -> list[ReturnableLine]:
    """Each line of an online order with its sold, returned and returnable quantities."""
    rows = list(OnlineOrderLine.select().where((OnlineOrderLine.order == order) & (OnlineOrderLine.quantity > 0))
                .order_by(OnlineOrderLine.position))
    returned = returned_quantities((row.id for row in rows), from_order=True)
    return [ReturnableLine(
        line_id=row.id, position=row.position, product_id=row.product_id, sku=row.sku, label=row.label,
        unit=row.unit, sold=row.quantity, returned=returned.get(row.id, 0), unit_price_cents=row.unit_price_cents,
        discount_cents=row.discount_cents, total_cents=row.total_cents, vat_code=row.vat_code,
        vat_rate_bp=row.vat_rate_bp, serial=row.serial, from_order=True,
    ) for row in rows]
