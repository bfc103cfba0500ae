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


def returns_seen(since: dt.datetime, until: dt.datetime, customer_id: int | None = None,
                 origin_id: int | None = None) -> list[ReturnSeen]:
    """The return tickets written in ``[since, until)`` (training never counts), optionally of
    one customer or on one original receipt, oldest first."""
    origin = Ticket.alias("origin")
    where = ((Ticket.kind.in_(RETURN_KINDS)) & (Ticket.training == False)  # noqa: E712 - SQL
             & (Ticket.created_at >= since) & (Ticket.created_at < until))
    if customer_id is not None:
        where &= Ticket.customer == customer_id
    if origin_id is not None:
        where &= Ticket.origin_ticket == origin_id
    returned = fn.SUM(TicketLine.total_cents).filter(TicketLine.quantity < 0)
    query = (Ticket.select(Ticket.id, Ticket.code, Ticket.created_at, Ticket.kind, Ticket.customer, Ticket.customer_name,
                           Ticket.user, origin.id.alias("o_id"), origin.code.alias("o_code"),
                           origin.created_at.alias("o_at"), origin.user.alias("o_user"),
                           OnlineOrder.number.alias("order_number"), OnlineOrder.source.alias("order_source"),
                           OnlineOrder.ordered_at.alias("order_at"), returned.alias("cents"))
             .join(TicketLine, on=(TicketLine.ticket == Ticket.id))
             .switch(Ticket).join(origin, peewee.JOIN.LEFT_OUTER, on=(Ticket.origin_ticket == origin.id))
             .switch(Ticket).join(OnlineOrder, peewee.JOIN.LEFT_OUTER, on=(Ticket.origin_order == OnlineOrder.id))
             .where(where).group_by(Ticket.id, origin.id, OnlineOrder.id)
             .having(fn.COUNT(TicketLine.id).filter(TicketLine.quantity < 0) > 0)
             .order_by(Ticket.created_at, Ticket.id).dicts())
    return [ReturnSeen(row["id"], row["code"], _time(row["created_at"]), row["kind"], row["customer"],
                       row["customer_name"], row["user"], row["o_id"], row["o_code"], _time(row["o_at"]), row["o_user"],
                       row["order_number"], row["order_source"], _time(row["order_at"]), -int(row["cents"] or 0))
            for row in query]


def record_code(chain: str, till_id: str, sequence: int) -> str:
    """A fiscal record as evidence names it: ``L01-42`` (chain, till, sequence)."""
    return f"{chain}{till_id}-{sequence}"


def _time(value) -> dt.datetime | None:
    """A timestamp as SQLite may hand it back through an alias (text) or as a datetime."""
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))
