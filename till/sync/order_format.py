"""The rules of an online order that need no catalogue: one set, for the till and head office.

An order reaches a till two ways: ``till import orders`` (a file) and head office, which takes it
from the web shop (``POST /webshop/v1/orders``) and the tills pull it. Both must refuse the same
orders, or head office would accept one that every till then refuses to import. So the checks
that need nothing but the order itself (its shape, number, time, customer fields, each line's
quantity, prices, discount and total, the payment's total, text lengths) live here, in a module
with no store and no catalogue, which head office may import. What needs a catalogue is asked of
the caller through ``Catalogue``: the till answers from its products and VAT rates, head office
from its published catalogue document (where a rate in force is not known: a line of an unknown
product then carries its own rate, exactly as the till requires).

A refusal is an ``OrderFormatError`` holding a message id and its parameters: the till raises it
again as its translated ``OrderImportError``; head office answers its English ``text()``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Protocol

from till.money import line_total

__all__ = ["OrderFormatError", "Catalogue", "KnownProduct", "CheckedLine", "CheckedOrder", "check_order",
           "order_digest", "fail", "NUMBER_MAX"]

NUMBER_MAX = 40
"""The longest order number (the column of the till and of head office)."""


class OrderFormatError(Exception):
    """An order refused: ``message`` is a whole message id, ``params`` its named values."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.message, self.params = message, params

    def text(self) -> str:
        """The English text (the message ids are English)."""
        return self.message.format(**self.params)

    @property
    def field(self) -> str | None:
        """The field the refusal names, when it names one."""
        return self.params.get("field")


@dataclass(frozen=True)
class KnownProduct:
    """What a catalogue tells of a line's product."""

    id: int | None
    sku: str
    name: str
    vat_code: str


class Catalogue(Protocol):
    """What the checks ask of the caller's catalogue."""

    def product(self, sku: str | None, barcode: str | None) -> KnownProduct | None:
        """The product by barcode first, then by SKU; None when unknown."""

    def vat_rate_bp(self, vat_code: str, on: dt.date, where: str) -> int | None:
        """The rate of ``vat_code`` in force on ``on``; None when the caller does not know rates;
        ``OrderFormatError`` (for order ``where``) when there is none."""


@dataclass(frozen=True)
class CheckedLine:
    product_id: int | None
    sku: str
    label: str
    quantity: int
    unit_price_cents: int
    discount_cents: int
    total_cents: int
    vat_code: str
    vat_rate_bp: int | None
    serial: str | None


@dataclass(frozen=True)
class CheckedOrder:
    number: str
    source: str
    ordered_at: dt.datetime
    customer: dict[str, Any] | None
    """The raw customer object (its name and e-mail checked): the till matches it to a customer."""
    customer_name: str | None
    email: str | None
    paid_cents: int
    payment_means: str
    lines: tuple[CheckedLine, ...]
    digest: str

    @property
    def total_cents(self) -> int:
        return sum(line.total_cents for line in self.lines)


def fail(where: str, message: str, **params: Any) -> OrderFormatError:
    """The refusal of order ``where``; ``message`` is a whole message id (translated as it is)."""
    return OrderFormatError(message, order=where, **params)


def order_digest(raw: Any) -> str:
    """The SHA-256 of an order's canonical JSON: the same order sent again has the same digest."""
    return hashlib.sha256(json.dumps(raw, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
                          .encode("utf-8")).hexdigest()


def _cents(value: Any, where: str, name: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(where, "Order {order}: {field} must be a whole number of cents: nothing was imported", field=name)
    if value < minimum:
        raise fail(where, "Order {order}: {field} cannot be below {minimum}"
                          ": nothing was imported", field=name, minimum=minimum)
    return value


def _text(value: Any, where: str, name: str, limit: int, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise fail(where, "Order {order}: {field} must be a text: nothing was imported", field=name)
    if len(value.strip()) > limit:
        raise fail(where, "Order {order}: {field} is longer than {limit} characters"
                          ": nothing was imported", field=name, limit=limit)
    return value.strip()


def _when(value: Any, where: str) -> dt.datetime:
    try:
        when = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise fail(where, "Order {order}: ordered_at must be an ISO date and time, e.g. 2026-11-20T14:03:00Z"
                          ": nothing was imported", field="ordered_at") from None
    if when.tzinfo is not None:
        when = when.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return when.replace(microsecond=0)


def _customer(raw: Any, where: str) -> tuple[str | None, str | None]:
    if raw is None:
        return None, None
    if not isinstance(raw, dict):
        raise fail(where, "Order {order}: customer must be an object: nothing was imported", field="customer")
    return (_text(raw.get("name"), where, "customer.name", 160, required=False),
            _text(raw.get("email"), where, "customer.email", 160, required=False))


def _line(raw: Any, where: str, on: dt.date, catalogue: Catalogue) -> CheckedLine:
    if not isinstance(raw, dict):
        raise fail(where, "Order {order}: each line must be an object: nothing was imported", field="lines")
    product = catalogue.product(str(raw["sku"]) if raw.get("sku") else None,
                                str(raw["barcode"]) if raw.get("barcode") else None)
    sku = _text(raw.get("sku") or (product.sku if product else None), where, "sku", 32)
    quantity = raw.get("quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise fail(where, "Order {order}: quantity of {sku} must be a whole number above 0"
                          ": nothing was imported", sku=sku, field="quantity")
    if product is None and not all(raw.get(key) is not None for key in ("label", "vat_code", "vat_rate_bp")):
        raise fail(where, "Order {order}: {sku} is not in the catalogue: give its label, vat_code and vat_rate_bp"
                          ": nothing was imported", sku=sku, field="sku")
    label = _text(raw.get("label") or product.name, where, "label", 120)
    vat_code = _text(raw.get("vat_code") or product.vat_code, where, "vat_code", 8)
    if raw.get("vat_rate_bp") is not None:
        rate = _cents(raw["vat_rate_bp"], where, "vat_rate_bp")
    else:
        rate = catalogue.vat_rate_bp(vat_code, on, where)
    unit_price = _cents(raw.get("unit_price_cents"), where, "unit_price_cents")
    discount = _cents(raw.get("discount_cents", 0), where, "discount_cents")
    total = line_total(unit_price, quantity) - discount
    if total < 0:
        raise fail(where, "Order {order}: the discount of {sku} is more than its price: nothing was imported",
                   sku=sku, field="discount_cents")
    if raw.get("total_cents") is not None and _cents(raw["total_cents"], where, "total_cents") != total:
        raise fail(where, "Order {order}: total_cents of {sku} is not quantity x price - discount ({total})"
                          ": nothing was imported", sku=sku, total=total, field="total_cents")
    serial = _text(raw.get("serial"), where, "serial", 64, required=False)
    return CheckedLine(product_id=product.id if product else None, sku=sku, label=label, quantity=quantity,
                       unit_price_cents=unit_price, discount_cents=discount, total_cents=total, vat_code=vat_code,
                       vat_rate_bp=rate, serial=serial)


def check_order(raw: Any, index: int, catalogue: Catalogue) -> CheckedOrder:
    """Order ``raw`` (the ``index``-th of its file) checked, or ``OrderFormatError`` naming the
    order (its number, else ``#index``) and the field."""
    where = f"#{index}"
    if not isinstance(raw, dict):
        raise fail(where, "Order {order}: must be an object: nothing was imported")
    number = _text(raw.get("number"), where, "number", NUMBER_MAX)
    where = number
    ordered_at = _when(raw.get("ordered_at"), where)
    customer_name, email = _customer(raw.get("customer"), where)
    lines_raw = raw.get("lines")
    if not isinstance(lines_raw, list) or not lines_raw:
        raise fail(where, "Order {order}: lines must be a list of at least one line: nothing was imported",
                   field="lines")
    lines = tuple(_line(line, where, ordered_at.date(), catalogue) for line in lines_raw)
    payment = raw.get("payment") or {}
    if not isinstance(payment, dict):
        raise fail(where, "Order {order}: payment must be an object: nothing was imported", field="payment")
    total = sum(line.total_cents for line in lines)
    paid = _cents(payment.get("amount_cents", total), where, "payment.amount_cents")
    if paid != total:
        raise fail(where, "Order {order}: paid {paid} cents for lines worth {total} cents"
                          ": nothing was imported", paid=paid, total=total, field="payment.amount_cents")
    means = _text(payment.get("means", "online"), where, "payment.means", 32)
    source = _text(raw.get("source", "web"), where, "source", 40)
    customer = raw.get("customer")
    return CheckedOrder(number, source, ordered_at, customer, customer_name, email, paid, means, lines,
                        order_digest(raw))
