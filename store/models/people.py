"""People: the staff who log in with a PIN, and the shop's customers."""

from __future__ import annotations

import peewee

from store.models.base import BaseModel, utcnow

CASHIER = "cashier"
MANAGER = "manager"
TECHNICIAN = "technician"
ROLES = (CASHIER, MANAGER, TECHNICIAN)


class User(BaseModel):
    """A member of staff. The PIN is kept only as a scrypt hash (see ``till.people.auth``)."""

    login = peewee.CharField(max_length=32, unique=True)
    name = peewee.CharField(max_length=80)
    role = peewee.CharField(max_length=16, default=CASHIER)
    pin_hash = peewee.CharField(max_length=255)
    failed_attempts = peewee.IntegerField(default=0)
    locked = peewee.BooleanField(default=False)
    active = peewee.BooleanField(default=True)
    created_at = peewee.DateTimeField(default=utcnow)


class Customer(BaseModel):
    """A customer the shop knows, with what they agreed to receive.

    ``search_key`` holds the name, e-mail, phone and card folded to lower-case ASCII, so that
    "helene" finds "Hélène" by a plain prefix search on any engine.
    """

    first_name = peewee.CharField(max_length=80, default="")
    last_name = peewee.CharField(max_length=80, default="")
    email = peewee.CharField(max_length=160, null=True)
    phone = peewee.CharField(max_length=32, null=True)
    loyalty_card = peewee.CharField(max_length=32, null=True, unique=True)
    consent_email = peewee.BooleanField(default=False)
    consent_sms = peewee.BooleanField(default=False)
    search_key = peewee.CharField(max_length=400, default="", index=True)
    created_at = peewee.DateTimeField(default=utcnow)

    @property
    def display_name(self) -> str:
        """First and last name, as shown on screens and receipts."""
        return f"{self.first_name} {self.last_name}".strip()


class CustomerWord(BaseModel):
    """One word of a customer's ``search_key``: a prefix search on this indexed column is a
    range scan on both engines, where ``LIKE '% x%'`` on the whole key reads every customer."""

    word = peewee.CharField(max_length=64)
    customer = peewee.ForeignKeyField(Customer, backref="words", on_delete="CASCADE")

    class Meta:
        indexes = ((("word", "customer"), True),)
