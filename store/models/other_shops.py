"""What a till keeps to take back another shop's receipt: the tills' keys, and its holds.

- ``KnownTillKey``: the key chain of every till of the company, as head office distributes it
  at each sync (pinned by each till's root fingerprint), so a receipt's QR code
  (``till.fiscal.receipt_proof``) is checked here even when head office cannot be reached. A
  cache, not a fiscal table: each sync replaces a till's rows.
- ``ReturnHold``: each return of another shop's receipt asked of head office, written and
  committed before head office is asked (as ``RemoteCreditHold``), so a till that stops between
  the answer and the ticket gives the quantities back at restart, and an offline return is
  reported at the next sync. Not a fiscal table: its status changes; the fiscal trace is the
  return ticket that carries it.

The receipt itself, once verified, is kept as an ``OnlineOrder`` row of source ``receipt``
(a sale made elsewhere that can come back here, with ``shop_id`` and its ``proof``), so a return
on it is capped, priced and sealed exactly as an online order's.
"""

from __future__ import annotations

import peewee

from store.models.base import BaseModel, utcnow
from store.models.orders import OnlineOrder

__all__ = ["KnownTillKey", "ReturnHold", "RETURN_HOLD_STATES"]

RETURN_HOLD_STATES = ("pending", "held", "settled", "to_release", "released", "refused")
"""pending --granted--> held --return written--> settled; pending/held --stop or Esc-->
to_release --head office gave it back--> released; pending --refused--> refused. An offline
return goes pending -> settled with ``offline`` set, and is reported at the next sync."""


class KnownTillKey(BaseModel):
    """One key a till of the company may sign its receipts with (``position`` 0: its root)."""

    till_id = peewee.CharField(max_length=16)
    shop_id = peewee.CharField(max_length=32)
    key_id = peewee.CharField(max_length=64)
    public_key_pem = peewee.TextField()
    position = peewee.IntegerField(default=0)
    root_key_id = peewee.CharField(max_length=64)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("till_id", "key_id"), True),)


class ReturnHold(BaseModel):
    """A return of a receipt of another shop (an ``OnlineOrder`` of source ``receipt``) asked of
    head office, and what became of it."""

    till_id = peewee.CharField(max_length=16)
    request_id = peewee.CharField(max_length=64, unique=True)
    order = peewee.ForeignKeyField(OnlineOrder, backref="return_holds", on_delete="RESTRICT")
    lines = peewee.TextField()
    """JSON: ``[{"position": p, "quantity": q}, ...]``, the receipt's line positions."""
    status = peewee.CharField(max_length=16, default="pending")
    offline = peewee.BooleanField(default=False)
    """Taken under ``returns.offline_other_shop``: head office learns of it at the next sync."""
    reported = peewee.BooleanField(default=False)
    ticket_id = peewee.IntegerField(null=True)
    message = peewee.TextField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("till_id", "status"), False),)
