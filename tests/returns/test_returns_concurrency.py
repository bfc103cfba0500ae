"""Two tills on one database return the same last unit at the same moment: exactly one wins.

On PostgreSQL the original lines are locked with ``SELECT ... FOR UPDATE`` (without it both
would succeed: checked by hand by disabling the lock); on SQLite the ``BEGIN IMMEDIATE``
transaction lets one writer in at a time.

Each thread has its own connection and its own ``Sealer`` (two tills of one shop). Both sessions
are prepared while the unit is still returnable, so both pass every check made before
``complete()``; the cap is enforced by the row lock taken inside the writing transaction. The
card terminal answers slowly (0.3 s) while the lock is held, so the two transactions overlap.
"""

from __future__ import annotations

import pytest

from store.models import Ticket, TicketLine
from till.fiscal.chain import Sealer
from till.fiscal.verify import verify_journal
from till.returns.session import ReturnError, ReturnSession
from till.selling.basket import Basket
from till.selling.checkout import Checkout
from tests.support.shop import complete_together


def _sale(shop, card: bool):
    basket = Basket(shop.config, shop.ctx.sealer, shop.cashier)
    basket.add_product(shop.products["WIN"], 2)
    checkout = Checkout(basket, shop.ctx.terminal)
    if card:
        checkout.pay_card()
    else:
        checkout.add_cash(checkout.due_cents)
    return checkout.complete().ticket


def _race(shop, sale, card: bool):
    ctx = shop.ctx
    sessions = []
    for _ in range(2):
        sealer = Sealer(ctx.till_id, ctx.sealer.signer, ctx.sealer.anchors)
        session = ReturnSession(ctx.config, sealer, shop.cashier, ctx.terminal)
        session.open(sale)
        line = next(line for line in session.lines if line.sku == "WIN")
        session.pick(line.line_id, 1, reason="defective")
        sessions.append(session)
    ctx.terminal.delay_s = 0.3
    try:
        return complete_together(ctx.database, sessions)
    finally:
        ctx.terminal.delay_s = 0.0


@pytest.mark.parametrize("card", [False, True], ids=["cash", "card"])
def test_two_tills_return_the_last_unit_together(any_shop, card):
    shop = any_shop
    sale = _sale(shop, card)
    # one of the two units already came back: the race is for the last one
    first = ReturnSession.at(shop.ctx, shop.cashier)
    first.open(sale)
    first.pick(next(l for l in first.lines if l.sku == "WIN").line_id, 1, reason="defective")
    first.complete()

    outcomes = _race(shop, sale, card)
    written = [o for o in outcomes if isinstance(o, Ticket)]
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(written) == 1 and len(refused) == 1, outcomes
    (error,) = refused
    assert isinstance(error, ReturnError), repr(error)
    if card:  # the winner's card refund claims the sale until its return is written
        assert error.message.startswith("A card {operation} on ticket {code} is in progress"), error.message
        assert "en cours" in error.text("fr")
    else:
        assert error.message == "Only {left} of {label} can still be returned"
        assert "il ne reste que" in error.text("fr")
    origin = TicketLine.get((TicketLine.ticket == sale.id) & (TicketLine.sku == "WIN"))
    returned = -sum(l.quantity for l in TicketLine.select().where(TicketLine.origin_line == origin.id))
    assert returned == 2
    if card:  # only the winner reached the terminal
        refunds = [r for r in shop.ctx.terminal.requests if r[0] == "refund"]
        assert len(refunds) == 2  # the first return and the winner
    assert verify_journal(anchors=shop.ctx.sealer.anchors).ok
