"""Training mode (R-TRN): practice tickets in their own chain X, marked FORMATION, with no effect
on totals, stock, accounts or credit notes, and no card charged."""

from __future__ import annotations

import pytest

from store.models import AccountingLine, FiscalRecord, OutboxJob, StockMovement, Ticket
from till.errors import TillError
from till.fiscal.closures import close_day
from till.fiscal.verify import verify_journal
from till.aftersale.jobs import receipt_lines
from till.returns.session import ReturnError, find_ticket
from till.selling.basket import Basket
from till.selling.checkout import Checkout, PaymentError
from tests.support.shop import sell


def training_sale(shop, card=False):
    basket = Basket(shop.config, shop.ctx.sealer, shop.cashier, training=True)
    basket.add_product(shop.products["WIN"], 2)
    checkout = Checkout(basket, shop.ctx.terminal)
    if card:
        checkout.pay_card()
    else:
        checkout.add_cash(2000)
    return checkout.complete().ticket


def test_a_training_sale_is_sealed_in_x_and_touches_nothing_else(shop):
    real = sell(shop, [("SOA", 1)], cash=350)
    movements, postings = StockMovement.select().count(), AccountingLine.select().count()
    training = training_sale(shop)
    assert training.training and training.code.startswith("X01-") and training.number == 1
    (record,) = FiscalRecord.select().where(FiscalRecord.ticket_id == training.id)
    assert (record.chain, record.sequence) == ("X", 1)
    assert StockMovement.select().count() == movements and AccountingLine.select().count() == postings
    assert [j.kind for j in OutboxJob.select().where(OutboxJob.payload.contains(f'"ticket_id": {training.id}'))] == [
        "print_receipt"]  # no drawer
    # real numbering goes on, gap-free, next to the training numbers
    again = sell(shop, [("SOA", 1)], cash=350)
    assert (real.number, again.number) == (1, 2)
    assert verify_journal(workers=0).ok


def test_training_is_left_out_of_the_closure_and_never_waits_for_one(shop):
    sell(shop, [("SOA", 1)], cash=350)
    training_sale(shop)
    (closure,) = close_day(shop.ctx.sealer)
    assert (closure.totals.ticket_count, closure.totals.sales) == (1, 350)
    training_sale(shop)  # the day is closed: a real sale is refused, practice is not
    with pytest.raises(TillError, match="already closed"):
        sell(shop, [("SOA", 1)], cash=350)


def test_a_training_card_payment_never_reaches_the_terminal(shop):
    asked = []
    terminal = shop.ctx.terminal
    original = terminal.sale
    terminal.sale = lambda *a, **k: asked.append(a) or original(*a, **k)
    ticket = training_sale(shop, card=True)
    assert asked == []
    assert [(p.means, p.reference) for p in ticket.payments] == [("card", "FORMATION")]


def test_credit_notes_and_returns_are_refused_in_training(shop):
    basket = Basket(shop.config, shop.ctx.sealer, shop.cashier, training=True)
    basket.add_product(shop.products["WIN"], 1)
    with pytest.raises(PaymentError, match="training mode"):
        Checkout(basket, None).add_credit_note("AV-0000-0000-0000-0000-0")
    ticket = training_sale(shop)
    with pytest.raises(ReturnError):
        find_ticket(ticket.code, "01")


def test_every_training_receipt_says_formation_top_and_bottom(shop):
    ticket = training_sale(shop)
    lines = receipt_lines(shop.config, ticket.id)
    assert "FORMATION" in lines[0] and any("FORMATION" in line for line in lines[-4:])  # code printed last
    assert any("FORMATION - VENTE" in line for line in lines)
    assert Ticket.get_by_id(ticket.id).training
