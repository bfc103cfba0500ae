"""The framework of head office's pages: what a page module declares and the helpers it uses.

A page module exposes ``PAGES: list[Page]`` and is named in ``PAGE_MODULES``. A view is a plain
function ``view(request, user, form) -> Response`` run in a worker thread on its own database
connection, only once ``headoffice.web.routes`` has checked the login session, the role and, for
a POST, the CSRF token and the ``Origin``; ``form`` is the POSTed fields (None for a GET).
Templates (``headoffice/templates``) extend ``base.html``; Jinja2 escapes every value.
"""

from __future__ import annotations

import csv
import functools
import importlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from headoffice.web.accounts import ROLES
from headoffice.web.audit import audit

__all__ = ["Page", "PAGE_MODULES", "all_pages", "render", "csv_response", "forbidden", "redirect", "euros",
           "audit", "TEMPLATES"]

PAGE_MODULES: tuple[str, ...] = (
    "headoffice.web.home",
    "headoffice.web.admin",
    "headoffice.web.shops",
    "headoffice.web.alerts",
    "headoffice.web.sales",
    "headoffice.web.credit_pages",
    "headoffice.web.exports",
)
"""Every module of pages; each adds its ``PAGES`` to the app, the menu and the access tests."""

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@dataclass(frozen=True)
class Page:
    """A page: its path (Starlette's, e.g. ``/shops/{shop_id}``), a unique name, its view, the
    least role that may open it, its methods, and its label in the menu (None: reached by a link)."""

    path: str
    name: str
    view: Callable[..., Response]
    role: str = "viewer"
    methods: tuple[str, ...] = ("GET",)
    nav: str | None = None

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"page {self.name}: role {self.role!r} is not one of {ROLES}")


@functools.cache
def all_pages() -> tuple[Page, ...]:
    """The pages of every module of ``PAGE_MODULES``, in their order (loaded once, by name, so
    the page modules may import this one)."""
    pages: list[Page] = []
    for name in PAGE_MODULES:
        pages += importlib.import_module(name).PAGES
    return tuple(pages)


@functools.cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                                     undefined=jinja2.StrictUndefined)
    environment.filters["euros"] = euros
    return environment


def render(request: Request, user: Any, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """``template`` rendered with ``context`` plus ``user``, ``csrf_token``, ``nav`` (the menu
    entries ``user``'s role may open), ``csp_nonce`` (for a ``<script nonce>``) and ``request``;
    answered with ``status_code``."""
    nav = [page for page in all_pages() if page.nav and user is not None and user.may(page.role)]
    html = _environment().get_template(template).render(
        request=request, user=user, nav=nav, csrf_token=getattr(request.state, "csrf_token", ""),
        csp_nonce=getattr(request.state, "csp_nonce", ""), **context)
    return HTMLResponse(html, status_code=status_code)


def csv_response(filename: str, header: Iterable[str], rows: Iterable[Iterable[Any]]) -> Response:
    """A CSV download (UTF-8 with its BOM, so a spreadsheet opens accents right). A cell starting
    with = + - @ is prefixed with ' so a spreadsheet never runs it as a formula."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(list(header))
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    safe = "".join(c for c in filename if c.isalnum() or c in "._-") or "export.csv"
    return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{safe}"'})


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def forbidden(request: Request | None = None, user: Any = None) -> Response:
    """403: the page is not for this user's role."""
    if request is None:
        return HTMLResponse("<!doctype html><title>Forbidden</title><p>This page is not open to you.</p>",
                            status_code=403)
    return render(request, user, "forbidden.html", status_code=403)


def redirect(url: str) -> Response:
    """303 to ``url`` (after a POST, the browser GETs it)."""
    return RedirectResponse(url, status_code=303)


def euros(cents: int) -> str:
    """Cents as French euros, "1 234,56 €", by integer arithmetic (a float is refused)."""
    if not isinstance(cents, int) or isinstance(cents, bool):
        raise TypeError(f"euros() takes integer cents, not {type(cents).__name__}")
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    grouped = f"{whole:,}".replace(",", " ")  # plain spaces; ``.num`` cells never wrap (ho.css)
    return f"{sign}{grouped},{part:02d} €"
