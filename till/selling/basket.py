"""The basket of a sale in progress, until it is paid.

Plain Python, no screen: the sale screen only forwards keys and scans here. Nothing is written
to the ticket tables until checkout (``till.selling.checkout.Checkout``); a voided line is recorded as
a technical event (chain L) at once, because removing a scanned item is what an auditor wants
to see. Lines carry a stable ``id`` so the screen can update its table row in place.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass, replace

from store.models import GRAM, PIECE, Customer, Product, User

from till.selling import catalogue
from till.selling.priced_item import PricedItem
from till.config.loader import Config
from till.errors import TillError
from till.fiscal.chain import Sealer
from till.fiscal.events import LINE_VOID, QUANTITY_LOWERED, record_event
from till.money import GRAMS_PER_KG, BASIS_POINTS, VatAmounts, allocate, line_total, percent_of, vat_breakdown
from till.scanning import (
    CreditNoteCode,
    InvalidCheckDigit,
    PricedCode,
    ProductCode,
    ReceiptProofCode,
    SkuCode,
    TicketCode,
    WeighedCode,
    parse,
    rules_from_config,
)


_TYPED_QUANTITY = re.compile(r"([0-9]{1,6})(?:[.,]([0-9]{1,3}))?")
"""A typed quantity: digits, then at most one decimal separator and three decimals (grams)."""


class SaleError(TillError):
    """A change to the basket was refused; the basket is as it was."""


class NeedsManager(SaleError):
    """The change is allowed only with a manager's PIN (e.g. a large discount)."""


@dataclass(frozen=True)
class BasketLine(PricedItem):
    """One line of the basket, priced VAT-inclusive."""

    id: int
    quantity: int
    unit: str
    discount_cents: int = 0

    @property
    def weighed(self) -> bool:
        """Sold by weight: ``quantity`` is in grams (shown in kg), not pieces."""
        return self.unit == GRAM

    @property
    def gross_cents(self) -> int:
        """Price before the line discount."""
        per = GRAMS_PER_KG if self.unit == GRAM else 1
        return line_total(self.unit_price_cents, self.quantity, per=per)

    @property
    def total_cents(self) -> int:
        """What the customer pays for this line."""
        return self.gross_cents - self.discount_cents


@dataclass(frozen=True)
class Totals:
    """What the customer pays, and its VAT split per rate."""

    total_cents: int
    discount_cents: int
    vat: tuple[VatAmounts, ...]
    line_count: int
    item_count: int


class Basket:
    """A sale being rung up by ``user`` at a till."""

    def __init__(self, config: Config, sealer: Sealer, user: User, today: dt.date | None = None,
                 training: bool = False) -> None:
        self.config = config
        self.sealer = sealer
        self.user = user
        self.training = training
        """Training mode: the ticket goes to chain X, marked FORMATION, with no effect on totals,
        stock, accounts or credit notes, and no card is charged."""
        self.today = today or dt.date.today()
        self.rules = rules_from_config(list(config.scanning.price_codes)) if config.scanning.price_codes else None
        self._lines: dict[int, BasketLine] = {}
        self._ids = itertools.count(1)
        self.customer: Customer | None = None
        self.ticket_discount_cents = 0

    # -- reading ---------------------------------------------------------------------------
    @property
    def lines(self) -> list[BasketLine]:
        """Lines in the order they were rung up, with any ticket discount spread over them."""
        lines = list(self._lines.values())
        if not self.ticket_discount_cents or not lines:
            return lines
        shares = allocate(self.ticket_discount_cents, [line.total_cents for line in lines])
        return [replace(line, discount_cents=line.discount_cents + share) for line, share in zip(lines, shares)]

    def line(self, line_id: int) -> BasketLine:
        """The line with ``line_id``, or a clear refusal."""
        try:
            return self._lines[line_id]
        except KeyError:
            raise SaleError("This line is no longer in the basket") from None

    @property
    def is_empty(self) -> bool:
        return not self._lines

    def totals(self) -> Totals:
        """Total, discounts and VAT per rate, computed as the ticket will store them."""
        lines = self.lines
        vat = tuple(vat_breakdown((line.vat_rate_bp, line.total_cents) for line in lines))
        return Totals(
            total_cents=sum(line.total_cents for line in lines),
            discount_cents=sum(line.discount_cents for line in lines),
            vat=vat,
            line_count=len(lines),
            item_count=sum(1 if line.unit == GRAM else line.quantity for line in lines),
        )

    # -- ringing up ------------------------------------------------------------------------
    def add_code(self, text: str) -> BasketLine:
        """Add what a scanned or typed code names; unknown or invalid codes change nothing."""
        try:
            scan = parse(text, self.rules) if self.rules is not None else parse(text)
        except InvalidCheckDigit as error:
            product = catalogue.product_by_sku(error.code)
            if product is None:
                raise
            return self.add_product(self._not_weighed(product), 1)
        if isinstance(scan, (TicketCode, ReceiptProofCode)):
            raise SaleError("This is a receipt, not an item: use Returns to take it back")
        if isinstance(scan, CreditNoteCode):
            raise SaleError("This is a credit note, not an item: use it to pay (F2, then F4)")
        if isinstance(scan, SkuCode):
            product = catalogue.product_by_barcode(scan.text) or catalogue.product_by_sku(scan.text)
            if product is None:
                raise catalogue.UnknownProduct("Unknown code {code}: nothing was added", code=scan.text)
            return self.add_product(self._not_weighed(product), scan.quantity)
        product = catalogue.product_by_barcode(scan.key)
        if product is None:
            raise catalogue.UnknownProduct("Unknown code {code}: nothing was added", code=scan.key)
        if isinstance(scan, WeighedCode):
            if not product.sold_by_weight:
                raise SaleError("{name} is not sold by weight", name=product.name)
            return self.add_product(product, scan.grams * scan.quantity)
        if isinstance(scan, PricedCode):
            return self.add_product(product, scan.quantity, price_cents=scan.price_cents)
        assert isinstance(scan, ProductCode)
        return self.add_product(self._not_weighed(product), scan.quantity)

    @staticmethod
    def _not_weighed(product: Product) -> Product:
        """A weighed product comes with its weight from the scale's label, never by its own code."""
        if product.sold_by_weight:
            raise SaleError("{name} is sold by weight: scan the scale's label", name=product.name)
        return product

    def add_product(self, product: Product, quantity: int = 1, price_cents: int | None = None) -> BasketLine:
        """Add ``quantity`` of ``product`` (grams for weighed goods), merging with its last line."""
        weighed = bool(product.sold_by_weight) and price_cents is None
        self._check_quantity(quantity, weighed)
        rate = catalogue.vat_rate_bp(product.vat_code, self.today)
        last = next(reversed(self._lines.values()), None)
        if (
            last is not None and not weighed and price_cents is None and last.product_id == product.id
            and last.discount_cents == 0 and last.unit_price_cents == product.price_cents
        ):
            return self.set_quantity(last.id, last.quantity + quantity)
        if price_cents is not None:
            # A price label: the line is one item at the printed price.
            line = BasketLine(id=next(self._ids), product_id=product.id, sku=product.sku, label=product.name,
                              quantity=quantity, unit=PIECE, unit_price_cents=price_cents,
                              vat_code=product.vat_code, vat_rate_bp=rate)
        else:
            line = BasketLine(id=next(self._ids), product_id=product.id, sku=product.sku, label=product.name,
                              quantity=quantity, unit=GRAM if weighed else PIECE,
                              unit_price_cents=product.price_cents, vat_code=product.vat_code, vat_rate_bp=rate)
        self._check_amount(line)
        self._lines[line.id] = line
        return line

    def set_quantity(self, line_id: int, quantity: int) -> BasketLine:
        """Change a line's quantity; 0, negative and absurd quantities are refused."""
        line = self.line(line_id)
        if line.unit == GRAM:
            raise SaleError("The weight comes from the scale and cannot be typed")
        return self._requantify(line, quantity)

    def set_typed_quantity(self, line_id: int, text: str) -> BasketLine:
        """A quantity the cashier typed (F3): a whole number for an item sold by the piece, a
        weight in kilograms (``1,5`` or ``0.250``) for one sold by weight. A comma or a point is
        never dropped: ``1,5`` of a bottle is refused, not read as 15."""
        line = self.line(line_id)
        text = (text or "").strip()
        match = _TYPED_QUANTITY.fullmatch(text)
        if match is None:
            raise SaleError("Type a quantity such as 3, or a weight such as 1,5 (kg) for goods sold by weight")
        whole, decimals = match.group(1), match.group(2)
        if line.unit != GRAM:
            if decimals is not None:
                raise SaleError("{label} is sold by the piece: the quantity is a whole number, not {text}",
                                label=line.label, text=text)
            return self.set_quantity(line_id, int(whole))
        return self._requantify(line, int(whole) * GRAMS_PER_KG + int((decimals or "").ljust(3, "0")[:3] or 0))

    def _requantify(self, line: BasketLine, quantity: int) -> BasketLine:
        """``line`` with ``quantity`` (grams for a weighed line), checked against the limits; a
        discount larger than the new amount is dropped. A lower quantity is sealed in chain L
        (QUANTITY_LOWERED), as a void is: taking items off a ticket before payment is what an
        inspector looks for (fiscal-fr.md R-INA-02); a higher one is just the sale."""
        self._check_quantity(quantity, line.unit == GRAM)
        changed = replace(line, quantity=quantity)
        if changed.discount_cents > changed.gross_cents:
            changed = replace(changed, discount_cents=0)
        self._check_amount(changed)
        if quantity < line.quantity:
            record_event(
                self.sealer, QUANTITY_LOWERED, "line quantity lowered before payment", user_id=self.user.id,
                details={"sku": line.sku, "label": line.label, "unit": line.unit, "from_quantity": line.quantity,
                         "to_quantity": quantity, "from_total_cents": line.total_cents,
                         "to_total_cents": changed.total_cents},
            )
        self._lines[line.id] = changed
        return changed

    def void_line(self, line_id: int) -> None:
        """Remove a line before payment, and record the void in the technical-event chain."""
        line = self.line(line_id)
        record_event(
            self.sealer, LINE_VOID, "line voided before payment", user_id=self.user.id,
            details={"sku": line.sku, "label": line.label, "quantity": line.quantity,
                     "total_cents": line.total_cents},
        )
        del self._lines[line_id]

    # -- discounts and customer ------------------------------------------------------------
    def discount_needs_manager(self, percent_bp: int) -> bool:
        """True when a discount of ``percent_bp`` exceeds what a cashier may give alone."""
        return percent_bp > self.config.sale.manager_discount_percent * 100

    def discount_line(self, line_id: int, percent_bp: int | None = None, amount_cents: int | None = None,
                      approved_by: User | None = None) -> BasketLine:
        """Discount one line by a percentage or an amount; above the limit, a manager approves."""
        line = self.line(line_id)
        amount = self._discount_amount(line.gross_cents, percent_bp, amount_cents, approved_by)
        changed = replace(line, discount_cents=amount)
        self._lines[line_id] = changed
        return changed

    def discount_ticket(self, percent_bp: int | None = None, amount_cents: int | None = None,
                        approved_by: User | None = None) -> int:
        """Discount the whole basket; the amount is spread over the lines pro rata."""
        if self.is_empty:
            raise SaleError("The basket is empty")
        before = sum(line.total_cents for line in self._lines.values())
        self.ticket_discount_cents = self._discount_amount(before, percent_bp, amount_cents, approved_by)
        return self.ticket_discount_cents

    def _discount_amount(self, base: int, percent_bp: int | None, amount_cents: int | None,
                         approved_by: User | None) -> int:
        if (percent_bp is None) == (amount_cents is None):
            raise SaleError("Give a discount as a percentage or as an amount")
        if percent_bp is not None:
            if not 0 <= percent_bp <= BASIS_POINTS:
                raise SaleError("A discount is between 0 and 100 %")
            amount = percent_of(base, percent_bp)
        else:
            amount = amount_cents or 0
        if amount < 0 or amount > base:
            raise SaleError("A discount cannot exceed the price")
        effective_bp = percent_bp if percent_bp is not None else (0 if base == 0 else amount * BASIS_POINTS // base)
        if self.discount_needs_manager(effective_bp) and approved_by is None:
            raise NeedsManager("A discount above {limit} % needs a manager's PIN",
                               limit=self.config.sale.manager_discount_percent)
        return amount

    def attach_customer(self, customer: Customer | None) -> None:
        """Name the customer on the ticket (or remove them with ``None``)."""
        self.customer = customer

    # -- checks -------------------------------------------------------------------------------
    def _check_quantity(self, quantity: int, weighed: bool) -> None:
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
            raise SaleError("A quantity must be a whole number above 0")
        limit = 100_000 if weighed else self.config.sale.max_quantity
        if quantity > limit:
            raise SaleError("A quantity of {quantity} is more than the limit of {limit}", quantity=quantity,
                            limit=limit)

    def _check_amount(self, line: BasketLine) -> None:
        if line.gross_cents > self.config.sale.max_line_cents:
            raise SaleError("This line's amount is above the till's limit: check the quantity")
