"""Every table of the sales, returns and credit-note pages, defined once for the page and its CSV.

A table is built from the filters of the query string (``Filters``) by one function of
``TABLES``; the page renders it (``_table.html``) and ``/exports/{table}.csv`` writes the same
rows, so the CSV is the table. Values stay typed (integer cents, counts, rates in basis points,
dates) until shown: the page writes "1 234,56 €", the CSV "1234.56".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlencode

from headoffice.aggregates import NO_RECEIPT, WEB
from headoffice import aggregates_queries as q
from headoffice.aggregates_queries import Filters

__all__ = ["Column", "Table", "TABLES", "PAGE_SIZE", "build", "cell_text", "csv_cell", "shop_label"]

PAGE_SIZE = 20
"""Rows of a paged table (top products, a reason's tickets)."""


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = "text"
    """text, int, money (integer cents), rate (basis points) or date."""


@dataclass
class Table:
    id: str
    title: str
    columns: list[Column]
    rows: list[list[Any]]
    links: list[dict[int, dict[str, str]]] = field(default_factory=list)
    """Per row, per column index: the cell's link (``href``, and ``data-*`` attributes)."""
    page: int = 1
    more: bool = False
    """A paged table: whether a next page exists."""
    role: str = "viewer"
    """The least role its CSV needs."""


def cell_text(value: Any, kind: str) -> str:
    """A value as the page shows it."""
    from headoffice.web.pages import euros  # deferred: the framework imports the page modules by name

    if value is None:
        return "—"
    if kind == "money":
        return euros(int(value))
    if kind == "rate":
        return f"{value // 100},{value % 100:02d} %"
    return str(value)


def csv_cell(value: Any, kind: str) -> Any:
    """A value as the CSV writes it: money in euros with a dot, a rate in percent, by integers."""
    if value is None:
        return ""
    if kind == "money":
        sign, cents = ("-" if value < 0 else ""), abs(int(value))
        return f"{sign}{cents // 100}.{cents % 100:02d}"
    if kind == "rate":
        return f"{value // 100}.{value % 100:02d}"
    return value


def shop_label(selling_shop: str) -> str:
    return {NO_RECEIPT: "(no receipt)", WEB: "(online order)"}.get(selling_shop, selling_shop)


def _page(query: Any) -> int:
    try:
        return max(1, min(10_000, int(query.get("page") or 1)))
    except ValueError:
        return 1


_MONEY, _INT, _RATE = Column("", "money"), Column("", "int"), Column("", "rate")


def _c(header: str, like: Column | None = None) -> Column:
    return Column(header, like.kind if like else "text")


def sales_by_shop(f: Filters, query: Any) -> Table:
    rows = q.by_shop(f)
    return Table("sales-by-shop", "Sales by shop",
                 [_c("Shop"), _c("Tickets", _INT), _c("Sales", _MONEY), _c("Returns", _MONEY), _c("Net", _MONEY),
                  _c("Return rate", _RATE)],
                 [[r["shop_id"], r["tickets"], r["sales_cents"], r["returns_cents"], r["net_cents"],
                   r["return_rate_bp"]] for r in rows],
                 [{0: {"href": "?" + urlencode(f.query(shop=r["shop_id"]))}} for r in rows])


def sales_over_time(f: Filters, query: Any) -> Table:
    rows = q.over_time(f)
    label = {"day": "Day", "week": "Week from", "month": "Month"}[f.grouping]
    return Table("sales-over-time", f"Sales by {f.grouping}",
                 [_c(label), _c("Tickets", _INT), _c("Sales", _MONEY), _c("Returns", _MONEY), _c("Net", _MONEY),
                  _c("Return rate", _RATE)],
                 [[_period_text(r["period"], f.grouping), r["tickets"], r["sales_cents"], r["returns_cents"],
                   r["net_cents"], r["return_rate_bp"]] for r in rows])


def _period_text(day: dt.date, grouping: str) -> str:
    return day.strftime("%Y-%m") if grouping == "month" else day.isoformat()


def sales_by_category(f: Filters, query: Any) -> Table:
    rows = q.by_category(f)
    return Table("sales-by-category", "Sales by category",
                 [_c("Category"), _c("Lines sold", _INT), _c("Sales", _MONEY), _c("Lines returned", _INT),
                  _c("Returns", _MONEY), _c("Return rate", _RATE)],
                 [[r["category"] or "(none)", r["sales_lines"], r["sales_cents"], r["returns_lines"],
                   r["returns_cents"], r["return_rate_bp"]] for r in rows])


def _products(f: Filters, query: Any, order: str, table_id: str, title: str) -> Table:
    page = _page(query)
    rows = q.products(f, order, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE)
    return Table(table_id, title,
                 [_c("#", _INT), _c("SKU"), _c("Product"), _c("Category"), _c("Sold", _INT), _c("Sales", _MONEY),
                  _c("Returned", _INT), _c("Returns", _MONEY), _c("Return rate", _RATE)],
                 [[(page - 1) * PAGE_SIZE + index + 1, r["sku"], r["label"], r["category"], r["sales_quantity"],
                   r["sales_cents"], r["returns_quantity"], r["returns_cents"], r["return_rate_bp"]]
                  for index, r in enumerate(rows[:PAGE_SIZE])], page=page, more=len(rows) > PAGE_SIZE)


def top_products(f: Filters, query: Any) -> Table:
    return _products(f, query, "sales", "top-products", "Products by sales")


def returns_by_product(f: Filters, query: Any) -> Table:
    return _products(f, query, "returns", "returns-by-product", "Products by returns")


def returns_by_reason(f: Filters, query: Any) -> Table:
    rows = q.returns_by_reason(f)
    return Table("returns-by-reason", "Returns by reason",
                 [_c("Reason"), _c("Return tickets", _INT), _c("Lines", _INT), _c("Amount", _MONEY),
                  _c("Share of sales", _RATE)],
                 [[r["reason"] or "(none)", r["tickets"], r["returns_lines"], r["returns_cents"], r["return_rate_bp"]]
                  for r in rows],
                 [{0: {"href": "/returns/reason?" + urlencode(f.query(reason=r["reason"] or "-")),
                       "data-reason": r["reason"] or "-"}} for r in rows])


def returns_by_selling_shop(f: Filters, query: Any) -> Table:
    rows = q.returns_by_selling_shop(f)
    return Table("returns-by-selling-shop", "Returns by returning and selling shop",
                 [_c("Returned in"), _c("Sold in"), _c("Another shop's receipt"), _c("Return tickets", _INT),
                  _c("Lines", _INT), _c("Amount", _MONEY)],
                 [[r["shop_id"], shop_label(r["selling_shop_id"]), "yes" if r["other_shop"] else "no", r["tickets"],
                   r["returns_lines"], r["returns_cents"]] for r in rows])


def reason_of(query: Any) -> str:
    """The reason a drill-down names ("-" stands for none given)."""
    reason = str(query.get("reason") or "")[:64]
    return "" if reason == "-" else reason


def reason_tickets(f: Filters, query: Any) -> Table:
    reason, page = reason_of(query), _page(query)
    rows = q.reason_tickets(reason, f, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE)
    shown = rows[:PAGE_SIZE]
    return Table("reason-tickets", f"Return tickets for reason {reason or '(none)'}",
                 [_c("Ticket"), _c("Shop"), _c("Till"), _c("Day"), _c("Sold in"), _c("Lines", _INT),
                  _c("Amount", _MONEY), _c("Items")],
                 [[r["code"] or f"{r['till_id']}/{r['sequence']}", r["shop_id"], r["till_id"], _day(r["day"]),
                   shop_label(r["selling_shop_id"]), r["lines"], r["amount_cents"],
                   "; ".join(f"{-int(i.get('quantity') or 0)} × {i.get('label') or i.get('sku')}" for i in r["items"])]
                  for r in shown],
                 [{0: {"href": f"/tickets/{r['till_id']}/{r['sequence']}", "data-ticket": r["code"] or ""}}
                  for r in shown], page=page, more=len(rows) > PAGE_SIZE)


def _day(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)[:10]


def credit_by_shop(f: Filters, query: Any) -> Table:
    rows = q.credit_by_shop(f)
    return Table("credit-by-shop", "Credit notes by issuing shop",
                 [_c("Shop"), _c("Issued", _INT), _c("Issued amount", _MONEY), _c("Spent", _INT),
                  _c("Spent amount", _MONEY), _c("Open notes (today)", _INT), _c("Outstanding (today)", _MONEY),
                  _c("Expired (today)", _MONEY)],
                 [[r["shop_id"], r["credit_issued"], r["credit_issued_cents"], r["credit_spent"],
                   r["credit_spent_cents"], r["notes_open"], r["outstanding_cents"], r["expired_cents"]]
                  for r in rows])


def credit_notes(f: Filters, query: Any) -> Table:
    page = _page(query)
    rows = q.notes_of(f, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE)
    shown = rows[:PAGE_SIZE]
    return Table("credit-notes", "Credit notes (newest first; codes masked)",
                 [_c("Note"), _c("Shop"), _c("Amount", _MONEY), _c("Balance", _MONEY), _c("Expires")],
                 [[r["masked"], r["shop_id"], r["amount_cents"], r["balance_cents"], _day(r["expires_on"])]
                  for r in shown],
                 [{0: {"href": f"/credit-notes/{r['id']}"}} for r in shown], page=page, more=len(rows) > PAGE_SIZE)


TABLES: dict[str, Callable[[Filters, Any], Table]] = {
    "sales-by-shop": sales_by_shop, "sales-over-time": sales_over_time, "sales-by-category": sales_by_category,
    "top-products": top_products, "returns-by-reason": returns_by_reason, "returns-by-product": returns_by_product,
    "returns-by-selling-shop": returns_by_selling_shop, "reason-tickets": reason_tickets,
    "credit-by-shop": credit_by_shop, "credit-notes": credit_notes,
}
"""Every table by its id: the element id on its page and the name of its CSV."""


def build(table_id: str, query: Any) -> Table | None:
    builder = TABLES.get(table_id)
    return None if builder is None else builder(Filters.from_query(query), query)
