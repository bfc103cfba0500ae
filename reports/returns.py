"""Returns analytics: by reason, product, category, disposition and period; return rate per
product; the most returned products; refunds by means of payment.

A returned item is a negative ticket line (``quantity < 0``) on a counted ticket, whatever
brought it back (receipt, online order, no receipt, an exchange): the line carries its reason
and disposition, and its negative total is what was given back for it, at the original price
and VAT rate. Quantities and amounts are shown positive (what came back, what was refunded).
A reason written with a note (``other: cork smell``) counts under its reason (``other``).
"""

from __future__ import annotations

from peewee import JOIN, Case, fn

from reports.base import TIME_BUCKETS, Column, ReportPeriod, Table, bucket_of, counted, fold, hour_of, ratio_bp
from store.models import SALE, Category, Payment, Product, Ticket, TicketLine
from till.means import CHANGE

__all__ = ["returns", "return_rate", "top_returns", "refunds", "BY", "RATE_BY", "REFUND_BY"]

BY = ("reason", "product", "category", "disposition", "day", "week", "month")
RATE_BY = ("product", "category")
REFUND_BY = ("means", "day", "week", "month")
_COLUMNS = (Column("lines"), Column("quantity"), Column("refunded_cents", "cents"))


def _sums():
    return fn.COUNT(TicketLine.id), 0 - fn.SUM(TicketLine.quantity), 0 - fn.SUM(TicketLine.total_cents)


def _key_column(by: str):
    if by == "reason":
        return TicketLine.reason
    if by == "disposition":
        return TicketLine.disposition
    if by == "product":
        return TicketLine.sku
    if by == "category":
        return fn.COALESCE(Category.name, "-")
    return hour_of(Ticket.created_at)


def _grouped(period: ReportPeriod, by: str) -> list[tuple]:
    """The returned lines of the period grouped by ``by``'s column, found without reading sales.

    Returned lines are a few percent of all lines, so they are reached from the indexes that
    only they fill: ``origin_line`` (a receipt) and ``origin_order_line`` (an online order),
    each read as a range (``> 0``: an index skips its NULLs) with the ticket joined after it
    (``CROSS JOIN`` keeps that order on SQLite; PostgreSQL plans it as a plain join). Only the
    returns without an origin (no receipt) need the period's tickets, read on the ticket side.
    The three sets are disjoint; their sums are added up in Python. On a year of 1M tickets
    this reads ~50k lines where a plain join reads 2.5M.
    """
    key = _key_column(by)
    columns = [key, *_sums()] + ([fn.MAX(TicketLine.label)] if by == "product" else [])
    kept = counted(period) & (TicketLine.quantity < 0)

    def grouped(query, where):
        if by == "category":
            query = (query.join(Product, JOIN.LEFT_OUTER, on=TicketLine.product == Product.id)
                     .join(Category, JOIN.LEFT_OUTER, on=Product.category == Category.id))
        return list(query.where(kept & where).group_by(key).tuples())

    def from_lines():
        return TicketLine.select(*columns).join(Ticket, JOIN.CROSS).switch(TicketLine)

    rows = grouped(from_lines(), (TicketLine.ticket == Ticket.id) & (TicketLine.origin_line > 0))
    rows += grouped(from_lines(), (TicketLine.ticket == Ticket.id) & (TicketLine.origin_order_line > 0))
    rows += grouped(TicketLine.select(*columns).join(Ticket, on=TicketLine.ticket == Ticket.id),
                    (Ticket.kind != SALE) & Ticket.origin_ticket.is_null() & Ticket.origin_order.is_null()
                    & TicketLine.origin_line.is_null() & TicketLine.origin_order_line.is_null())
    return rows


def returns(period: ReportPeriod, by: str = "reason", limit: int | None = None) -> Table:
    """What came back in the period, grouped ``by`` one of ``BY``, largest refunds first (time: in order)."""
    rows = list(_grouped(period, by))
    if by == "product":
        labels: dict[str, str] = {}
        for row in rows:  # the label as the product's lines carry it (the largest of the sets', like MAX)
            labels[row[0]] = max(labels.get(row[0], ""), row[4] or "")
        sums = fold(rows, 3)
        out = [(sku, labels[sku], *values) for sku, values in sums.items()]
        out.sort(key=lambda row: (-row[-1], row[0]))
        columns = (Column("sku", "text"), Column("product", "text"), *_COLUMNS)
        return Table("returns", by, period, columns, out[:limit] if limit else out)
    if by in TIME_BUCKETS:
        sums = fold(rows, 3, key=lambda row: bucket_of(row[0], by, period.zone))
        out = [(key, *values) for key, values in sorted(sums.items())]
    else:
        clean = (lambda text: (text or "-").split(":", 1)[0].strip()) if by == "reason" else (lambda t: t or "-")
        sums = fold(rows, 3, key=lambda row: clean(row[0]))
        out = sorted(((key, *values) for key, values in sums.items()), key=lambda row: (-row[-1], row[0]))
    return Table("returns", by, period, (Column(by, "text"), *_COLUMNS), out[:limit] if limit else out)


def top_returns(period: ReportPeriod, by: str = "product", limit: int | None = None) -> Table:
    """The most returned products (by quantity, then refund), ``limit`` of them (default 10)."""
    table = returns(period, "product")
    table.rows.sort(key=lambda row: (-row[3], -row[4], row[0]))
    table.rows = table.rows[:limit or 10]
    table.report = "top-returns"
    return table


def return_rate(period: ReportPeriod, by: str = "product", limit: int | None = None) -> Table:
    """Per product (category): quantity sold and returned in the period, and the return rate.

    Both counted over the same period (a return in it may reverse a sale before it): the rate
    of a shop, not a cohort of sales. Rate in basis points (1250 = 12.50 %).
    """
    key = TicketLine.sku if by == "product" else fn.COALESCE(Category.name, "-")
    sold = fn.SUM(Case(None, [(TicketLine.quantity > 0, TicketLine.quantity)], 0))
    back = fn.SUM(Case(None, [(TicketLine.quantity < 0, 0 - TicketLine.quantity)], 0))
    query = TicketLine.select(key, sold, back, fn.MAX(TicketLine.label)).join(
        Ticket, on=TicketLine.ticket == Ticket.id)
    if by == "category":
        query = (query.join(Product, JOIN.LEFT_OUTER, on=TicketLine.product == Product.id)
                 .join(Category, JOIN.LEFT_OUTER, on=Product.category == Category.id))
    rows = []
    for name, sold_q, back_q, label in query.where(counted(period)).group_by(key).tuples():
        sold_q, back_q = int(sold_q or 0), int(back_q or 0)
        row = (name, label) if by == "product" else (name,)
        rows.append((*row, sold_q, back_q, ratio_bp(back_q, sold_q)))
    rows.sort(key=lambda row: (-row[-1], -row[-2], row[0]))
    head = (Column("sku", "text"), Column("product", "text")) if by == "product" else (Column("category", "text"),)
    return Table("return-rate", by, period, (*head, Column("sold"), Column("returned"), Column("rate_bp", "bp")),
                 rows[:limit] if limit else rows)


def refunds(period: ReportPeriod, by: str = "means", limit: int | None = None) -> Table:
    """Money given back on returns, exchanges and cancellations, by means (or period).

    Negative payments of tickets that are not plain sales, except the change handed back on an
    exchange the customer paid (``till.means.CHANGE``): that is money given back on money just
    received, not a refund.
    A refund as store credit shows under ``credit_note``: the note issued for it.
    """
    key = Payment.means if by == "means" else hour_of(Ticket.created_at)
    query = (Payment.select(key, fn.COUNT(Payment.id), 0 - fn.SUM(Payment.amount_cents))
             .join(Ticket, on=Payment.ticket == Ticket.id)
             .where(counted(period) & (Ticket.kind != SALE) & (Payment.amount_cents < 0)
                    & (Payment.reference.is_null() | (Payment.reference != CHANGE)))  # change is no refund
             .group_by(key).tuples())
    if by == "means":
        sums = fold(query, 2)
        out = sorted(((k, *v) for k, v in sums.items()), key=lambda row: (-row[-1], row[0]))
    else:
        sums = fold(query, 2, key=lambda row: bucket_of(row[0], by, period.zone))
        out = [(k, *v) for k, v in sorted(sums.items())]
    return Table("refunds", by, period, (Column(by, "text"), Column("refunds"), Column("refunded_cents", "cents")),
                 out[:limit] if limit else out)
