"""Store credit (avoirs): a note with an unguessable code, and the ledger of its movements.

A credit note is a liability (PCG 4197), not revenue. Its balance is never stored: it is the
sum of its movements (+ the issue, - each redemption), written in the same transaction as the
ticket that issues or spends it. Both tables are append-only (database triggers, like the
fiscal tables): an expired or spent note is a state read from the ledger, never an update.
"""

from __future__ import annotations

import peewee

from store.models.base import BaseModel, CentsField, utcnow
from store.models.people import Customer
from store.models.tickets import Ticket


class CreditNote(BaseModel):
    """A credit note as issued: its code, the ticket that issued it, its amount and expiry."""

    code = peewee.CharField(max_length=40, unique=True)
    till_id = peewee.CharField(max_length=16)
    issued_ticket = peewee.ForeignKeyField(Ticket, backref="credit_notes_issued", on_delete="RESTRICT")
    customer = peewee.ForeignKeyField(Customer, null=True, backref="credit_notes", on_delete="RESTRICT")
    amount_cents = CentsField()
    expires_on = peewee.DateField()
    created_at = peewee.DateTimeField(default=utcnow)


class CreditNoteMovement(BaseModel):
    """One change of a note's balance: + its issue, - a redemption, each by a ticket."""

    credit_note = peewee.ForeignKeyField(CreditNote, backref="movements", on_delete="RESTRICT")
    ticket = peewee.ForeignKeyField(Ticket, backref="credit_note_movements", on_delete="RESTRICT")
    amount_cents = CentsField()
    created_at = peewee.DateTimeField(default=utcnow)


HOLD_PENDING = "pending"
"""Written before head office is asked: after a crash, it may or may not hold the money."""
HOLD_HELD = "held"
"""Head office (or the offline policy) granted it; the sale is not written yet."""
HOLD_SETTLED = "settled"
"""On a written ticket (``ticket_id``)."""
HOLD_TO_RELEASE = "to_release"
"""The sale was abandoned (or the till stopped first): head office must give the money back."""
HOLD_RELEASED = "released"
HOLD_REFUSED = "refused"


class RemoteCreditHold(BaseModel):
    """A spending of a credit note asked of head office, and what became of it.

    Written and committed before head office is asked (like the card journal), so a till that
    stops between the answer and the ticket knows at restart that money may be held at head
    office and gives it back (``till.credit.remote.reconcile``). Not a fiscal table: its status
    changes; the fiscal trace is the ticket that carries it, or a PAYMENT_CANCELLED event.
    """

    till_id = peewee.CharField(max_length=16)
    request_id = peewee.CharField(max_length=64, unique=True)
    code = peewee.CharField(max_length=40)
    amount_cents = CentsField()
    status = peewee.CharField(max_length=16, default=HOLD_PENDING)
    offline = peewee.BooleanField(default=False)
    """Granted by the offline policy: head office learns of it at the next sync."""
    reported = peewee.BooleanField(default=False)
    """An offline hold now on a ticket, told to head office."""
    ticket_id = peewee.IntegerField(null=True)
    message = peewee.TextField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("till_id", "status"), False),)
