"""Staff PINs: scrypt hashes, login with lock-out, and manager approval.

A PIN is short, so it is stretched with scrypt and a per-user salt; the database never holds
a PIN. Three wrong PINs in a row lock the account until a manager unlocks it, and every
failure is written to the technical-event chain (L). A manager's approval is guarded the same
way: each wrong PIN counts against an account (the manager named, or the user who asked), so
the 10 000 four-digit PINs cannot be tried one after the other. An empty PIN is never counted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re

from store.models import MANAGER, ROLES, TECHNICIAN, User
from till.errors import TillError
from till.fiscal.events import LOGIN, LOGIN_FAILED, LOGOUT, MANAGER_OVERRIDE, USER_CHANGED, USER_LOCKED, record_event
from till.i18n import N_

MAX_FAILED_ATTEMPTS = 3
APPROVERS = (MANAGER, TECHNICIAN)
"""The roles whose PIN approves what a cashier may not do alone."""
_N, _R, _P = 2**14, 8, 1


class AuthError(TillError):
    """A login or approval was refused."""


class AccountLockedError(AuthError):
    """The account ``user`` is locked (just now, or before): its session must end."""

    def __init__(self, message: str, user: User, **params: object) -> None:
        super().__init__(message, **params)
        self.user = user


def is_approver(user: User) -> bool:
    """Whether ``user``'s own role approves what a cashier may not do alone (a manager, a
    technician): such a user is not asked for another manager's PIN."""
    return user.role in APPROVERS


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
    """A PIN is 4 to 8 digits, ASCII ones: ``\\d`` would take Arabic-Indic digits that no till
    keypad can type, locking their owner out."""
    if not re.fullmatch(r"[0-9]{4,8}", pin or ""):
        raise AuthError("A PIN is 4 to 8 digits")


def create_user(login: str, name: str, role: str, pin: str, sealer=None,
                description: str = "user added") -> User:
    """Add a member of staff (call inside the caller's transaction if it has one).

    Given a ``sealer``, the new account (login, role, active) is sealed in chain L as a
    USER_CHANGED event ("added") in the same transaction: the journal check
    (``till.people.users_check``) then holds the users table to its sealed events, so a user
    inserted or given another role outside the till is reported. Without one, nothing is sealed
    (a fixture, or a caller that seals the change itself).
    """
    if role not in ROLES:
        raise AuthError("Unknown role {role}", role=role)
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,32}", login or ""):
        raise AuthError("A login is 1 to 32 letters, digits, dots, dashes or underscores")
    if User.select().where(User.login == login).exists():
        raise AuthError("User {login} already exists", login=login)
    with User._meta.database.atomic():
        user = User.create(login=login, name=name or login, role=role, pin_hash=hash_pin(pin))
        if sealer is not None:
            record_event(sealer, USER_CHANGED, description, user_id=user.id,
                         details={"login": user.login, "role": user.role, "active": True, "change": "added"})
    return user


def login(sealer, login_name: str, pin: str) -> User:
    """The user whose login and PIN match; failures are counted, logged and lock the account.

    An empty PIN (a stray Enter) is refused before anything else and is not an attempt: two
    Enters and one typo must not lock a cashier out.
    """

    require_pin(pin, N_("Type your PIN, then Enter"))
    user = User.get_or_none((User.login == (login_name or "").strip()) & (User.active == True))  # noqa: E712
    if user is None:
        record_event(sealer, LOGIN_FAILED, "unknown login", details={"login": (login_name or "")[:32]})
        raise AuthError("Wrong login or PIN")
    _refuse_if_locked(user)
    if not pin_matches(user.pin_hash, pin):
        attempts = count_wrong_pin(sealer, user, "wrong PIN", {})
        if attempts >= MAX_FAILED_ATTEMPTS:
            raise AccountLockedError("Wrong PIN: account {login} is now locked; a manager must unlock it",
                                     user, login=user.login)
        raise AuthError("Wrong login or PIN ({left} tries left)", left=MAX_FAILED_ATTEMPTS - attempts)
    with user._meta.database.atomic():
        _reset_attempts(user)
        record_event(sealer, LOGIN, "login", user_id=user.id)
    return user


def authorize_manager(sealer, pin: str, reason: str, details: dict | None = None, *,
                      asked_by: User | None = None, login: str | None = None) -> User:
    """The manager (or technician) approving ``reason`` with ``pin``; logged in chain L.

    Every wrong PIN is counted against an account, exactly like a wrong login, so approvals
    cannot be brute-forced:

    * with ``login`` (the command line), only that manager's PIN is tried and a wrong one counts
      against that manager's account;
    * without it (a PIN typed on screen), any unlocked manager's PIN approves, and a wrong one
      counts against ``asked_by``, the user logged in at the till who asked: after three wrong
      PINs in a row that user is locked (``AccountLockedError``). A right PIN resets the count.

    With neither, nothing would be counted, so the approval is refused. An empty PIN is not an
    attempt. A locked manager's PIN never approves, and a locked asker cannot ask.
    """

    require_pin(pin, N_("Type the manager's PIN, then Enter"))
    if login is not None:
        manager = _manager_by_login(sealer, login, reason)
        counted, candidates = manager, [manager]
    elif asked_by is not None:
        counted = User.get_by_id(asked_by.id)  # fresh: another till may have locked it meanwhile
        _refuse_if_locked(counted)
        candidates = User.select().where(
            (User.role.in_(APPROVERS)) & (User.active == True) & (User.locked == False)  # noqa: E712
        )
    else:
        raise AuthError("Give the manager's login with the PIN")
    for manager in candidates:
        if pin_matches(manager.pin_hash, pin):
            with manager._meta.database.atomic():
                _reset_attempts(counted)
                if manager.id != counted.id:
                    _reset_attempts(manager)
                record_event(sealer, MANAGER_OVERRIDE, reason, user_id=manager.id, details=details or {})
            return manager
    attempts = count_wrong_pin(sealer, counted, "wrong manager PIN",
                               {"for": reason, **({"asked_by": counted.login} if login is None else {})})
    if attempts >= MAX_FAILED_ATTEMPTS:
        raise AccountLockedError("Too many wrong manager PINs: account {login} is now locked; a manager must "
                                 "unlock it", counted, login=counted.login)
    if login is not None:
        raise AuthError("Wrong PIN for {login} ({left} tries left)", login=counted.login,
                        left=MAX_FAILED_ATTEMPTS - attempts)
    raise AuthError("This PIN is not a manager's ({left} tries left)", left=MAX_FAILED_ATTEMPTS - attempts)


def require_pin(pin: str | None, message: str) -> None:
    """Refuse an empty PIN with ``message``: it is a stray Enter, not an attempt, so nothing is
    counted or recorded."""
    if not (pin or "").strip():
        raise AuthError(message)


def count_wrong_pin(sealer, user: User, description: str, details: dict) -> int:
    """One more wrong PIN on ``user``'s account, sealed as LOGIN_FAILED (and USER_LOCKED at the
    third, which locks it); returns the number of wrong PINs in a row.

    The count is incremented in the database, not in this process, so two tills failing on
    the same account at once still count two attempts.
    """

    with user._meta.database.atomic():
        User.update(failed_attempts=User.failed_attempts + 1).where(User.id == user.id).execute()
        attempts = User.get_by_id(user.id).failed_attempts
        locked = attempts >= MAX_FAILED_ATTEMPTS
        if locked:
            User.update(locked=True).where(User.id == user.id).execute()
        record_event(sealer, LOGIN_FAILED, description, user_id=user.id, details={**details, "attempt": attempts})
        if locked:
            record_event(sealer, USER_LOCKED, "locked after wrong PINs", user_id=user.id,
                         details={"after": description})
    user.failed_attempts, user.locked = attempts, locked
    return attempts


def _reset_attempts(user: User) -> None:
    """A right PIN: the count of wrong ones starts again (in the database, whatever this copy
    of the user says)."""
    User.update(failed_attempts=0).where((User.id == user.id) & (User.failed_attempts != 0)).execute()
    user.failed_attempts = 0


def _refuse_if_locked(user: User) -> None:
    if user.locked:
        raise AccountLockedError("Account {login} is locked after too many wrong PINs: a manager must unlock it",
                                 user, login=user.login)


def _manager_by_login(sealer, login_name: str, reason: str) -> User:
    """The active manager or technician ``login_name``; anyone else is refused (and logged)."""

    manager = User.get_or_none((User.login == (login_name or "").strip()) & (User.active == True))  # noqa: E712
    if manager is None or manager.role not in APPROVERS:
        record_event(sealer, LOGIN_FAILED, "not a manager's login",
                     details={"login": (login_name or "")[:32], "for": reason})
        raise AuthError("{login} is not a manager's login", login=(login_name or "").strip())
    _refuse_if_locked(manager)
    return manager


def logout(sealer, user: User) -> None:
    """End ``user``'s session at the till; recorded in chain L like the login."""

    record_event(sealer, LOGOUT, "logout", user_id=user.id)


def unlock(user: User) -> None:
    """Let a locked user log in again (a manager's action). Only the two lock-out columns are
    written: ``user`` may be a copy read a while ago (a list on screen)."""
    User.update(failed_attempts=0, locked=False).where(User.id == user.id).execute()
    user.failed_attempts, user.locked = 0, False


def unlock_account(sealer, user: User, description: str, by: User | None = None) -> None:
    """Unlock ``user`` and seal it in chain L (USER_CHANGED, like every change to staff), in
    one transaction; ``by`` is the approving manager when there is one (on screen)."""

    details = {"login": user.login, "change": "unlocked", **({"by": by.login} if by is not None else {})}
    with user._meta.database.atomic():
        unlock(user)
        record_event(sealer, USER_CHANGED, description, user_id=user.id, details=details)


def locked_users() -> list[User]:
    """The active accounts locked by wrong PINs, by login: what a manager may unlock."""
    return list(User.select().where((User.locked == True) & (User.active == True)).order_by(User.login))  # noqa: E712


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode())
