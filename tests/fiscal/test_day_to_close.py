"""Which day and month the closures screen proposes, without a screen."""

from __future__ import annotations

import dataclasses
import datetime as dt

from store.models import utcnow
from till.fiscal.closure_totals import business_day, business_today
from till.fiscal.closures import close_day, day_to_close, month_to_close
from till.selling.basket import Basket
from till.selling.checkout import Checkout
from till.selling.ticket_writer import write_ticket
from tests.support.clock import sealing_at


def sale_at(shop, when: dt.datetime):
    basket = Basket(shop.config, shop.ctx.sealer, shop.cashier)
    basket.add_product(shop.products["WIN"], 1)
    checkout = Checkout(basket, None)
    checkout.add_cash(1000)
    with sealing_at(when):  # signed when it was sold
        return write_ticket(shop.ctx.sealer, shop.config.accounts,
                            dataclasses.replace(checkout.draft(), created_at=when))


def test_today_when_nothing_waits_else_the_oldest_day_not_closed(lite_shop):
    shop = lite_shop
    zone = shop.ctx.sealer.zone
    today = business_today(zone)
    assert today == business_day(utcnow(), zone)
    assert day_to_close(shop.ctx.till_id, zone) == today
    yesterday = utcnow() - dt.timedelta(days=1)
    sale_at(shop, yesterday)
    assert day_to_close(shop.ctx.till_id, zone) == business_day(yesterday, zone)
    close_day(shop.ctx.sealer, business_day(yesterday, zone))
    assert day_to_close(shop.ctx.till_id, zone) == today


def test_today_once_closed_is_still_today(lite_shop):
    shop = lite_shop
    zone = shop.ctx.sealer.zone
    close_day(shop.ctx.sealer, business_today(zone))
    assert day_to_close(shop.ctx.till_id, zone) == business_today(zone)


def test_the_month_to_close_is_the_last_one_over():
    utc = dt.timezone.utc
    assert month_to_close(utc, dt.datetime(2026, 3, 1, 10, 0)) == dt.date(2026, 2, 28)
    assert month_to_close(utc, dt.datetime(2026, 1, 31, 23, 0)) == dt.date(2025, 12, 31)
    paris = dt.timezone(dt.timedelta(hours=1))
    assert month_to_close(paris, dt.datetime(2026, 2, 28, 23, 30)) == dt.date(2026, 2, 28)  # 1 March in Paris
