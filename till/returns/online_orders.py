"""Import online orders, so that what was bought on the web can be returned in the shop.

``till import orders FILE.json`` reads a file the web shop (later head office) exports:

    {"orders": [{"number": "WEB-100234", "ordered_at": "2026-11-20T14:03:00Z",
                 "customer": {"name": "Hélène Dupré", "email": "helene@example.fr"},
                 "payment": {"means": "card", "amount_cents": 4480},
                 "lines": [{"sku": "SHIRT-M", "quantity": 2, "unit_price_cents": 2240}]}]}

Amounts are integer cents (a decimal or a float is refused: no money goes through a float).
A line names its product by ``sku`` or ``barcode``; label and VAT code default to the product's,
and the VAT rate to the one in force on the order's date. A line of an unknown product is kept
(it can be refunded, not restocked) when it carries its own label, VAT code and rate.

The whole file is checked before anything is written, then written in one transaction: a file
with one bad order imports nothing, and the message names the order and the field. An order
already imported with the same content is skipped (the job can run again); with other content
it is refused, since returns may already point at its lines (the tables are append-only).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from store.models import Customer, OnlineOrder, OnlineOrderLine
from till.selling import catalogue
from till.selling.priced_item import PricedItem
from till.errors import TillError
from till.fiscal.chain import current_database
from till.money import line_total


class OrderImportError(TillError):
    """An order file was refused; nothing was imported."""


@dataclass
class ImportResult:
    """What an import did: the numbers of the orders written, and of those already there."""

    imported: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Line(PricedItem):
    quantity: int
    discount_cents: int
    total_cents: int
    serial: str | None


@dataclass(frozen=True)
class _Order:
    number: str
    source: str
    ordered_at: dt.datetime
    customer_id: int | None
    customer_name: str | None
    email: str | None
    paid_cents: int
    payment_means: str
    lines: tuple[_Line, ...]
    digest: str

    @property
    def total_cents(self) -> int:
        return sum(line.total_cents for line in self.lines)


def import_file(path: str | Path) -> ImportResult:
    """Import every order of the JSON file at ``path`` (see the module docstring)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise OrderImportError("Cannot read order file {file}: {reason}", file=str(path),
                               reason=getattr(error, "strerror", None) or str(error)) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise OrderImportError("{file}, line {line}: not valid JSON ({reason})", file=str(path), line=error.lineno,
                               reason=error.msg) from None
    return import_orders(data)


def import_orders(data: Any) -> ImportResult:
    """Import ``{"orders": [...]}``: all checked first, then written in one transaction."""
    if not isinstance(data, dict) or not isinstance(data.get("orders"), list):
        raise OrderImportError('An order file holds {"orders": [...]}')
    orders: list[_Order] = []
    seen: set[str] = set()
    for index, raw in enumerate(data["orders"], start=1):
        order = _parse(raw, index)
        if order.number in seen:
            raise OrderImportError("Order {number} is twice in the file", number=order.number)
        seen.add(order.number)
        orders.append(order)
    result = ImportResult()
    with current_database().atomic():
        for order in orders:
            known = OnlineOrder.get_or_none(OnlineOrder.number == order.number)
            if known is not None:
                if known.digest != order.digest:
                    raise OrderImportError("Order {number} was already imported with other content: nothing was "
                                           "imported", number=order.number)
                result.unchanged.append(order.number)
                continue
            _write(order)
            result.imported.append(order.number)
    return result


def _write(order: _Order) -> None:
    row = OnlineOrder.create(
        number=order.number, source=order.source, ordered_at=order.ordered_at, customer=order.customer_id,
        customer_name=order.customer_name, email=order.email, total_cents=order.total_cents,
        paid_cents=order.paid_cents, payment_means=order.payment_means, digest=order.digest)
    OnlineOrderLine.insert_many([
        {"order": row.id, "position": position, "product": line.product_id, "sku": line.sku, "label": line.label,
         "quantity": line.quantity, "unit_price_cents": line.unit_price_cents, "discount_cents": line.discount_cents,
         "total_cents": line.total_cents, "vat_code": line.vat_code, "vat_rate_bp": line.vat_rate_bp,
         "serial": line.serial}
        for position, line in enumerate(order.lines, start=1)
    ]).execute()


# --- checking one order -------------------------------------------------------------------------

def fail(where: str, message: str, **params: Any) -> OrderImportError:
    """The refusal of order ``where``; ``message`` is a whole message id (translated as it is)."""
    return OrderImportError(message, order=where, **params)


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
                          ": nothing was imported") from None
    if when.tzinfo is not None:
        when = when.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return when.replace(microsecond=0)


def _customer(raw: Any, where: str) -> tuple[int | None, str | None, str | None]:
    """(customer id if the shop knows them, name, e-mail): by loyalty card, then e-mail, then phone."""
    if raw is None:
        return None, None, None
    if not isinstance(raw, dict):
        raise fail(where, "Order {order}: customer must be an object: nothing was imported")
    name = _text(raw.get("name"), where, "customer.name", 160, required=False)
    email = _text(raw.get("email"), where, "customer.email", 160, required=False)
    match = None
    for key, column in (("loyalty_card", Customer.loyalty_card), ("email", Customer.email),
                        ("phone", Customer.phone)):
        value = raw.get(key)
        if isinstance(value, str) and value.strip():
            match = Customer.select().where(column == value.strip()).order_by(Customer.id).first()
            if match is not None:
                break
    if match is not None and name is None:
        name = match.display_name
    return (match.id if match else None), name, email


def _line(raw: Any, where: str, on: dt.date) -> _Line:
    if not isinstance(raw, dict):
        raise fail(where, "Order {order}: each line must be an object: nothing was imported")
    product = None
    if raw.get("barcode"):
        product = catalogue.product_by_barcode(str(raw["barcode"]))
    if product is None and raw.get("sku"):
        product = catalogue.product_by_sku(str(raw["sku"]))
    sku = _text(raw.get("sku") or (product.sku if product else None), where, "sku", 32)
    quantity = raw.get("quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise fail(where, "Order {order}: quantity of {sku} must be a whole number above 0"
                          ": nothing was imported", sku=sku)
    if product is None and not all(raw.get(key) is not None for key in ("label", "vat_code", "vat_rate_bp")):
        raise fail(where, "Order {order}: {sku} is not in the catalogue: give its label, vat_code and vat_rate_bp"
                          ": nothing was imported", sku=sku)
    label = _text(raw.get("label") or product.name, where, "label", 120)
    vat_code = _text(raw.get("vat_code") or product.vat_code, where, "vat_code", 8)
    if raw.get("vat_rate_bp") is not None:
        rate = _cents(raw["vat_rate_bp"], where, "vat_rate_bp")
    else:
        try:
            rate = catalogue.vat_rate_bp(vat_code, on)
        except TillError:
            raise fail(where, "Order {order}: no VAT rate {code} is in force on {date}"
                              ": nothing was imported", code=vat_code, date=on.isoformat()) from None
    unit_price = _cents(raw.get("unit_price_cents"), where, "unit_price_cents")
    discount = _cents(raw.get("discount_cents", 0), where, "discount_cents")
    total = line_total(unit_price, quantity) - discount
    if total < 0:
        raise fail(where, "Order {order}: the discount of {sku} is more than its price: nothing was imported", sku=sku)
    if raw.get("total_cents") is not None and _cents(raw["total_cents"], where, "total_cents") != total:
        raise fail(where, "Order {order}: total_cents of {sku} is not quantity x price - discount ({total})"
                          ": nothing was imported", sku=sku,
                    total=total)
    serial = _text(raw.get("serial"), where, "serial", 64, required=False)
    return _Line(product_id=product.id if product else None, sku=sku, label=label, quantity=quantity,
                 unit_price_cents=unit_price, discount_cents=discount, total_cents=total, vat_code=vat_code,
                 vat_rate_bp=rate, serial=serial)


def _parse(raw: Any, index: int) -> _Order:
    where = f"#{index}"
    if not isinstance(raw, dict):
        raise fail(where, "Order {order}: must be an object: nothing was imported")
    number = _text(raw.get("number"), where, "number", 40)
    where = number
    ordered_at = _when(raw.get("ordered_at"), where)
    customer_id, customer_name, email = _customer(raw.get("customer"), where)
    lines_raw = raw.get("lines")
    if not isinstance(lines_raw, list) or not lines_raw:
        raise fail(where, "Order {order}: lines must be a list of at least one line: nothing was imported")
    lines = tuple(_line(line, where, ordered_at.date()) for line in lines_raw)
    payment = raw.get("payment") or {}
    if not isinstance(payment, dict):
        raise fail(where, "Order {order}: payment must be an object: nothing was imported")
    total = sum(line.total_cents for line in lines)
    paid = _cents(payment.get("amount_cents", total), where, "payment.amount_cents")
    if paid != total:
        raise fail(where, "Order {order}: paid {paid} cents for lines worth {total} cents"
                          ": nothing was imported", paid=paid, total=total)
    means = _text(payment.get("means", "online"), where, "payment.means", 32)
    source = _text(raw.get("source", "web"), where, "source", 40)
    digest = hashlib.sha256(json.dumps(raw, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
                            .encode("utf-8")).hexdigest()
    return _Order(number, source, ordered_at, customer_id, customer_name, email, paid, means, lines, digest)
