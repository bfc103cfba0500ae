"""The sales and returns pages: by shop, by day, week or month, by category and product; returns
by reason (down to their tickets, and a ticket to its lines), by product and by selling versus
returning shop, with the return rate. Every figure comes from the aggregates ingest keeps
(``headoffice.aggregates_queries``); only a reason's tickets and a ticket read ``Record``, by
index. Filters are GET parameters (shop, since, until, grouping, page), so a URL is a bookmark.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.responses import HTMLResponse, Response

from headoffice import aggregates_queries as q
from headoffice.aggregates_queries import GROUPINGS, Filters
from headoffice.web import svg
from headoffice.web.pages import Page, euros, render
from headoffice.web.sales_tables import TABLES, cell_text, reason_of

__all__ = ["PAGES", "page_context"]


def page_context(request, filters: Filters, groupings: tuple[str, ...] = GROUPINGS, **hidden: str) -> dict[str, Any]:
    """What every page with filters and tables gives its template."""
    params = dict(request.query_params)

    def page_query(page: int) -> str:
        return urlencode({**params, "page": str(page)})

    return {"filters": filters, "shops": q.shops(), "groupings": groupings, "hidden": hidden,
            "query": request.url.query, "cell": cell_text, "page_query": page_query}


def _euros_short(cents: int) -> str:
    return euros(cents - cents % 100)[:-5] + " €" if cents >= 100_000 else euros(cents)


def sales(request, user, _form) -> Response:
    f = Filters.from_query(request.query_params)
    tables = {name: TABLES[name](f, request.query_params)
              for name in ("sales-over-time", "sales-by-shop", "sales-by-category", "top-products")}
    over_time = tables["sales-over-time"].rows  # period, tickets, sales, returns, net, rate
    totals = {"sales_cents": sum(row[2] for row in over_time), "returns_cents": sum(row[3] for row in over_time)}
    totals["return_rate_bp"] = q.rate_bp(totals["returns_cents"], totals["sales_cents"])
    chart_time = svg.lines(f"Sales and returns by {f.grouping}", [row[0] for row in over_time],
                           [("Sales", [row[2] for row in over_time]), ("Returns", [row[3] for row in over_time])],
                           _euros_short, "chart-sales")
    chart_categories = svg.bars("Sales by category", [(str(row[0]), row[2]) for row in
                                                      tables["sales-by-category"].rows], _euros_short,
                                "chart-categories")
    return render(request, user, "sales.html", tables=tables, totals=totals, chart_time=chart_time,
                  chart_categories=chart_categories, **page_context(request, f))


def returns(request, user, _form) -> Response:
    f = Filters.from_query(request.query_params)
    tables = {name: TABLES[name](f, request.query_params)
              for name in ("returns-by-reason", "returns-by-selling-shop", "returns-by-product")}
    chart = svg.bars("Returns by reason", [(str(row[0]), row[3]) for row in tables["returns-by-reason"].rows],
                     _euros_short, "chart-reasons")
    return render(request, user, "returns.html", tables=tables, chart_reasons=chart,
                  **page_context(request, f, ()))


def reason(request, user, _form) -> Response:
    f = Filters.from_query(request.query_params)
    table = TABLES["reason-tickets"](f, request.query_params)
    return render(request, user, "reason.html", table=table, reason=reason_of(request.query_params),
                  back=urlencode(f.query()),
                  **page_context(request, f, (), reason=request.query_params.get("reason") or "-"))


def ticket(request, user, _form) -> Response:
    try:
        found = q.ticket(str(request.path_params["till_id"])[:16], int(request.path_params["sequence"]))
    except ValueError:
        found = None
    if found is None:
        return HTMLResponse("<!doctype html><title>Not found</title><p>No such ticket.</p>", status_code=404)
    return render(request, user, "ticket.html", ticket=found, cell=cell_text)


PAGES = [
    Page("/sales", "sales", sales, nav="Sales"),
    Page("/returns", "returns", returns, nav="Returns"),
    Page("/returns/reason", "returns_reason", reason),
    Page("/tickets/{till_id}/{sequence}", "ticket", ticket),
]
