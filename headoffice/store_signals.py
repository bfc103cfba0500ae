"""The tables of the loss-prevention signals at head office (``headoffice.signals``): the shops'
sealed signals, their dismissals, and the refunds read from synced tickets for the signals no
shop sees alone.
"""

from __future__ import annotations

import peewee

from headoffice.store_base import _Model

__all__ = ["ShopSignal", "SignalDismissal", "SyncedRefund"]

class ShopSignal(_Model):
    """A loss-prevention signal a till sealed with its day's closure (a LOSS_SIGNALS record,
    ``headoffice.signals``): kept as sealed, one row per signal and record, never updated."""

    till_id = peewee.CharField(max_length=16)
    shop_id = peewee.CharField(max_length=32)
    day = peewee.DateField(index=True)
    """The shop's business day it fired on, as the till sealed it."""
    code = peewee.CharField(max_length=40)
    subject = peewee.CharField(max_length=16)
    subject_id = peewee.CharField(max_length=100)
    subject_label = peewee.CharField(max_length=200, default="")
    value = peewee.CharField(max_length=40)
    threshold = peewee.CharField(max_length=40)
    """Figures as sealed (an integer, or a fraction's decimal text): text, never a float."""
    how = peewee.TextField()
    """How it was computed, the English sentence with its figures filled in."""
    evidence = peewee.TextField(default="[]")
    """JSON list of the record codes behind it (``T01-…``, ``L01-42``)."""
    signal_key = peewee.CharField(max_length=200, index=True)
    record_sequence = peewee.IntegerField()
    """The LOSS_SIGNALS record of chain L of ``till_id`` it came in."""

    class Meta:
        indexes = ((("till_id", "record_sequence", "signal_key"), True),)


class SignalDismissal(_Model):
    """A SIGNAL_DISMISSED record of a till: a manager said why a signal is not abuse. A row of
    its own (the signal row and the record stay as they were): the report marks the signal."""

    till_id = peewee.CharField(max_length=16)
    signal_key = peewee.CharField(max_length=200, index=True)
    manager = peewee.CharField(max_length=100, default="")
    note = peewee.TextField(default="")
    dismissed_at = peewee.CharField(max_length=40)
    """The record's ``created_at``, the ISO UTC text it was signed with."""
    record_sequence = peewee.IntegerField()

    class Meta:
        indexes = ((("till_id", "record_sequence"), True),)


class SyncedRefund(_Model):
    """What the cross-shop signals read of a synced ticket record (chain T), written at ingest
    so they read indexed columns rather than every payload: a refund to a card (``card``: the
    till's ``card_of`` identity) or a return of another shop's receipt (``origin_code``)."""

    kind = peewee.CharField(max_length=20)
    till_id = peewee.CharField(max_length=16)
    shop_id = peewee.CharField(max_length=32)
    record_sequence = peewee.IntegerField()
    position = peewee.IntegerField(default=0)
    """The payment's position on the ticket (0 for a return of another shop's receipt)."""
    ticket_code = peewee.CharField(max_length=40)
    at = peewee.DateTimeField()
    """The ticket's time, naive UTC."""
    card = peewee.CharField(max_length=100, null=True, index=True)
    origin_code = peewee.CharField(max_length=40, null=True, index=True)
    cashier = peewee.CharField(max_length=100, default="")
    amount_cents = peewee.BigIntegerField(default=0)

    class Meta:
        indexes = ((("till_id", "record_sequence", "kind", "position"), True), (("kind", "at"), False))
