"""The pages as Starlette routes: every page behind the login session, its role and, for a POST,
the CSRF token and the ``Origin``; the login and logout; the stylesheet; the security headers.

The checks live here, once, so a page module never forgets one: a view is called only for a
user whose role reaches its page's, with a form whose CSRF token matched. The tills' API keeps
its own authentication (``headoffice.auth``) and is not affected.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
import time
from typing import Any
from urllib.parse import parse_qsl, quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from headoffice.limits import TooLarge, read_within
from headoffice.store import proxy
from headoffice.web.accounts import User, active_user, authenticate
from headoffice.web.audit import audit
from headoffice.web.pages import TEMPLATES, Page, all_pages, forbidden, redirect, render
from headoffice.web.sessions import (clear_cookie, cookie_name, csrf_of, end_session, secure, session_of, set_cookie,
                                     start_session, token_of)

__all__ = ["page_routes", "MAX_FORM", "FAILED_LOGIN_FLOOR_S"]

MAX_FORM = 64 * 1024
"""A page's form is a few fields: a larger body is refused unread."""
FAILED_LOGIN_FLOOR_S = 1.0
"""A failed login is answered no sooner than this after it came, whatever failed: the time taken
tells nothing of whether the username exists."""
_STATIC = TEMPLATES.parent / "static"
_LOGIN_COOKIE = "ho_login"


def _headers(request: Request, response: Response) -> Response:
    """The security headers of every page: no framing, no inline script or style without the
    request's nonce, no referrer sent to another site, nothing kept in a cache."""
    nonce = getattr(request.state, "csp_nonce", "")
    nonced = f" 'nonce-{nonce}'" if nonce else ""
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; script-src 'self'{nonced}; style-src 'self'{nonced}; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    # same-origin, not no-referrer: under no-referrer Chromium sends "Origin: null" with the
    # site's own forms, which the cross-site check then refuses (the browser tests saw it)
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers.setdefault("Cache-Control", "no-store")
    if secure(request):
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    return response


def _refused(request: Request, status: int, message: str) -> Response:
    return _headers(request, HTMLResponse(f"<!doctype html><title>Refused</title><p>{message}</p>", status_code=status))


def _cross_site(request: Request) -> bool:
    """Whether a POST comes from another site: its ``Origin`` (sent by browsers on every POST)
    is not this server's, or the browser says so in ``Sec-Fetch-Site``."""
    origin = request.headers.get("origin")
    if origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}":
        return True
    return request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none")


async def _form(request: Request) -> dict[str, str] | None:
    """The urlencoded fields POSTed (the last of a repeated name), or None when too large."""
    try:
        body = await read_within(request, MAX_FORM)
    except (TooLarge, ClientDisconnect):
        return None
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def _user_of(token: str | None) -> User | None:
    with proxy.obj.connection_context():
        session = session_of(token)
        return None if session is None else active_user(session.username)


def _address(request: Request) -> str:
    return request.client.host if request.client else "?"


def _page_endpoint(page: Page):
    async def endpoint(request: Request) -> Response:
        request.state.csp_nonce = secrets.token_urlsafe(16)
        token = token_of(request)
        user = await run_in_threadpool(_user_of, token)
        if user is None:
            if request.method == "GET":
                path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return _headers(request, redirect("/login?next=" + quote(path, safe="")))
            return _refused(request, 403, "Log in first.")
        request.state.csrf_token = csrf_of(token)
        if not user.may(page.role):
            return _headers(request, forbidden(request, user))
        form = None
        if request.method == "POST":
            if _cross_site(request):
                return _refused(request, 403, "A form of another site was refused.")
            form = await _form(request)
            if form is None:
                return _refused(request, 413, "The form is too large.")
            if not hmac.compare_digest(form.pop("csrf", "").encode(), request.state.csrf_token.encode()):
                return _refused(request, 403, "The form had expired or was not this site's: open the page again.")

        def run() -> Response:
            with proxy.obj.connection_context():
                return page.view(request, user, form)

        return _headers(request, await run_in_threadpool(run))

    return endpoint


def _next_of(value: str | None) -> str:
    """Where to go after the login: a path of this site only (never ``//host`` or a URL)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def _login_form(request: Request, pre: str, status: int = 200, message: str = "", **context: Any) -> Response:
    request.state.csrf_token = csrf_of(pre)
    response = render(request, None, "login.html", status_code=status, message=message,
                      next=_next_of(request.query_params.get("next")), **context)
    set_cookie(response, request, _login_cookie(request), pre)
    return _headers(request, response)


def _login_cookie(request: Request) -> str:
    return ("__Host-" + _LOGIN_COOKIE) if secure(request) else _LOGIN_COOKIE


async def login_page(request: Request) -> Response:
    request.state.csp_nonce = ""
    pre = request.cookies.get(_login_cookie(request)) or secrets.token_urlsafe(32)
    return _login_form(request, pre)


async def login_submit(request: Request) -> Response:
    """Check the login form; a failure waits out ``FAILED_LOGIN_FLOOR_S`` and says only that the
    login failed (unknown user, wrong password, disabled and locked all answer the same)."""
    started = time.monotonic()
    request.state.csp_nonce = ""
    pre = request.cookies.get(_login_cookie(request))
    if _cross_site(request) or not pre:
        return _refused(request, 403, "A form of another site was refused.")
    form = await _form(request)
    if form is None or not hmac.compare_digest(form.get("csrf", "").encode(), csrf_of(pre).encode()):
        return _refused(request, 403, "The form had expired: open the login page again.")
    username, password = form.get("username", "").strip(), form.get("password", "")

    def check() -> tuple[User | None, str | None]:
        with proxy.obj.connection_context():
            user = authenticate(username, password, _address(request))
            if user is None:
                return None, None
            end_session(token_of(request))  # a session held before is never carried over
            return user, start_session(user.username)

    user, token = await run_in_threadpool(check)
    if user is None:
        await asyncio.sleep(max(0.0, FAILED_LOGIN_FLOOR_S - (time.monotonic() - started)))
        return _login_form(request, secrets.token_urlsafe(32), 401,
                           "Wrong username or password, or too many failed logins: try again later.",
                           username=username)
    response = redirect(_next_of(form.get("next")))
    set_cookie(response, request, cookie_name(request), token)
    clear_cookie(response, request, _login_cookie(request))
    return _headers(request, response)


async def logout(request: Request) -> Response:
    request.state.csp_nonce = ""
    token = token_of(request)
    user = await run_in_threadpool(_user_of, token)
    if user is None:
        return _headers(request, redirect("/login"))
    form = await _form(request) if not _cross_site(request) else None
    if form is None or not hmac.compare_digest(form.get("csrf", "").encode(), csrf_of(token).encode()):
        return _refused(request, 403, "The form had expired or was not this site's: open the page again.")

    def end() -> None:
        with proxy.obj.connection_context():
            end_session(token)
            audit(user, "logout", "", _address(request))

    await run_in_threadpool(end)
    response = redirect("/login")
    clear_cookie(response, request, cookie_name(request))
    return _headers(request, response)


async def stylesheet(request: Request) -> Response:
    response = Response((_STATIC / "ho.css").read_bytes(), media_type="text/css; charset=utf-8",
                        headers={"Cache-Control": "max-age=3600"})
    return _headers(request, response)


def page_routes() -> list[Route]:
    """The routes of the login, the logout, the stylesheet and every page of ``PAGE_MODULES``."""
    routes = [
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login_submit, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/static/ho.css", stylesheet, methods=["GET"]),
    ]
    names: set[str] = set()
    for page in all_pages():
        if page.name in names:
            raise ValueError(f"two pages are named {page.name}")
        names.add(page.name)
        routes.append(Route(page.path, _page_endpoint(page), methods=list(page.methods), name=page.name))
    return routes
