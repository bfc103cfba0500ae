"""What the demo offers a newcomer, read from a built demo shop: the receipts still worth
returning, whether the open shop is the demo, and the staff's PINs the login screen shows.

Apart from the builder (``till.demo.build``), which writes the demo: these only read it, at each
start of the demo and on its login screen.
"""

from __future__ import annotations

from store.models import SALE, Payment, Setting, Ticket
from till.demo.build import DEMO_USERS, MARKER
from till.returns.lines import returnable_lines

__all__ = ["receipts_to_return", "is_demo_shop", "demo_logins"]


def receipts_to_return(limit: int = 3) -> list[tuple[str, int, str]]:
    """Recent sale receipts of the demo, one per means where possible: ``(code, total, means)``,
    for a newcomer to try a return (``till demo`` and the login screen offer them). Only receipts
    with something left to take back: once one is returned in full, an older one of the same
    means takes its place, so a second run never offers a return that would be refused."""

    found: dict[str, tuple[str, int, str]] = {}
    recent = Ticket.select().where(Ticket.kind == SALE).order_by(Ticket.id.desc()).limit(200)
    for ticket in recent:
        means = sorted({p.means for p in Payment.select().where(Payment.ticket == ticket)})
        key = "+".join(means)
        if key in found or not any(line.returnable > 0 for line in returnable_lines(ticket)):
            continue
        found[key] = (ticket.code, ticket.total_cents, key)
        if len(found) >= limit:
            break
    return list(found.values())


def is_demo_shop() -> bool:
    """True in the demo shop, whose build wrote its ``MARKER`` setting: the login screen then shows
    the demo's PINs and receipts to return. A real shop never has that setting, so its login
    screen never shows a PIN."""
    return Setting.select().where(Setting.key == MARKER).exists()


def demo_logins() -> list[tuple[str, str]]:
    """``(login, PIN)`` of the demo's staff, as the login screen shows them."""
    return [(login, pin) for login, _name, _role, pin in DEMO_USERS]
