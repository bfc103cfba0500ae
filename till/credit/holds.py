"""The journal of credit notes spent through head office (``remote_credit_hold`` rows).

Head office takes the money off a note while the customer pays; the ticket is written a moment
later. Between the two the till can stop, or the cashier abandon the sale, and the money would
stay taken. So, as with the card journal, a row is committed *before* head office is asked:

    pending --granted--> held --ticket written--> settled
       |                   |
       +---stop/abandon----+--> to_release --head office gave it back--> released
    pending --refused by head office or the offline policy--> refused

A ``settled`` row that was granted offline is ``reported`` to head office at the next sync; a
``to_release`` row is released at head office as soon as it can be reached (at once when the
sale is abandoned, else by the next sync). Releasing a redemption head office never received is
harmless (it answers "nothing to give back"), so a row whose request may or may not have
arrived is simply released.

Only database work here (no network): ``till.credit.remote`` talks to head office, and the
ticket writer settles a hold inside the ticket's transaction (``settle``).
"""

from __future__ import annotations

import datetime as dt
import secrets

from store.models.base import utcnow
from store.models.credit import (
    HOLD_HELD,
    HOLD_PENDING,
    HOLD_REFUSED,
    HOLD_RELEASED,
    HOLD_SETTLED,
    HOLD_TO_RELEASE,
    RemoteCreditHold,
)
from till.credit.errors import CreditNoteError
from till.fiscal.chain import current_database
from till.fiscal.events import PAYMENT_CANCELLED, record_event
from till.i18n import N_
from till.means import CREDIT_NOTE

__all__ = ["open_hold", "mark", "abandon", "mark_reported", "settle", "reconcile", "to_report", "to_release",
           "new_request_id", "HoldLost", "HOLD_PENDING", "HOLD_HELD", "HOLD_SETTLED", "HOLD_TO_RELEASE", "HOLD_RELEASED",
           "HOLD_REFUSED"]

HOLD_LOST = N_("The credit note {code} is no longer held for this sale: take it again")


class HoldLost(CreditNoteError):
    """The hold a tender stands on was released meanwhile (a restart reconciled it)."""


def new_request_id(till_id: str) -> str:
    """Unique company-wide: the till's id and 64 random bits (head office keys retries on it)."""
    return f"{till_id}-{secrets.token_hex(8)}"


def open_hold(till_id: str, code: str, amount_cents: int) -> RemoteCreditHold:
    """The ``pending`` row, committed before head office is asked."""
    with current_database().atomic():
        return RemoteCreditHold.create(till_id=till_id, request_id=new_request_id(till_id), code=code,
                                       amount_cents=amount_cents)


def mark(hold: RemoteCreditHold, status: str, offline: bool = False, message: str | None = None) -> None:
    """Move ``hold`` to ``status`` (committed at once: the journal must survive a stop)."""
    with current_database().atomic():
        RemoteCreditHold.update(status=status, offline=offline or hold.offline, message=message,
                                updated_at=utcnow()).where(RemoteCreditHold.id == hold.id).execute()
    hold.status, hold.offline, hold.message = status, offline or hold.offline, message


def abandon(request_id: str, message: str = "sale abandoned") -> RemoteCreditHold:
    """The sale will not carry this hold: ``to_release`` (sent by ``till.credit.remote``)."""
    hold = RemoteCreditHold.get(RemoteCreditHold.request_id == request_id)
    if hold.status in (HOLD_PENDING, HOLD_HELD):  # one released already stays so
        mark(hold, HOLD_TO_RELEASE, message=message)
    return hold


def settle(request_id: str, code: str, ticket_id: int, when: dt.datetime) -> None:
    """The ticket carrying the hold is being written (call inside its transaction): ``settled``.

    Refused (the whole ticket rolls back) when the hold is no longer ``held``.
    """
    done = (RemoteCreditHold.update(status=HOLD_SETTLED, ticket_id=ticket_id, updated_at=when)
            .where((RemoteCreditHold.request_id == request_id) & (RemoteCreditHold.status == HOLD_HELD))
            .execute())
    if done != 1:
        raise HoldLost(HOLD_LOST, code=code)


def reconcile(till_id: str, sealer=None) -> list[RemoteCreditHold]:
    """At start: what this till held for a sale it never wrote goes back (``to_release``).

    Run when the till's screens start, before any payment: a ``pending`` or ``held`` row then
    belongs to a session that ended without its ticket. Each is sealed in chain L
    (PAYMENT_CANCELLED) so the journal says why money went back to the note.
    """

    stale = list(RemoteCreditHold.select().where((RemoteCreditHold.till_id == till_id)
                                                  & RemoteCreditHold.status.in_((HOLD_PENDING, HOLD_HELD)))
                 .order_by(RemoteCreditHold.id))
    for hold in stale:
        with current_database().atomic():
            mark(hold, HOLD_TO_RELEASE, message="the till stopped before the sale was written")
            if sealer is not None:
                record_event(sealer, PAYMENT_CANCELLED, "credit note held at head office, sale never written",
                             details={"means": CREDIT_NOTE, "code": hold.code, "amount_cents": hold.amount_cents,
                                      "request_id": hold.request_id})
    return stale


def to_report(till_id: str) -> list[RemoteCreditHold]:
    """Offline redemptions now on tickets, not yet told to head office."""
    return list(RemoteCreditHold.select().where(
        (RemoteCreditHold.till_id == till_id) & (RemoteCreditHold.status == HOLD_SETTLED)
        & (RemoteCreditHold.offline == True) & (RemoteCreditHold.reported == False))  # noqa: E712 - SQL
        .order_by(RemoteCreditHold.id))


def to_release(till_id: str) -> list[RemoteCreditHold]:
    """Holds to give back at head office."""
    return list(RemoteCreditHold.select().where((RemoteCreditHold.till_id == till_id)
                                                 & (RemoteCreditHold.status == HOLD_TO_RELEASE))
                .order_by(RemoteCreditHold.id))


def mark_reported(hold: RemoteCreditHold) -> None:
    with current_database().atomic():
        RemoteCreditHold.update(reported=True, updated_at=utcnow()).where(RemoteCreditHold.id == hold.id).execute()
