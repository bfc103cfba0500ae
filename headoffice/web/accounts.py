"""Head-office users: roles, creation, passwords, disabling, and the login with its lock-out.

A login that fails answers the same whether the username is unknown, the password wrong, the
account disabled or locked: the password is always checked (against a dummy hash for an unknown
name), so neither the answer nor the work done tells an attacker which usernames exist. The
lock-out counts failures per username (known or not) and per client address over a window; an
admin unlocks a username (``unlock``), which clears its failures by a flag, keeping them.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from dataclasses import dataclass

from headoffice.store import WebLoginFailure, WebUser, proxy, utcnow
from headoffice.web.audit import audit
from headoffice.web.passwords import COST, dummy_hash, hash_password, verify_password
from headoffice.web.sessions import end_sessions_of

__all__ = ["ROLES", "User", "UserError", "add_user", "set_password", "disable_user", "unlock", "list_users",
           "active_user", "authenticate", "locked", "MAX_FAILURES_PER_USER", "MAX_FAILURES_PER_ADDRESS",
           "WINDOW", "MIN_PASSWORD"]

ROLES = ("viewer", "manager", "admin")
"""In increasing power: a role may open every page of the roles before it."""
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_ADDRESS = 20
"""Higher than a username's: a shop's staff may share one address behind its router."""
WINDOW = dt.timedelta(minutes=15)
MIN_PASSWORD = 10
CONCURRENT_CHECKS = 2
_CHECKING = threading.BoundedSemaphore(CONCURRENT_CHECKS)
"""Each check holds scrypt's memory (128 MiB at ``COST``): a burst of logins queues here rather
than taking a cheap server's memory."""
_USERNAME = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")


class UserError(ValueError):
    """A user command that cannot be done (unknown user, bad role, weak password)."""


@dataclass(frozen=True)
class User:
    """Who a page is shown to: what a view receives as ``user``."""

    username: str
    role: str

    def may(self, role: str) -> bool:
        """Whether this user's role reaches ``role``."""
        return ROLES.index(self.role) >= ROLES.index(role)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"a password has at least {MIN_PASSWORD} characters")


def add_user(username: str, role: str, password: str, cost: int = COST) -> User:
    if not _USERNAME.match(username):
        raise UserError("a username is 1 to 64 letters, digits or . _ @ -")
    if role not in ROLES:
        raise UserError(f"a role is one of {', '.join(ROLES)}")
    _check_password(password)
    with proxy.obj.atomic():
        if WebUser.get_or_none(WebUser.username == username) is not None:
            raise UserError(f"user {username} exists")
        WebUser.create(username=username, role=role, password_hash=hash_password(password, cost))
    return User(username, role)


def _existing(username: str) -> WebUser:
    row = WebUser.get_or_none(WebUser.username == username)
    if row is None:
        raise UserError(f"no user {username}")
    return row


def set_password(username: str, password: str, cost: int = COST) -> None:
    _check_password(password)
    row = _existing(username)
    WebUser.update(password_hash=hash_password(password, cost)).where(WebUser.id == row.id).execute()
    end_sessions_of(username)  # whoever held the old password is logged out


def disable_user(username: str) -> None:
    """Disable ``username``: no more logins, and the sessions open end at their next request."""
    row = _existing(username)
    WebUser.update(disabled=True).where(WebUser.id == row.id).execute()
    end_sessions_of(username)


def unlock(username: str, by: str) -> int:
    """Clear the failures that lock ``username`` out; returns how many. Logged."""
    cleared = (WebLoginFailure.update(cleared=True)
               .where((WebLoginFailure.username == username) & (WebLoginFailure.cleared == False))  # noqa: E712
               .execute())
    audit(by, "unlock", f"{username}: {cleared} failed logins cleared")
    return cleared


def list_users() -> list[WebUser]:
    return list(WebUser.select().order_by(WebUser.username))


def active_user(username: str) -> User | None:
    """The user ``username`` when it exists and is not disabled."""
    row = WebUser.get_or_none((WebUser.username == username) & (WebUser.disabled == False))  # noqa: E712
    return None if row is None else User(row.username, row.role)


def _failures_since(condition, now: dt.datetime) -> int:
    return (WebLoginFailure.select()
            .where(condition & (WebLoginFailure.at > now - WINDOW) & (WebLoginFailure.cleared == False))  # noqa: E712
            .count())


def locked(username: str, address: str, now: dt.datetime | None = None) -> bool:
    """Whether logins for ``username`` or from ``address`` are refused now."""
    now = now or utcnow()
    return (_failures_since(WebLoginFailure.username == username, now) >= MAX_FAILURES_PER_USER
            or _failures_since(WebLoginFailure.address == address, now) >= MAX_FAILURES_PER_ADDRESS)


def authenticate(username: str, password: str, address: str) -> User | None:
    """The user when ``password`` is right and nothing refuses the login, else None; every
    outcome audited. The password is checked even when the answer is already no."""
    username = username[:64]
    row = WebUser.get_or_none(WebUser.username == username)
    with _CHECKING:
        right = verify_password(password, row.password_hash if row is not None else dummy_hash())
    if locked(username, address):
        audit(username, "login_refused_locked", "", address)
        return None
    if right and row is not None and not row.disabled:
        audit(username, "login", "", address)
        return User(row.username, row.role)
    WebLoginFailure.create(username=username, address=address[:64])
    audit(username, "login_failed", "disabled account" if row is not None and right else "", address)
    if locked(username, address):
        audit(username, "locked_out", f"{MAX_FAILURES_PER_USER} failures in {WINDOW} (or the address's)", address)
    return None
