"""Returns at the till, as the return tests open them."""

from __future__ import annotations

import pytest

from store.models import AccountingLine, FiscalRecord, Payment, StockMovement, Ticket, TicketLine
from till.returns.card import CardOutcomeUnknown
from till.returns.session import ReturnSession
from tests.support.queries import payments
from tests.support.shop import sell

COUNTED = (Ticket, TicketLine, Payment, StockMovement, AccountingLine, FiscalRecord)
"""What a return writes (``row_counts(*COUNTED)``: nothing of it when a return is refused)."""


def session(shop, **kw) -> ReturnSession:
    """A return session at the shop's till, by its cashier; the loss-prevention
    check at the return stays quiet (tests/loss and tests/ui/test_return_signals.py test it)."""
    from tests.support.loss import return_check_quiet  # deferred: the loss helpers import the session too

    return ReturnSession(return_check_quiet(shop.config), shop.ctx.sealer, shop.cashier, shop.ctx.terminal, **kw)


def exchanging(shop, sale, sku: str, reason: str, new_sku: str) -> ReturnSession:
    """A return session on ``sale`` taking back one ``sku`` for ``reason``, exchanged for one
    ``new_sku``: what an exchange test starts from, before it pays or completes."""
    from till.selling.basket import Basket  # deferred: only the exchange tests need a basket

    exchange = session(shop)
    exchange.open(sale)
    exchange.pick(line_of(exchange, sku).line_id, 1, reason=reason)
    basket = Basket(shop.config, shop.ctx.sealer, shop.cashier)
    basket.add_product(shop.products[new_sku], 1)
    exchange.exchange_with(basket)
    return exchange


def line_of(session_, sku):
    """The session's line of ``sku``."""
    return next(line for line in session_.lines if line.sku == sku)


def balanced(ticket) -> bool:
    """Lines, payments and total agree, and the ticket's postings balance."""
    lines = sum(line.total_cents for line in TicketLine.select().where(TicketLine.ticket == ticket.id))
    paid = sum(amount for _, amount in payments(ticket))
    postings = list(AccountingLine.select().where(AccountingLine.ticket == ticket.id))
    return lines == paid == ticket.total_cents and sum(p.debit_cents for p in postings) == sum(
        p.credit_cents for p in postings)


def unanswered_card_refund(shop, concert):
    """A card sale whose return's refund the terminal never answered (the simulator scripted to
    time out): the sale, with its refund row waiting for a manager's decision."""
    simulator, terminal = concert
    sale = sell(shop, [("WIN", 1)], card=895)
    refund = ReturnSession(shop.config, shop.ctx.sealer, shop.cashier, terminal)
    refund.open(sale)
    refund.pick(refund.lines[0].line_id, 1, reason="defective")
    simulator.script("timeout")
    with pytest.raises(CardOutcomeUnknown):
        refund.complete()
    return sale
