"""Cash moved in or out of the drawer without a sale, and payment-means corrections (chain P).

A cash move (opening float, top-up, withdrawal to the safe, bank deposit, petty expense) and a
means correction (a card payment recorded as cash by mistake) are fiscal documents of their own:
numbered per till, sealed in chain P with the row, never updated or deleted (database triggers,
as for tickets). The ticket a correction names is never touched: the correction is the trace.
"""

from __future__ import annotations

import peewee

from store.models.base import BaseModel, CentsField, utcnow
from store.models.people import User
from store.models.tickets import Ticket


class CashMove(BaseModel):
    """One chain P document of till ``till_id``; ``number`` is its sequence in chain P."""

    till_id = peewee.CharField(max_length=16)
    number = peewee.IntegerField()
    code = peewee.CharField(max_length=40, unique=True)
    kind = peewee.CharField(max_length=24)
    created_at = peewee.DateTimeField(default=utcnow, index=True)
    user = peewee.ForeignKeyField(User, backref="cash_moves", on_delete="RESTRICT")
    operator_name = peewee.CharField(max_length=80)
    approved_by = peewee.ForeignKeyField(User, backref="cash_moves_approved", on_delete="RESTRICT")
    approver_name = peewee.CharField(max_length=80)
    amount_cents = CentsField()
    """Always positive: how much moved."""
    means = peewee.CharField(max_length=16)
    """The means that moved in or out of the drawer; for a correction, the means taken from."""
    to_means = peewee.CharField(max_length=16, null=True)
    """For a correction only: the means the amount goes to."""
    drawer_cents = CentsField()
    """The change to the cash the drawer should hold: + in, - out, 0 when no cash moves."""
    reason = peewee.CharField(max_length=200)
    origin_ticket = peewee.ForeignKeyField(Ticket, null=True, backref="means_corrections", on_delete="RESTRICT")
    origin_reference = peewee.CharField(max_length=40, null=True)
    """The corrected ticket's printed code, as sealed."""
    origin_signature = peewee.TextField(null=True)
    """The signature of the corrected ticket's record, as sealed."""

    class Meta:
        indexes = ((("till_id", "number"), True),)
