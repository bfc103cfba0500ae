"""Look things up in the catalogue: a product by barcode or SKU, the VAT rate in force."""

from __future__ import annotations

import datetime as dt

from store.models import Barcode, Product, VatRate

from till.errors import TillError


class UnknownProduct(TillError):
    """No product answers to the scanned or typed code."""


def product_by_barcode(code: str) -> Product | None:
    """The active product carrying barcode ``code``, if any (one indexed query)."""
    return (
        Product.select()
        .join(Barcode)
        .where((Barcode.code == code) & (Product.active == True))  # noqa: E712
        .first()
    )


def product_by_sku(sku: str) -> Product | None:
    """The active product whose SKU is ``sku`` (case-insensitive), if any."""
    product = Product.get_or_none((Product.sku == sku) & (Product.active == True))  # noqa: E712
    if product is None and sku != sku.upper():
        product = Product.get_or_none((Product.sku == sku.upper()) & (Product.active == True))  # noqa: E712
    return product


def is_serial_tracked(product_id: int | None) -> bool:
    """Whether items of product ``product_id`` each carry a serial number (``None``: a line
    with no product). A return asks for the serial before taking such an item back, rather
    than after the session refuses it; a product since deactivated still counts."""
    if product_id is None:
        return False
    product = Product.get_or_none(Product.id == product_id)
    return bool(product is not None and product.serial_tracked)


_rates: dict[str, list[tuple[dt.date, dt.date | None, int]]] = {}
"""Each VAT code's rates, newest validity first: (valid from, valid to, basis points)."""


def vat_rate_bp(vat_code: str, on: dt.date) -> int:
    """The value of VAT rate ``vat_code`` in force on ``on``, in basis points.

    A code's few rates are read once and kept, all of them: a till that sells on a new day (or
    writes a history of many days) never asks the database again."""
    rates = _rates.get(vat_code)
    if rates is None:
        rates = _rates[vat_code] = [
            (valid_from, valid_to, rate_bp) for valid_from, valid_to, rate_bp in
            VatRate.select(VatRate.valid_from, VatRate.valid_to, VatRate.rate_bp)
            .where(VatRate.code == vat_code).order_by(VatRate.valid_from.desc()).tuples()]
    for valid_from, valid_to, rate_bp in rates:
        if valid_from <= on and (valid_to is None or valid_to >= on):
            return rate_bp
    raise TillError("No VAT rate {code} is in force on {date}", code=vat_code, date=on.isoformat())


def forget_cached_rates() -> None:
    """Drop cached rates (after the rates table changed, or another database was opened)."""
    _rates.clear()
