"""Loyalty: the append-only ledger of a customer's points.

A balance is never stored: it is the sum of the customer's entries (+ earned on a sale, - taken
back pro rata when that sale is returned, - spent when a reward voucher is issued). Entries are
written in the transaction of the ticket that causes them, and never updated or deleted
(database triggers, like the credit-note ledger), so a balance can always be explained line by
line at the counter. Points are integers; there are no fractions of a point.

A reward is a credit note (``store.models.credit``): it is spent like any other store credit,
with its code, check character, expiry and locked redemption; the entry points at it.
"""

from __future__ import annotations

import peewee

from store.models.base import BaseModel, utcnow
from store.models.credit import CreditNote
from store.models.people import Customer
from store.models.tickets import Ticket

EARN = "earn"
"""Points earned by a sale (or the new items of an exchange)."""
REVERSE = "reverse"
"""Points taken back because items of the sale that earned them came back (negative)."""
REWARD = "reward"
"""Points spent on a reward voucher (negative); ``credit_note`` is the voucher."""
KINDS = (EARN, REVERSE, REWARD)


class LoyaltyEntry(BaseModel):
    """One change of a customer's points, caused by ticket ``ticket``."""

    customer = peewee.ForeignKeyField(Customer, backref="loyalty_entries", on_delete="RESTRICT")
    ticket = peewee.ForeignKeyField(Ticket, backref="loyalty_entries", on_delete="RESTRICT")
    kind = peewee.CharField(max_length=16)
    points = peewee.IntegerField()
    origin_ticket = peewee.ForeignKeyField(Ticket, null=True, backref="loyalty_reversals", on_delete="RESTRICT")
    """For a reversal: the sale whose points are taken back."""
    credit_note = peewee.ForeignKeyField(CreditNote, null=True, backref="loyalty_entries", on_delete="RESTRICT")
    """For a reward: the voucher issued."""
    created_at = peewee.DateTimeField(default=utcnow)
