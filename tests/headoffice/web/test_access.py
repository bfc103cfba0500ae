"""Every page of every module of ``PAGE_MODULES`` is refused without a login, below its role,
and, for a POST, without the session's CSRF token or from another site's form: the checks of
``headoffice.web.routes``, held for each page as soon as its module is named."""

from __future__ import annotations

import re

import pytest

from headoffice.web.accounts import ROLES
from headoffice.web.pages import all_pages
from tests.support.ho_web import csrf_of

PAGES = all_pages()


def concrete(path: str) -> str:
    """``path`` with each ``{param}`` (or ``{param:int}``) given a value."""
    return re.sub(r"\{[^}]+\}", "1", path)


def _id(page) -> str:
    return page.name


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_a_page_sends_a_stranger_to_the_login(ho_web, page):
    client = ho_web.client()
    for method in page.methods:
        response = client.request(method, concrete(page.path), data={"csrf": "x"} if method == "POST" else None)
        if method == "GET":
            assert response.status_code == 303
            assert response.headers["location"].startswith("/login?next=")
        else:
            assert response.status_code == 403
        assert "csrf" not in response.text  # no page, no token


@pytest.mark.parametrize(("page", "role"), [(page, role) for page in PAGES
                                            for role in ROLES[:ROLES.index(page.role)]],
                         ids=lambda value: value if isinstance(value, str) else value.name)
def test_a_page_is_refused_below_its_role(ho_web, page, role):
    client = ho_web.logged_in(role)
    token = csrf_of(client.get("/").text)
    for method in page.methods:
        response = client.request(method, concrete(page.path), data={"csrf": token} if method == "POST" else None)
        assert response.status_code == 403
        assert "needs a higher role" in response.text


POSTED = [page for page in PAGES if "POST" in page.methods]


@pytest.mark.parametrize("page", POSTED, ids=_id)
def test_a_form_without_the_sessions_csrf_token_is_refused(ho_web, page):
    client = ho_web.logged_in(page.role)
    other = ho_web.logged_in(page.role)  # another session's token is not this one's
    foreign = csrf_of(other.get("/").text)
    path = concrete(page.path)
    for data in ({}, {"csrf": ""}, {"csrf": "0" * 64}, {"csrf": foreign}):
        response = client.post(path, data=data)
        assert response.status_code == 403, data
        assert "expired or was not this site" in response.text


@pytest.mark.parametrize("page", POSTED, ids=_id)
def test_a_form_posted_from_another_site_is_refused_even_with_the_token(ho_web, page):
    client = ho_web.logged_in(page.role)
    token = csrf_of(client.get("/").text)
    path = concrete(page.path)
    for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}):
        response = client.post(path, data={"csrf": token}, headers=headers)
        assert response.status_code == 403, headers
        assert "another site" in response.text


def test_every_page_module_is_loaded_and_names_are_unique():
    names = [page.name for page in PAGES]
    assert len(names) == len(set(names))
    assert {"home", "admin_users", "admin_log"} <= set(names)
