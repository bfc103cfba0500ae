"""The check at the return screen: this customer's and this receipt's signals, before the return."""

from __future__ import annotations

import datetime as dt

from store.models import utcnow
from till.aftersale.duplicates import make_duplicate
from till.loss.return_check import forget_medians, signals_for_return
from till.loss.signal import Thresholds
from till.loss.signals import thresholds_of
from till.people.customers import create_customer
from tests.support.clock import sealing_at
from tests.support.loss import bought_before, close_the_past, return_all, return_one, return_without_receipt
from tests.support.shop import sell


def test_the_check_names_a_customer_who_returns_without_receipts_and_a_receipt_just_reprinted(shop):
    forget_medians()
    thresholds = thresholds_of(shop.config.loss_prevention)
    customer = create_customer("Inès", "Client")
    sale = bought_before(shop, [("WIN", 1)], 2, customer=customer)
    close_the_past(shop)
    with sealing_at(utcnow() - dt.timedelta(hours=1)):
        make_duplicate(shop.ctx.sealer, sale, shop.cashier)
    first = return_without_receipt(shop, "SOA", customer)
    second = return_without_receipt(shop, "BAG", customer)

    found = signals_for_return(customer.id, sale.id, shop.manager.id, utcnow(), thresholds)
    assert {s.code for s in found} == {"customer_no_receipt", "receipt_reprinted"}
    no_receipt = next(s for s in found if s.code == "customer_no_receipt")
    assert no_receipt.evidence == (first.code, second.code)


def test_the_check_counts_this_visit_and_compares_the_cashier_with_the_seller(shop):
    forget_medians()
    sale = sell(shop, [("BAG", 1), ("COF", 1), ("SOA", 1)])
    session_refunds = [return_one(shop, sale, sku, user=shop.manager) for sku in ("BAG", "COF")]
    found = signals_for_return(None, sale.id, shop.cashier.id, utcnow(), Thresholds({}))
    assert {s.code for s in found} == {"receipt_many_visits", "receipt_same_cashier"}
    visits = next(s for s in found if s.code == "receipt_many_visits")
    assert visits.value == 3 and visits.evidence == (sale.code, *(r.code for r in session_refunds))


def test_a_plain_return_raises_nothing(shop):
    forget_medians()
    customer = create_customer("Nadia", "Client")
    sale = sell(shop, [("WIN", 1)], customer=customer)
    return_all(shop, sell(shop, [("SOA", 1)], customer=customer), user=shop.manager)
    assert signals_for_return(customer.id, sale.id, shop.manager.id, utcnow(),
                              thresholds_of(shop.config.loss_prevention)) == []

