"""Report names -> the function that computes them and the fields they can be grouped by.

One table for ``till report NAME`` (and any script or screen): the CLI checks a name and a
``--by`` field here before a single query runs, so a typo gets the list of what exists, not a
traceback. ``x`` and ``z`` are printed receipts (``reports.xz``), listed so that the names are
known in one place; the others return a ``reports.base.Table`` rendered by ``reports.render``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

from reports import credit_notes, customers, returns, sales, stock
from reports.base import NEEDS_PERIOD, UNKNOWN_FIELD, UNKNOWN_REPORT, BAD_LIMIT, ReportError, ReportPeriod, Table

__all__ = ["Report", "REPORTS", "PRINTED", "names", "get", "run"]

PRINTED = ("x", "z")
"""Receipt-style reports with their own options (``reports.xz``)."""


@dataclass(frozen=True)
class Report:
    """A named report: what computes it, its ``--by`` fields (first = default), what it says."""

    name: str
    compute: Callable[..., Table]
    by: tuple[str, ...]
    help: str
    needs_period: bool = True


REPORTS: dict[str, Report] = {r.name: r for r in (
    Report("sales", sales.sales, sales.BY, "sales by period, category, product, cashier, means or VAT rate"),
    Report("returns", returns.returns, returns.BY, "returned items by reason, product, category, disposition, period"),
    Report("return-rate", returns.return_rate, returns.RATE_BY, "quantity sold and returned, and the rate"),
    Report("top-returns", returns.top_returns, ("product",), "the most returned products (--limit, default 10)"),
    Report("refunds", returns.refunds, returns.REFUND_BY, "money given back by means of payment or period"),
    Report("credit-notes", credit_notes.credit_notes, credit_notes.BY,
           "store credit issued, redeemed, outstanding and expired"),
    Report("customers", customers.customers, customers.BY,
           "customer 360: visits, average basket, return rate, lifetime value"),
    Report("stock", stock.stock_levels, stock.LEVEL_BY, "stock levels now: sellable, damaged, other",
           needs_period=False),
    Report("stock-movements", stock.stock_movements, stock.MOVEMENT_BY, "stock movements in the period"),
)}


def names() -> tuple[str, ...]:
    return (*PRINTED, *REPORTS)


def get(name: str) -> Report:
    """The report called ``name``; a ``ReportError`` listing the names otherwise."""
    report = REPORTS.get(name)
    if report is None:
        raise ReportError(UNKNOWN_REPORT, name=name, names=", ".join(names()))
    return report


def check(name: str, by: str | None) -> tuple[Report, str]:
    """The report and its grouping field, both checked, before anything is read."""
    report = get(name)
    field = by or report.by[0]
    if field not in report.by:
        raise ReportError(UNKNOWN_FIELD, name=name, field=field, fields=", ".join(report.by))
    return report, field


def run(name: str, first: dt.date | None, last: dt.date | None, by: str | None = None,
        zone: dt.tzinfo = dt.timezone.utc, limit: int | None = None) -> Table:
    """Compute report ``name`` over business days ``first``..``last`` (in ``zone``), grouped ``by``."""
    report, field = check(name, by)
    if limit is not None and (not isinstance(limit, int) or limit <= 0):
        raise ReportError(BAD_LIMIT, text=limit)
    period = None
    if first is not None or last is not None or report.needs_period:
        if first is None or last is None:
            raise ReportError(NEEDS_PERIOD, name=name)
        period = ReportPeriod(first, last, zone)
    return report.compute(period, field, limit)
