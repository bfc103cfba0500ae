"""What a return takes back: a picked line, and where each kind of returned item goes in stock.

The disposition names are the configuration's (``till.config.reasons.DISPOSITION_NAMES``, which
``[returns] dispositions`` is checked against); the stock location of each is the stock's
(``till.selling.stock.DISPOSITION_LOCATIONS``), which the journal verifier rebuilds movements with.
"""

from __future__ import annotations

from dataclasses import dataclass

from store.models import GRAM
from till.money import line_total
from till.returns.lines import ReturnableLine
from till.selling.priced_item import PricedItem
from till.selling.stock import DISPOSITION_LOCATIONS

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
