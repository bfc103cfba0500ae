"""The audit log of the pages: who logged in, failed, was locked out, logged out, acknowledged.

One function for every page module (``audit(user, action, details)``): an entry is appended,
never changed, and read back by the admin page and ``till-headoffice user log``.
"""

from __future__ import annotations

from typing import Any

from headoffice.store import WebAudit

__all__ = ["audit", "entries"]


def audit(user: Any, action: str, details: str = "", address: str = "") -> None:
    """Append ``action`` by ``user`` (a user object with ``.username``, or a username as text)."""
    username = user if isinstance(user, str) else user.username
    WebAudit.create(username=username[:64], action=action[:32], details=details, address=address[:64])


def entries(limit: int = 200, username: str | None = None) -> list[WebAudit]:
    """The latest entries, newest first."""
    query = WebAudit.select().order_by(WebAudit.id.desc()).limit(limit)
    if username:
        query = query.where(WebAudit.username == username)
    return list(query)
