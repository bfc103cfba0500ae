"""Logins and their sessions: the cookie's flags, a new session at each login, the logout ending
it on the server, and the idle and absolute limits."""

from __future__ import annotations

import datetime as dt

from headoffice.store import WebSession, proxy, utcnow
from headoffice.web.sessions import IDLE, LIFETIME, session_of
from tests.support.ho_web import PASSWORD, USERS, csrf_of, login, post_form


def test_the_home_page_says_who_is_logged_in_and_links_to_the_pages_of_their_role(ho_web):
    viewer = ho_web.logged_in("viewer").get("/")
    assert viewer.status_code == 200
    assert "Logged in as <strong>vera</strong>, viewer" in viewer.text
    assert "/admin/users" not in viewer.text
    admin = ho_web.logged_in("admin").get("/")
    assert 'href="/admin/users"' in admin.text and 'href="/admin/log"' in admin.text


def test_the_session_cookie_is_httponly_and_strict_and_over_tls_secure_and_host_prefixed(ho_web):
    plain = login(ho_web.client(), "vera", PASSWORD)
    cookie = [v for v in plain.headers.get_list("set-cookie") if v.startswith("ho_session=")][0]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
    tls = login(ho_web.client(https=True), "vera", PASSWORD)
    cookie = [v for v in tls.headers.get_list("set-cookie") if v.startswith("__Host-ho_session=")][0]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" in cookie and "Path=/" in cookie
    assert "Domain" not in cookie


def test_the_server_holds_only_a_hash_of_the_token(ho_web):
    client = ho_web.logged_in("viewer")
    token = client.cookies.get("ho_session")
    with proxy.obj.connection_context():
        hashes = [row.token_hash for row in WebSession.select()]
    assert token not in hashes and len(hashes) == 1 and len(hashes[0]) == 64


def test_each_login_starts_a_new_session_and_ends_the_one_held_before(ho_web):
    client = ho_web.client()
    client.cookies.set("ho_session", "planted-by-an-attacker")  # fixation: never promoted
    first = _new_session(login(client, "vera", PASSWORD))
    assert first and first != "planted-by-an-attacker"
    client = ho_web.client()
    client.cookies.set("ho_session", first)
    second = _new_session(login(client, "vera", PASSWORD))
    assert second != first
    stale = ho_web.client()
    stale.cookies.set("ho_session", first)
    assert stale.get("/").status_code == 303  # the first session ended at the second login


def _new_session(response) -> str:
    """The session token a login's answer sets."""
    cookie = [v for v in response.headers.get_list("set-cookie") if v.startswith("ho_session=")][0]
    return cookie.split(";")[0].split("=", 1)[1]


def test_logout_ends_the_session_on_the_server(ho_web):
    client = ho_web.logged_in("viewer")
    token = client.cookies.get("ho_session")
    answer = post_form(client, "/logout", {}, page="/")
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    replay = ho_web.client()
    replay.cookies.set("ho_session", token)  # a copy of the cookie kept from before the logout
    assert replay.get("/").status_code == 303


def test_logout_needs_the_csrf_token(ho_web):
    client = ho_web.logged_in("viewer")
    assert client.post("/logout", data={"csrf": "nope"}).status_code == 403
    assert client.get("/").status_code == 200


def test_a_session_ends_after_its_idle_time_and_after_its_lifetime(ho_web):
    client = ho_web.logged_in("viewer")
    token = client.cookies.get("ho_session")
    now = utcnow()
    with proxy.obj.connection_context():
        assert session_of(token, now + IDLE - dt.timedelta(seconds=5)) is not None  # used: idle clock restarts
        assert session_of(token, now + IDLE + dt.timedelta(minutes=1)) is not None
        assert session_of(token, now + LIFETIME + dt.timedelta(seconds=1)) is None  # too old, however busy
        assert session_of(token, now) is None  # and ended for good
    other = ho_web.logged_in("viewer")
    with proxy.obj.connection_context():
        assert session_of(other.cookies.get("ho_session"), utcnow() + IDLE + dt.timedelta(seconds=61)) is None


def test_the_login_goes_back_to_the_page_asked_for_but_never_off_site(ho_web):
    client = ho_web.client()
    assert login(client, "ada", PASSWORD, "/admin/log").headers["location"] == "/admin/log"
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        assert login(ho_web.client(), "ada", PASSWORD, target).headers["location"] == "/"


def test_a_disabled_user_is_logged_out_at_the_next_request(ho_web):
    from headoffice.web.accounts import disable_user

    client = ho_web.logged_in("viewer")
    with proxy.obj.connection_context():
        disable_user(USERS["viewer"])
    assert client.get("/").status_code == 303
    assert login(ho_web.client(), "vera", PASSWORD).status_code == 401


def test_the_login_form_needs_its_own_csrf_token(ho_web):
    client = ho_web.client()
    client.get("/login")
    answer = client.post("/login", data={"csrf": "forged", "username": "vera", "password": PASSWORD})
    assert answer.status_code == 403
    fresh = ho_web.client()  # no login cookie at all: a form posted from elsewhere
    page = client.get("/login")
    answer = fresh.post("/login", data={"csrf": csrf_of(page.text), "username": "vera", "password": PASSWORD})
    assert answer.status_code == 403
