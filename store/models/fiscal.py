"""The signed fiscal journal: one chain of records per till and kind (T tickets, L events...).

Each record keeps its canonical payload, the previous record's signature, a SHA-256 hash and an
ECDSA P-256 signature with the id of the key that made it (see ``till.fiscal``). Records are
never updated or deleted (database triggers refuse it); ``ChainHead`` only speeds up and
serialises the allocation of the next gap-free sequence number.
"""

from __future__ import annotations

import peewee

from store.models.base import BaseModel, utcnow


class FiscalRecord(BaseModel):
    """A sealed, append-only entry of a fiscal chain."""

    till_id = peewee.CharField(max_length=16)
    chain = peewee.CharField(max_length=2)
    sequence = peewee.IntegerField()
    kind = peewee.CharField(max_length=32)
    created_at = peewee.DateTimeField(default=utcnow)
    ticket_id = peewee.IntegerField(null=True, index=True)
    format_version = peewee.IntegerField(default=1)
    payload = peewee.TextField()
    previous_signature = peewee.TextField(default="")
    hash = peewee.CharField(max_length=64)
    signature = peewee.TextField()
    key_id = peewee.CharField(max_length=64)

    class Meta:
        indexes = ((("till_id", "chain", "sequence"), True), (("till_id", "kind"), False),
                   (("till_id", "chain", "kind", "sequence"), False), (("chain", "kind", "created_at"), False))


class ChainHead(BaseModel):
    """The last sequence and signature of a chain, locked while the next record is written."""

    till_id = peewee.CharField(max_length=16)
    chain = peewee.CharField(max_length=2)
    sequence = peewee.IntegerField(default=0)
    signature = peewee.TextField(default="")

    class Meta:
        indexes = ((("till_id", "chain"), True),)


class SigningKey(BaseModel):
    """A public key that signed records; the private half never enters the database."""

    key_id = peewee.CharField(max_length=64, unique=True)
    till_id = peewee.CharField(max_length=16)
    public_key_pem = peewee.TextField()
    created_at = peewee.DateTimeField(default=utcnow)
