"""Staff PINs: scrypt hashes, login with lock-out, and manager approval.

A PIN is short, so it is stretched with scrypt and a per-user salt; the database never holds
a PIN. Three wrong PINs in a row lock the account until a manager unlocks it, and every
failure is written to the technical-event chain (L).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re

from store.models import MANAGER, ROLES, TECHNICIAN, User

from till.errors import TillError

MAX_FAILED_ATTEMPTS = 3
_N, _R, _P = 2**14, 8, 1


class AuthError(TillError):
    """A login or approval was refused."""


def hash_pin(pin: str) -> str:
    """The stored form of ``pin``: ``scrypt$N$r$p$salt$hash``."""
    check_pin_format(pin)
    salt = os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return "$".join(["scrypt", str(_N), str(_R), str(_P), _b64(salt), _b64(digest)])


def pin_matches(stored: str, pin: str) -> bool:
    """True when ``pin`` is the one hashed in ``stored`` (constant-time comparison)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        candidate = hashlib.scrypt(
            pin.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p), dklen=len(_unb64(digest))
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(candidate, _unb64(digest))


def check_pin_format(pin: str) -> None:
    """A PIN is 4 to 8 digits."""
    if not re.fullmatch(r"\d{4,8}", pin or ""):
        raise AuthError("A PIN is 4 to 8 digits")


def create_user(login: str, name: str, role: str, pin: str) -> User:
    """Add a member of staff (call inside the caller's transaction if it has one)."""
    if role not in ROLES:
        raise AuthError("Unknown role {role}", role=role)
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,32}", login or ""):
        raise AuthError("A login is 1 to 32 letters, digits, dots, dashes or underscores")
    if User.select().where(User.login == login).exists():
        raise AuthError("User {login} already exists", login=login)
    return User.create(login=login, name=name or login, role=role, pin_hash=hash_pin(pin))


def login(sealer, login_name: str, pin: str) -> User:
    """The user whose login and PIN match; failures are counted, logged and lock the account."""
    from till.fiscal.events import LOGIN, LOGIN_FAILED, USER_LOCKED, record_event

    user = User.get_or_none((User.login == (login_name or "").strip()) & (User.active == True))  # noqa: E712
    if user is None:
        record_event(sealer, LOGIN_FAILED, "unknown login", details={"login": (login_name or "")[:32]})
        raise AuthError("Wrong login or PIN")
    if user.locked:
        raise AuthError("Account {login} is locked after too many wrong PINs: a manager must unlock it",
                        login=user.login)
    if not pin_matches(user.pin_hash, pin or ""):
        user.failed_attempts += 1
        locked = user.failed_attempts >= MAX_FAILED_ATTEMPTS
        user.locked = locked
        with user._meta.database.atomic():
            user.save()
            record_event(sealer, LOGIN_FAILED, "wrong PIN", user_id=user.id,
                         details={"attempt": user.failed_attempts})
            if locked:
                record_event(sealer, USER_LOCKED, "locked after wrong PINs", user_id=user.id)
        if locked:
            raise AuthError("Wrong PIN: account {login} is now locked; a manager must unlock it", login=user.login)
        left = MAX_FAILED_ATTEMPTS - user.failed_attempts
        raise AuthError("Wrong login or PIN ({left} tries left)", left=left)
    with user._meta.database.atomic():
        if user.failed_attempts:
            user.failed_attempts = 0
            user.save()
        record_event(sealer, LOGIN, "login", user_id=user.id)
    return user


def authorize_manager(sealer, pin: str, reason: str, details: dict | None = None) -> User:
    """The manager (or technician) whose PIN this is, approving ``reason``; logged in chain L."""
    from till.fiscal.events import LOGIN_FAILED, MANAGER_OVERRIDE, record_event

    for manager in User.select().where(
        (User.role.in_([MANAGER, TECHNICIAN])) & (User.active == True) & (User.locked == False)  # noqa: E712
    ):
        if pin_matches(manager.pin_hash, pin or ""):
            record_event(sealer, MANAGER_OVERRIDE, reason, user_id=manager.id, details=details or {})
            return manager
    record_event(sealer, LOGIN_FAILED, "wrong manager PIN", details={"for": reason})
    raise AuthError("This PIN is not a manager's")


def logout(sealer, user: User) -> None:
    """End ``user``'s session at the till; recorded in chain L like the login."""
    from till.fiscal.events import LOGOUT, record_event

    record_event(sealer, LOGOUT, "logout", user_id=user.id)


def unlock(user: User) -> None:
    """Let a locked user log in again (a manager's action)."""
    user.failed_attempts = 0
    user.locked = False
    user.save()


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode())
