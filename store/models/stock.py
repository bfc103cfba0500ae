"""Stock as a ledger: movements per location, and the level they add up to."""

from __future__ import annotations

import peewee

from store.models.base import BaseModel, utcnow
from store.models.catalogue import Product

SELLABLE = "sellable"
DAMAGED = "damaged"


class StockLocation(BaseModel):
    """Where stock sits: ``sellable`` shelves, ``damaged`` goods, the supplier-return area..."""

    code = peewee.CharField(max_length=32, unique=True)
    name = peewee.CharField(max_length=80)


class StockMovement(BaseModel):
    """A signed change of quantity at a location, with why it happened.

    Quantities are pieces, or grams for products sold by weight. A sale is negative, a return
    to the shelf positive. Written in the same transaction as the ticket that caused it.
    """

    product = peewee.ForeignKeyField(Product, backref="movements", on_delete="RESTRICT")
    location = peewee.ForeignKeyField(StockLocation, backref="movements", on_delete="RESTRICT")
    quantity = peewee.IntegerField()
    reason = peewee.CharField(max_length=32)
    ticket_id = peewee.IntegerField(null=True, index=True)
    created_at = peewee.DateTimeField(default=utcnow)


class StockLevel(BaseModel):
    """The running sum of movements of a product at a location, kept with each movement."""

    product = peewee.ForeignKeyField(Product, backref="levels", on_delete="RESTRICT")
    location = peewee.ForeignKeyField(StockLocation, backref="levels", on_delete="RESTRICT")
    quantity = peewee.IntegerField(default=0)

    class Meta:
        indexes = ((("product", "location"), True),)
