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
