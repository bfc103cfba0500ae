"""Duplicates (chain C): every reprint or re-sent receipt is counted and signed.

French rules (fiscal-fr.md R-DUP) want a copy of a receipt to say so ("DUPLICATA n°X") and each
copy to be traceable: who made it, when, of which ticket. ``make_duplicate`` seals a record in
chain C, in the transaction that queues the copy's print (or e-mail) job, so a copy that was
printed is always in the journal and a copy in the journal is always printed, even after a
crash (the outbox carries it).

The number X counts the copies of that ticket, whatever the channel: the C record of the
previous copy is read under the chain head's lock, so two tills copying one ticket at once
still number 1 and 2.
"""

from __future__ import annotations

from dataclasses import dataclass

from store.models import FiscalRecord, Ticket, User
from till.aftersale import outbox
from till.errors import TillError
from till.fiscal.chain import Sealer, current_database

__all__ = ["DUPLICATE_CHAIN", "PRINT_DUPLICATE", "CHANNELS", "Duplicate", "DuplicateError", "make_duplicate",
           "seal_duplicate", "duplicate_count"]

DUPLICATE_CHAIN = "C"
PRINT_DUPLICATE = "print_duplicate"
"""The outbox job that prints a copy: ``{"ticket_id": .., "duplicate": n}``."""
CHANNELS = ("print", "email")


class DuplicateError(TillError):
    """A copy was refused; nothing was recorded."""


@dataclass(frozen=True)
class Duplicate:
    """A copy made: its number among the copies of that ticket, and its C record."""

    ticket_id: int
    number: int
    record: FiscalRecord


def duplicate_count(ticket_id: int) -> int:
    """How many copies of a ticket were made so far (all tills, all channels)."""
    return (FiscalRecord.select().where((FiscalRecord.chain == DUPLICATE_CHAIN)
                                        & (FiscalRecord.ticket_id == ticket_id)).count())


def make_duplicate(sealer: Sealer, ticket: Ticket | int, user: User, channel: str = "print") -> Duplicate:
    """Record copy n of ``ticket`` in chain C and queue its print job (``channel`` "print"), in
    one transaction; an e-mailed copy is recorded the same way by the e-mail sender."""
    ticket_id = ticket if isinstance(ticket, int) else ticket.id
    with current_database().atomic():
        duplicate = seal_duplicate(sealer, ticket_id, user, channel)
        if channel == "print":
            outbox.enqueue(sealer.till_id, PRINT_DUPLICATE, {"ticket_id": ticket_id, "duplicate": duplicate.number})
    return duplicate


def seal_duplicate(sealer: Sealer, ticket_id: int, user: User, channel: str = "print") -> Duplicate:
    """Record copy n of a ticket in chain C and nothing else: for a caller whose job exists
    already (a receipt cut short becomes its own copy, ``till.aftersale.lost_prints``), inside
    the transaction that changes that job."""
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {CHANNELS}")
    with current_database().atomic():
        row = Ticket.get_or_none(Ticket.id == ticket_id)
        if row is None:
            raise DuplicateError("No ticket {ticket_id} to copy", ticket_id=ticket_id)
        if row.training:
            raise DuplicateError("Ticket {code} is a training ticket: it has no duplicate", code=row.code)
        original = (FiscalRecord.select(FiscalRecord.signature)
                    .where((FiscalRecord.ticket_id == row.id) & (FiscalRecord.chain == "T")).scalar())
        sealer.reserve(DUPLICATE_CHAIN)  # the head's lock: copy numbers are counted under it
        number = duplicate_count(row.id) + 1
        record = sealer.append(DUPLICATE_CHAIN, channel, {
            "ticket_id": row.id, "ticket_code": row.code, "ticket_till_id": row.till_id,
            "ticket_number": row.number, "ticket_signature": original, "duplicate": number,
            "channel": channel, "user_id": user.id, "operator": user.name,
        }, ticket_id=row.id)
    return Duplicate(row.id, number, record)
