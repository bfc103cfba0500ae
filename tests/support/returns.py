"""Returns at the till, as the return tests open them."""

from __future__ import annotations

from store.models import AccountingLine, FiscalRecord, Payment, StockMovement, Ticket, TicketLine
from till.returns.session import ReturnSession
from tests.support.queries import payments

COUNTED = (Ticket, TicketLine, Payment, StockMovement, AccountingLine, FiscalRecord)
"""What a return writes (``row_counts(*COUNTED)``: nothing of it when a return is refused)."""


def session(shop, **kw) -> ReturnSession:
    """A return session at the shop's till, by its cashier."""
    return ReturnSession.at(shop.ctx, shop.cashier, **kw)


def line_of(session_, sku):
    """The session's line of ``sku``."""
    return next(line for line in session_.lines if line.sku == sku)


def balanced(ticket) -> bool:
    """Lines, payments and total agree, and the ticket's postings balance."""
    lines = sum(line.total_cents for line in TicketLine.select().where(TicketLine.ticket == ticket.id))
    paid = sum(amount for _, amount in payments(ticket))
    postings = list(AccountingLine.select().where(AccountingLine.ticket == ticket.id))
    return lines == paid == ticket.total_cents and sum(p.debit_cents for p in postings) == sum(
        p.credit_cents for p in postings)
