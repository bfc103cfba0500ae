"""The catalogue: VAT rates with validity dates, categories, products and their barcodes."""

from __future__ import annotations

import peewee

from store.models.base import BaseModel, CentsField


class VatRate(BaseModel):
    """A VAT rate in force for a period, e.g. code "N" = 20 % since 2014-01-01.

    Products name a rate by its code; the value applied is the one valid on the day of the sale,
    copied onto the ticket line, so a later change of rate never rewrites history.
    """

    code = peewee.CharField(max_length=8)
    label = peewee.CharField(max_length=64)
    rate_bp = peewee.IntegerField()
    valid_from = peewee.DateField()
    valid_to = peewee.DateField(null=True)

    class Meta:
        indexes = ((("code", "valid_from"), True),)


class Category(BaseModel):
    """A shelf of the shop (Grocery, Books...), used by reports and the return policy."""

    name = peewee.CharField(max_length=80, unique=True)
    parent = peewee.ForeignKeyField("self", null=True, backref="children", on_delete="RESTRICT")
    return_days = peewee.IntegerField(null=True)


class Product(BaseModel):
    """Something the shop sells, priced VAT-inclusive.

    ``sold_by_weight`` products have ``price_cents`` per kilogram and are sold in grams.
    """

    sku = peewee.CharField(max_length=32, unique=True)
    name = peewee.CharField(max_length=120)
    price_cents = CentsField()
    vat_code = peewee.CharField(max_length=8)
    category = peewee.ForeignKeyField(Category, null=True, backref="products", on_delete="RESTRICT")
    sold_by_weight = peewee.BooleanField(default=False)
    serial_tracked = peewee.BooleanField(default=False)
    final_sale = peewee.BooleanField(default=False)
    return_days = peewee.IntegerField(null=True)
    active = peewee.BooleanField(default=True)


class Barcode(BaseModel):
    """One of a product's barcodes (a product can have several: pack sizes, old labels)."""

    code = peewee.CharField(max_length=32, unique=True)
    product = peewee.ForeignKeyField(Product, backref="barcodes", on_delete="CASCADE")
