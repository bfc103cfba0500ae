"""Head office's pages under test: the real app on a real database with a user of each role,
driven by Starlette's TestClient (or served by uvicorn for a browser).

Fixtures (registered by tests/headoffice/web/conftest.py; another directory imports them in its
own conftest.py): ``ho_web`` on a SQLite file, ``ho_web_pg`` on PostgreSQL. Helpers: ``login``,
``csrf_of``, ``post_form``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from starlette.testclient import TestClient

PASSWORD = "a long enough passphrase"
"""Every fixture user's password."""
USERS = {"viewer": "vera", "manager": "manon", "admin": "ada"}
"""The fixture's user of each role."""
TEST_COST = 2 ** 14
"""scrypt's N for the fixture's users: the code path and format of production's, at an eighth of
its memory, so a suite that logs in hundreds of times stays quick (the hash carries its N)."""
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class WebOffice:
    """A head-office app on ``database_url`` with ``USERS`` added."""

    database_url: str
    app: object = field(default=None)

    def __post_init__(self) -> None:
        from headoffice.app import create_app
        from headoffice.store import proxy
        from headoffice.web.accounts import add_user

        self.app = create_app(self.database_url)
        with proxy.obj.connection_context():
            for role, username in USERS.items():
                add_user(username, role, PASSWORD, cost=TEST_COST)

    def client(self, https: bool = False) -> TestClient:
        """A browser-like client (keeps cookies; redirects not followed, so tests see them)."""
        return TestClient(self.app, base_url="https://testserver" if https else "http://testserver",
                          follow_redirects=False)

    def logged_in(self, role: str, https: bool = False) -> TestClient:
        """A client logged in as the fixture's user of ``role``."""
        client = self.client(https)
        response = login(client, USERS[role], PASSWORD)
        assert response.status_code == 303, response.text
        return client


def csrf_of(html: str) -> str:
    """The CSRF token in a page's form."""
    match = _CSRF.search(html)
    assert match, "no form with a csrf field on the page"
    return match.group(1)


def login(client: TestClient, username: str, password: str, next_path: str = "/"):
    """Log in through the login page as a browser does; the answer to the POST (303 when it worked)."""
    page = client.get("/login")
    return client.post("/login", data={"csrf": csrf_of(page.text), "username": username, "password": password,
                                       "next": next_path})


def post_form(client: TestClient, path: str, fields: dict[str, str], page: str | None = None):
    """POST ``fields`` to ``path`` with the CSRF token of the form on ``page`` (default: ``path``)."""
    html = client.get(page or path).text
    return client.post(path, data={"csrf": csrf_of(html), **fields})


@pytest.fixture
def ho_web(tmp_path) -> WebOffice:
    return WebOffice(f"sqlite:///{tmp_path / 'headoffice.db'}")


@pytest.fixture
def ho_web_pg(pg_url) -> WebOffice:
    return WebOffice(pg_url)


def serve(office: WebOffice, tls: tuple[str, str] | None = None):
    """The same head office served by uvicorn on loopback, for a real browser (``.url``; the
    caller stops it): ``HeadOffice`` of tests/support/headoffice.py on the office's database."""
    from tests.support.headoffice import HeadOffice

    return HeadOffice(office.database_url, tls=tls).start()
