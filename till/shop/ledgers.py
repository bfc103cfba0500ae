"""The checks ``till journal verify`` runs beside the journal verifier, and the baseline seal.

The journal verifier (``till.fiscal.verify``) proves the records and the credit-note ledger;
the rows derived from records that need the configuration or the workflows' own rules to be
rebuilt (accounting lines, stock, users) are checked by ``till.selling.derived_check`` and
``till.people.users_check``, which sit above it: ``journal_checks`` hands them to it.

``seal_baseline`` is the upgrade path of a shop whose users and opening stock were written
before they were sealed: a technician seals what the tables hold now, once, as the starting
point every later change is checked from (``till journal baseline``). It seals only what no
record seals yet, so running it again seals nothing.
"""

from __future__ import annotations

from typing import Callable

from store.models import User
from till.fiscal.chain import Sealer, current_database
from till.fiscal.events import EVENT_CHAIN, USER_CHANGED, record_event
from till.fiscal.problems import Problem
from till.people.users_check import check_users, sealed_users
from till.selling.derived_check import check_derived_rows, unsealed_ticketless
from till.selling.stock import STOCK_MOVED, stock_moved_payload

__all__ = ["journal_checks", "seal_baseline"]

Check = Callable[[], tuple[list[Problem], list[Problem]]]


def journal_checks(ctx) -> list[Check]:
    """The row checks of the shop of ``ctx`` (a ``TillContext``), for ``verify_journal(checks=...)``."""
    config = ctx.config
    return [lambda: check_derived_rows(config.accounts, ctx.sealer.zone, config.loyalty), check_users]


def seal_baseline(sealer: Sealer) -> tuple[int, int]:
    """Seal every user and ticket-less stock movement no record seals yet; (users, movements) sealed."""
    users = moves = 0
    with current_database().atomic():
        sealed = sealed_users()
        for user in User.select().order_by(User.id):
            state = sealed.get(user.id, {})
            if state.get("added") and "role" in state:
                continue
            record_event(sealer, USER_CHANGED, "user sealed as found (baseline)", user_id=user.id,
                         details={"login": user.login, "role": user.role, "active": bool(user.active),
                                  "change": "added", "baseline": True})
            users += 1
        unsealed, _missing = unsealed_ticketless()
        for _id, product, location, quantity, reason in unsealed:
            sealer.append(EVENT_CHAIN, STOCK_MOVED, stock_moved_payload(product, location, quantity, reason))
            moves += 1
    return users, moves
