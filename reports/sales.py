"""Sales by period (day, week, month), category, product, cashier, means of payment and VAT rate.

Every figure is a sum of stored ticket figures (ticket totals, per-rate VAT rows, line totals,
payments), so the sales report of a closed day equals its Z to the cent. Returns are part of
sales with their negative lines: ``net`` is what the shop kept; the product and category views
also show what was sold and what came back apart.
"""

from __future__ import annotations

from peewee import JOIN, Case, fn

from reports.base import TIME_BUCKETS, Column, ReportPeriod, Table, bucket_of, counted, fold, hour_of
from store.models import Category, Payment, Product, Ticket, TicketLine, TicketVat

__all__ = ["sales", "BY"]

BY = ("day", "week", "month", "category", "product", "cashier", "means", "rate")


def _positive(column):
    return fn.SUM(Case(None, [(column > 0, column)], 0))


def _negative(column):
    return fn.SUM(Case(None, [(column < 0, 0 - column)], 0))


def sales(period: ReportPeriod, by: str = "day", limit: int | None = None) -> Table:
    """The period's sales grouped ``by`` one of ``BY``."""
    if by in TIME_BUCKETS:
        return _by_time(period, by)
    return {"category": _by_category, "product": _by_product, "cashier": _by_cashier, "means": _by_means,
            "rate": _by_rate}[by](period, limit)


def _by_time(period: ReportPeriod, by: str) -> Table:
    hour = hour_of(Ticket.created_at)
    heads = (Ticket.select(hour.alias("h"), fn.COUNT(Ticket.id), fn.SUM(Ticket.total_cents))
             .where(counted(period)).group_by(hour).tuples())
    vat_hour = hour_of(Ticket.created_at)
    vats = (TicketVat.select(vat_hour.alias("h"), fn.SUM(TicketVat.ht_cents), fn.SUM(TicketVat.vat_cents))
            .join(Ticket, on=TicketVat.ticket == Ticket.id).where(counted(period)).group_by(vat_hour).tuples())
    zone = period.zone
    totals = fold(heads, 2, key=lambda row: bucket_of(row[0], by, zone))
    split = fold(vats, 2, key=lambda row: bucket_of(row[0], by, zone))
    rows = [(key, count, net, *split.get(key, (0, 0))) for key, (count, net) in sorted(totals.items())]
    return Table("sales", by, period, (Column(by, "text"), Column("tickets"), Column("net_cents", "cents"),
                                       Column("ht_cents", "cents"), Column("vat_cents", "cents")), rows)


def _line_sums():
    return (fn.SUM(TicketLine.quantity), _positive(TicketLine.total_cents), _negative(TicketLine.total_cents),
            fn.SUM(TicketLine.total_cents))


def _ordered(rows: list[tuple], limit: int | None) -> list[tuple]:
    rows.sort(key=lambda row: (-row[-1], str(row[0])))
    return rows[:limit] if limit else rows


def _by_product(period: ReportPeriod, limit: int | None) -> Table:
    query = (TicketLine.select(TicketLine.sku, fn.MAX(TicketLine.label), *_line_sums())
             .join(Ticket, on=TicketLine.ticket == Ticket.id).where(counted(period)).group_by(TicketLine.sku).tuples())
    rows = [(sku, label, int(q or 0), int(s or 0), int(r or 0), int(n or 0)) for sku, label, q, s, r, n in query]
    return Table("sales", "product", period, (
        Column("sku", "text"), Column("product", "text"), Column("quantity"), Column("sales_cents", "cents"),
        Column("returns_cents", "cents"), Column("net_cents", "cents")), _ordered(rows, limit))


def _by_category(period: ReportPeriod, limit: int | None) -> Table:
    name = fn.COALESCE(Category.name, "-")
    query = (TicketLine.select(name, *_line_sums())
             .join(Ticket, on=TicketLine.ticket == Ticket.id)
             .join(Product, JOIN.LEFT_OUTER, on=TicketLine.product == Product.id)
             .join(Category, JOIN.LEFT_OUTER, on=Product.category == Category.id)
             .where(counted(period)).group_by(name).tuples())
    rows = [(category, int(q or 0), int(s or 0), int(r or 0), int(n or 0)) for category, q, s, r, n in query]
    return Table("sales", "category", period, (
        Column("category", "text"), Column("quantity"), Column("sales_cents", "cents"),
        Column("returns_cents", "cents"), Column("net_cents", "cents")), _ordered(rows, limit))


def _by_cashier(period: ReportPeriod, limit: int | None) -> Table:
    query = (Ticket.select(fn.MAX(Ticket.operator_name), fn.COUNT(Ticket.id), fn.SUM(Ticket.total_cents))
             .where(counted(period)).group_by(Ticket.user).tuples())
    rows = []
    for name, count, net in query:
        count, net = int(count), int(net or 0)
        rows.append((name, count, (2 * net + count) // (2 * count) if count else 0, net))
    return Table("sales", "cashier", period, (
        Column("cashier", "text"), Column("tickets"), Column("average_cents", "cents"),
        Column("net_cents", "cents")), _ordered(rows, limit))


def _by_means(period: ReportPeriod, limit: int | None) -> Table:
    query = (Payment.select(Payment.means, fn.COUNT(Payment.id), _positive(Payment.amount_cents),
                            _negative(Payment.amount_cents), fn.SUM(Payment.amount_cents))
             .join(Ticket, on=Payment.ticket == Ticket.id).where(counted(period)).group_by(Payment.means).tuples())
    rows = [(means, int(c), int(i or 0), int(o or 0), int(n or 0)) for means, c, i, o, n in query]
    return Table("sales", "means", period, (
        Column("means", "text"), Column("payments"), Column("in_cents", "cents"), Column("out_cents", "cents"),
        Column("net_cents", "cents")), _ordered(rows, limit))


def _by_rate(period: ReportPeriod, limit: int | None) -> Table:
    query = (TicketVat.select(TicketVat.rate_bp, fn.SUM(TicketVat.ht_cents), fn.SUM(TicketVat.vat_cents),
                              fn.SUM(TicketVat.ttc_cents))
             .join(Ticket, on=TicketVat.ticket == Ticket.id).where(counted(period))
             .group_by(TicketVat.rate_bp).order_by(TicketVat.rate_bp.desc()).tuples())
    rows = [(int(rate), int(ht or 0), int(vat or 0), int(ttc or 0)) for rate, ht, vat, ttc in query]
    return Table("sales", "rate", period, (
        Column("rate_bp", "bp"), Column("ht_cents", "cents"), Column("vat_cents", "cents"),
        Column("net_cents", "cents")), rows[:limit] if limit else rows)
