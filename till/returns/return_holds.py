"""The journal of returns of another shop's receipt asked of head office (``return_hold`` rows).

Head office counts, for every receipt of the company, the units that came back in any shop, and
holds the ones a till is about to take back, so two shops never both take back the last unit.
The till writes the return a moment after head office held it; between the two it can stop, or
the cashier abandon the return, and the units would stay held. So, as with credit notes
(``till.credit.holds``), a row is committed *before* head office is asked:

    pending --held by head office--> held --return written--> settled
       |                               |
       +---------stop / Esc------------+--> to_release --given back--> released
    pending --refused (over-returned)--> refused
    pending --head office out of reach, taken under the offline policy--> settled, offline

An offline row is ``reported`` to head office at the next sync (it counts there even over the
cap, and head office raises an alert); a ``to_release`` row is released as soon as head office
can be reached. Releasing a hold head office never received is harmless.

Only database work here: ``till.returns.remote_returns`` talks to head office, and the return's
transaction settles its hold (``settle``).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets

from store.models import OnlineOrder, ReturnHold, utcnow
from till.fiscal.chain import current_database
from till.i18n import N_
from till.returns.lines import ReturnError

__all__ = ["PENDING", "HELD", "SETTLED", "TO_RELEASE", "RELEASED", "REFUSED", "HOLD_LOST", "open_hold", "mark",
           "abandon", "settle", "reconcile", "to_report", "to_release", "mark_reported", "lines_of"]

PENDING, HELD, SETTLED, TO_RELEASE, RELEASED, REFUSED = ("pending", "held", "settled", "to_release", "released",
                                                          "refused")
HOLD_LOST = N_("The return of receipt {code} is no longer held at head office: take it again")


def open_hold(till_id: str, order: OnlineOrder, lines: list[dict[str, int]]) -> ReturnHold:
    """The ``pending`` row for returning ``lines`` (``{"position", "quantity"}``) of ``order``,
    committed before head office is asked."""
    with current_database().atomic():
        return ReturnHold.create(till_id=till_id, request_id=f"{till_id}-{secrets.token_hex(8)}", order=order.id,
                                 lines=json.dumps(lines, sort_keys=True))


def lines_of(hold: ReturnHold) -> list[dict[str, int]]:
    return json.loads(hold.lines)


def mark(hold: ReturnHold, status: str, offline: bool = False, message: str | None = None) -> None:
    """Move ``hold`` to ``status``, committed at once (the journal must survive a stop)."""
    with current_database().atomic():
        ReturnHold.update(status=status, offline=offline or hold.offline, message=message,
                          updated_at=utcnow()).where(ReturnHold.id == hold.id).execute()
    hold.status, hold.offline, hold.message = status, offline or hold.offline, message


def abandon(hold: ReturnHold, message: str = "return abandoned") -> ReturnHold:
    """The return will not be written: ``to_release`` (one released or settled stays so)."""
    hold = ReturnHold.get_by_id(hold.id)
    if hold.status in (PENDING, HELD):
        mark(hold, TO_RELEASE, message=message)
    return hold


def settle(hold: ReturnHold, code: str, ticket_id: int, when: dt.datetime, offline: bool = False) -> None:
    """Inside the return's transaction: the hold is the ticket's now (``settled``). Online it must
    be ``held``; an offline one goes from ``pending``. Otherwise the whole return rolls back."""
    expected = PENDING if offline else HELD
    done = (ReturnHold.update(status=SETTLED, offline=offline, ticket_id=ticket_id, updated_at=when)
            .where((ReturnHold.id == hold.id) & (ReturnHold.status == expected)).execute())
    if done != 1:
        raise ReturnError(HOLD_LOST, code=code)
    hold.status, hold.offline, hold.ticket_id = SETTLED, offline, ticket_id


def reconcile(till_id: str) -> list[ReturnHold]:
    """At start: a ``pending`` or ``held`` row belongs to a return the last session never wrote:
    ``to_release``, sent by the start-up's thread or the next sync."""
    stale = list(ReturnHold.select().where((ReturnHold.till_id == till_id)
                                           & ReturnHold.status.in_((PENDING, HELD))).order_by(ReturnHold.id))
    for hold in stale:
        mark(hold, TO_RELEASE, message="the till stopped before the return was written")
    return stale


def to_report(till_id: str) -> list[ReturnHold]:
    """Offline returns now on tickets, not yet told to head office."""
    return list(ReturnHold.select().where(
        (ReturnHold.till_id == till_id) & (ReturnHold.status == SETTLED)
        & (ReturnHold.offline == True) & (ReturnHold.reported == False))  # noqa: E712 - SQL
        .order_by(ReturnHold.id))


def to_release(till_id: str) -> list[ReturnHold]:
    """Holds to give back at head office."""
    return list(ReturnHold.select().where((ReturnHold.till_id == till_id) & (ReturnHold.status == TO_RELEASE))
                .order_by(ReturnHold.id))


def mark_reported(hold: ReturnHold) -> None:
    with current_database().atomic():
        ReturnHold.update(reported=True, updated_at=utcnow()).where(ReturnHold.id == hold.id).execute()
    hold.reported = True
