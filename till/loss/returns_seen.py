"""The returns a rule looks at, read once per computation with set queries.

Why one module: every customer and receipt rule starts from the same rows (a return ticket, its
customer, its cashier, the sale or other shop's receipt it returns and when that was bought), so
they are read here in two statements for a whole period, never ticket by ticket; the check at
the return screen reads the same rows narrowed to one customer or one receipt (indexed columns).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import peewee
from peewee import fn

from store.models import OnlineOrder, Ticket, TicketLine
from store.models.tickets import EXCHANGE, RETURN
from store.prepared import PreparedQuery, as_datetime
from till.fiscal.chain import current_database
from till.fiscal.closure_totals import business_day

__all__ = ["RETURN_KINDS", "OTHER_SHOP_RECEIPT", "ReturnSeen", "returns_seen", "record_code"]

RETURN_KINDS = (RETURN, EXCHANGE)
OTHER_SHOP_RECEIPT = "receipt"
"""The source of an online-order row that stands for another shop's receipt returned here."""


@dataclass(frozen=True)
class ReturnSeen:
    """One return ticket and what it returns: ``origin_*`` a sale of this shop, ``order_*`` an
    online order or another shop's receipt; neither when it came without a receipt."""

    id: int
    code: str
    created_at: dt.datetime
    kind: str
    customer_id: int | None
    customer_name: str | None
    user_id: int
    origin_id: int | None
    origin_code: str | None
    origin_at: dt.datetime | None
    origin_user_id: int | None
    order_number: str | None
    order_source: str | None
    order_at: dt.datetime | None
    returned_cents: int

    @property
    def no_receipt(self) -> bool:
        return self.kind == RETURN and self.origin_id is None and self.order_number is None

    @property
    def bought_at(self) -> dt.datetime | None:
        """When what it returns was bought: the sale here, or another shop's receipt."""
        if self.origin_at is not None:
            return self.origin_at
        return self.order_at if self.order_source == OTHER_SHOP_RECEIPT else None

    @property
    def bought_code(self) -> str | None:
        return self.origin_code or self.order_number

    def day(self, zone: dt.tzinfo) -> dt.date:
        return business_day(self.created_at, zone)


def _select(since: dt.datetime, until: dt.datetime, customer_id: int | None = None,
            origin_id: int | None = None) -> peewee.Query:
    """The statement behind ``returns_seen``: one row per return ticket, columns in ``_row``'s order."""
    origin = Ticket.alias("origin")
    where = ((Ticket.kind.in_(RETURN_KINDS)) & (Ticket.training == False)  # noqa: E712 - SQL
             & (Ticket.created_at >= since) & (Ticket.created_at < until))
    if customer_id is not None:
        where &= Ticket.customer == customer_id
    if origin_id is not None:
        where &= Ticket.origin_ticket == origin_id
    returned = fn.SUM(TicketLine.total_cents).filter(TicketLine.quantity < 0)
    return (Ticket.select(Ticket.id, Ticket.code, Ticket.created_at, Ticket.kind, Ticket.customer,
                          Ticket.customer_name, Ticket.user, origin.id, origin.code, origin.created_at, origin.user,
                          OnlineOrder.number, OnlineOrder.source, OnlineOrder.ordered_at, returned)
            .join(TicketLine, on=(TicketLine.ticket == Ticket.id))
            .switch(Ticket).join(origin, peewee.JOIN.LEFT_OUTER, on=(Ticket.origin_ticket == origin.id))
            .switch(Ticket).join(OnlineOrder, peewee.JOIN.LEFT_OUTER, on=(Ticket.origin_order == OnlineOrder.id))
            .where(where).group_by(Ticket.id, origin.id, OnlineOrder.id)
            .having(fn.COUNT(TicketLine.id).filter(TicketLine.quantity < 0) > 0)
            .order_by(Ticket.created_at, Ticket.id).tuples())


_SINCE, _UNTIL = dt.datetime(1900, 1, 1, 0, 0, 0, 1), dt.datetime(1900, 1, 1, 0, 0, 0, 2)
_ONE_CUSTOMER = PreparedQuery(lambda since, until, customer: _select(since, until, customer_id=customer),
                              _SINCE, _UNTIL, -1_000_001)
_ONE_RECEIPT = PreparedQuery(lambda since, until, origin: _select(since, until, origin_id=origin),
                             _SINCE, _UNTIL, -1_000_002)
"""The narrowed statements the check at the return screen runs while the customer waits,
rendered once (``store.prepared``)."""


def _row(row: tuple) -> ReturnSeen:
    (id_, code, created_at, kind, customer, customer_name, user, o_id, o_code, o_at, o_user,
     order_number, order_source, order_at, cents) = row
    return ReturnSeen(id_, code, as_datetime(created_at), kind, customer, customer_name, user, o_id, o_code,
                      as_datetime(o_at), o_user, order_number, order_source, as_datetime(order_at),
                      -int(cents or 0))


def returns_seen(since: dt.datetime, until: dt.datetime, customer_id: int | None = None,
                 origin_id: int | None = None) -> list[ReturnSeen]:
    """The return tickets written in ``[since, until)`` (training never counts), optionally of
    one customer or on one original receipt, oldest first."""
    if customer_id is not None and origin_id is None:
        rows = _ONE_CUSTOMER.rows(current_database(), since, until, customer_id)
    elif origin_id is not None and customer_id is None:
        rows = _ONE_RECEIPT.rows(current_database(), since, until, origin_id)
    else:
        rows = _select(since, until, customer_id, origin_id)
    return [_row(row) for row in rows]


def record_code(chain: str, till_id: str, sequence: int) -> str:
    """A fiscal record as evidence names it: ``L01-42`` (chain, till, sequence)."""
    return f"{chain}{till_id}-{sequence}"
