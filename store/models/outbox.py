"""The durable outbox, and the shop's settings."""

from __future__ import annotations

import peewee

from store.models.base import BaseModel, utcnow

PENDING = "pending"
DONE = "done"
FAILED = "failed"


class OutboxJob(BaseModel):
    """Work to do after a commit (print, open the drawer, e-mail...), written in the same
    transaction as the ticket so that a crash never loses it, and retried until it succeeds."""

    till_id = peewee.CharField(max_length=16, default="")
    """The till whose devices run the job: tills sharing a database print their own receipts."""
    kind = peewee.CharField(max_length=32)
    payload = peewee.TextField()
    status = peewee.CharField(max_length=16, default=PENDING)
    attempts = peewee.IntegerField(default=0)
    not_before = peewee.DateTimeField(default=utcnow)
    last_error = peewee.TextField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)
    done_at = peewee.DateTimeField(null=True)

    class Meta:
        indexes = ((("till_id", "status", "not_before"), False),)


class Setting(BaseModel):
    """A named value kept in the database (the shop's data, not its configuration file)."""

    key = peewee.CharField(max_length=64, unique=True)
    value = peewee.TextField()
