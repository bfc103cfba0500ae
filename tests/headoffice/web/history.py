"""A small history made by a real till and synced to the real head office: sales, returns
with reasons, a credit note issued and part spent; and what the till itself says it did, to
compare the pages' figures with."""

from __future__ import annotations

from dataclasses import dataclass

from store.models import Ticket, TicketLine
from till.selling.basket import Basket
from till.selling.checkout import Checkout
from till.sync.push import EXIT_OK, run_sync
from tests.support.credit import issue_note
from tests.support.headoffice import settings_for
from tests.support.returns import line_of, session
from tests.support.shop import PRODUCTS, sell

_CATEGORIES = {"BAG": "Boulangerie", "COF": "Épicerie", "WIN": "Cave", "SOA": "Droguerie"}
CATALOGUE = {"products": [{"sku": sku, "name": name, "price_cents": price, "vat_code": vat,
                           "category": _CATEGORIES.get(sku, "Divers")} for sku, name, price, vat, _weighed in PRODUCTS]}
"""The catalogue head office publishes: the categories the pages group by (by SKU)."""


@dataclass
class History:
    sales: list
    returns: list
    note_code: str


def make_history(shop) -> History:
    """Three sales, two returns (``defective``: one soap; ``changed_mind``: one coffee), a credit
    note of 5,00 € issued and 2,00 € of it spent on a baguette sale."""
    first = sell(shop, [("BAG", 2), ("COF", 1)])
    second = sell(shop, [("WIN", 1), ("SOA", 2)])
    third = sell(shop, [("BAG", 3)])
    returns = []
    for sale, sku, reason in ((second, "SOA", "defective"), (first, "COF", "changed_mind")):
        back = session(shop)
        back.open(sale)
        back.pick(line_of(back, sku).line_id, 1, reason=reason)
        returns.append(back.complete())
    note = issue_note(shop, 500)
    basket = Basket(shop.config, shop.ctx.sealer, shop.cashier)
    basket.add_product(shop.products["BAG"], 1)
    checkout = Checkout(basket, shop.ctx.terminal)
    checkout.add_credit_note(note.code, 120)
    spent = checkout.complete().ticket
    return History([first, second, third, spent], returns, note.code)


def sync(shop, office) -> None:
    result = run_sync(shop.ctx, settings_for(office.url))
    assert result.exit_code == EXIT_OK, result.message


def till_figures(shop) -> dict[str, int]:
    """What the till's own tickets say: sales (positive lines) and returns (negative lines, positive)."""
    totals = [line.total_cents for line in TicketLine.select().join(Ticket)
              .where(Ticket.till_id == shop.ctx.till_id, Ticket.training == False)]  # noqa: E712
    return {"sales_cents": sum(t for t in totals if t >= 0), "returns_cents": -sum(t for t in totals if t < 0),
            "tickets": Ticket.select().where(Ticket.till_id == shop.ctx.till_id,
                                             Ticket.training == False).count()}  # noqa: E712
