"""Customer 360: per known customer, visits, average basket, spend, returns, return rate and
lifetime value.

Visits and baskets count the period's sales and exchanges of the customer; returns are the
money given back on their tickets in the period; the return rate is returned / spent (basis
points); the lifetime value is the net of every ticket of theirs up to the period's end (sales
minus returns, all time), which is what the shop has kept from them.
"""

from __future__ import annotations

from peewee import Case, fn

from reports.base import Column, ReportPeriod, Table, counted, ratio_bp
from store.models import EXCHANGE, SALE, Customer, Ticket

__all__ = ["customers", "BY"]

BY = ("customer",)


def customers(period: ReportPeriod, by: str = "customer", limit: int | None = None) -> Table:
    """One row per customer with a ticket in the period, highest lifetime value first."""
    total = Ticket.total_cents
    visit = Case(None, [(Ticket.kind.in_((SALE, EXCHANGE)), 1)], 0)
    spent = fn.SUM(Case(None, [(total > 0, total)], 0))
    returned = fn.SUM(Case(None, [(total < 0, 0 - total)], 0))
    known = Ticket.customer.is_null(False)
    active = {cid: (int(v or 0), int(s or 0), int(r or 0)) for cid, v, s, r in
              Ticket.select(Ticket.customer, fn.SUM(visit), spent, returned)
              .where(counted(period) & known).group_by(Ticket.customer).tuples()}
    lifetime: dict[int, int] = {}
    if active:
        until = (Ticket.training == False) & (Ticket.created_at < period.end) & known  # noqa: E712
        lifetime = {cid: int(net or 0) for cid, net in
                    Ticket.select(Ticket.customer, fn.SUM(total)).where(until).group_by(Ticket.customer).tuples()}
    names = {}
    ids = list(active)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        names.update({cid: f"{first} {last}".strip() for cid, first, last in
                      Customer.select(Customer.id, Customer.first_name, Customer.last_name)
                      .where(Customer.id.in_(chunk)).tuples()})
    rows = []
    for cid, (visits, spend, back) in active.items():
        average = (2 * spend + visits) // (2 * visits) if visits else 0
        rows.append((cid, names.get(cid, "?"), visits, average, spend, back, ratio_bp(back, spend),
                     lifetime.get(cid, 0)))
    rows.sort(key=lambda row: (-row[-1], row[0]))
    return Table("customers", by, period, (
        Column("customer_id"), Column("customer", "text"), Column("visits"), Column("average_cents", "cents"),
        Column("spent_cents", "cents"), Column("returned_cents", "cents"), Column("return_rate_bp", "bp"),
        Column("lifetime_cents", "cents")), rows[:limit] if limit else rows)
