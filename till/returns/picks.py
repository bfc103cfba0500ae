"""What a return takes back: a picked line, and where each kind of returned item goes in stock.

The disposition names are the configuration's (``till.config.reasons.DISPOSITION_NAMES``, which
``[returns] dispositions`` is checked against); the stock location of each is the stock's
(``till.selling.stock.DISPOSITION_LOCATIONS``), which the journal verifier rebuilds movements with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from store.models import GRAM
from till.money import line_total
from till.returns.lines import ReturnableLine
from till.selling.priced_item import PricedItem
from till.selling.stock import DISPOSITION_LOCATIONS
from till.selling.ticket_writer import DraftLine

DISPOSITIONS = DISPOSITION_LOCATIONS
"""What happens to a returned item -> the stock location it goes to (``till.selling.stock``'s)."""


@dataclass(frozen=True)
class Pick(PricedItem):
    """A line to take back: from the original ticket (``origin``) or, without receipt, a product."""

    key: int
    unit: str
    quantity: int
    origin: ReturnableLine | None = None
    reason: str | None = None
    note: str | None = None
    disposition: str = "restock"
    serial: str | None = None
    disposition_chosen: bool = False
    """The cashier chose the disposition; otherwise it follows the reason (``returns.dispositions``)."""

    @property
    def amount_cents(self) -> int:
        """What this line gives back (positive), with the returned quantities known so far."""
        if self.origin is not None:
            return self.origin.amounts(self.quantity)[0]
        return line_total(self.unit_price_cents, self.quantity, per=1000 if self.unit == GRAM else 1)


def draft_lines(picks: Iterable[Pick], new_items: Iterable = ()) -> list[DraftLine]:
    """The return ticket's lines: each pick negative, at its share of the original line's amount
    (``ReturnableLine.amounts``) or, without a receipt, at its own price; then an exchange's new
    items as sold."""
    lines: list[DraftLine] = []
    for pick in picks:
        if pick.origin is not None:
            total, discount = pick.origin.amounts(pick.quantity)
        else:
            total, discount = pick.amount_cents, 0
        reason = pick.reason if not pick.note else f"{pick.reason}: {pick.note}"
        lines.append(DraftLine(
            product_id=pick.product_id, sku=pick.sku, label=pick.label, quantity=-pick.quantity,
            unit=pick.unit, unit_price_cents=pick.unit_price_cents, discount_cents=-discount,
            total_cents=-total, vat_code=pick.vat_code, vat_rate_bp=pick.vat_rate_bp,
            origin_line_id=pick.origin.line_id if pick.origin and not pick.origin.from_order else None,
            origin_order_line_id=pick.origin.line_id if pick.origin and pick.origin.from_order else None,
            reason=reason[:64],
            disposition=pick.disposition, serial=pick.serial, stock_location=DISPOSITIONS[pick.disposition],
        ))
    for line in new_items:
        lines.append(DraftLine(
            product_id=line.product_id, sku=line.sku, label=line.label, quantity=line.quantity,
            unit=line.unit, unit_price_cents=line.unit_price_cents, discount_cents=line.discount_cents,
            total_cents=line.total_cents, vat_code=line.vat_code, vat_rate_bp=line.vat_rate_bp,
        ))
    return lines
