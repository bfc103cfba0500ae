"""The shop's return policy: windows, final sale, per-customer limits, no-receipt rules.

Each rule that a return breaks is a ``Breach`` naming its reason; the return session refuses
with ``PolicyBreach`` unless a manager approved that breach (with a note), and then records the
override in the technical-event chain (L) in the transaction that writes the return.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from store.models import EXCHANGE, RETURN, SALE, Category, Product, Ticket, TicketLine
from till.config.loader import ReturnsConfig
from till.errors import TillError
from till.i18n import Counted

WINDOW = "window"
FINAL_SALE = "final_sale"
CUSTOMER_LIMIT = "customer_limit"
NO_RECEIPT_MAX = "no_receipt_max"
NO_RECEIPT_CREDIT_ONLY = "no_receipt_credit_note_only"


@dataclass(frozen=True)
class Breach:
    """One rule a return breaks: ``code`` (one of the five above), an English message id and
    its parameters, as ``TillError`` takes them."""

    code: str
    message: str
    params: tuple[tuple[str, object], ...] = ()

    def error(self) -> "PolicyBreach":
        return PolicyBreach(self.code, self.message, **dict(self.params))

    def details(self) -> dict[str, object]:
        """The parameters as a manager's override records them: counts as plain numbers."""
        return {name: value.count if isinstance(value, Counted) else value for name, value in self.params}


def in_days(count: int) -> Counted:
    """A number of days as messages write it ("1 day", "30 days"), agreed in their language."""
    return Counted("{count} day", "{count} days", count)


class PolicyBreach(TillError):
    """A return breaks the shop's policy; a manager may approve it (PIN and note)."""

    def __init__(self, code: str, message: str, **params: object) -> None:
        super().__init__(message, **params)
        self.code = code


def window_days(product: Product | None, config: ReturnsConfig) -> int:
    """Days a product may come back: its own, else its category's (or a parent's), else the shop's."""
    if product is not None:
        if product.return_days is not None:
            return product.return_days
        category_id = product.category_id
        seen = set()
        while category_id is not None and category_id not in seen:
            seen.add(category_id)
            category = Category.get_or_none(Category.id == category_id)
            if category is None:
                break
            if category.return_days is not None:
                return category.return_days
            category_id = category.parent_id
    return config.window_days


def window_breach(product: Product | None, label: str, sold_at: dt.datetime, now: dt.datetime,
                  config: ReturnsConfig) -> Breach | None:
    days = window_days(product, config)
    age = (now.date() - sold_at.date()).days
    if age > days:
        return Breach(WINDOW, "{label} was bought {age} ago: returns are accepted for {days}",
                      (("label", label), ("age", in_days(age)), ("days", in_days(days))))
    return None


def final_sale_breach(product: Product | None, label: str) -> Breach | None:
    if product is not None and product.final_sale:
        return Breach(FINAL_SALE, "{label} was sold as final sale: it cannot be returned", (("label", label),))
    return None


def returns_in_period(customer_id: int, now: dt.datetime, config: ReturnsConfig) -> int:
    """The customer's returns and exchanges over the last ``customer_period_days``."""
    since = now - dt.timedelta(days=config.customer_period_days)
    return (Ticket.select().where((Ticket.customer == customer_id) & (Ticket.kind.in_([RETURN, EXCHANGE]))
                                  & (Ticket.created_at >= since)).count())


def customer_breach(customer_id: int | None, now: dt.datetime, config: ReturnsConfig) -> Breach | None:
    if customer_id is None or config.customer_max_returns <= 0:
        return None
    made = returns_in_period(customer_id, now, config)
    if made >= config.customer_max_returns:
        returns = Counted("{count} return", "{count} returns", made)
        return Breach(CUSTOMER_LIMIT, "This customer already made {count} in {days} (limit {limit})",
                      (("count", returns), ("days", in_days(config.customer_period_days)),
                       ("limit", config.customer_max_returns)))
    return None


def lowest_recent_price(product: Product, now: dt.datetime, config: ReturnsConfig) -> int:
    """The lowest price a unit of ``product`` was sold at (after discounts) over the last
    ``no_receipt_lookback_days``; its current price if it was not sold then (or cheaper now).

    Weighed products: the price of a kilogram, like ``Product.price_cents``.
    """
    since = now - dt.timedelta(days=config.no_receipt_lookback_days)
    rows = (TicketLine.select(TicketLine.quantity, TicketLine.total_cents, TicketLine.unit)
            .join(Ticket, on=(TicketLine.ticket == Ticket.id))
            .where((TicketLine.product == product.id) & (TicketLine.quantity > 0)
                   & (Ticket.kind.in_([SALE, EXCHANGE])) & (Ticket.created_at >= since)
                   & (Ticket.training == False))  # noqa: E712
            .tuples())
    lowest = product.price_cents
    for quantity, total, unit in rows:
        per = 1000 if unit == "g" else 1
        price = (total * per) // quantity  # rounded down: the customer never gains a cent
        lowest = min(lowest, price)
    return max(0, lowest)

