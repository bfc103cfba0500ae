"""Receipt and card signals, on histories written through the real workflows."""

from __future__ import annotations

import datetime as dt

from store.models import utcnow
from till.aftersale.duplicates import make_duplicate
from till.loss.signal import MEANS, RECEIPT
from tests.support.clock import sealing_at
from tests.support.loss import (bought_before, close_the_past, return_all, return_one, signals_today,
                                terminal_gives_card_digits)
from tests.support.shop import sell


def _reprinted(shop, sale, hours: float):
    """A duplicate of ``sale`` printed ``hours`` ago."""
    with sealing_at(utcnow() - dt.timedelta(hours=hours)):
        return make_duplicate(shop.ctx.sealer, sale, shop.cashier)


def test_a_receipt_reprinted_an_hour_before_its_return_is_flagged(shop):
    sale = bought_before(shop, [("WIN", 1)], 3)
    close_the_past(shop)
    copy = _reprinted(shop, sale, 1)
    refund = return_all(shop, sale, user=shop.manager)

    [signal] = signals_today(shop, code="receipt_reprinted")
    assert (signal.subject, signal.subject_id, signal.threshold) == (RECEIPT, sale.code, 24)
    assert 0.9 <= signal.value <= 1.1
    record = f"C01-{copy.record.sequence}"
    assert signal.evidence == (refund.code, sale.code, record) and signal.params["duplicate"] == record


def test_a_receipt_reprinted_days_before_its_return_is_not_flagged(shop):
    sale = bought_before(shop, [("WIN", 1)], 3)
    with sealing_at(utcnow() - dt.timedelta(days=2)):
        close_the_past(shop, utcnow() - dt.timedelta(days=2))
        make_duplicate(shop.ctx.sealer, sale, shop.cashier)
    return_all(shop, sale, user=shop.manager)
    assert signals_today(shop, code="receipt_reprinted") == []


def test_a_receipt_returned_in_three_visits_is_flagged_and_in_two_is_not(shop):
    three = sell(shop, [("BAG", 1), ("COF", 1), ("SOA", 1)])
    two = sell(shop, [("BAG", 1), ("COF", 1)])
    visits = [return_one(shop, three, sku, user=shop.manager) for sku in ("BAG", "COF", "SOA")]
    for sku in ("BAG", "COF"):
        return_one(shop, two, sku, user=shop.manager)

    [signal] = signals_today(shop, code="receipt_many_visits")
    assert (signal.subject_id, signal.value, signal.threshold) == (three.code, 3, 2)
    assert signal.evidence == (three.code, *(v.code for v in visits))


def test_a_sale_refunded_by_the_cashier_who_made_it_is_flagged(shop):
    own = sell(shop, [("WIN", 1)])  # sold by the cashier
    other = sell(shop, [("SOA", 1)])
    mine = return_all(shop, own)  # refunded by the same cashier
    return_all(shop, other, user=shop.manager)

    [signal] = signals_today(shop, code="receipt_same_cashier")
    assert signal.subject_id == own.code and signal.evidence == (own.code, mine.code)
    assert signal.params == {"cashier": shop.cashier.name}


def test_a_card_refunded_three_times_is_flagged_and_twice_is_not(shop):
    terminal_gives_card_digits(shop, "4242")
    same_card = [sell(shop, [("WIN", 1)], card=895) for _ in range(3)]
    terminal_gives_card_digits(shop, "1111")
    twice = [sell(shop, [("SOA", 1)], card=350) for _ in range(2)]
    terminal_gives_card_digits(shop, "4242")
    refunds = [return_all(shop, sale, user=shop.manager) for sale in same_card]
    terminal_gives_card_digits(shop, "1111")
    for sale in twice:
        return_all(shop, sale, user=shop.manager)

    [signal] = signals_today(shop, code="means_card_refunds")
    assert (signal.subject, signal.subject_id, signal.value, signal.threshold) == (MEANS, "****4242", 3, 2)
    assert signal.evidence == tuple(r.code for r in refunds) and signal.params["total_cents"] == 3 * 895
