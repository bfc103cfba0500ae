"""Login sessions of the pages: a random token in a cookie, its SHA-256 in ``WebSession``.

A new token at each login (a token planted before the login is never promoted: no fixation);
the session ends at logout, after ``IDLE`` without a request, or ``LIFETIME`` after the login,
whichever comes first. The cookie is ``HttpOnly`` and ``SameSite=Strict``; over TLS it is
``Secure`` and named with the ``__Host-`` prefix, which browsers keep to this exact host and path.
The CSRF token of a session is derived from its token (an HMAC), so nothing more is stored and
it changes with every login.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

from headoffice.store import WebSession, utcnow

__all__ = ["IDLE", "LIFETIME", "cookie_name", "start_session", "session_of", "end_session", "csrf_of",
           "set_cookie", "clear_cookie", "token_of", "TOUCH_EVERY", "end_sessions_of", "secure"]

IDLE = dt.timedelta(minutes=30)
LIFETIME = dt.timedelta(hours=12)
TOUCH_EVERY = dt.timedelta(seconds=60)
"""``last_seen_at`` is written at most this often: a page's request is not a write each time."""
_NAME = "ho_session"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def secure(request: Request) -> bool:
    """Whether the request came over TLS (or through a TLS proxy uvicorn was told to trust)."""
    return request.url.scheme == "https"


def cookie_name(request: Request) -> str:
    return ("__Host-" + _NAME) if secure(request) else _NAME


def token_of(request: Request) -> str | None:
    return request.cookies.get(cookie_name(request)) or None


def start_session(username: str) -> str:
    """A new session of ``username``; returns the token for the cookie (held only as a hash)."""
    token = secrets.token_urlsafe(32)
    WebSession.create(token_hash=_digest(token), username=username)
    return token


def session_of(token: str | None, now: dt.datetime | None = None) -> WebSession | None:
    """The live session of ``token``, its ``last_seen_at`` moved on; None when unknown, ended,
    idle too long or too old (then ended for good)."""
    if not token:
        return None
    now = now or utcnow()
    row = WebSession.get_or_none(WebSession.token_hash == _digest(token))
    if row is None or row.ended:
        return None
    if now - row.last_seen_at > IDLE or now - row.created_at > LIFETIME:
        WebSession.update(ended=True).where(WebSession.id == row.id).execute()
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        WebSession.update(last_seen_at=now).where(WebSession.id == row.id).execute()
    return row


def end_session(token: str | None) -> None:
    if token:
        WebSession.update(ended=True).where(WebSession.token_hash == _digest(token)).execute()


def end_sessions_of(username: str) -> None:
    """End every session of ``username`` (password changed, account disabled)."""
    WebSession.update(ended=True).where(WebSession.username == username).execute()


def csrf_of(token: str) -> str:
    """The CSRF token of the session (or pre-login cookie) ``token``."""
    return hmac.new(token.encode("ascii", "replace"), b"csrf", hashlib.sha256).hexdigest()


def set_cookie(response: Response, request: Request, name: str, value: str) -> None:
    response.set_cookie(name, value, httponly=True, samesite="strict", secure=secure(request), path="/")


def clear_cookie(response: Response, request: Request, name: str) -> None:
    response.delete_cookie(name, httponly=True, samesite="strict", secure=secure(request), path="/")
