"""The tables of head office's pages' people: users, their login sessions, failed logins and the
audit log (``headoffice.web``).
"""

from __future__ import annotations

import peewee

from headoffice.store_base import _Model, utcnow

__all__ = ["WebUser", "WebSession", "WebLoginFailure", "WebAudit"]

class WebUser(_Model):
    """A person who reads head office's pages (``headoffice.web``): the password as an scrypt
    hash with its salt and parameters (``headoffice.web.passwords``); never deleted, disabled."""

    username = peewee.CharField(max_length=64, unique=True)
    password_hash = peewee.CharField(max_length=255)
    role = peewee.CharField(max_length=16)
    created_at = peewee.DateTimeField(default=utcnow)
    disabled = peewee.BooleanField(default=False)


class WebSession(_Model):
    """A login session of the pages: only the SHA-256 of its cookie's token is held, so a copy of
    the database opens no session. Ended at logout; refused after its idle time or lifetime."""

    token_hash = peewee.CharField(max_length=64, unique=True)
    username = peewee.CharField(max_length=64, index=True)
    created_at = peewee.DateTimeField(default=utcnow)
    last_seen_at = peewee.DateTimeField(default=utcnow)
    ended = peewee.BooleanField(default=False)


class WebLoginFailure(_Model):
    """A failed login, counted for the lock-out by username and by client address; ``cleared``
    when an admin unlocks the username."""

    username = peewee.CharField(max_length=64, index=True)
    address = peewee.CharField(max_length=64, index=True)
    at = peewee.DateTimeField(default=utcnow, index=True)
    cleared = peewee.BooleanField(default=False)


class WebAudit(_Model):
    """What people did on the pages (logins, failures, lock-outs, logouts, acknowledgements):
    appended, never changed."""

    at = peewee.DateTimeField(default=utcnow, index=True)
    username = peewee.CharField(max_length=64, index=True)
    action = peewee.CharField(max_length=32)
    details = peewee.TextField(default="")
    address = peewee.CharField(max_length=64, default="")
