"""The credit-note pages: issued, spent, outstanding and expired by shop, the notes (codes
masked), and a note's history by its code, shown whole only on the note's own page, which needs
the manager role (a whole code is enough to spend the note)."""

from __future__ import annotations

from starlette.responses import HTMLResponse, Response

from headoffice import aggregates_queries as q
from headoffice.aggregates import SHOP_ZONE
from headoffice.aggregates_queries import Filters
from headoffice.web import svg
from headoffice.web.pages import Page, euros, render
from headoffice.web.sales import page_context
from headoffice.web.sales_tables import TABLES
from till.fiscal.closure_totals import business_today
from till.note_codes import InvalidCreditNoteCode, parse_code

__all__ = ["PAGES"]


def credit_notes(request, user, _form) -> Response:
    f = Filters.from_query(request.query_params)
    tables = {name: TABLES[name](f, request.query_params) for name in ("credit-by-shop", "credit-notes")}
    chart = svg.bars("Outstanding credit by shop (today)", [(row[0], row[6]) for row in tables["credit-by-shop"].rows],
                     euros, "chart-credit")
    return render(request, user, "credit_notes.html", tables=tables, chart=chart, **page_context(request, f, ()))


def _note_page(request, user, history) -> Response:
    if history is None:
        return HTMLResponse("<!doctype html><title>Not found</title><p>Head office knows no such credit note.</p>",
                            status_code=404)
    return render(request, user, "credit_note.html", history=history, today=business_today(SHOP_ZONE))


def note_by_code(request, user, _form) -> Response:
    try:  # as typed: any case, dashes and spaces optional; a typo is no code
        code = parse_code(str(request.query_params.get("code") or "")[:60])
    except InvalidCreditNoteCode:
        return _note_page(request, user, None)
    return _note_page(request, user, q.note_history(code=code))


def note_by_id(request, user, _form) -> Response:
    try:
        note_id = int(request.path_params["note_id"])
    except ValueError:
        return _note_page(request, user, None)
    return _note_page(request, user, q.note_history(note_id=note_id))


PAGES = [
    Page("/credit-notes", "credit_notes", credit_notes, nav="Credit notes"),
    Page("/credit-notes/note", "credit_note_by_code", note_by_code, role="manager"),
    Page("/credit-notes/{note_id}", "credit_note", note_by_id, role="manager"),
]
