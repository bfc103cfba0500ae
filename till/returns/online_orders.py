"""Import online orders, so that what was bought on the web can be returned in the shop.

``till import orders FILE.json`` reads a file the web shop exports (``till sync`` and
``till.returns.remote_orders`` import head office's orders the same way):

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

The checks that need no catalogue are ``till.sync.order_format``'s, shared with head office (which
takes orders from the web shop by the same rules); this module adds the catalogue's part (a line's
product, the VAT rate in force) and the customer this shop knows.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from store.models import Customer, OnlineOrder, OnlineOrderLine
from till.selling import catalogue
from till.selling.priced_item import PricedItem
from till.errors import TillError
from till.fiscal.chain import current_database
from till.sync import order_format
from till.sync.order_format import KnownProduct


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

class _TillCatalogue:
    """The till's products and VAT rates, as ``till.sync.order_format`` asks for them."""

    def product(self, sku: str | None, barcode: str | None) -> KnownProduct | None:
        product = catalogue.product_by_barcode(barcode) if barcode else None
        if product is None and sku:
            product = catalogue.product_by_sku(sku)
        return None if product is None else KnownProduct(product.id, product.sku, product.name, product.vat_code)

    def vat_rate_bp(self, vat_code: str, on: dt.date, where: str) -> int:
        try:
            return catalogue.vat_rate_bp(vat_code, on)
        except TillError:
            raise order_format.fail(where, "Order {order}: no VAT rate {code} is in force on {date}"
                                           ": nothing was imported", code=vat_code, date=on.isoformat()) from None


def _parse(raw: Any, index: int) -> _Order:
    """One order checked by the shared rules (``till.sync.order_format``), its customer matched."""
    try:
        checked = order_format.check_order(raw, index, _TillCatalogue())
    except order_format.OrderFormatError as error:
        raise OrderImportError(error.message, **error.params) from None
    customer_id, customer_name = _customer(checked.customer, checked.customer_name)
    lines = tuple(_Line(product_id=line.product_id, sku=line.sku, label=line.label, quantity=line.quantity,
                        unit_price_cents=line.unit_price_cents, discount_cents=line.discount_cents,
                        total_cents=line.total_cents, vat_code=line.vat_code, vat_rate_bp=line.vat_rate_bp,
                        serial=line.serial) for line in checked.lines)
    return _Order(checked.number, checked.source, checked.ordered_at, customer_id, customer_name, checked.email,
                  checked.paid_cents, checked.payment_means, lines, checked.digest)


def _customer(raw: dict[str, Any] | None, name: str | None) -> tuple[int | None, str | None]:
    """(customer id if the shop knows them, name): by loyalty card, then e-mail, then phone."""
    if raw is None:
        return None, name
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
    return (match.id if match else None), name
