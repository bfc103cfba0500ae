"""The home page: who is logged in, and the pages their role opens."""

from __future__ import annotations

from headoffice.web.pages import Page, all_pages, render


def home(request, user, _form):
    pages = [page for page in all_pages() if page.nav and user.may(page.role) and page.path != "/"]
    return render(request, user, "home.html", pages=pages)


PAGES = [Page("/", "home", home, nav="Home")]
