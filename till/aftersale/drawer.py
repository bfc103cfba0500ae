"""Opening the cash drawer without a sale: allowed to a manager or technician, or to a cashier
with a manager's approval, and always sealed in the technical-event chain (L).

An open drawer without a ticket is where cash goes missing, so the journal keeps who opened it,
who approved, why, and whether the drawer actually opened (a failed kick is recorded too: the
attempt is what an auditor wants to see).
"""

from __future__ import annotations

from store.models import MANAGER, TECHNICIAN, User
from till.errors import TillError
from till.fiscal.events import record_event

DRAWER_OPENED = "DRAWER_OPENED"
"""Technical event code (chain L) of a drawer opened outside a sale."""

ALLOWED_ROLES = (MANAGER, TECHNICIAN)


class DrawerActionError(TillError):
    """Opening the drawer without a sale was refused."""


def may_open_without_sale(user: User, approved_by: User | None = None) -> bool:
    """True when ``user`` may open the drawer alone, or ``approved_by`` is a manager's approval."""
    approver = approved_by if approved_by is not None else user
    return approver is not None and approver.role in ALLOWED_ROLES and bool(getattr(approver, "active", True))


def open_drawer_without_sale(sealer, drawer, user: User, approved_by: User | None = None,
                             reason: str = "") -> None:
    """Open ``drawer`` outside a sale for ``user``; run it off the UI thread (a device call).

    ``approved_by`` is the manager returned by ``till.people.auth.authorize_manager`` when ``user`` is a
    cashier. Raises ``DrawerActionError`` (nothing opened, nothing recorded) without permission,
    or the drawer's ``DrawerError`` after recording the failed attempt.
    """

    if not may_open_without_sale(user, approved_by):
        raise DrawerActionError("Opening the drawer without a sale needs a manager's PIN")
    if drawer is None:
        raise DrawerActionError("This till has no cash drawer")
    details = {"reason": (reason or "")[:120], "drawer": getattr(drawer, "name", type(drawer).__name__),
               "approved_by": approved_by.id if approved_by is not None else None}
    try:
        drawer.open(f"no sale ({user.login})")
    except Exception as error:
        record_event(sealer, DRAWER_OPENED, "drawer opening without a sale failed", user_id=user.id,
                     details={**details, "result": "failed", "error": str(error)[:120]})
        raise
    record_event(sealer, DRAWER_OPENED, "drawer opened without a sale", user_id=user.id,
                 details={**details, "result": "opened"})
