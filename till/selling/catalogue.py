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


_rates: dict[tuple[str, dt.date], int] = {}


def vat_rate_bp(vat_code: str, on: dt.date) -> int:
    """The value of VAT rate ``vat_code`` in force on ``on``, in basis points."""
    key = (vat_code, on)
    if key not in _rates:
        rate = (
            VatRate.select()
            .where(
                (VatRate.code == vat_code)
                & (VatRate.valid_from <= on)
                & ((VatRate.valid_to.is_null()) | (VatRate.valid_to >= on))
            )
            .order_by(VatRate.valid_from.desc())
            .first()
        )
        if rate is None:
            raise TillError("No VAT rate {code} is in force on {date}", code=vat_code, date=on.isoformat())
        _rates[key] = rate.rate_bp
    return _rates[key]


def forget_cached_rates() -> None:
    """Drop cached rates (after the rates table changed, or another database was opened)."""
    _rates.clear()
