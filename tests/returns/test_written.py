"""The money of a written return or exchange, as the sale screen repeats it: ``till.returns.written``."""

from __future__ import annotations

from till.returns.session import ReturnSession
from till.returns.written import WrittenReturn, written_return
from till.selling.basket import Basket
from tests.support.shop import sell


def opened(shop, sale, sku):
    session = ReturnSession.at(shop.ctx, shop.cashier)
    session.open(sale)
    line = next(line for line in session.lines if line.sku == sku)
    session.pick(line.line_id, 1, reason="wrong_size")
    return session


def test_a_return_says_what_was_refunded_by_which_means(shop):
    sale = sell(shop, [("WIN", 2)], cash=2000)
    ticket = opened(shop, sale, "WIN").complete()
    assert written_return(ticket) == WrittenReturn(ticket.code, False, (("cash", 895),), (), 0)
    assert written_return(ticket.id) == written_return(ticket)


def test_an_exchange_says_what_was_paid_and_the_change_not_as_a_refund(shop):
    sale = sell(shop, [("SOA", 1)], cash=350)
    session = opened(shop, sale, "SOA")
    basket = Basket(shop.config, shop.ctx.sealer, shop.cashier)
    basket.add_product(shop.products["WIN"], 1)
    session.exchange_with(basket)
    session.pay("cash", 1000)
    ticket = session.complete()
    assert written_return(ticket) == WrittenReturn(ticket.code, True, (), (("cash", 1000),), 455)


def test_an_exchange_in_the_customers_favour_is_a_refund(shop):
    sale = sell(shop, [("WIN", 1)], card=895)
    session = opened(shop, sale, "WIN")
    basket = Basket(shop.config, shop.ctx.sealer, shop.cashier)
    basket.add_product(shop.products["SOA"], 1)
    session.exchange_with(basket)
    ticket = session.complete()
    assert written_return(ticket) == WrittenReturn(ticket.code, True, (("card", 545),), (), 0)
