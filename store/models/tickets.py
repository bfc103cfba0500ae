"""Tickets: every fiscal document of chain T (sale, return, exchange, cancellation).

A ticket, its lines, per-rate VAT figures, payments and accounting lines are written once, in
one transaction with the fiscal record that seals them, and never updated or deleted: database
triggers refuse it (see ``store.migrations``). Corrections are new tickets with signed
quantities; a returned line is negative and points to the line it returns.
"""

from __future__ import annotations

import peewee

from store.models.base import BaseModel, CentsField, utcnow
from store.models.catalogue import Product
from store.models.orders import OnlineOrder, OnlineOrderLine
from store.models.people import Customer, User

SALE = "sale"
RETURN = "return"
EXCHANGE = "exchange"
CANCELLATION = "cancellation"

PIECE = "piece"
GRAM = "g"


class Ticket(BaseModel):
    """The header of a fiscal document; ``number`` is its gap-free sequence in the till's chain."""

    till_id = peewee.CharField(max_length=16)
    number = peewee.IntegerField()
    code = peewee.CharField(max_length=40, unique=True)
    kind = peewee.CharField(max_length=16, default=SALE)
    created_at = peewee.DateTimeField(default=utcnow, index=True)
    user = peewee.ForeignKeyField(User, backref="tickets", on_delete="RESTRICT")
    operator_name = peewee.CharField(max_length=80)
    customer = peewee.ForeignKeyField(Customer, null=True, backref="tickets", on_delete="RESTRICT")
    customer_name = peewee.CharField(max_length=160, null=True)
    origin_ticket = peewee.ForeignKeyField("self", null=True, backref="returns", on_delete="RESTRICT")
    total_cents = CentsField()
    discount_cents = CentsField(default=0)
    line_count = peewee.IntegerField()
    training = peewee.BooleanField(default=False)
    origin_reference = peewee.CharField(max_length=40, null=True)
    """What a return or exchange gives back, as printed: the original receipt's code (which names
    its till and number) or the online order's number."""
    origin_signature = peewee.TextField(null=True)
    """The signature of the original ticket's fiscal record, sealed into this ticket's own record, so
    the return's signature vouches for the very sale it reverses."""
    origin_order = peewee.ForeignKeyField(OnlineOrder, null=True, backref="returns", on_delete="RESTRICT")
    shop_name = peewee.CharField(max_length=160, null=True)
    """The shop's identity and the software as sealed in the ticket's record (``shop_*``,
    ``software_version``), printed on its receipt and every copy. NULL on tickets sealed before
    they were: those print the shop's current settings."""
    shop_address = peewee.TextField(null=True)
    shop_siret = peewee.CharField(max_length=32, null=True)
    shop_vat_number = peewee.CharField(max_length=32, null=True)
    software_version = peewee.CharField(max_length=32, null=True)

    class Meta:
        # Training tickets (chain X) have numbers of their own: unique with the flag. The
        # earliest counted ticket of a period is one probe of the second (m0013).
        indexes = ((("till_id", "number", "training"), True), (("till_id", "training", "created_at"), False))


class TicketLine(BaseModel):
    """A line as printed: label, quantity, unit price and VAT rate copied by value at the sale."""

    ticket = peewee.ForeignKeyField(Ticket, backref="lines", on_delete="RESTRICT")
    position = peewee.IntegerField()
    product = peewee.ForeignKeyField(Product, null=True, backref="ticket_lines", on_delete="RESTRICT")
    sku = peewee.CharField(max_length=32)
    label = peewee.CharField(max_length=120)
    quantity = peewee.IntegerField()
    unit = peewee.CharField(max_length=8, default=PIECE)
    unit_price_cents = CentsField()
    discount_cents = CentsField(default=0)
    total_cents = CentsField()
    vat_code = peewee.CharField(max_length=8)
    vat_rate_bp = peewee.IntegerField()
    origin_line = peewee.ForeignKeyField("self", null=True, backref="returned_by", on_delete="RESTRICT")
    reason = peewee.CharField(max_length=64, null=True)
    disposition = peewee.CharField(max_length=32, null=True)
    serial = peewee.CharField(max_length=64, null=True)
    origin_order_line = peewee.ForeignKeyField(OnlineOrderLine, null=True, backref="returned_by",
                                               on_delete="RESTRICT")

    class Meta:
        indexes = ((("ticket", "position"), True),)


class TicketVat(BaseModel):
    """A ticket's total of one VAT rate, split once: what closures and accounting add up."""

    ticket = peewee.ForeignKeyField(Ticket, backref="vat_lines", on_delete="RESTRICT")
    rate_bp = peewee.IntegerField()
    ttc_cents = CentsField()
    ht_cents = CentsField()
    vat_cents = CentsField()


class Payment(BaseModel):
    """Money received (positive) or handed back (negative, e.g. change in cash) on a ticket."""

    ticket = peewee.ForeignKeyField(Ticket, backref="payments", on_delete="RESTRICT")
    position = peewee.IntegerField()
    means = peewee.CharField(max_length=16)
    amount_cents = CentsField()
    reference = peewee.CharField(max_length=64, null=True)


class AccountingLine(BaseModel):
    """One side of a double-entry posting; each ticket's lines balance (debits = credits)."""

    ticket = peewee.ForeignKeyField(Ticket, null=True, backref="accounting_lines", on_delete="RESTRICT")
    journal = peewee.CharField(max_length=8)
    entry_date = peewee.DateField()
    account = peewee.CharField(max_length=16)
    label = peewee.CharField(max_length=120)
    debit_cents = CentsField(default=0)
    credit_cents = CentsField(default=0)
    created_at = peewee.DateTimeField(default=utcnow)
    cash_move = peewee.DeferredForeignKey("CashMove", null=True, backref="accounting_lines", on_delete="RESTRICT")
    """Set instead of ``ticket`` on the lines of a chain P document (``store.models.cash_moves``)."""
