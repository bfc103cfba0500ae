"""Online orders: sales made on the shop's website, imported so that they can come back in store.

An online order is not a ticket of this till: it was sold, paid and invoiced elsewhere (the web
shop; later head office feeds it). The till keeps a copy as imported, so that a return finds it
by its number like a receipt, shows what was sold and what came back, and points each returned
line at the order line it returns. Both tables are append-only, like the fiscal tables: a
re-import of the same order is recognised by its digest and never rewrites what was returned
against.

A receipt of another shop of the chain, checked from its QR code (``till.fiscal.receipt_proof``),
is kept the same way, with ``source`` ``receipt``, ``number`` its ticket code, ``shop_id`` the
shop that sold it and ``proof`` the code's text: it too was sold, paid and sealed elsewhere, and
a return on it is capped, priced and sealed as an online order's.
"""

from __future__ import annotations

import peewee

from store.models.base import BaseModel, CentsField, utcnow
from store.models.catalogue import Product
from store.models.people import Customer


class OnlineOrder(BaseModel):
    """An order as imported: its number, when and by whom it was placed, what was paid and how."""

    number = peewee.CharField(max_length=40, unique=True)
    source = peewee.CharField(max_length=40, default="web")
    ordered_at = peewee.DateTimeField(index=True)
    customer = peewee.ForeignKeyField(Customer, null=True, backref="online_orders", on_delete="RESTRICT")
    customer_name = peewee.CharField(max_length=160, null=True)
    email = peewee.CharField(max_length=160, null=True)
    total_cents = CentsField()
    paid_cents = CentsField()
    payment_means = peewee.CharField(max_length=32, default="online")
    digest = peewee.CharField(max_length=64)
    imported_at = peewee.DateTimeField(default=utcnow)
    shop_id = peewee.CharField(max_length=32, null=True)
    """The shop that sold it, for a receipt of another shop (``source`` ``receipt``); else None."""
    proof = peewee.TextField(null=True)
    """A receipt of another shop: its QR code's text, as verified (``till.fiscal.receipt_proof``)."""


class OnlineOrderLine(BaseModel):
    """A line of an online order, copied by value (label, price, VAT rate) as it was sold."""

    order = peewee.ForeignKeyField(OnlineOrder, backref="lines", on_delete="RESTRICT")
    position = peewee.IntegerField()
    product = peewee.ForeignKeyField(Product, null=True, backref="order_lines", on_delete="RESTRICT")
    sku = peewee.CharField(max_length=32)
    label = peewee.CharField(max_length=120)
    quantity = peewee.IntegerField()
    unit = peewee.CharField(max_length=8, default="piece")
    unit_price_cents = CentsField()
    discount_cents = CentsField(default=0)
    total_cents = CentsField()
    vat_code = peewee.CharField(max_length=8)
    vat_rate_bp = peewee.IntegerField()
    serial = peewee.CharField(max_length=64, null=True)

    class Meta:
        indexes = ((("order", "position"), True),)
