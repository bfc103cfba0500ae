"""The tables head office's pages read: figures kept up to date by ingest (``headoffice.aggregates``),
rebuilt from ``Record`` by ``till-headoffice aggregates rebuild``.
"""

from __future__ import annotations

import peewee

from headoffice.store_base import _Model

__all__ = ["ShopDay", "CategoryDay", "ProductDay", "ReturnDay", "ReturnTicket", "CreditMove", "AGGREGATES"]

# --- Aggregates kept by ingest (``headoffice.aggregates``): what the pages read ------------------
# Updated in the transaction that stores a batch's new chain-T records, so a page never scans
# ``Record`` and a re-sent record (already held, never stored again) never counts twice. The four
# tables of figures hold each figure four times: per shop and for the whole chain (``shop_id``
# "*"), per day and per month (``span`` "d" with the day, "m" with the month's first day), so a
# page over three years of 200 shops reads at most 36 months and the days at its edges.


class ShopDay(_Model):
    """Per shop and business day (the shop's zone): tickets, sales and returns, credit notes
    issued and spent (a ``credit_note`` payment: negative issues a note, positive spends one)."""

    shop_id = peewee.CharField(max_length=32)
    span = peewee.CharField(max_length=1)
    day = peewee.DateField()
    tickets = peewee.IntegerField(default=0)
    return_tickets = peewee.IntegerField(default=0)
    sales_cents = peewee.BigIntegerField(default=0)
    returns_cents = peewee.BigIntegerField(default=0)
    credit_issued = peewee.IntegerField(default=0)
    credit_issued_cents = peewee.BigIntegerField(default=0)
    credit_spent = peewee.IntegerField(default=0)
    credit_spent_cents = peewee.BigIntegerField(default=0)

    class Meta:
        indexes = ((("shop_id", "span", "day"), True), (("span", "day"), False))


class CategoryDay(_Model):
    """Per shop, business day and category (from the published catalogue; "" when none): lines
    sold and returned and their amounts (returns as positive amounts)."""

    shop_id = peewee.CharField(max_length=32)
    span = peewee.CharField(max_length=1)
    day = peewee.DateField()
    category = peewee.CharField(max_length=80, default="")
    sales_lines = peewee.IntegerField(default=0)
    sales_cents = peewee.BigIntegerField(default=0)
    returns_lines = peewee.IntegerField(default=0)
    returns_cents = peewee.BigIntegerField(default=0)

    class Meta:
        indexes = ((("shop_id", "span", "day", "category"), True),)


class ProductDay(_Model):
    """Per shop, business day and product (its SKU): lines, quantities and amounts sold and returned."""

    shop_id = peewee.CharField(max_length=32)
    span = peewee.CharField(max_length=1)
    day = peewee.DateField()
    sku = peewee.CharField(max_length=64)
    label = peewee.CharField(max_length=200, default="")
    category = peewee.CharField(max_length=80, default="")
    sales_lines = peewee.IntegerField(default=0)
    sales_quantity = peewee.BigIntegerField(default=0)
    sales_cents = peewee.BigIntegerField(default=0)
    returns_lines = peewee.IntegerField(default=0)
    returns_quantity = peewee.BigIntegerField(default=0)
    returns_cents = peewee.BigIntegerField(default=0)

    class Meta:
        indexes = ((("shop_id", "span", "day", "sku"), True),)


class ReturnDay(_Model):
    """Per returning shop, business day, reason and selling shop (the shop whose receipt came
    back; "" for a return without a receipt, ``web`` for an online order): returned lines,
    their amount and the return tickets."""

    shop_id = peewee.CharField(max_length=32)
    span = peewee.CharField(max_length=1)
    day = peewee.DateField()
    reason = peewee.CharField(max_length=64, default="")
    selling_shop_id = peewee.CharField(max_length=32, default="")
    tickets = peewee.IntegerField(default=0)
    returns_lines = peewee.IntegerField(default=0)
    returns_cents = peewee.BigIntegerField(default=0)

    class Meta:
        indexes = ((("shop_id", "span", "day", "reason", "selling_shop_id"), True), (("span", "day"), False))


class ReturnTicket(_Model):
    """Which return tickets stand behind a reason (the drill-down from ``ReturnDay``): the
    ticket's record is found by its till and sequence (``Record``'s unique index)."""

    shop_id = peewee.CharField(max_length=32)
    day = peewee.DateField()
    reason = peewee.CharField(max_length=64, default="")
    selling_shop_id = peewee.CharField(max_length=32, default="")
    till_id = peewee.CharField(max_length=16)
    sequence = peewee.IntegerField()
    code = peewee.CharField(max_length=40, default="")
    lines = peewee.IntegerField(default=0)
    amount_cents = peewee.BigIntegerField(default=0)

    class Meta:
        indexes = ((("till_id", "sequence", "reason"), True), (("reason", "day"), False),
                   (("shop_id", "reason", "day"), False))


class CreditMove(_Model):
    """A credit note issued or spent by a ticket (``kind``: ``issued`` or ``spent``): a note's
    history by code, and the notes a shop issued, without reading ``Record``."""

    code = peewee.CharField(max_length=40, index=True)
    kind = peewee.CharField(max_length=8)
    shop_id = peewee.CharField(max_length=32)
    day = peewee.DateField()
    till_id = peewee.CharField(max_length=16)
    sequence = peewee.IntegerField()
    amount_cents = peewee.BigIntegerField()

    class Meta:
        indexes = ((("till_id", "sequence", "code", "kind"), True),)


AGGREGATES = [ShopDay, CategoryDay, ProductDay, ReturnDay, ReturnTicket, CreditMove]
"""The tables ``till-headoffice aggregates rebuild`` empties and fills again from ``Record``."""
