"""A checkout through the real Concert driver on a pty, journaled: what the cashier is told,
and what the card journal keeps, when the terminal answers or goes silent."""

from __future__ import annotations

import pytest

from store.models import Ticket
from till.selling.card_settlement import reconcile
from till.selling.basket import Basket
from till.selling.checkout import Checkout, PaymentError
from store.models.payments import PendingPayment


def _checkout(shop, terminal):
    basket = Basket(shop.config, shop.ctx.sealer, shop.cashier)
    basket.add_product(shop.products["WIN"], 1)
    return Checkout(basket, terminal)


def test_an_approved_card_is_journaled_then_settled_by_its_ticket(shop, concert):
    simulator, terminal = concert
    checkout = _checkout(shop, terminal)
    checkout.pay_card()
    assert [row.status for row in PendingPayment.select()] == ["approved"]
    checkout.complete()
    assert [row.status for row in PendingPayment.select()] == ["settled"]
    assert simulator.requests == [("0", 895)]


def test_a_terminal_gone_silent_after_the_request_is_never_said_uncharged(shop, concert):
    simulator, terminal = concert
    simulator.script("timeout")
    checkout = _checkout(shop, terminal)
    with pytest.raises(PaymentError) as refused:
        checkout.pay_card()
    assert "may have gone through" in refused.value.text("en")
    (row,) = PendingPayment.select()
    assert row.status == "unknown" and Ticket.select().count() == 0
    from store.models import FiscalRecord
    from till.selling.card_journal import CARD_OUTCOME_UNKNOWN

    assert FiscalRecord.select().where(FiscalRecord.kind == CARD_OUTCOME_UNKNOWN).count() == 1  # for a manager
    assert reconcile(terminal, shop.ctx.till_id, sealer=shop.ctx.sealer).unknown == []  # already flagged, once
