"""The pages' users, sessions, lock-out and audit log on PostgreSQL, head office's engine for a
chain, and served by the real server (uvicorn) as a browser meets them."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from headoffice.store import proxy
from headoffice.web.accounts import MAX_FAILURES_PER_USER, authenticate
from headoffice.web.audit import entries
from tests.support.ho_web import PASSWORD, post_form, serve

pytestmark = pytest.mark.postgres


def test_login_logout_and_lock_out_on_postgresql(ho_web_pg):
    client = ho_web_pg.logged_in("manager")
    assert "Logged in as <strong>manon</strong>, manager" in client.get("/").text
    assert client.get("/admin/users").status_code == 403
    assert post_form(client, "/logout", {}, page="/").status_code == 303
    assert client.get("/").status_code == 303
    with proxy.obj.connection_context():
        for _ in range(MAX_FAILURES_PER_USER):
            authenticate("vera", "guess", "192.0.2.9")
        assert authenticate("vera", PASSWORD, "192.0.2.10") is None
        actions = {entry.action for entry in entries()}
    assert {"login", "logout", "login_failed", "locked_out", "login_refused_locked"} <= actions


def test_the_real_server_sends_a_stranger_to_the_login_page(ho_web_pg):
    server = serve(ho_web_pg)
    try:
        class Keep(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.build_opener(Keep).open(server.url + "/admin/log", timeout=10)
        assert answer.value.code == 303 and answer.value.headers["location"] == "/login?next=%2Fadmin%2Flog"
        with urllib.request.urlopen(server.url + "/login", timeout=10) as page:
            assert page.status == 200 and page.headers["x-frame-options"] == "DENY"
    finally:
        server.stop()
