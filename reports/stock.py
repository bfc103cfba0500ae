"""Stock: levels per location now (sellable, damaged and the others), and movements over a period.

Levels are the running sums the till keeps with each movement (``stock_level``); movements are
the ledger (``stock_movement``): sales out, returns back to the shelf or to ``damaged``,
openings and corrections. Quantities are pieces, or grams for goods sold by weight.
"""

from __future__ import annotations

from peewee import JOIN, Case, fn

from reports.base import TIME_BUCKETS, Column, ReportPeriod, Table, bucket_of, fold, hour_of
from store.models import DAMAGED, SELLABLE, Category, Product, StockLevel, StockLocation, StockMovement

__all__ = ["stock_levels", "stock_movements", "LEVEL_BY", "MOVEMENT_BY"]

LEVEL_BY = ("product", "category", "location")
MOVEMENT_BY = ("reason", "location", "product", "day", "week", "month")


def _at(code: str):
    return fn.SUM(Case(None, [(StockLocation.code == code, StockLevel.quantity)], 0))


def _others():
    return fn.SUM(Case(None, [(StockLocation.code.not_in((SELLABLE, DAMAGED)), StockLevel.quantity)], 0))


def stock_levels(period: ReportPeriod | None = None, by: str = "product", limit: int | None = None) -> Table:
    """Current levels (the period is not used: a level is now): sellable, damaged, other, total."""
    if by == "location":
        query = (StockLevel.select(StockLocation.code, fn.COUNT(StockLevel.id), fn.SUM(StockLevel.quantity))
                 .join(StockLocation, on=StockLevel.location == StockLocation.id)
                 .group_by(StockLocation.code).order_by(StockLocation.code).tuples())
        rows = [(code, int(n), int(q or 0)) for code, n, q in query]
        return Table("stock", by, period, (Column("location", "text"), Column("products"), Column("quantity")),
                     rows[:limit] if limit else rows)
    sums = (_at(SELLABLE), _at(DAMAGED), _others(), fn.SUM(StockLevel.quantity))
    query = (StockLevel.select(Product.sku if by == "product" else fn.COALESCE(Category.name, "-"),
                               fn.MAX(Product.name), *sums)
             .join(StockLocation, on=StockLevel.location == StockLocation.id)
             .switch(StockLevel).join(Product, on=StockLevel.product == Product.id)
             .join(Category, JOIN.LEFT_OUTER, on=Product.category == Category.id))
    key = Product.sku if by == "product" else fn.COALESCE(Category.name, "-")
    rows = []
    for name, label, *values in query.group_by(key).order_by(key).tuples():
        values = [int(v or 0) for v in values]
        rows.append((name, label, *values) if by == "product" else (name, *values))
    head = (Column("sku", "text"), Column("product", "text")) if by == "product" else (Column("category", "text"),)
    return Table("stock", by, period, (*head, Column("sellable"), Column("damaged"), Column("other"),
                                       Column("total")), rows[:limit] if limit else rows)


def stock_movements(period: ReportPeriod, by: str = "reason", limit: int | None = None) -> Table:
    """Movements made in the period: quantity in, out and net, grouped ``by`` one of ``MOVEMENT_BY``."""
    key = {"reason": StockMovement.reason, "location": StockLocation.code, "product": Product.sku}.get(by)
    key = key if key is not None else hour_of(StockMovement.created_at)
    q = StockMovement.quantity
    query = (StockMovement.select(key, fn.SUM(Case(None, [(q > 0, q)], 0)), fn.SUM(Case(None, [(q < 0, 0 - q)], 0)),
                                  fn.SUM(q))
             .join(StockLocation, on=StockMovement.location == StockLocation.id)
             .switch(StockMovement).join(Product, on=StockMovement.product == Product.id)
             .where((StockMovement.created_at >= period.start) & (StockMovement.created_at < period.end))
             .group_by(key).tuples())
    if by in TIME_BUCKETS:
        sums = fold(query, 3, key=lambda row: bucket_of(row[0], by, period.zone))
        rows = [(k, *v) for k, v in sorted(sums.items())]
    else:
        rows = sorted(((k, *v) for k, v in fold(query, 3).items()), key=lambda row: str(row[0]))
    return Table("stock-movements", by, period, (Column(by, "text"), Column("in"), Column("out"), Column("net")),
                 rows[:limit] if limit else rows)
