"""What every kind of line says of the product it carries, declared once.

A basket line, a line about to be written (``DraftLine``), a line of an online order being
imported, a line of a ticket a return starts from and a line being taken back all carry the
same facts, taken from the catalogue when the item was sold: which product, its SKU and label,
its unit price and its VAT. They are copied rather than looked up because a ticket prints, is
returned and is refunded at the price and VAT it was sold at, whatever the catalogue says later.

Quantities, units, discounts and totals differ from one kind of line to the next (sold and
returned quantities, totals computed or given, no unit on an order line), so each declares its
own. The fields here are keyword-only: each subclass keeps its own fields' positions.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PricedItem"]


@dataclass(frozen=True, kw_only=True)
class PricedItem:
    """The product of a line and its price, as sold."""

    product_id: int | None
    """None when the item is not (or no longer) in the catalogue, e.g. a line of an imported order."""
    sku: str
    label: str
    unit_price_cents: int
    """VAT included; per piece, or per kilogram for goods sold by weight."""
    vat_code: str
    vat_rate_bp: int
    """The rate of ``vat_code`` at the time of the sale, in basis points (20% is 2000)."""
