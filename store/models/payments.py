"""The card journal: one row per request to the card terminal, written before it is sent.

A row committed before the terminal is asked, and updated once it answers, is what lets a
till that crashed mid-payment know at restart that a card may have been charged, so it never
asks again blindly (charging twice) nor forgets a charge (a sale counted unpaid). Not a fiscal
table: the row's status changes; the fiscal trace is the ticket, or an event in chain L.
"""

from __future__ import annotations

import peewee

from store.models.base import BaseModel, CentsField, utcnow

PENDING = "pending"
"""Written, the terminal asked, no answer yet: after a crash, the outcome is unknown."""
APPROVED = "approved"
DECLINED = "declined"
FAILED = "failed"
"""The request certainly never reached the terminal (port missing, no ACK): nothing moved."""
UNKNOWN = "unknown"
"""The terminal may have moved money: a manager checks the terminal's own journal."""
SETTLED = "settled"
"""Approved, and the ticket (or the recorded cancellation) carrying it is written; or approved
by the terminal with no ticket, as a manager settled it (the sealed settlement says so)."""

OPEN = (PENDING, APPROVED, UNKNOWN)
"""A request whose money is not yet accounted for by a ticket or a settlement: its claim holds."""


class PendingPayment(BaseModel):
    """A request to the card terminal and what became of it (kept once resolved: the till's card journal)."""

    till_id = peewee.CharField(max_length=16)
    terminal = peewee.CharField(max_length=32)
    operation = peewee.CharField(max_length=16)
    amount_cents = CentsField()
    reference = peewee.CharField(max_length=64, default="")
    status = peewee.CharField(max_length=16, default=PENDING)
    result_reference = peewee.CharField(max_length=64, null=True)
    message = peewee.TextField(null=True)
    started_at = peewee.DateTimeField(default=utcnow)
    finished_at = peewee.DateTimeField(null=True)
    claim = peewee.CharField(max_length=32, null=True)
    """The sale (``T:<id>``) or online order (``O:<id>``) a return's card request stands on."""
    intent = peewee.TextField(null=True)
    """The return or exchange to write once approved: its ticket draft as JSON."""
    ticket_id = peewee.IntegerField(null=True)
    """The ticket carrying this request, set in that ticket's transaction."""
    settled_by = peewee.IntegerField(null=True)
    """The manager who settled an unknown outcome."""
    settled_at = peewee.DateTimeField(null=True)

    class Meta:
        indexes = ((("till_id", "status"), False), (("claim", "status"), False), (("status",), False))
